"""Planning meetings: an organisation's admin (or a network's, a working group's coordinator) plans a meeting as a
draft with its time in Warsaw, its venue (an address or an accepted booking of a lent room), places and breakout
groups, publishes it, changes it and cancels it; every bad input is refused beside its field with the text kept."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select

from consult.meetings import actions, after
from consult.models import Meeting, MeetingBreakout, Registration, utcnow
from tests.factories import (
    fresh,
    ledger_events,
    make_meeting,
    make_official,
    make_organisation,
    make_user,
    principal,
    register_for,
    signed_in,
)
from tests.html import page, summary_list
from tests.meeting_helpers import WARSAW, error, held, local, make_booking, make_group, make_network, meeting_form
from tests.test_comments import field, target


@pytest.fixture
def host(db):
    """Ewa, the admin of the local action group that hosts the network's meetings."""
    ewa = make_user(db, email="ewa@lgd.example.pl", display_name="Ewa Gospodyni")
    lgd = make_organisation(db, admin=ewa, verified=True, name="Lokalna Grupa Działania Wierzbno")
    return ewa, lgd


def plan(client, values: dict):
    return client.submit("/meetings/new", values, follow_redirects=False)


def stored(db, slug: str) -> Meeting:
    fresh(db)
    return db.exec(select(Meeting).where(Meeting.slug == slug)).one()


# --- planning ------------------------------------------------------------------------------


def test_host_plans_a_draft_in_warsaw_time_and_publishes_it(client, db, host):
    ewa, lgd = host
    signed_in(client, ewa)
    form = page(client.get("/meetings/new"))
    assert field(form, "organisation_id") == str(lgd.id)
    values = meeting_form(lgd, starts_at="2027-03-29T10:00", ends_at="2027-03-29T13:00")
    with_dst = plan(client, values)

    meeting = stored(db, "spotkanie-kwartalne-sieci-jesien")
    assert target(with_dst) == "/meetings/spotkanie-kwartalne-sieci-jesien"
    assert meeting.starts_at == datetime(2027, 3, 29, 8, 0, tzinfo=UTC)  # summer time: UTC+2
    assert meeting.published_at is None and meeting.capacity == 30 and meeting.created_by_id == ewa.id
    draft = page(client.get(target(with_dst)))
    assert draft.one("h1").text.startswith("Spotkanie kwartalne sieci, jesień")
    assert "Draft, not published" in draft.one(".status-line").text
    assert summary_list(draft)["When"] == "29 March 2027, 10:00–13:00"

    client.cookies.clear()
    assert client.get(target(with_dst)).status_code == 404  # a draft is its organisers' only
    assert "Spotkanie kwartalne" not in client.get("/meetings").text
    signed_in(client, ewa)
    published = client.submit(f"/meetings/{meeting.slug}/publish", follow_redirects=False)
    assert target(published) == f"/meetings/{meeting.slug}"
    client.cookies.clear()
    listed = page(client.get("/meetings"))
    assert "Spotkanie kwartalne sieci, jesień" in listed.one("section[aria-labelledby=meetings-upcoming]").text
    assert [e.action for e in ledger_events(db) if e.subject_kind == "meeting"] == [
        "meeting.created",
        "meeting.published",
    ]


def test_winter_times_are_stored_an_hour_apart_from_summer_ones(client, db, host):
    ewa, lgd = host
    signed_in(client, ewa)
    plan(client, meeting_form(lgd, title="Forum jesienne", starts_at="2027-11-05T10:00", ends_at="2027-11-05T15:00"))
    assert stored(db, "forum-jesienne").starts_at == datetime(2027, 11, 5, 9, 0, tzinfo=UTC)  # winter time: UTC+1


