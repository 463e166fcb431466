"""Co-signatures: another organisation joins a contribution while the consultation is open, through HTTP (with and
without HTMX) and through the actions; every refusal, the ledger, the database constraint and the page's queries."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import event
from sqlalchemy.exc import IntegrityError
from sqlmodel import select

from consult.cosign import actions
from consult.forms import DomainError
from consult.models import Consultation, CoSignature, Organisation, Proposal, Record, utcnow
from tests.factories import (
    add_member,
    fresh,
    ledger_events,
    make_comment,
    make_consultation,
    make_organisation,
    make_user,
    paragraph_by_label,
    principal,
    signed_in,
)
from tests.html import page
from tests.test_comments import target
from tests.test_consultations import pile_of_comments, statements_for

HTMX = {"HX-Request": "true"}
LABEL = "§ 6 ust. 1 pkt 4"


class Coalition:
    """Klub Sportowy Orzeł commented on § 6 ust. 1 pkt 4; Fundacja Most's member may co-sign it."""

    def __init__(self, db, **consultation) -> None:
        self.consultation = make_consultation(db, **consultation)
        self.paragraph = paragraph_by_label(db, self.consultation, LABEL)
        self.club_admin = make_user(db, display_name="Piotr Lis")
        self.club = make_organisation(db, admin=self.club_admin, verified=True, name="Klub Sportowy Orzeł")
        self.comment = make_comment(
            db, self.consultation, author=self.club_admin, organisation=self.club, paragraph=self.paragraph
        )
        self.member = make_user(db, display_name="Maria Zielińska")
        self.foundation = make_organisation(db, admin=self.member, verified=True, name="Fundacja Most")

    @property
    def thread_url(self) -> str:
        return f"/consultations/{self.consultation.slug}/paragraphs/{self.paragraph.key}"

    def contribution(self, db):
        fresh(db)
        return actions.load_contribution(db, "comment", self.comment.id)


def cosign(client, kind: str, subject_id: int, organisation_id, *, headers=None, verb: str = ""):
    url = f"/cosign/{kind}/{subject_id}" + (f"/{verb}" if verb else "")
    return client.submit(url, {"organisation_id": str(organisation_id)}, headers=headers or {}, follow_redirects=False)


def signatures(db) -> list[tuple[str, int, int]]:
    fresh(db)
    rows = db.exec(select(CoSignature.subject_kind, CoSignature.subject_id, CoSignature.organisation_id)).all()
    return [tuple(r) for r in rows]


def set_window(db, consultation: Consultation, opens_in: timedelta, lasts: timedelta) -> None:
    consultation.opens_at = utcnow() + opens_in
    consultation.closes_at = consultation.opens_at + lasts
    db.add(consultation)
    db.commit()


# --- the form and the list ---------------------------------------------------------------------


def test_thread_offers_the_member_a_cosign_button_for_their_organisation(client, db):
    c = Coalition(db)
    signed_in(client, c.member)

    response = client.get(c.thread_url)

    region = page(response).one(f"#comment-{c.comment.id}-cosign")
    form = region.one("form.cosign-form")
    assert form.get("action") == form.get("hx-post") == f"/cosign/comment/{c.comment.id}"
    assert form.get("hx-target") == f"#comment-{c.comment.id}-cosign"
    assert form.one("[name=organisation_id]").get("value") == str(c.foundation.id)
    assert form.one("button").text == "Co-sign as Fundacja Most"


def test_member_of_several_organisations_chooses_one_in_a_select(client, db):
    c = Coalition(db)
    seniors = make_organisation(db, verified=True, name="Stowarzyszenie Seniorów")
    add_member(db, seniors, c.member)
    signed_in(client, c.member)

    region = page(client.get(c.thread_url)).one(f"#comment-{c.comment.id}-cosign")

    select_ = region.one("select")
    assert region.one("label").get("for") == select_.get("id") == f"comment-{c.comment.id}-cosign-organisation"
    assert region.one("label").text == "Co-sign on behalf of"
    assert [o.text for o in select_.select("option")] == ["Fundacja Most", "Stowarzyszenie Seniorów"]
    assert region.one("form button").text == "Co-sign"


