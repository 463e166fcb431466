"""Registering for a meeting: an organisation (any member of it) registers a head count with the participants' names,
a breakout group, accessibility needs and catering; the seats are held by the database; a full meeting puts newcomers
on a waiting list that moves up strictly in order when someone cancels, each one promoted told by e-mail."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlmodel import select

from consult.errors import DomainError
from consult.meetings import registrations
from consult.meetings.registrations import RegistrationInput
from consult.models import Meeting, MeetingBreakout, Registration, utcnow
from tests.factories import (
    add_member,
    fresh,
    ledger_events,
    make_meeting,
    make_organisation,
    make_user,
    principal,
    register_for,
    signed_in,
)
from tests.html import page
from tests.meeting_helpers import error, held, make_group, make_network, typed
from tests.test_comments import field, target


@pytest.fixture
def quarterly(db):
    """The network's quarterly meeting: 10 places, two breakout groups of 5 (planning, evaluation)."""
    host = make_user(db, email="host@lgd.example.pl", display_name="Ewa Gospodyni")
    lgd = make_organisation(db, admin=host, verified=True, name="Lokalna Grupa Działania")
    return make_meeting(
        db, organiser=host, organisation=lgd, capacity=10, breakouts=(("Planowanie", 5), ("Ewaluacja", 5))
    )


@pytest.fixture
def volunteer(db):
    """Marek, a plain member (not an admin) of the Wierzbno folk ensemble."""
    admin = make_user(db, email="prezes@zespol.example.pl")
    ensemble = make_organisation(db, admin=admin, verified=True, name="Zespół Ludowy Wierzbianki")
    marek = make_user(db, email="marek@zespol.example.pl", display_name="Marek Zieliński")
    add_member(db, ensemble, marek)
    return marek, ensemble


def groups(db, meeting: Meeting) -> list[MeetingBreakout]:
    fresh(db)
    query = select(MeetingBreakout).where(MeetingBreakout.meeting_id == meeting.id).order_by(MeetingBreakout.position)
    return list(db.exec(query).all())


def seats(db, meeting: Meeting) -> int:
    fresh(db)
    return db.get(Meeting, meeting.id).seats_taken


def sign_up(client, meeting: Meeting, values: dict, **kwargs):
    return client.submit(f"/meetings/{meeting.slug}/register", values, follow_redirects=False, **kwargs)


def entry(organisation, group=None, **overrides) -> dict:
    return {
        "organisation_id": str(organisation.id) if organisation else "",
        "head_count": "2",
        "participants": "Marek Zieliński\nAnna Wiśniewska",
        "breakout_id": str(group.id) if group else "",
        "accessibility_needs": "Jedna osoba na wózku",
        "catering_needs": "Dwa posiłki wegetariańskie",
        **overrides,
    }


def status_of(db, registration_id: int) -> str:
    fresh(db)
    return db.get(Registration, registration_id).status


# --- registering ---------------------------------------------------------------------------


def test_a_member_registers_two_people_and_picks_a_breakout_group(client, db, quarterly, volunteer):
    marek, ensemble = volunteer
    planning, _evaluation = groups(db, quarterly)
    signed_in(client, marek)
    form = page(client.get(f"/meetings/{quarterly.slug}"))
    assert field(form, "organisation_id") == str(ensemble.id)
    done = sign_up(client, quarterly, entry(ensemble, planning))
    assert target(done) == f"/meetings/{quarterly.slug}#meeting-{quarterly.id}-registration"
    html = page(client.get(target(done)))
    assert html.one(".banner-success").text == "You are registered: 2 people."
    card = html.one(".registration-card")
    assert card.one("h3").text == "Registered: Zespół Ludowy Wierzbianki"
    assert "2 people · group: Planowanie" in card.text and "Marek Zieliński, Anna Wiśniewska" in card.text
    assert "Planowanie : 3 places left" in html.one(".breakout-list").text
    fresh(db)
    [registration] = db.exec(select(Registration)).all()
    assert (registration.status, registration.head_count, registration.registered_by_id) == ("confirmed", 2, marek.id)
    assert registration.catering_needs == "Dwa posiłki wegetariańskie"
    assert seats(db, quarterly) == 2 and groups(db, quarterly)[0].seats_taken == 2