@pytest.mark.parametrize(
    ("overrides", "name", "message"),
    [
        ({"title": "Abc"}, "title", "This field is required."),
        ({"kind": "picnic"}, "kind", "Choose what kind of meeting it is."),
        ({"starts_at": "jutro"}, "starts_at", "Enter a date and time, for example 2026-12-01 09:00."),
        (
            {"ends_at": "2027-03-29T09:00", "starts_at": "2027-03-29T10:00"},
            "ends_at",
            "The end must be after the start.",
        ),
        ({"venue_address": ""}, "venue_address", "Give the address where the meeting takes place."),
        ({"venue": "room"}, "booking_id", "Choose the booked room."),
        ({"online_url": "javascript:alert(1)"}, "online_url", "Give a web address starting with https://"),
        ({"capacity": "0"}, "capacity", "Give a number of places from 1 to 10,000"),
        ({"capacity": "dużo"}, "capacity", "Enter a whole number."),
        ({"audience": "network"}, "network_id", "Choose the network."),
        ({"audience": "municipality"}, "municipality_id", "Choose the municipality."),
        ({"audience": "group"}, "group_id", "Choose the working group."),
        ({"audience": "friends"}, "audience", "Choose who the meeting is for."),
        (
            {
                "starts_at": "2027-03-29T10:00",
                "ends_at": "2027-03-29T12:00",
                "registration_closes_at": "2027-03-30T10:00",
            },
            "registration_closes_at",
            "Registration must close by the start of the meeting.",
        ),
        (
            {"breakout_name[]": ["X", ""], "breakout_capacity[]": ["5", ""]},
            "breakouts",
            "Give each breakout group a name",
        ),
        ({"breakout_name[]": ["Sport", "sport"]}, "breakouts", "Two breakout groups have the same name."),
        ({"breakout_name[]": ["Sport", ""], "breakout_capacity[]": ["-3", ""]}, "breakouts", "whole number"),
    ],
)
def test_bad_input_is_refused_beside_its_field_with_the_text_kept(client, db, host, overrides, name, message):
    ewa, lgd = host
    signed_in(client, ewa)
    values = meeting_form(lgd, agenda="Nasz **program**", **overrides)
    refused = plan(client, values)
    assert refused.status_code == 422
    html = page(refused)
    assert message in error(html, name)
    assert f"#field-{name}" in [a.get("href") for a in html.select(".error-summary a")]
    assert field(html, "agenda") == "Nasz **program**"
    assert db.exec(select(Meeting)).first() is None


def test_a_meeting_in_the_past_is_refused(client, db, host):
    ewa, lgd = host
    signed_in(client, ewa)
    refused = plan(client, meeting_form(lgd, starts_at="2020-05-05T10:00", ends_at="2020-05-05T12:00"))
    assert refused.status_code == 422
    assert error(page(refused), "starts_at") == "The meeting must start in the future."


def test_only_those_who_act_for_an_organisation_may_plan(client, db, host):
    _ewa, lgd = host
    resident = make_user(db, email="mieszkanka@example.pl")
    signed_in(client, resident)
    assert client.get("/meetings/new").status_code == 403
    assert plan(client, meeting_form(lgd)).status_code == 403
    client.cookies.clear()
    assert "/login?next=" in client.get("/meetings/new", follow_redirects=False).headers["location"]


def test_a_plain_member_cannot_name_the_organisation_as_organiser(client, db, host):
    _ewa, lgd = host
    member = make_user(db, email="wolontariusz@example.pl")
    from tests.factories import add_member

    add_member(db, lgd, member)
    signed_in(client, member)
    refused = plan(client, meeting_form(lgd))
    assert refused.status_code == 403
    assert "organising organisation's admins and officials" in page(refused).one(".error-summary").text
    assert field(page(refused), "title") == "Spotkanie kwartalne sieci, jesień"


def test_a_network_coordinator_runs_the_networks_meetings_as_a_plain_member(client, db, host):
    _ewa, lgd = host
    marta = make_user(db, email="marta@example.pl", display_name="Marta Koordynatorka")
    from tests.factories import add_member

    add_member(db, lgd, marta)  # a member, not an admin, of the organisation that hosts
    network = make_network(db, coordinators=[marta])
    signed_in(client, marta)
    assert f'value="{network.id}"' in client.get("/meetings/new").text
    created = plan(client, meeting_form(lgd, audience="network", network_id=str(network.id)))
    meeting = stored(db, "spotkanie-kwartalne-sieci-jesien")
    assert target(created) == f"/meetings/{meeting.slug}" and meeting.network_id == network.id
    assert client.get(f"/meetings/{meeting.slug}/edit").status_code == 200
    # the same member may not make a meeting for everyone in the organisation's name
    other = plan(client, meeting_form(lgd, title="Piknik rodzinny"))
    assert other.status_code == 403