def test_author_and_reader_without_organisation_see_no_cosign_form(client, db, other_client):
    c = Coalition(db)
    signed_in(client, c.club_admin)
    resident = make_user(db)
    signed_in(other_client, resident)

    for someone in (client, other_client):
        region = page(someone.get(c.thread_url)).one(f"#comment-{c.comment.id}-cosign")
        assert region.select("form") == []


def test_replies_have_no_cosign_region(client, db):
    c = Coalition(db)
    reply = make_comment(db, c.consultation, parent=c.comment, body="Popieramy.")
    signed_in(client, c.member)

    html = page(client.get(c.thread_url))

    assert html.select(f"#comment-{reply.id}-cosign") == []
    assert len(html.select(f"#comment-{c.comment.id}-cosign")) == 1


# --- co-signing ----------------------------------------------------------------------------------


def test_cosign_without_javascript_redirects_to_the_comment_and_lists_the_cosigner(client, db):
    c = Coalition(db)
    signed_in(client, c.member)

    response = cosign(client, "comment", c.comment.id, c.foundation.id)

    assert target(response) == f"{c.thread_url}?page=1#comment-{c.comment.id}"
    assert signatures(db) == [("comment", c.comment.id, c.foundation.id)]
    shown = page(client.get(response.headers["location"]))
    region = shown.one(f"#comment-{c.comment.id}-cosign")
    assert region.one(".cosigners").text == "Co-signed by: Fundacja Most"
    assert region.one(".cosigners a").get("href") == f"/organisations/{c.foundation.slug}"
    assert region.one("form button").text == "Withdraw the co-signature of Fundacja Most"
    assert "Your organisation has co-signed this contribution." in shown.one("main .banner").text


def test_cosign_with_htmx_swaps_the_region_in_place(client, db):
    c = Coalition(db)
    signed_in(client, c.member)

    response = cosign(client, "comment", c.comment.id, c.foundation.id, headers=HTMX)

    assert response.status_code == 200
    assert response.template.name == "cosign/_cosign.html"
    assert "<html" not in response.text
    region = page(response).one(f"div#comment-{c.comment.id}-cosign")
    assert region.one(".cosigners").text == "Co-signed by: Fundacja Most"
    assert region.one("[role=status]").text == "Your organisation has co-signed this contribution."


def test_cosigners_show_in_polish_on_the_consultation_page(client, db):
    consultation = make_consultation(db)
    club_admin = make_user(db)
    club = make_organisation(db, admin=club_admin, verified=True, name="Klub Sportowy Orzeł")
    comment = make_comment(db, consultation, author=club_admin, organisation=club)
    for name in ("Fundacja Most", "Koło Gospodyń Wiejskich"):
        member = make_user(db)
        organisation = make_organisation(db, admin=member, verified=True, name=name)
        actions.cosign_contribution(
            db,
            principal(db, member),
            actions.load_contribution(db, "comment", comment.id),
            actions.CosignInput(organisation_id=organisation.id),
        )

    html = page(client.get(f"/consultations/{consultation.slug}"))  # Polish: no language cookie

    cosigners = html.one(f"#comment-{comment.id}-cosign .cosigners")
    assert cosigners.one("strong").text == "Współpodpisały:"
    assert cosigners.texts("a") == ["Fundacja Most", "Koło Gospodyń Wiejskich"]


def test_htmx_post_for_one_comment_leaves_other_comments_alone(client, db):
    c = Coalition(db)
    other = make_comment(db, c.consultation, paragraph=c.paragraph, body="Inna uwaga.")
    signed_in(client, c.member)

    cosign(client, "comment", other.id, c.foundation.id, headers=HTMX)

    assert signatures(db) == [("comment", other.id, c.foundation.id)]
    html = page(client.get(c.thread_url))
    assert html.select(f"#comment-{c.comment.id}-cosign .cosigners") == []
    assert html.one(f"#comment-{other.id}-cosign .cosigners").text == "Co-signed by: Fundacja Most"


