"""Who may do what: every protected route for every kind of visitor, the CSRF check on every form, and can()."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from itsdangerous import URLSafeTimedSerializer
from sqlmodel import select
from starlette.routing import Mount, Route

from consult import permissions
from consult.guards import IdConvertor
from consult.models import Invitation, JoinRequest, LedgerEvent, Membership, Organisation, User, utcnow
from consult.permissions import Principal, can
from tests.factories import add_member, make_admin, make_organisation, make_user

LOGIN = "login"  # 303 to /login?next=<the page asked for, or the page a refused form was on>
# admin_elsewhere: an admin of another organisation, acting for one they do not belong to
WHO = ("anonymous", "outsider", "member", "admin", "admin_elsewhere", "platform_admin")


@dataclass
class World:
    """One NGO with its admin and a plain member, and people around it: who is who, and the ids in its paths."""

    users: dict[str, User]
    values: dict[str, object]


@pytest.fixture
def world(db, settings) -> World:
    admin = make_user(db, email="admin@example.pl", display_name="Ewa Nowak")
    ngo = make_organisation(db, admin=admin, name="Stowarzyszenie Razem")
    member = make_user(db, email="member@example.pl", display_name="Marek Zieliński")
    add_member(db, ngo, member)
    admin_elsewhere = make_user(db, email="admin@elsewhere.pl")
    other = make_organisation(db, admin=admin_elsewhere, name="Fundacja Obok", verified=True)
    outsider = make_user(db, email="outsider@example.pl")
    applicant = make_user(db, email="applicant@example.pl")
    invitation = Invitation(organisation_id=ngo.id, email=outsider.email, invited_by_id=admin.id)
    join_request = JoinRequest(organisation_id=ngo.id, user_id=applicant.id, message="Chcę pomagać.")
    db.add_all([invitation, join_request])
    db.commit()
    token = URLSafeTimedSerializer(settings.secret_key, salt="consult.invitation").dumps({"inv": invitation.id})
    membership_id = db.exec(select(Membership.id).where(Membership.user_id == member.id)).one()
    users = {
        "outsider": outsider,
        "member": member,
        "admin": admin,
        "admin_elsewhere": admin_elsewhere,
        "platform_admin": make_admin(db),
    }
    values = {
        "slug": ngo.slug,
        "other_slug": other.slug,
        "membership": membership_id,
        "invitation": invitation.id,
        "request": join_request.id,
        "token": token,
    }
    return World(users, values)


def expect(anonymous=LOGIN, outsider=403, member=403, admin=403, admin_elsewhere=403, platform_admin=403) -> dict:
    return dict(
        anonymous=anonymous,
        outsider=outsider,
        member=member,
        admin=admin,
        admin_elsewhere=admin_elsewhere,
        platform_admin=platform_admin,
    )


def admins(ok: int, **overrides) -> dict:
    """The organisation's admins and the platform's; nobody else."""
    return expect(admin=ok, platform_admin=ok) | overrides


def signed_in(ok: int) -> dict:
    return expect(outsider=ok, member=ok, admin=ok, admin_elsewhere=ok, platform_admin=ok)


def everyone(ok: int) -> dict:
    return dict.fromkeys(WHO, ok)


PROFILE = {"name": "Stowarzyszenie Nowe", "kind": "ngo", "krs": "", "area_served": "Gmina Wierzbno"}
MUNICIPALITY = PROFILE | {"kind": "municipality"}
INVITE = {"email": "new@example.pl", "role": "member"}
ORG = "/organisations/{slug}"
MEMBER = ORG + "/members/{membership}"  # the plain member's membership
#  (id, method, path, form data, expected outcome for each visitor)
MATRIX = [
    ("directory", "GET", "/organisations", None, everyone(200)),
    ("profile", "GET", ORG, None, everyone(200)),
    ("create-form", "GET", "/organisations/new", None, signed_in(200)),
    ("create", "POST", "/organisations/new", PROFILE, signed_in(303)),
    ("create-municipality", "POST", "/organisations/new", MUNICIPALITY, expect(platform_admin=303)),
    ("mine", "GET", "/my/organisations", None, signed_in(200)),
    ("logout", "POST", "/logout", {}, everyone(303)),
    ("invitation-page", "GET", "/invitations/{token}", None, expect(outsider=200)),  # sent to the outsider
    ("invitation-accept", "POST", "/invitations/{token}", {}, expect(outsider=303)),
    ("edit-form", "GET", ORG + "/edit", None, admins(200)),
    ("edit", "POST", ORG + "/edit", PROFILE, admins(303)),
    ("members", "GET", ORG + "/members", None, admins(200)),
    ("invite", "POST", ORG + "/members/invite", INVITE, admins(303)),
    ("change-role", "POST", MEMBER, {"action": "role", "role": "admin"}, admins(303)),
    ("remove-member", "POST", MEMBER, {"action": "remove"}, admins(303, member=303)),  # a member may leave
    ("withdraw", "POST", ORG + "/invitations/{invitation}/withdraw", {}, admins(303)),
    ("join", "POST", ORG + "/join", {"message": ""}, signed_in(303) | {"member": 409, "admin": 409}),
    ("decide-request", "POST", ORG + "/requests/{request}", {"decision": "approve"}, admins(303)),
    ("verify", "POST", ORG + "/verification", {"decision": "verify"}, expect(platform_admin=303)),
    ("revoke", "POST", "/organisations/{other_slug}/verification", {"decision": "revoke"}, expect(platform_admin=303)),
]  # fmt: skip


def ledger_length(db) -> int:
    db.rollback()
    return len(db.exec(select(LedgerEvent.seq)).all())


@pytest.mark.parametrize(
    ("method", "path", "data", "who", "expected"),
    [
        pytest.param(method, path, data, who, outcomes[who], id=f"{name}-{who}")
        for name, method, path, data, outcomes in MATRIX
        for who in WHO
    ],
)
def test_each_visitor_gets_what_the_rules_allow(client, db, world, method, path, data, who, expected):
    if who != "anonymous":
        client.login(world.users[who].email)
    url = path.format(**world.values)
    events_before = ledger_length(db)

    form_page = "/my/organisations"  # a refused form comes back to the page it was on, not to its POST address
    if method == "GET":
        response = client.get(url, follow_redirects=False)
    else:
        response = client.submit(
            url, data, follow_redirects=False, headers={"Referer": f"http://testserver{form_page}"}
        )

    if expected == LOGIN:
        assert response.status_code == 303
        location = urlsplit(response.headers["location"])
        assert location.path == "/login"
        assert parse_qs(location.query)["next"] == [url if method == "GET" else form_page]
    else:
        assert response.status_code == expected
        if expected == 303:
            assert urlsplit(response.headers["location"]).path != "/login"
        if expected == 403:
            assert response.template.name == "errors/403.html"
    if expected not in (200, 303):  # refused: nothing happened
        assert ledger_length(db) == events_before


def test_every_form_route_refuses_a_post_without_the_csrf_token(client, app, db, world):
    client.login(world.users["platform_admin"].email)

    def post_routes(routes):
        for route in routes:
            if isinstance(route, Mount):
                yield from post_routes(route.routes)
            elif isinstance(route, Route) and "POST" in (route.methods or ()):
                yield route

    def example_path(route: Route) -> str:
        params = {name: 1 if isinstance(conv, IdConvertor) else world.values["slug"]
                  for name, conv in route.param_convertors.items()}  # fmt: skip
        return app.url_path_for(route.name, **params)

    # One-click unsubscribe (RFC 8058) is posted by mail clients without a session or a CSRF token: its signed
    # token is its only authority, so a forged one is refused as such (400) and changes nothing.
    one_click = "notifications:unsubscribe"
    routes = [r for r in post_routes(app.routes) if r.name != one_click]
    assert {"accounts:logout", "organisations:create", "organisations:join", "organisations:verification"} <= {
        r.name for r in routes
    }
    events_before = ledger_length(db)
    for token in ({}, {"csrf_token": "forged"}):
        outcomes = {r.name: client.post(example_path(r), data={"decision": "verify", **token}) for r in routes}
        assert {name: r.status_code for name, r in outcomes.items()} == dict.fromkeys(outcomes, 403)
        assert {r.template.name for r in outcomes.values()} == {"errors/403.html"}
        forged = client.post(app.url_path_for(one_click, token="forged"), data={"List-Unsubscribe": "One-Click"})
        assert forged.status_code == 400
    assert ledger_length(db) == events_before
    assert client.get("/my/organisations").status_code == 200  # still signed in: logout was refused too


# --- can(): the rules themselves ------------------------------------------------------------------

PRINCIPALS = ("anonymous", "unconfirmed", "outsider", "member", "official", "admin", "platform_admin")
#                                     anonymous · unconfirmed · outsider · member · official · admin · platform admin
CAN = {
    "organisation.create":              ".  .  Y  Y  Y  Y  Y",
    "organisation.create_municipality": ".  .  .  .  .  .  Y",
    "organisation.verify":              ".  .  .  .  .  .  Y",
    "organisation.edit":                ".  .  .  .  .  Y  Y",
    "organisation.manage_members":      ".  .  .  .  .  Y  Y",
    "organisation.act_for":             ".  .  .  Y  Y  Y  .",
    "organisation.request_to_join":     ".  .  Y  .  .  .  Y",
    "organisation.no_such_action":      ".  .  .  .  .  .  .",
}  # fmt: skip


def principal(who: str, organisation_id: int) -> Principal | None:
    if who == "anonymous":
        return None
    user = User(
        id=PRINCIPALS.index(who),
        email=f"{who}@example.pl",
        display_name=who,
        password_hash="-",
        personal_salt="-",
        is_admin=who == "platform_admin",
        confirmed_at=None if who == "unconfirmed" else utcnow(),
    )
    role = who if who in ("member", "official", "admin") else None
    return Principal(user=user, roles={organisation_id: role} if role else {})


@pytest.mark.parametrize(
    ("action", "who", "allowed"),
    [
        pytest.param(action, who, row.split()[i] == "Y", id=f"{action}-{who}")
        for action, row in CAN.items()
        for i, who in enumerate(PRINCIPALS)
    ],
)
def test_can(action, who, allowed):
    municipality = Organisation(id=7, slug="gmina-wierzbno", name="Gmina Wierzbno", kind="municipality")
    assert can(principal(who, municipality.id), action, municipality) is allowed


def test_can_for_another_organisation_grants_nothing_a_role_elsewhere_gives():
    elsewhere = Organisation(id=8, slug="fundacja-obok", name="Fundacja Obok", kind="ngo")
    admin_of_seven = principal("admin", organisation_id=7)
    assert not can(admin_of_seven, "organisation.edit", elsewhere)
    assert not can(admin_of_seven, "organisation.manage_members", elsewhere)
    assert not can(admin_of_seven, "organisation.act_for", elsewhere)
    assert can(admin_of_seven, "organisation.request_to_join", elsewhere)


def test_can_matrix_names_every_organisation_action_of_the_rules():
    source = Path(permissions.__file__).read_text()
    assert set(re.findall(r'"(organisation\.[a-z_]+)"', source)) <= set(CAN)


# --- issue 10: what was said for an organisation, and who speaks in a consultation --------------------------------


def _ledger_actions(db) -> list[str]:
    db.rollback()
    return list(db.exec(select(LedgerEvent.action).order_by(LedgerEvent.seq)).all())


@pytest.mark.parametrize("change", [{"name": "Fundacja Całkiem Inna"}, {"krs": "0000999999"}])
def test_renaming_a_verified_organisation_or_changing_its_krs_clears_the_badge(client, db, mailbox, change):
    from consult.comments.actions import CommentInput, submit_comment
    from consult.consultations.actions import gate_for, get_or_create_thread
    from consult.forms import DomainError
    from tests.factories import make_consultation, principal

    admin = make_user(db, email="admin@example.pl")
    ngo = make_organisation(db, admin=admin, name="Stowarzyszenie Razem", krs="0000123456", verified=True)
    client.login(admin.email)
    response = client.submit(f"/organisations/{ngo.slug}/edit", PROFILE | {"name": ngo.name, "krs": ngo.krs} | change)
    assert response.status_code == 200
    db.refresh(ngo)
    assert ngo.verified_at is None and ngo.verified_by_id is None
    assert _ledger_actions(db)[-2:] == ["organisation.updated", "organisation.verification_cleared"]
    assert ngo.name in mailbox.last_to("admin@example.pl")["Subject"]  # the admins hear that it must be verified again

    consultation = make_consultation(db)  # open to verified organisations only
    municipality = db.get(Organisation, consultation.organisation_id)
    thread = get_or_create_thread(db, consultation, None)
    with pytest.raises(DomainError) as refused:
        submit_comment(
            db,
            principal(db, admin),
            thread.id,
            gate_for(consultation, municipality),
            CommentInput(body="Uwaga.", organisation_id=ngo.id),
        )
    assert refused.value.field == "organisation_id"


def test_a_removed_member_can_no_longer_edit_or_withdraw_what_they_said_for_the_organisation(client, db):
    from consult.models import Comment, Proposal
    from tests.factories import make_comment, make_consultation, make_proposal

    admin = make_user(db, email="admin@example.pl")
    ngo = make_organisation(db, admin=admin, verified=True)
    member = make_user(db, email="member@example.pl")
    membership = add_member(db, ngo, member)
    consultation = make_consultation(db)
    comment = make_comment(db, consultation, author=member, organisation=ngo)
    proposal = make_proposal(db, consultation, author=member, organisation=ngo)
    db.delete(db.get(Membership, membership.id))
    db.commit()
    events = _ledger_actions(db)

    client.login(member.email)
    edited = client.submit(f"/comments/{comment.id}/edit", {"body": "Zmieniona treść."}, follow_redirects=False)
    withdrawn = client.submit(f"/comments/{comment.id}/withdraw", follow_redirects=False)
    proposal_url = f"/consultations/{consultation.slug}/proposals/{proposal.id}/withdraw"
    proposal_withdrawn = client.submit(proposal_url, follow_redirects=False)

    assert (edited.status_code, withdrawn.status_code) == (403, 403)
    assert proposal_withdrawn.status_code in (403, 409) and _ledger_actions(db) == events
    assert db.get(Comment, comment.id).status == "visible" and db.get(Proposal, proposal.id).status == "visible"


def test_a_plain_member_cannot_withdraw_the_cosignature_their_admin_made(client, db):
    from consult.cosign.actions import CosignInput, cosign_contribution, load_contribution
    from consult.models import CoSignature
    from tests.factories import make_comment, make_consultation, principal

    admin = make_user(db, email="admin@example.pl")
    ngo = make_organisation(db, admin=admin, verified=True)
    member = make_user(db, email="member@example.pl")
    add_member(db, ngo, member)
    consultation = make_consultation(db)
    comment = make_comment(db, consultation)
    cosign_contribution(
        db, principal(db, admin), load_contribution(db, "comment", comment.id), CosignInput(organisation_id=ngo.id)
    )

    client.login(member.email)
    response = client.submit(f"/cosign/comment/{comment.id}/withdraw", {"organisation_id": str(ngo.id)})
    assert response.status_code == 403
    db.rollback()
    assert db.exec(select(CoSignature.organisation_id)).all() == [ngo.id]

    client.login(admin.email)
    assert client.submit(f"/cosign/comment/{comment.id}/withdraw", {"organisation_id": str(ngo.id)}).status_code == 200
    db.rollback()
    assert db.exec(select(CoSignature.organisation_id)).all() == []


def test_the_consulting_municipality_cannot_comment_or_propose_in_its_own_consultation(client, db):
    from tests.factories import make_consultation, make_official

    official, municipality = make_official(db)
    add_member(db, municipality, make_user(db))  # the municipality is verified and has members: it still may not
    consultation = make_consultation(db, official=official, municipality=municipality)
    events = _ledger_actions(db)
    client.login(official.email)
    url = f"/consultations/{consultation.slug}"
    as_municipality = {"organisation_id": str(municipality.id)}
    comment = client.submit(f"{url}/comments", {"body": "Uwaga gminy do własnego projektu."} | as_municipality)
    proposal = client.submit(f"{url}/proposals/new", {"title": "Propozycja gminy", "body": "Treść."} | as_municipality)
    assert comment.status_code == 403 and proposal.status_code == 403
    assert _ledger_actions(db) == events