def test_a_working_groups_coordinator_runs_its_meetings(client, db, host):
    ewa, lgd = host
    adam = make_user(db, email="adam@example.pl", display_name="Adam Koordynator")
    club = make_organisation(db, admin=adam, name="Klub Sportowy Orzeł")
    group = make_group(db, runner=lgd, coordinator=adam)
    signed_in(client, adam)
    page_ = client.get(f"/meetings/new?group={group.slug}")
    assert field(page(page_), "group_id") == str(group.id)
    created = plan(
        client, meeting_form(club, audience="group", group_id=str(group.id), title="Pierwsze spotkanie grupy")
    )
    assert target(created) == "/meetings/pierwsze-spotkanie-grupy"


def test_a_congress_has_four_thematic_groups_then_the_plenary(client, db, host):
    ewa, lgd = host
    signed_in(client, ewa)
    groups = ["Pomoc społeczna i zdrowie", "Obywatelskie", "Patriotyczne i kombatanckie", "Młodzież, sport i turystyka"]
    values = meeting_form(
        lgd,
        title="Kongres organizacji pozarządowych powiatu",
        kind="congress",
        capacity="100",
        **{
            "breakout_name[]": [*groups, ""],
            "breakout_capacity[]": ["25", "25", "25", "25", ""],
            "breakouts[]": [""] * 5,
        },
    )
    plan(client, values)
    meeting = stored(db, "kongres-organizacji-pozarzadowych-powiatu")
    rows = db.exec(select(MeetingBreakout).where(MeetingBreakout.meeting_id == meeting.id)).all()
    assert [(b.name, b.capacity, b.position) for b in rows] == [(g, 25, i) for i, g in enumerate(groups)]
    shown = page(client.get(f"/meetings/{meeting.slug}"))
    assert shown.texts(".breakout-list li")[0] == "Pomoc społeczna i zdrowie : 25 places left"
    assert shown.one("h1 .subtitle").text == "Congress"


def test_editing_breakouts_keeps_those_with_people_and_refuses_to_shrink_them(client, db, host):
    ewa, lgd = host
    meeting = make_meeting(
        db, organiser=ewa, organisation=lgd, breakouts=(("Sport", 10), ("Kultura", 10), ("Zdrowie", 5))
    )
    sport, culture, health = db.exec(select(MeetingBreakout).order_by(MeetingBreakout.position)).all()
    register_for(db, meeting, head_count=3, breakout=sport)
    signed_in(client, ewa)
    form = page(client.get(f"/meetings/{meeting.slug}/edit"))
    names = [e.get("value") for e in form.select("input") if e.get("name") == "breakout_name[]"]
    assert names[:3] == ["Sport", "Kultura", "Zdrowie"] and names[3:] == ["", "", ""]

    def edit(names, capacities):
        values = meeting_form(
            lgd, title=meeting.title, starts_at=local(meeting.starts_at), ends_at=local(meeting.ends_at)
        )
        values |= {"breakout_name[]": names, "breakout_capacity[]": capacities}
        values["breakouts[]"] = [str(sport.id), str(culture.id), str(health.id)]
        return client.submit(f"/meetings/{meeting.slug}/edit", values, follow_redirects=False)

    shrunk = edit(["Sport", "Kultura", "Zdrowie"], ["2", "10", "5"])
    assert shrunk.status_code == 409
    assert "3 people are already in the group “Sport”" in error(page(shrunk), "breakouts")
    removed = edit(["", "Kultura", "Zdrowie"], ["", "10", "5"])
    assert removed.status_code == 409 and "“Sport” has registrations" in error(page(removed), "breakouts")
    kept = edit(["Sport i rekreacja", "Kultura", ""], ["12", "", ""])
    assert kept.status_code == 303
    fresh(db)
    rows = db.exec(select(MeetingBreakout).order_by(MeetingBreakout.position)).all()
    assert [(b.id, b.name, b.capacity, b.seats_taken) for b in rows] == [
        (sport.id, "Sport i rekreacja", 12, 3),
        (culture.id, "Kultura", None, 0),
    ]