# --- refusals ------------------------------------------------------------------------------------


def test_cosign_twice_is_refused_with_a_clear_message(client, db):
    c = Coalition(db)
    signed_in(client, c.member)
    cosign(client, "comment", c.comment.id, c.foundation.id)

    plain = cosign(client, "comment", c.comment.id, c.foundation.id)
    htmx = cosign(client, "comment", c.comment.id, c.foundation.id, headers=HTMX)

    assert plain.status_code == htmx.status_code == 409
    assert plain.template.name == "cosign/page.html"
    assert htmx.template.name == "cosign/_cosign.html"
    message = "Fundacja Most has already co-signed this contribution."
    assert page(htmx).one(f"#comment-{c.comment.id}-cosign [role=alert]").text == message
    assert page(plain).one("h1").text == "Co-sign a contribution"
    assert page(plain).one(".error-summary p").text == message
    assert page(plain).select(f"article#comment-{c.comment.id}"), "the comment is shown with the message"
    assert len(signatures(db)) == 1


def test_organisation_that_submitted_cannot_cosign(client, db):
    c = Coalition(db)
    signed_in(client, c.club_admin)

    response = cosign(client, "comment", c.comment.id, c.club.id, headers=HTMX)

    assert response.status_code == 409
    assert "Klub Sportowy Orzeł submitted this contribution: it cannot co-sign it too." in response.text
    assert signatures(db) == []


def test_cosign_for_an_organisation_one_does_not_belong_to_is_refused(client, db):
    c = Coalition(db)
    stranger = make_organisation(db, verified=True, name="Obca Fundacja")
    signed_in(client, c.member)

    response = cosign(client, "comment", c.comment.id, stranger.id)

    assert response.status_code == 403
    assert "You can co-sign only on behalf of an organisation you belong to." in page(response).text
    assert signatures(db) == []


def test_unverified_organisation_cannot_cosign_where_only_verified_take_part(client, db):
    c = Coalition(db)
    member = make_user(db)
    unverified = make_organisation(db, admin=member, verified=False, name="Grupa Nieformalna")
    signed_in(client, member)

    response = cosign(client, "comment", c.comment.id, unverified.id, headers=HTMX)

    assert response.status_code == 403
    assert "Only verified organisations take part in this consultation." in response.text
    assert signatures(db) == []


@pytest.mark.parametrize(
    ("opens_in", "lasts"),
    [(timedelta(days=-30), timedelta(days=14)), (timedelta(days=1), timedelta(days=21))],
    ids=["closed", "scheduled"],
)
def test_cosign_outside_the_window_is_refused(client, db, opens_in, lasts):
    c = Coalition(db)
    set_window(db, c.consultation, opens_in, lasts)
    signed_in(client, c.member)

    plain = cosign(client, "comment", c.comment.id, c.foundation.id)
    htmx = cosign(client, "comment", c.comment.id, c.foundation.id, headers=HTMX)

    assert plain.status_code == htmx.status_code == 409
    message = "Co-signatures can be added or withdrawn only while the consultation is open."
    assert message in page(plain).text and message in htmx.text
    assert page(htmx).select("form") == [], "no form to co-sign outside the window"
    assert signatures(db) == []


@pytest.mark.parametrize("status", ["withdrawn", "hidden"])
def test_withdrawn_or_hidden_comment_cannot_be_cosigned(client, db, status):
    c = Coalition(db)
    c.comment.status = status
    db.add(c.comment)
    db.commit()
    signed_in(client, c.member)

    response = cosign(client, "comment", c.comment.id, c.foundation.id, headers=HTMX)

    assert response.status_code == 409
    assert "A withdrawn or hidden contribution cannot be co-signed." in response.text
    assert signatures(db) == []