def test_with_javascript_the_registration_region_is_swapped_in_place(client, db, quarterly, volunteer):
    marek, ensemble = volunteer
    planning, _ = groups(db, quarterly)
    signed_in(client, marek)
    swapped = sign_up(client, quarterly, entry(ensemble, planning), headers={"HX-Request": "true"})
    assert swapped.status_code == 200 and swapped.template.name == "meetings/_registration.html"
    html = page(swapped)
    assert html.one("section").get("id") == f"meeting-{quarterly.id}-registration"
    assert html.one(".banner-success").text == "You are registered: 2 people."
    refused = sign_up(client, quarterly, entry(ensemble, planning), headers={"HX-Request": "true"})
    assert refused.status_code == 409 and refused.template.name == "meetings/_registration.html"


@pytest.mark.parametrize(
    ("overrides", "name", "message", "status"),
    [
        ({"participants": "Marek Zieliński"}, "participants", "The head count is 2, but 1 names are given", 422),
        ({"participants": ""}, "participants", "Give the participants' names, one a line.", 422),
        ({"head_count": "0"}, "head_count", "Give how many people will come: from 1 to 100.", 422),
        ({"head_count": "dwie"}, "head_count", "Enter a whole number.", 422),
        ({"head_count": "11", "participants": "\n".join(f"Osoba {i}" for i in range(11))}, "head_count",
         "The meeting holds 10 people in all: register at most that many.", 422),
        ({"head_count": "6", "participants": "\n".join(f"Osoba {i}" for i in range(6))}, "head_count",
         "The group “Planowanie” holds 5 people in all: register at most that many.", 422),
        ({"breakout_id": ""}, "breakout_id", "Choose a breakout group.", 422),
        ({"breakout_id": "999999"}, "breakout_id", "Choose a breakout group.", 422),
        ({"participants": "X" * 130 + "\nAnna"}, "participants", "A name is too long", 422),
    ],
)  # fmt: skip
def test_bad_registrations_are_refused_beside_their_field_with_the_text_kept(
    client, db, quarterly, volunteer, overrides, name, message, status
):
    marek, ensemble = volunteer
    planning, _ = groups(db, quarterly)
    signed_in(client, marek)
    refused = sign_up(client, quarterly, entry(ensemble, planning, **overrides))
    assert refused.status_code == status
    html = page(refused)
    assert message in error(html, name)
    assert typed(refused, "catering_needs") == "Dwa posiłki wegetariańskie"
    assert seats(db, quarterly) == 0 and db.exec(select(Registration)).first() is None


def test_a_head_count_above_what_is_left_goes_to_the_waiting_list(db, quarterly):
    planning, evaluation = groups(db, quarterly)
    register_for(db, quarterly, head_count=5, breakout=planning)
    register_for(db, quarterly, head_count=4, breakout=evaluation)
    waiting = register_for(db, quarterly, head_count=2, breakout=evaluation)  # 1 place left
    assert waiting.status == "waitlisted" and seats(db, quarterly) == 9


def test_a_full_group_is_refused_naming_the_groups_with_places(client, db, quarterly, volunteer):
    marek, ensemble = volunteer
    planning, _evaluation = groups(db, quarterly)
    register_for(db, quarterly, head_count=4, breakout=planning)
    signed_in(client, marek)
    refused = sign_up(client, quarterly, entry(ensemble, planning))
    assert refused.status_code == 409
    html = page(refused)
    assert error(html, "breakout_id") == "The group “Planowanie” is full. Groups with places left: Ewaluacja."
    assert typed(refused, "participants") == "Marek Zieliński\nAnna Wiśniewska"
    assert seats(db, quarterly) == 4 and groups(db, quarterly)[0].seats_taken == 4  # nothing held back


def test_registration_closes_at_the_deadline_on_the_server(client, db, quarterly, volunteer):
    marek, ensemble = volunteer
    planning, _ = groups(db, quarterly)
    signed_in(client, marek)
    assert page(client.get(f"/meetings/{quarterly.slug}")).select("form.registration-form")
    fresh(db)
    quarterly.registration_closes_at = utcnow() - timedelta(minutes=1)
    db.add(quarterly)
    db.commit()
    refused = sign_up(client, quarterly, entry(ensemble, planning))
    assert refused.status_code == 409
    html = page(refused)
    assert "Registration closed" in html.one(".error-summary").text
    assert typed(refused, "participants") == "Marek Zieliński\nAnna Wiśniewska"
    fresh(db)
    assert db.exec(select(Registration)).first() is None


