"""Working groups: created by an official, an NGO's admin or a network's coordinator; declarations to join taken
until the deadline (by an organisation with its representative, or by an individual), decided by the coordinator,
who is told by e-mail; the accepted declarations are the members. Read in English, so the assertions name the msgids.
"""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy.exc import IntegrityError
from sqlmodel import select

from consult.groups import actions
from consult.groups.queries import get_group, load_access
from consult.models import GroupDeclaration, LedgerEvent, Network, NetworkCoordinator, User, WorkingGroup, utcnow
from tests.factories import (
    add_member,
    close_declarations,
    fresh,
    ledger_events,
    make_admin,
    make_declaration,
    make_group,
    make_official,
    make_organisation,
    make_user,
    principal,
    signed_in,
)
from tests.html import Element
from tests.html import page as tree

FUTURE = (utcnow() + timedelta(days=10)).strftime("%Y-%m-%dT%H:%M")
PAST = (utcnow() - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")


def one(response, selector: str) -> Element:
    return tree(response).one(selector)


def none(response, selector: str) -> bool:
    return not tree(response).select(selector)


def group_form(organisation, **overrides) -> dict:
    return {
        "name": "Rozwój trzeciego sektora",
        "goal": "Wypracować standardy współpracy gminy z organizacjami.",
        "organisation_id": str(organisation.id),
        "declarations_close_at": FUTURE,
        **overrides,
    }


def individual(**overrides) -> dict:
    return {
        "kind": "individual",
        "name": "Jan Lider",
        "contact": "jan.lider@example.pl",
        "motivation": "Prowadzę klub seniora i chcę pomóc w pracach grupy.",
        "contribution": "Salę w świetlicy wiejskiej.",
        **overrides,
    }


# --- creating a group ------------------------------------------------------------------------


def test_official_creates_a_group_and_coordinates_it(client, db):
    official, municipality = make_official(db, email="urzednik@example.pl", display_name="Katarzyna Nowak")
    signed_in(client, official)
    response = client.submit("/groups/new", group_form(municipality), follow_redirects=False)
    assert response.status_code == 303
    page = client.get(response.headers["location"])
    assert page.template.name == "groups/detail.html"
    assert one(page, "h1").text == "Rozwój trzeciego sektora"
    assert "The working group Rozwój trzeciego sektora is created. You coordinate it." in page.text
    assert "Katarzyna Nowak" in one(page, ".summary-list").text
    assert "Collecting declarations" in one(page, ".status-line").text
    group = db.exec(select(WorkingGroup)).one()
    assert group.coordinator_id == official.id and group.slug == "rozwoj-trzeciego-sektora"
    [event] = ledger_events(db, "group.created")
    assert json.loads(event.payload)["organisation"] == municipality.id


def test_a_group_with_a_deadline_in_the_past_is_refused_with_the_text_kept(client, db):
    official, municipality = make_official(db)
    signed_in(client, official)
    response = client.submit("/groups/new", group_form(municipality, declarations_close_at=PAST))
    assert response.status_code == 422
    assert "The deadline for declarations must be in the future." in response.text
    assert "Wypracować standardy współpracy gminy z organizacjami." in response.text
    assert db.exec(select(WorkingGroup)).first() is None


@pytest.mark.parametrize(
    ("field", "value"),
    [("name", ""), ("goal", "krótko"), ("declarations_close_at", "jutro"), ("organisation_id", "x")],
)
def test_a_group_form_with_bad_input_names_the_field(client, db, field, value):
    official, municipality = make_official(db)
    signed_in(client, official)
    response = client.submit("/groups/new", group_form(municipality, **{field: value}))
    assert response.status_code == 422
    assert not none(response, f'.error-summary a[href="#field-{field}"]')


def test_admin_of_a_verified_organisation_creates_a_group(client, db):
    admin = make_user(db)
    ngo = make_organisation(db, admin=admin, verified=True)
    signed_in(client, admin)
    assert client.submit("/groups/new", group_form(ngo), follow_redirects=False).status_code == 303


def test_who_may_not_create_a_group_is_refused(client, db):
    resident = make_user(db)
    unverified_admin = make_user(db)
    unverified = make_organisation(db, admin=unverified_admin)
    signed_in(client, resident)
    assert client.get("/groups/new").status_code == 403
    client.post("/logout", data={"csrf_token": client.csrf_token()})
    signed_in(client, unverified_admin)
    assert client.get("/groups/new").status_code == 403
    with pytest.raises(actions.DomainError) as refused:
        actions.create_group(db, principal(db, unverified_admin), actions.GroupInput(**group_form(unverified)))
    assert refused.value.status_code == 403


def test_a_member_who_is_not_an_admin_cannot_run_a_group_for_the_organisation(db):
    member = make_user(db)
    ngo = make_organisation(db, verified=True)
    add_member(db, ngo, member)
    with pytest.raises(actions.DomainError) as refused:
        actions.create_group(db, principal(db, member), actions.GroupInput(**group_form(ngo)))
    assert refused.value.status_code == 403


def test_a_network_coordinator_creates_the_networks_group_and_nobody_else_may(db):
    coordinator = make_user(db)
    ngo = make_organisation(db)  # not verified, and the coordinator only a member: the network is the reason
    add_member(db, ngo, coordinator)
    network = Network(slug="siec-lgd", name="Sieć LGD")
    db.add(network)
    db.commit()
    db.add(NetworkCoordinator(network_id=network.id, user_id=coordinator.id))
    db.commit()
    data = actions.GroupInput(**group_form(ngo, network_id=network.id))
    group = actions.create_group(db, principal(db, coordinator), data)
    assert group.network_id == network.id
    official, municipality = make_official(db)
    with pytest.raises(actions.DomainError) as refused:
        actions.create_group(
            db, principal(db, official), actions.GroupInput(**group_form(municipality, network_id=network.id))
        )
    assert (refused.value.field, refused.value.status_code) == ("network_id", 403)


def test_the_list_shows_each_group_with_who_runs_it_its_deadline_and_members(client, db):
    coordinator, municipality = make_official(db, display_name="Katarzyna Nowak")
    open_group = make_group(db, coordinator=coordinator, organisation=municipality, name="Edukacja obywatelska")
    closed_group = make_group(db, coordinator=coordinator, organisation=municipality, name="Sieci współpracy")
    make_declaration(db, open_group, accepted=True)
    make_declaration(db, open_group, accepted=True)
    make_declaration(db, open_group)  # pending: not a member yet
    close_declarations(db, closed_group)
    client.cookies.set("consult_lang", "en")
    page = client.get("/groups")
    assert page.template.name == "groups/list.html"
    cards = tree(page).select(".group-list .card")
    assert [c.one("h2").text for c in cards] == ["Edukacja obywatelska", "Sieci współpracy"]
    first, second = (c.text for c in cards)
    assert municipality.name in first and "coordinator: Katarzyna Nowak" in first
    assert "Collecting declarations" in first and "left" in first and "Members 2" in first
    assert "Declarations closed" in second and "Members 0" in second


# --- declarations ------------------------------------------------------------------------------


def test_a_visitor_is_told_a_declaration_needs_an_account_with_a_way_back(client, db):
    group = make_group(db)
    client.cookies.set("consult_lang", "en")
    page = client.get(f"/groups/{group.slug}/declare")
    assert page.status_code == 200
    assert none(page, "form.declare-form")
    assert "You need an account to declare" in page.text
    login = tree(page).select(f"#group-{group.id}-account-needed a.button")[0]
    assert login.get("href") == f"/login?next=/groups/{group.slug}/declare"
    assert client.submit(f"/groups/{group.slug}/declare", individual()).status_code == 403


def test_an_individual_declares_before_the_deadline(client, db):
    group = make_group(db)
    leader = make_user(db, email="jan.lider@example.pl", display_name="Jan Lider")
    signed_in(client, leader)
    form = client.get(f"/groups/{group.slug}/declare")
    assert one(form, "#field-name").get("value") == "Jan Lider"
    response = client.submit(f"/groups/{group.slug}/declare", individual(), follow_redirects=False)
    assert response.status_code == 303
    page = client.get(response.headers["location"])
    assert "Your declaration is sent." in page.text
    assert "waiting for a decision" in one(page, ".my-declarations").text
    declaration = db.exec(select(GroupDeclaration)).one()
    assert (declaration.kind, declaration.status, declaration.user_id) == ("individual", "pending", leader.id)
    [event] = ledger_events(db, "group.declared")
    assert "Jan Lider" not in event.payload and "jan.lider@example.pl" not in event.payload
    assert "Prowadzę klub" not in event.payload


def test_an_organisation_declares_with_its_representative(client, db):
    group = make_group(db)
    admin = make_user(db)
    ngo = make_organisation(db, admin=admin, name="Stowarzyszenie Razem")
    signed_in(client, admin)
    data = individual(kind="organisation", organisation_id=str(ngo.id), name="Ewa Nowak", motivation="")
    assert client.submit(f"/groups/{group.slug}/declare", data, follow_redirects=False).status_code == 303
    declaration = db.exec(select(GroupDeclaration)).one()
    assert (declaration.kind, declaration.organisation_id, declaration.name) == ("organisation", ngo.id, "Ewa Nowak")


def test_a_declaration_after_the_deadline_is_refused_with_409_and_the_text_kept(client, db):
    group = make_group(db)
    leader = make_user(db)
    signed_in(client, leader)
    client.get(f"/groups/{group.slug}/declare")  # the form is opened before the deadline
    close_declarations(db, group)
    response = client.submit(f"/groups/{group.slug}/declare", individual())
    assert response.status_code == 409
    summary = one(response, ".error-summary").text
    assert "Declarations for this group closed on" in summary
    assert "Prowadzę klub seniora i chcę pomóc w pracach grupy." in response.text
    assert one(response, "#field-contribution").text == "Salę w świetlicy wiejskiej."
    assert db.exec(select(GroupDeclaration)).first() is None


def test_the_declaration_page_after_the_deadline_says_so_instead_of_the_form(client, db):
    group = make_group(db)
    close_declarations(db, group)
    signed_in(client, make_user(db))
    page = client.get(f"/groups/{group.slug}/declare")
    assert "The deadline has passed" in page.text
    assert none(page, "form.declare-form")
    detail = client.get(f"/groups/{group.slug}")
    assert "The deadline for declarations has passed" in detail.text
    assert none(detail, f'a[href="/groups/{group.slug}/declare"]')


def test_a_person_declares_once_as_an_individual(client, db):
    group = make_group(db)
    leader = make_user(db)
    make_declaration(db, group, user=leader)
    signed_in(client, leader)
    response = client.submit(f"/groups/{group.slug}/declare", individual())
    assert response.status_code == 409
    assert "You have already declared to join this group." in response.text
    assert "Prowadzę klub seniora" in response.text


def test_an_organisation_declares_once_whoever_of_its_people_sends_it(client, db):
    group = make_group(db)
    ngo = make_organisation(db)
    make_declaration(db, group, organisation=ngo)
    colleague = make_user(db)
    add_member(db, ngo, colleague)
    signed_in(client, colleague)
    data = individual(kind="organisation", organisation_id=str(ngo.id))
    response = client.submit(f"/groups/{group.slug}/declare", data)
    assert response.status_code == 409
    assert "This organisation has already declared to join this group." in response.text


def test_the_database_holds_one_live_declaration_per_organisation_and_per_person(db):
    group = make_group(db)
    ngo = make_organisation(db)
    first = make_declaration(db, group, organisation=ngo)
    db.add(GroupDeclaration(group_id=group.id, kind="organisation", organisation_id=ngo.id, name="X", contact="x@x.pl"))
    with pytest.raises(IntegrityError):
        db.commit()
    db.rollback()
    person = make_declaration(db, group)
    db.add(GroupDeclaration(group_id=group.id, kind="individual", user_id=person.user_id, name="X", contact="x@x.pl"))
    with pytest.raises(IntegrityError):
        db.commit()
    db.rollback()
    first = db.get(GroupDeclaration, first.id)
    first.status = "withdrawn"  # a withdrawn declaration no longer holds the place
    db.add(first)
    db.commit()
    db.add(GroupDeclaration(group_id=group.id, kind="organisation", organisation_id=ngo.id, name="X", contact="x@x.pl"))
    db.commit()


@pytest.mark.parametrize(
    ("values", "field", "status"),
    [
        ({"motivation": ""}, "motivation", 422),
        ({"contact": "123"}, "contact", 422),
        ({"name": ""}, "name", 422),
        ({"kind": "committee"}, "kind", 422),
        ({"kind": "organisation", "organisation_id": ""}, "organisation_id", 422),
        ({"contribution": "x" * 5001}, "contribution", 422),
    ],
)
def test_a_declaration_with_bad_input_names_the_field(client, db, values, field, status):
    group = make_group(db)
    signed_in(client, make_user(db))
    response = client.submit(f"/groups/{group.slug}/declare", individual(**values))
    assert response.status_code == status
    assert not none(response, f'.error-summary a[href="#field-{field}"]')
    assert db.exec(select(GroupDeclaration)).first() is None


def test_nobody_declares_for_an_organisation_they_do_not_belong_to(client, db):
    group = make_group(db)
    other = make_organisation(db)
    signed_in(client, make_user(db))
    response = client.submit(
        f"/groups/{group.slug}/declare", individual(kind="organisation", organisation_id=str(other.id))
    )
    assert response.status_code == 403
    assert "You can declare only for an organisation you belong to." in response.text


def test_an_unconfirmed_account_cannot_declare(db):
    group = make_group(db)
    unconfirmed = make_user(db, confirmed=False)
    with pytest.raises(actions.DomainError) as refused:
        actions.submit_declaration(db, principal(db, unconfirmed), group, actions.DeclarationInput(**individual()))
    assert refused.value.status_code == 403


def test_a_declarant_withdraws_a_pending_declaration_and_may_declare_again(client, db):
    group = make_group(db)
    leader = make_user(db)
    declaration = make_declaration(db, group, user=leader)
    signed_in(client, leader)
    page = client.submit(f"/groups/{group.slug}/declarations/{declaration.id}/withdraw")
    assert "Your declaration is withdrawn." in page.text
    fresh(db)
    assert db.get(GroupDeclaration, declaration.id).status == "withdrawn"
    assert ledger_events(db, "group.declaration_withdrawn")
    again = client.submit(f"/groups/{group.slug}/declare", individual(), follow_redirects=False)
    assert again.status_code == 303


def test_only_the_declarant_withdraws_and_only_while_it_waits(client, db):
    group = make_group(db)
    declaration = make_declaration(db, group)
    signed_in(client, make_user(db))
    assert client.submit(f"/groups/{group.slug}/declarations/{declaration.id}/withdraw").status_code == 403
    accepted = make_declaration(db, group, accepted=True)
    with pytest.raises(actions.DomainError) as refused:
        actions.withdraw_declaration(db, principal(db, _user(db, accepted)), accepted)
    assert refused.value.status_code == 409


def _user(db, declaration) -> User:
    return db.get(User, declaration.user_id)


# --- the coordinator's decisions --------------------------------------------------------------


def test_the_coordinator_accepts_a_declaration_and_the_declarant_is_told_by_email(client, db, mailbox):
    coordinator, municipality = make_official(db, email="koordynator@example.pl")
    group = make_group(db, coordinator=coordinator, organisation=municipality, name="Edukacja obywatelska")
    leader = make_user(db, email="jan.lider@example.pl", display_name="Jan Lider")
    declaration = make_declaration(db, group, user=leader)
    signed_in(client, coordinator)
    page = client.get(f"/groups/{group.slug}/declarations")
    assert page.template.name == "groups/declarations.html"
    card = one(page, f"#declaration-{declaration.id}").text
    assert "jan.lider@example.pl" in card and "Chcę pomóc w pracach grupy." in card
    response = client.submit(
        f"/groups/{group.slug}/declarations/{declaration.id}/decide", {"decision": "accept", "note": "Witamy!"}
    )
    assert "The declaration is accepted." in response.text
    fresh(db)
    assert db.get(GroupDeclaration, declaration.id).status == "accepted"
    message = mailbox.last_to("jan.lider@example.pl")
    assert "Edukacja obywatelska" in message["Subject"]
    assert "Witamy!" in message.get_content() and f"/groups/{group.slug}" in message.get_content()
    [event] = ledger_events(db, "group.declaration_accepted")
    assert "Witamy" not in event.payload
    members = client.get(f"/groups/{group.slug}")
    assert "Jan Lider" in one(members, ".member-list").text


def test_the_coordinator_declines_with_a_note_in_place_with_htmx(client, db, mailbox):
    group = make_group(db)
    coordinator = db.get(User, group.coordinator_id)
    declaration = make_declaration(db, group)
    signed_in(client, coordinator)
    response = client.submit(
        f"/groups/{group.slug}/declarations/{declaration.id}/decide",
        {"decision": "decline", "note": "Grupa jest już pełna."},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    assert response.template.name == "groups/_declaration.html"
    assert "The declaration is declined." in response.text
    assert none(response, "form.decision-form")
    assert ledger_events(db, "group.declaration_declined")
    assert "Grupa jest już pełna." in mailbox.last_to(_user(db, declaration).email).get_content()


def test_nobody_but_the_coordinator_decides(client, db):
    group = make_group(db)
    declaration = make_declaration(db, group)
    member = make_declaration(db, group, accepted=True)
    for person in (_user(db, member), make_admin(db), _user(db, declaration)):
        client.cookies.clear()
        signed_in(client, person)
        response = client.submit(f"/groups/{group.slug}/declarations/{declaration.id}/decide", {"decision": "accept"})
        assert response.status_code == 403
        assert client.get(f"/groups/{group.slug}/declarations").status_code == 403
    fresh(db)
    assert db.get(GroupDeclaration, declaration.id).status == "pending"


def test_a_declaration_is_decided_once(client, db):
    group = make_group(db)
    declaration = make_declaration(db, group, accepted=True)
    signed_in(client, db.get(User, group.coordinator_id))
    response = client.submit(f"/groups/{group.slug}/declarations/{declaration.id}/decide", {"decision": "decline"})
    assert response.status_code == 409
    assert "This declaration has already been decided or withdrawn." in response.text


def test_a_decision_without_a_choice_is_refused_with_the_note_kept(client, db):
    group = make_group(db)
    declaration = make_declaration(db, group)
    signed_in(client, db.get(User, group.coordinator_id))
    response = client.submit(f"/groups/{group.slug}/declarations/{declaration.id}/decide", {"note": "Zapraszamy"})
    assert response.status_code == 422
    assert one(response, f"#field-declaration-{declaration.id}-note").text == "Zapraszamy"


def test_the_coordinator_hands_the_group_over_to_another_account(client, db):
    group = make_group(db)
    old = db.get(User, group.coordinator_id)
    successor = make_user(db, email="nastepca@example.pl", display_name="Piotr Następca")
    signed_in(client, old)
    form = client.get(f"/groups/{group.slug}/edit")
    assert one(form, "#field-coordinator_email").get("value") == old.email
    values = {
        "name": group.name,
        "goal": group.goal,
        "declarations_close_at": one(form, "#field-declarations_close_at").get("value"),
        "coordinator_email": "NASTEPCA@example.pl",
    }
    page = client.submit(f"/groups/{group.slug}/edit", values)
    assert "Piotr Następca" in one(page, ".summary-list").text
    assert client.get(f"/groups/{group.slug}/declarations").status_code == 403
    event = ledger_events(db, "group.updated")[-1]
    assert json.loads(event.payload)["coordinator_changed"] is True
    fresh(db)
    access = get_group(db, group.slug)
    assert access.group.coordinator_id == successor.id
    # still an official of the municipality that runs the group: may hand it over again, not decide
    assert client.get(f"/groups/{group.slug}/edit").status_code == 200


def test_handing_over_to_an_unknown_address_is_refused_with_the_text_kept(client, db):
    group = make_group(db)
    signed_in(client, db.get(User, group.coordinator_id))
    values = {
        "name": "Nowa nazwa",
        "goal": group.goal,
        "declarations_close_at": FUTURE,
        "coordinator_email": "nikt@x.pl",
    }
    response = client.submit(f"/groups/{group.slug}/edit", values)
    assert response.status_code == 422
    assert "No confirmed account uses this e-mail address." in response.text
    assert one(response, "#field-name").get("value") == "Nowa nazwa"


def test_the_members_are_the_accepted_declarations(db):
    group = make_group(db)
    ngo = make_organisation(db, name="Stowarzyszenie Razem")
    make_declaration(db, group, organisation=ngo, accepted=True, name="Ewa Nowak")
    make_declaration(db, group, accepted=True, name="Jan Lider")
    make_declaration(db, group, name="Czeka Jeszcze")
    access = load_access(db, group)
    assert len(access.member_organisations) == 1
    from consult.groups.queries import members_of

    assert [(m.organisation.name if m.organisation else None, m.declaration.name) for m in members_of(db, group)] == [
        ("Stowarzyszenie Razem", "Ewa Nowak"),
        (None, "Jan Lider"),
    ]
    assert db.exec(select(LedgerEvent).where(LedgerEvent.action == "group.declaration_accepted")).all()


def test_two_declarations_sent_at_once_leave_one_and_refuse_the_other_with_409(db, monkeypatch):
    group = make_group(db)
    leader = make_user(db)
    make_declaration(db, group, user=leader)
    monkeypatch.setattr(actions, "_live", lambda *args: False)  # both requests passed the check at the same instant
    with pytest.raises(actions.DomainError) as refused:
        actions.submit_declaration(db, principal(db, leader), group, actions.DeclarationInput(**individual()))
    assert refused.value.status_code == 409
    fresh(db)
    assert len(db.exec(select(GroupDeclaration)).all()) == 1


def test_the_form_offers_only_what_is_left_to_declare(client, db):
    group = make_group(db)
    admin = make_user(db)
    ngo = make_organisation(db, admin=admin, name="Stowarzyszenie Razem")
    other = make_organisation(db, admin=admin, name="Fundacja Obok")
    make_declaration(db, group, organisation=ngo, user=admin)
    make_declaration(db, group, user=admin)
    signed_in(client, admin)
    page = client.get(f"/groups/{group.slug}/declare")
    assert [o.text for o in tree(page).select("#field-organisation_id option")] == [
        "Choose an organisation",
        other.name,
    ]
    assert none(page, "#field-kind-individual")
    make_declaration(db, group, organisation=other, user=admin)
    page = client.get(f"/groups/{group.slug}/declare")
    assert none(page, "form.declare-form")
    assert "You have sent every declaration you can" in page.text