def test_reply_cannot_be_cosigned(client, db):
    c = Coalition(db)
    reply = make_comment(db, c.consultation, parent=c.comment, body="Popieramy.")
    signed_in(client, c.member)

    response = cosign(client, "comment", reply.id, c.foundation.id)

    assert response.status_code == 409
    assert "Only a comment that starts a discussion, or a proposal, can be co-signed." in page(response).text
    assert signatures(db) == []


def test_signed_out_visitor_cannot_cosign(client, db):
    c = Coalition(db)
    client.cookies.set("consult_lang", "en")

    response = cosign(client, "comment", c.comment.id, c.foundation.id)

    assert response.status_code == 403
    assert "Log in to take part." in page(response).text
    assert signatures(db) == []


def test_municipality_cannot_cosign_in_its_own_consultation(db):
    c = Coalition(db)
    official = make_user(db)
    add_member(db, db.get(Organisation, c.consultation.organisation_id), official, role="official")

    with pytest.raises(DomainError) as refused:
        actions.cosign_contribution(
            db,
            principal(db, official),
            c.contribution(db),
            actions.CosignInput(organisation_id=c.consultation.organisation_id),
        )

    assert refused.value.status_code == 409
    assert refused.value.message == "The municipality that consults cannot co-sign contributions."


def test_missing_organisation_is_refused_with_422(client, db):
    c = Coalition(db)
    signed_in(client, c.member)

    response = cosign(client, "comment", c.comment.id, "", headers=HTMX)

    assert response.status_code == 422
    assert "Choose the organisation on whose behalf you co-sign." in response.text


def test_unknown_kind_or_subject_is_not_found(client, db):
    c = Coalition(db)
    signed_in(client, c.member)

    assert cosign(client, "meeting", c.comment.id, c.foundation.id).status_code == 404
    assert cosign(client, "comment", c.comment.id + 1000, c.foundation.id).status_code == 404


def test_published_record_freezes_cosignatures(db):
    c = Coalition(db)
    db.add(Record(consultation_id=c.consultation.id, body="{}", sha256="0" * 64))
    db.commit()

    with pytest.raises(DomainError) as refused:
        actions.cosign_contribution(
            db, principal(db, c.member), c.contribution(db), actions.CosignInput(organisation_id=c.foundation.id)
        )

    assert refused.value.status_code == 409
    assert "record is published" in refused.value.message


# --- withdrawing -------------------------------------------------------------------------------------


def test_organisation_withdraws_its_cosignature(client, db):
    c = Coalition(db)
    signed_in(client, c.member)
    cosign(client, "comment", c.comment.id, c.foundation.id)

    response = cosign(client, "comment", c.comment.id, c.foundation.id, headers=HTMX, verb="withdraw")

    assert response.status_code == 200
    region = page(response).one(f"#comment-{c.comment.id}-cosign")
    assert region.select(".cosigners") == []
    assert region.one("[role=status]").text == "The co-signature of Fundacja Most is withdrawn."
    assert region.one("form.cosign-form button").text == "Co-sign as Fundacja Most"
    assert signatures(db) == []
    assert [e.action for e in ledger_events(db) if e.action.startswith("cosign.")] == [
        "cosign.added",
        "cosign.withdrawn",
    ]


def test_a_plain_member_is_not_offered_to_withdraw_the_admins_cosignature(client, db, other_client):
    """The organisation's admins, or the person who signed, withdraw a co-signature: a plain member is not offered
    the button (the server would refuse), and the one who signed is, even as a plain member."""
    c = Coalition(db)
    plain = make_user(db, display_name="Jan Zwykły")
    add_member(db, c.foundation, plain)
    signed_in(client, c.member)  # the foundation's admin
    cosign(client, "comment", c.comment.id, c.foundation.id)
    withdraw = f"/cosign/comment/{c.comment.id}/withdraw"

    region = page(signed_in(other_client, plain).get(c.thread_url)).one(f"#comment-{c.comment.id}-cosign")
    assert region.one(".cosigners").text == "Co-signed by: Fundacja Most"
    assert [f.get("action") for f in region.select("form")] == []
    assert cosign(other_client, "comment", c.comment.id, c.foundation.id, verb="withdraw").status_code == 403
    admins = page(client.get(c.thread_url)).one(f"#comment-{c.comment.id}-cosign")
    assert [f.get("action") for f in admins.select("form")] == [withdraw]

    cosign(client, "comment", c.comment.id, c.foundation.id, verb="withdraw")
    cosign(other_client, "comment", c.comment.id, c.foundation.id)  # now the plain member signs
    mine = page(other_client.get(c.thread_url)).one(f"#comment-{c.comment.id}-cosign")
    assert [f.get("action") for f in mine.select("form")] == [withdraw]