@pytest.mark.parametrize("state", ["draft", "cancelled", "started"])
def test_no_registration_for_a_draft_a_cancelled_or_a_started_meeting(db, quarterly, state):
    if state == "draft":
        quarterly.published_at = None
    elif state == "cancelled":
        quarterly.cancelled_at = utcnow()
    db.add(quarterly)
    db.commit()
    if state == "started":
        held(db, quarterly, hours_ago=0.5)
    with pytest.raises(DomainError) as refused:
        register_for(db, quarterly, breakout=groups(db, quarterly)[0])
    assert refused.value.status_code == 409


def test_an_organisation_registers_once(client, db, quarterly, volunteer):
    marek, ensemble = volunteer
    planning, evaluation = groups(db, quarterly)
    register_for(db, quarterly, user=db.get(type(marek), marek.id), organisation=ensemble, breakout=planning)
    signed_in(client, marek)
    html = page(client.get(f"/meetings/{quarterly.slug}"))
    assert html.texts("#field-organisation_id option") == ["Only myself (Marek Zieliński)"]  # the ensemble is in
    again = sign_up(client, quarterly, entry(ensemble, evaluation))
    assert again.status_code == 409
    assert "already registered" in error(page(again), "organisation_id")


# --- who may come ---------------------------------------------------------------------------


def test_a_person_registers_themself_only_for_a_meeting_open_to_everyone(client, db, quarterly):
    resident = make_user(db, email="mieszkanka@example.pl", display_name="Zofia Mieszkanka")
    planning, _ = groups(db, quarterly)
    signed_in(client, resident)
    form = page(client.get(f"/meetings/{quarterly.slug}"))
    assert [o.text for o in form.select("#field-organisation_id option")] == ["Only myself (Zofia Mieszkanka)"]
    two = sign_up(client, quarterly, entry(None, planning))
    assert two.status_code == 422 and "On your own you register one person" in error(page(two), "head_count")
    done = sign_up(client, quarterly, entry(None, planning, head_count="1", participants=""))
    assert done.status_code == 303
    fresh(db)
    [mine] = db.exec(select(Registration)).all()
    assert (mine.organisation_id, mine.participants, mine.head_count) == (None, "Zofia Mieszkanka", 1)
    again = sign_up(client, quarterly, entry(None, planning, head_count="1", participants=""))
    assert again.status_code == 409


def test_a_network_meeting_is_for_admitted_members_and_coordinators(db, quarterly):
    coordinator = make_user(db, email="koordynatorka@example.pl")
    admitted, pending, outsider = (make_organisation(db, verified=True) for _ in range(3))
    network = make_network(db, coordinators=[coordinator], members=[(admitted, "admitted"), (pending, "pending")])
    quarterly.audience, quarterly.network_id = "network", network.id
    db.add(quarterly)
    db.commit()
    planning, _ = groups(db, quarterly)
    assert register_for(db, quarterly, organisation=admitted, user=_admin(db, admitted), breakout=planning).id
    for organisation in (pending, outsider):
        with pytest.raises(DomainError) as refused:
            register_for(db, quarterly, organisation=organisation, user=_admin(db, organisation), breakout=planning)
        assert refused.value.status_code == 403
    assert register_for(db, quarterly, user=coordinator, myself=True, breakout=planning).status == "confirmed"
    with pytest.raises(DomainError):
        register_for(db, quarterly, user=make_user(db), myself=True, breakout=planning)


def test_a_working_groups_meeting_is_for_its_members_and_its_coordinator(db, quarterly):
    coordinator, leader, stranger = (make_user(db) for _ in range(3))
    member, declined = make_organisation(db), make_organisation(db)
    group = make_group(
        db,
        runner=db.get(type(member), quarterly.organisation_id),
        coordinator=coordinator,
        declarations=[(member, None, "accepted"), (declined, None, "declined"), (None, leader, "accepted")],
    )
    quarterly.audience, quarterly.group_id = "group", group.id
    db.add(quarterly)
    db.commit()
    planning, _ = groups(db, quarterly)
    assert register_for(db, quarterly, organisation=member, user=_admin(db, member), breakout=planning).id
    assert register_for(db, quarterly, user=leader, myself=True, breakout=planning).id  # an individual member
    assert register_for(db, quarterly, user=coordinator, myself=True, breakout=planning).id
    for organisation, user in ((declined, _admin(db, declined)), (None, stranger)):
        with pytest.raises(DomainError) as refused:
            register_for(
                db, quarterly, organisation=organisation, user=user, myself=organisation is None, breakout=planning
            )
        assert refused.value.status_code == 403