def test_places_cannot_drop_below_those_registered_and_more_places_promote_the_waiting_list(client, db, host, mailbox):
    ewa, lgd = host
    meeting = make_meeting(db, organiser=ewa, organisation=lgd, capacity=2)
    register_for(db, meeting, head_count=2)
    waiting = register_for(db, meeting, head_count=1, user=make_user(db, email="czeka@example.pl"))
    assert waiting.status == "waitlisted"
    signed_in(client, ewa)
    values = meeting_form(lgd, title=meeting.title, starts_at=local(meeting.starts_at), ends_at=local(meeting.ends_at))
    too_few = client.submit(f"/meetings/{meeting.slug}/edit", {**values, "capacity": "1"}, follow_redirects=False)
    assert too_few.status_code == 409
    assert error(page(too_few), "capacity") == "2 people are already registered: give at least that many places."
    assert field(page(too_few), "capacity") == "1"
    more = client.submit(f"/meetings/{meeting.slug}/edit", {**values, "capacity": "3"}, follow_redirects=False)
    assert more.status_code == 303
    fresh(db)
    assert db.get(Registration, waiting.id).status == "confirmed"
    assert mailbox.last_to("czeka@example.pl")["Subject"].startswith("A place for you")


def test_a_changed_time_is_mailed_to_those_registered(client, db, host, mailbox):
    ewa, lgd = host
    meeting = make_meeting(db, organiser=ewa, organisation=lgd)
    register_for(db, meeting, user=make_user(db, email="uczestnik@example.pl"))
    signed_in(client, ewa)
    later = meeting.starts_at + timedelta(days=1)
    values = meeting_form(lgd, title=meeting.title, starts_at=local(later), ends_at=local(later + timedelta(hours=2)))
    assert client.submit(f"/meetings/{meeting.slug}/edit", values, follow_redirects=False).status_code == 303
    message = mailbox.last_to("uczestnik@example.pl")
    assert message["Subject"].startswith("Changed time or place")
    assert f"/meetings/{meeting.slug}" in message.get_content()


def test_cancelling_needs_a_reason_tells_those_registered_and_closes_registration(client, db, host, mailbox):
    ewa, lgd = host
    meeting = make_meeting(db, organiser=ewa, organisation=lgd, capacity=1)
    register_for(db, meeting, user=make_user(db, email="pierwsza@example.pl"))
    register_for(db, meeting, user=make_user(db, email="druga@example.pl"))  # waiting
    signed_in(client, ewa)
    empty = client.submit(f"/meetings/{meeting.slug}/cancel", {"reason": ""})
    assert empty.status_code == 422 and error(page(empty), "reason") == "This field is required."
    done = client.submit(f"/meetings/{meeting.slug}/cancel", {"reason": "Sala niedostępna, nowy termin wkrótce."})
    assert done.status_code == 200
    html = page(done)
    assert html.one("#meeting-cancelled-title").text == "This meeting is cancelled"
    assert "Sala niedostępna" in html.one(".banner-warning").text
    assert {m["To"] for m in mailbox.messages} == {"pierwsza@example.pl", "druga@example.pl"}
    assert "Sala niedostępna, nowy termin wkrótce." in mailbox.last_to("druga@example.pl").get_content()
    again = client.submit(f"/meetings/{meeting.slug}/cancel", {"reason": "Jeszcze raz"}, follow_redirects=False)
    assert again.status_code == 409
    [event] = ledger_events(db, "meeting.cancelled")
    assert json.loads(event.payload)["told"] == 2 and "Sala" not in event.payload