def test_withdraw_without_javascript_redirects_back(client, db):
    c = Coalition(db)
    signed_in(client, c.member)
    cosign(client, "comment", c.comment.id, c.foundation.id)

    response = cosign(client, "comment", c.comment.id, c.foundation.id, verb="withdraw")

    assert target(response) == f"{c.thread_url}?page=1#comment-{c.comment.id}"
    assert signatures(db) == []


def test_withdraw_after_the_close_is_refused(client, db):
    c = Coalition(db)
    signed_in(client, c.member)
    cosign(client, "comment", c.comment.id, c.foundation.id)
    set_window(db, c.consultation, timedelta(days=-30), timedelta(days=14))

    response = cosign(client, "comment", c.comment.id, c.foundation.id, headers=HTMX, verb="withdraw")

    assert response.status_code == 409
    assert "only while the consultation is open" in response.text
    assert len(signatures(db)) == 1


def test_withdraw_for_another_organisation_is_refused(client, db, other_client):
    c = Coalition(db)
    signed_in(client, c.member)
    cosign(client, "comment", c.comment.id, c.foundation.id)
    intruder = make_user(db)
    make_organisation(db, admin=intruder, verified=True)
    signed_in(other_client, intruder)

    response = cosign(other_client, "comment", c.comment.id, c.foundation.id, verb="withdraw")

    assert response.status_code == 403
    assert len(signatures(db)) == 1


def test_withdraw_what_was_never_signed_is_refused(client, db):
    c = Coalition(db)
    signed_in(client, c.member)

    response = cosign(client, "comment", c.comment.id, c.foundation.id, headers=HTMX, verb="withdraw")

    assert response.status_code == 409
    assert "Fundacja Most has not co-signed this contribution." in response.text


# --- the ledger, the database and the queries ------------------------------------------------------


def test_ledger_records_the_cosignature_with_the_organisation(db):
    c = Coalition(db)

    actions.cosign_contribution(
        db, principal(db, c.member), c.contribution(db), actions.CosignInput(organisation_id=c.foundation.id)
    )

    [added] = ledger_events(db, "cosign.added")
    assert (added.subject_kind, added.subject_id, added.actor_id) == ("comment", str(c.comment.id), c.member.id)
    assert json.loads(added.payload) == {"organisation": c.foundation.id, "consultation": c.consultation.id}


def test_database_keeps_one_cosignature_per_organisation(db):
    c = Coalition(db)
    for _ in range(2):
        db.add(
            CoSignature(
                subject_kind="comment",
                subject_id=c.comment.id,
                organisation_id=c.foundation.id,
                signed_by_id=c.member.id,
            )
        )
    with pytest.raises(IntegrityError):
        db.commit()
    db.rollback()


def test_constraint_decides_between_two_requests_that_passed_the_check(db, monkeypatch):
    c = Coalition(db)
    db.add(
        CoSignature(
            subject_kind="comment", subject_id=c.comment.id, organisation_id=c.foundation.id, signed_by_id=c.member.id
        )
    )
    db.commit()
    monkeypatch.setattr(actions, "_find", lambda *args: None)  # as if the other request committed after our check

    with pytest.raises(DomainError) as refused:
        actions.cosign_contribution(
            db, principal(db, c.member), c.contribution(db), actions.CosignInput(organisation_id=c.foundation.id)
        )

    assert refused.value.status_code == 409
    assert refused.value.translated() == "Organizacja Fundacja Most już współpodpisała to zgłoszenie."
    assert len(signatures(db)) == 1
    assert ledger_events(db, "cosign.added") == []