def test_a_municipalitys_meeting_is_for_any_verified_organisation(client, db, quarterly):
    from tests.factories import make_official

    _official, gmina = make_official(db)
    quarterly.audience, quarterly.municipality_id = "municipality", gmina.id
    db.add(quarterly)
    db.commit()
    planning, _ = groups(db, quarterly)
    verified = make_organisation(db, verified=True)
    assert register_for(db, quarterly, organisation=verified, user=_admin(db, verified), breakout=planning).id
    unverified_admin = make_user(db, email="nowa@example.pl")
    unverified = make_organisation(db, admin=unverified_admin, verified=False)
    with pytest.raises(DomainError) as refused:
        register_for(db, quarterly, organisation=unverified, user=unverified_admin, breakout=planning)
    assert refused.value.status_code == 403
    signed_in(client, unverified_admin)
    note = page(client.get(f"/meetings/{quarterly.slug}")).one(".closed-note").text
    assert note == "This meeting is for verified organisations: register on behalf of one you act for."


def _admin(db, organisation):
    from consult.models import Membership, User

    membership = db.exec(select(Membership).where(Membership.organisation_id == organisation.id)).first()
    return db.get(User, membership.user_id)


def test_a_visitor_is_asked_to_log_in(client, db, quarterly):
    client.cookies.set("consult_lang", "en")
    html = page(client.get(f"/meetings/{quarterly.slug}"))
    link = html.one(f"#meeting-{quarterly.id}-registration a.button")
    assert link.text == "Log in to register" and link.get("href").startswith("/login?next=")
    refused = sign_up(client, quarterly, {"head_count": "1"})
    assert "/login" in refused.headers["location"]


# --- the waiting list -------------------------------------------------------------------------


def test_cancelling_frees_the_seats_and_promotes_the_first_in_line_who_is_told_by_mail(client, db, mailbox):
    host = make_user(db, email="gospodyni@example.pl")
    meeting = make_meeting(db, organiser=host, capacity=2)
    first_user = make_user(db, email="pierwsza@example.pl")
    first = register_for(db, meeting, user=first_user, head_count=2)
    second = register_for(db, meeting, user=make_user(db, email="druga@example.pl"))
    third = register_for(db, meeting, user=make_user(db, email="trzecia@example.pl"))
    assert [first.status, second.status, third.status] == ["confirmed", "waitlisted", "waitlisted"]
    signed_in(client, first_user)
    mine = page(client.get(f"/meetings/{meeting.slug}")).one(f"#registration-{first.id}")
    cancel = mine.one("form").get("action")
    done = client.submit(cancel, follow_redirects=False)
    assert target(done) == f"/meetings/{meeting.slug}#meeting-{meeting.id}-registration"
    html = page(client.get(target(done)))
    assert html.one(".banner-success").text == (
        "The registration is cancelled. 2 registrations moved up from the waiting list."
    )
    assert [status_of(db, r.id) for r in (first, second, third)] == ["cancelled", "confirmed", "confirmed"]
    assert seats(db, meeting) == 2
    promoted = mailbox.last_to("druga@example.pl")
    assert promoted["Subject"] == f"A place for you: {meeting.title}"
    assert f"http://testserver/meetings/{meeting.slug}" in promoted.get_content()
    assert [json.loads(e.payload)["head_count"] for e in ledger_events(db, "registration.promoted")] == [1, 1]