def test_others_cannot_edit_publish_or_cancel(client, db, host):
    ewa, lgd = host
    meeting = make_meeting(db, organiser=ewa, organisation=lgd, published=False)
    stranger = make_user(db, email="obcy@example.pl")
    make_organisation(db, admin=stranger)
    signed_in(client, stranger)
    assert client.get(f"/meetings/{meeting.slug}").status_code == 404  # a draft
    meeting = make_meeting(db, organiser=ewa, organisation=lgd)
    for path in ("edit", "cancel", "registrations", "registrations.csv", "minutes"):
        assert client.get(f"/meetings/{meeting.slug}/{path}").status_code == 403, path
    for path in ("publish", "cancel", "edit", "attendance"):
        assert client.submit(f"/meetings/{meeting.slug}/{path}", {}).status_code == 403, path


def test_publishing_twice_or_after_the_start_is_refused(client, db, host):
    ewa, lgd = host
    meeting = make_meeting(db, organiser=ewa, organisation=lgd)
    signed_in(client, ewa)
    assert client.submit(f"/meetings/{meeting.slug}/publish").status_code == 409
    draft = make_meeting(db, organiser=ewa, organisation=lgd, published=False)
    held(db, draft)
    assert client.submit(f"/meetings/{draft.slug}/publish").status_code == 409
    assert client.get(f"/meetings/{meeting.slug}/edit").status_code == 200


def test_a_meeting_cannot_be_edited_once_it_has_started(client, db, host):
    ewa, lgd = host
    meeting = held(db, make_meeting(db, organiser=ewa, organisation=lgd))
    signed_in(client, ewa)
    values = meeting_form(lgd, title="Nowy tytuł spotkania")
    refused = client.submit(f"/meetings/{meeting.slug}/edit", values)
    assert refused.status_code == 409
    assert "The meeting has started" in page(refused).one(".error-summary").text


# --- venue: an accepted booking of a lent room ---------------------------------------------------------


@pytest.fixture
def room(db, host):
    """The culture centre lends its hall to the host: accepted, in three weeks, 9:00-15:00 Warsaw time."""
    _ewa, lgd = host
    owner = make_organisation(db, name="Gminny Ośrodek Kultury", verified=True)
    day = (datetime.now(WARSAW) + timedelta(days=21)).date()
    starts = datetime.combine(day, datetime.min.time(), tzinfo=WARSAW).replace(hour=9)
    return make_booking(db, owner=owner, borrower=lgd, starts=starts, capacity=25)


def test_a_room_the_organiser_booked_is_the_venue_and_its_size_the_places(client, db, host, room):
    ewa, lgd = host
    booking, hall = room
    signed_in(client, ewa)
    offered = page(client.get("/meetings/new")).one("#field-booking_id")
    assert [o.get("value") for o in offered.select("option")] == ["", str(booking.id)]
    plan(client, meeting_form(lgd, venue="room", booking_id=str(booking.id), venue_address="", capacity=""))
    meeting = stored(db, "spotkanie-kwartalne-sieci-jesien")
    assert (meeting.booking_id, meeting.capacity, meeting.venue_address) == (booking.id, 25, "Wierzbno, Rynek 5")
    shown = summary_list(page(client.get(f"/meetings/{meeting.slug}")))
    assert shown["Where"] == "Sala konferencyjna, Wierzbno, Rynek 5 Step-free access · Hearing loop"


@pytest.mark.parametrize(
    ("change", "name", "message"),
    [
        ({"starts_at": "T08:00"}, "booking_id", "The meeting must fit within the time the room is booked for."),
        ({"capacity": "40"}, "capacity", "The room holds 25 people: give at most that many places."),
    ],
)
def test_a_meeting_that_does_not_fit_the_booking_is_refused(client, db, host, room, change, name, message):
    ewa, lgd = host
    booking, _hall = room
    signed_in(client, ewa)
    values = meeting_form(lgd, venue="room", booking_id=str(booking.id), venue_address="")
    if "starts_at" in change:
        values["starts_at"] = values["starts_at"].split("T")[0] + change.pop("starts_at")
    refused = plan(client, {**values, **change})
    assert refused.status_code == 422 and error(page(refused), name) == message