def test_proposal_page_offers_cosigning_and_lists_the_cosigners(client, db):
    c = Coalition(db)
    proposal = Proposal(
        consultation_id=c.consultation.id, author_id=c.club_admin.id, organisation_id=c.club.id,
        title="Sport seniorów jako zadanie priorytetowe", body="Proponujemy.", body_html="<p>Proponujemy.</p>",
    )  # fmt: skip
    db.add(proposal)
    db.commit()
    detail = f"/consultations/{c.consultation.slug}/proposals/{proposal.id}"
    signed_in(client, c.member)

    form = page(client.get(detail)).one(f"#proposal-{proposal.id}-cosign form.cosign-form")
    response = cosign(client, "proposal", proposal.id, c.foundation.id)
    own = cosign(client, "proposal", proposal.id, c.club.id, headers=HTMX)

    assert form.get("action") == f"/cosign/proposal/{proposal.id}"
    assert target(response) == f"{detail}#proposal-{proposal.id}-cosign"
    region = page(client.get(detail)).one(f"#proposal-{proposal.id}-cosign")
    assert region.texts(".cosigners a") == ["Fundacja Most"]
    assert actions.cosigners_of(db, "proposal", [proposal.id]) == {proposal.id: [("Fundacja Most", c.foundation.slug)]}
    assert own.status_code == 403  # the member does not belong to the club


def test_cosigners_of_loads_many_contributions_in_one_query(app, db):
    c = Coalition(db)
    others = [make_comment(db, c.consultation, body=f"Uwaga {n}.") for n in range(3)]
    for comment in (c.comment, *others[:2]):
        db.add(
            CoSignature(
                subject_kind="comment", subject_id=comment.id, organisation_id=c.foundation.id, signed_by_id=c.member.id
            )
        )
    db.commit()
    statements: list[str] = []
    record = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(app.state.engine, "before_cursor_execute", record)
    try:
        found = actions.cosigners_of(db, "comment", [c.comment.id, *[o.id for o in others]])
    finally:
        event.remove(app.state.engine, "before_cursor_execute", record)

    assert len([s for s in statements if s.lstrip().upper().startswith("SELECT")]) == 1
    assert found == {
        c.comment.id: [("Fundacja Most", c.foundation.slug)],
        others[0].id: [("Fundacja Most", c.foundation.slug)],
        others[1].id: [("Fundacja Most", c.foundation.slug)],
    }


def test_consultation_page_costs_the_same_queries_with_cosignatures(app, client, db):
    small = make_consultation(db, slug="mala")
    large = make_consultation(db, slug="duza")
    signer = make_user(db)
    coalition = [make_organisation(db, admin=signer, verified=True, name=f"Koalicja {n}") for n in range(3)]
    for consultation, n in ((small, 10), (large, 400)):
        roots = pile_of_comments(db, consultation, n)
        for root in roots:
            for organisation in coalition:
                db.add(
                    CoSignature(
                        subject_kind="comment",
                        subject_id=root.id,
                        organisation_id=organisation.id,
                        signed_by_id=signer.id,
                    )
                )
        db.commit()
    signed_in(client, signer)
    client.get("/consultations/mala")

    few, few_page = statements_for(app, client, "/consultations/mala")
    many, many_page = statements_for(app, client, "/consultations/duza")

    assert len(few) == len(many), "\n".join(many)
    shown = page(many_page).select("#thread-general .cosigners")
    assert len(shown) == 20
    assert shown[0].texts("a") == ["Koalicja 0", "Koalicja 1", "Koalicja 2"]
    discussion, _ = statements_for(app, client, "/consultations/duza/discussion", headers=HTMX)
    assert len(discussion) <= len(many)