def test_a_later_smaller_registration_never_jumps_a_larger_one_that_came_first(db):
    meeting = make_meeting(db, capacity=3)
    first_user = make_user(db)
    first = register_for(db, meeting, user=first_user, head_count=3)
    larger = register_for(db, meeting, head_count=3)
    smaller = register_for(db, meeting, head_count=1)
    assert (larger.status, smaller.status) == ("waitlisted", "waitlisted")
    who = principal(db, first_user)
    fewer = RegistrationInput(organisation_id=first.organisation_id, head_count=2, participants="A\nB")
    registrations.change_registration(db, who, first, fewer)
    # one place is free, but the first in line needs three: the one behind it waits its turn
    assert (status_of(db, larger.id), status_of(db, smaller.id), seats(db, meeting)) == ("waitlisted", "waitlisted", 2)
    newcomer = register_for(db, meeting, head_count=1)
    assert newcomer.status == "waitlisted"  # nor does a newcomer take the free place from those waiting
    registrations.cancel_registration(db, who, db.get(Registration, first.id))
    assert [status_of(db, r.id) for r in (larger, smaller, newcomer)] == ["confirmed", "waitlisted", "waitlisted"]


def test_one_waiting_for_a_full_group_does_not_hold_back_the_others(db, quarterly):
    planning, evaluation = groups(db, quarterly)
    full_user = make_user(db)
    in_planning = register_for(db, quarterly, user=full_user, head_count=5, breakout=planning)
    register_for(db, quarterly, head_count=5, breakout=evaluation)
    for_planning = register_for(db, quarterly, head_count=1, breakout=planning)
    for_evaluation = register_for(db, quarterly, head_count=1, breakout=evaluation)
    assert (for_planning.status, for_evaluation.status) == ("waitlisted", "waitlisted")
    # the planning group frees one place: the one waiting for it moves up, though not first overall
    fewer = RegistrationInput(
        organisation_id=in_planning.organisation_id, head_count=4, participants="A\nB\nC\nD", breakout_id=planning.id
    )
    registrations.change_registration(db, principal(db, full_user), in_planning, fewer)
    assert (status_of(db, for_planning.id), status_of(db, for_evaluation.id)) == ("confirmed", "waitlisted")


def test_the_waiting_list_shows_each_ones_place(client, db):
    meeting = make_meeting(db, capacity=1)
    register_for(db, meeting)
    register_for(db, meeting)
    marek = make_user(db, email="marek@example.pl")
    signed_in(client, marek)
    ensemble = make_organisation(db, admin=marek, name="Zespół Ludowy")
    done = sign_up(client, meeting, {"organisation_id": str(ensemble.id), "head_count": "1", "participants": "Marek"})
    html = page(client.get(target(done)))
    assert html.one(".banner-success").text.startswith("The meeting is full: you are number 2 on the waiting list.")
    assert "Waiting list, number 2" in html.one(".registration-card").text


# --- changing and cancelling ------------------------------------------------------------------


def test_changing_the_head_count_rechecks_the_seats(client, db, volunteer):
    marek, ensemble = volunteer
    meeting = make_meeting(db, capacity=5)
    mine = register_for(db, meeting, user=marek, organisation=ensemble, head_count=2)
    register_for(db, meeting, head_count=2)
    signed_in(client, marek)
    url = f"/meetings/{meeting.slug}/registrations/{mine.id}"
    assert typed(client.get(url), "participants") == "Uczestnik 1\nUczestnik 2"
    three = {"head_count": "3", "participants": "A\nB\nC"}
    assert target(client.submit(url, three, follow_redirects=False)).endswith("-registration")
    assert seats(db, meeting) == 5
    four = {"head_count": "4", "participants": "A\nB\nC\nD"}
    full = client.submit(url, four)
    assert full.status_code == 409
    assert (
        error(page(full), "head_count")
        == "No places are free for 1 more people (those on the waiting list come first)."
    )
    assert typed(full, "participants") == "A\nB\nC\nD"
    six = {"head_count": "6", "participants": "\n".join("ABCDEF")}
    assert client.submit(url, six).status_code == 422  # more than the meeting holds
    fresh(db)
    assert db.get(Registration, mine.id).head_count == 3 and seats(db, meeting) == 5
    one = {"head_count": "1", "participants": "A"}
    assert client.submit(url, one, follow_redirects=False).status_code == 303
    assert seats(db, meeting) == 3