@pytest.mark.parametrize("whose", ["requested", "another organisation's", "ended"])
def test_only_an_accepted_future_booking_by_the_organiser_can_be_the_venue(client, db, host, room, whose):
    ewa, lgd = host
    booking, _hall = room
    if whose == "requested":
        booking.status = "requested"
    elif whose == "ended":
        booking.starts_at, booking.ends_at = utcnow() - timedelta(days=2), utcnow() - timedelta(days=1)
    else:
        booking.organisation_id = make_organisation(db, name="Inna Fundacja").id
    db.add(booking)
    db.commit()
    signed_in(client, ewa)
    refused = plan(client, meeting_form(lgd, venue="room", booking_id=str(booking.id), venue_address=""))
    assert refused.status_code == 422
    assert error(page(refused), "booking_id") == "Choose a room the organiser has booked, with the booking accepted."


# --- lists and owners' pages ------------------------------------------------------------------------------


def test_the_list_shows_coming_meetings_and_past_ones_with_their_minutes(client, db, host):
    ewa, lgd = host
    coming = make_meeting(db, organiser=ewa, organisation=lgd, title="Forum wrześniowe")
    past = held(db, make_meeting(db, organiser=ewa, organisation=lgd, title="Spotkanie wiosenne"), hours_ago=48)
    after.publish_minutes(db, principal(db, ewa), past, after.MinutesInput(minutes="- Przyjęto dwie organizacje."))
    cancelled = make_meeting(db, organiser=ewa, organisation=lgd, title="Odwołane szkolenie")
    actions.cancel_meeting(db, principal(db, ewa), cancelled, actions.CancelInput(reason="Choroba prowadzącej"), "")
    html = page(client.get("/meetings"))
    assert html.texts("section[aria-labelledby=meetings-upcoming] .card-title") == [coming.title]
    [card] = html.select("section[aria-labelledby=meetings-past] .card")
    assert "Spotkanie wiosenne" in card.text
    assert card.select("a")[-1].get("href") == f"/meetings/{past.slug}#meeting-{past.id}-minutes"


def test_an_organisations_and_a_municipalitys_pages_list_their_meetings_and_feeds(client, db, host):
    ewa, lgd = host
    _official, gmina = make_official(db)
    network = make_network(db, spans=[gmina])
    meeting = make_meeting(db, organiser=ewa, organisation=lgd, title="Forum organizacji")
    for_network = make_meeting(
        db, organiser=ewa, organisation=lgd, title="Kwartalne sieci", audience="network", network_id=network.id
    )
    profile = page(client.get(f"/organisations/{lgd.slug}"))
    section = profile.one("section.upcoming-meetings")
    assert section.texts(".card-title") == [meeting.title, for_network.title]
    assert section.select("a")[-2].get("href") == f"/calendar/organisations/{lgd.slug}.ics"
    municipal = page(client.get(f"/municipalities/{gmina.slug}")).one("section.upcoming-meetings")
    assert municipal.texts(".card-title") == [for_network.title]  # the network spans the municipality
    assert municipal.select("a")[-2].get("href") == f"/calendar/municipalities/{gmina.slug}.ics"


def test_an_unknown_meeting_is_not_found(client):
    assert client.get("/meetings/no-such-meeting").status_code == 404
    assert client.get("/meetings/no-such-meeting.ics").status_code == 404


def test_the_ledger_records_a_meetings_plan_without_personal_data(db, host):
    ewa, lgd = host
    make_meeting(db, organiser=ewa, organisation=lgd, capacity=12, breakouts=(("Sport", 6),))
    [event] = ledger_events(db, "meeting.created")
    payload = json.loads(event.payload)
    assert payload["capacity"] == 12 and payload["breakouts"] == [["Sport", 6]] and event.actor_id == ewa.id