def test_moving_to_a_full_group_is_refused(client, db, quarterly, volunteer):
    marek, ensemble = volunteer
    planning, evaluation = groups(db, quarterly)
    mine = register_for(db, quarterly, user=marek, organisation=ensemble, head_count=1, breakout=planning)
    register_for(db, quarterly, head_count=5, breakout=evaluation)
    signed_in(client, marek)
    moved = client.submit(
        f"/meetings/{quarterly.slug}/registrations/{mine.id}",
        {"head_count": "1", "participants": "Marek", "breakout_id": str(evaluation.id)},
    )
    assert moved.status_code == 409 and "“Ewaluacja” is full" in error(page(moved), "breakout_id")
    assert [g.seats_taken for g in groups(db, quarterly)] == [1, 5]


def test_after_the_deadline_only_fewer_people_or_cancelling(db, quarterly, volunteer):
    marek, ensemble = volunteer
    planning, _ = groups(db, quarterly)
    mine = register_for(db, quarterly, user=marek, organisation=ensemble, head_count=2, breakout=planning)
    quarterly.registration_closes_at = utcnow() - timedelta(minutes=1)
    db.add(quarterly)
    db.commit()
    who = principal(db, marek)
    more = RegistrationInput(organisation_id=ensemble.id, head_count=3, participants="A\nB\nC", breakout_id=planning.id)
    with pytest.raises(DomainError) as refused:
        registrations.change_registration(db, who, mine, more)
    assert refused.value.status_code == 409 and "you can still lower the head count" in refused.value.message
    fewer = RegistrationInput(organisation_id=ensemble.id, head_count=1, participants="A", breakout_id=planning.id)
    assert registrations.change_registration(db, who, db.get(Registration, mine.id), fewer).head_count == 1
    registrations.cancel_registration(db, who, db.get(Registration, mine.id))
    assert seats(db, quarterly) == 0


def test_only_the_organisations_members_change_or_cancel_its_registration(client, db, quarterly, volunteer):
    marek, ensemble = volunteer
    planning, _ = groups(db, quarterly)
    theirs = register_for(db, quarterly, breakout=planning)
    signed_in(client, marek)
    url = f"/meetings/{quarterly.slug}/registrations/{theirs.id}"
    fresh(db)
    assert client.get(url).status_code == 403
    assert client.submit(f"{url}/cancel").status_code == 403
    assert client.get(f"/meetings/{quarterly.slug}/registrations/999999").status_code == 404
    fresh(db)
    other = make_meeting(db)
    assert client.get(f"/meetings/{other.slug}/registrations/{theirs.id}").status_code == 404


def test_no_change_after_the_start_and_no_second_cancellation(client, db, quarterly, volunteer):
    marek, ensemble = volunteer
    planning, _ = groups(db, quarterly)
    mine = register_for(db, quarterly, user=marek, organisation=ensemble, breakout=planning)
    signed_in(client, marek)
    assert client.submit(f"/meetings/{quarterly.slug}/registrations/{mine.id}/cancel").status_code == 200
    assert client.submit(f"/meetings/{quarterly.slug}/registrations/{mine.id}/cancel").status_code == 409
    again = register_for(db, quarterly, user=marek, organisation=ensemble, breakout=planning)  # may register anew
    held(db, quarterly, hours_ago=1)
    assert client.submit(f"/meetings/{quarterly.slug}/registrations/{again.id}/cancel").status_code == 409
    refused = client.submit(f"/meetings/{quarterly.slug}/registrations/{again.id}", {"head_count": "1"})
    assert refused.status_code == 409


def test_the_ledger_counts_people_but_never_names_them(db, quarterly, volunteer):
    marek, ensemble = volunteer
    planning, _ = groups(db, quarterly)
    mine = register_for(
        db, quarterly, user=marek, organisation=ensemble, head_count=2, breakout=planning,
        participants=["Marek Zieliński", "Anna Wiśniewska"], accessibility_needs="Wózek",
    )  # fmt: skip
    registrations.cancel_registration(db, principal(db, marek), mine)
    events = [e for e in ledger_events(db) if e.subject_kind == "registration"]
    assert [e.action for e in events] == ["registration.created", "registration.cancelled"]
    assert json.loads(events[0].payload) == {
        "meeting": quarterly.id,
        "organisation": ensemble.id,
        "head_count": 2,
        "breakout": planning.id,
        "status": "confirmed",
    }
    assert not any(word in e.payload for e in events for word in ("Marek", "Anna", "Wózek"))
