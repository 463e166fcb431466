"""Calendars: every meeting's .ics file and the feeds of an organisation, a network, a working group and a
municipality, parsed back with icalendar; the times stay right across the change of clocks in Europe/Warsaw."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from icalendar import Calendar

from consult.meetings import actions
from consult.meetings.actions import MeetingInput, create_meeting, publish_meeting
from consult.models import clock_at, utcnow
from tests.factories import make_meeting, make_official, make_organisation, make_user, principal
from tests.meeting_helpers import WARSAW, make_group, make_network

SEPTEMBER = datetime(2026, 9, 1, 8, 0, tzinfo=UTC)  # when the autumn and spring meetings were planned


def events(response) -> dict[str, object]:
    """The VEVENTs of a calendar response, by SUMMARY."""
    assert response.status_code == 200, response.text[:300]
    assert response.headers["content-type"] == "text/calendar; charset=utf-8"
    calendar = Calendar.from_ical(response.content)
    return {str(e["SUMMARY"]): e for e in calendar.walk("VEVENT")}


@pytest.fixture
def host(db):
    ewa = make_user(db, email="ewa@lgd.example.pl")
    return ewa, make_organisation(db, admin=ewa, verified=True, name="Lokalna Grupa Działania")


def planned_in_september(db, host, title: str, starts: str, ends: str, **fields):
    """A meeting typed into the form in Warsaw time, planned and published on 1 September 2026."""
    ewa, lgd = host
    with clock_at(SEPTEMBER):
        data = MeetingInput(
            title=title,
            organisation_id=lgd.id,
            starts_at=starts,
            ends_at=ends,
            venue_address="Wierzbno, Rynek 5",
            **fields,
        )
        meeting = create_meeting(db, principal(db, ewa), data)
        publish_meeting(db, principal(db, ewa), meeting)
    return meeting


def test_times_are_right_on_both_sides_of_the_change_of_clocks(client, db, host):
    autumn = planned_in_september(db, host, "Forum jesienne", "2026-10-25T10:00", "2026-10-25T12:00")
    spring = planned_in_september(db, host, "Spotkanie wiosenne", "2027-03-29T10:00", "2027-03-29T12:30")
    night = planned_in_september(db, host, "Nocny maraton planowania", "2026-10-24T22:00", "2026-10-25T04:00")

    for meeting, start_utc, end_utc in (
        (autumn, datetime(2026, 10, 25, 9, 0, tzinfo=UTC), datetime(2026, 10, 25, 11, 0, tzinfo=UTC)),  # CET, UTC+1
        (spring, datetime(2027, 3, 29, 8, 0, tzinfo=UTC), datetime(2027, 3, 29, 10, 30, tzinfo=UTC)),  # CEST, UTC+2
        (night, datetime(2026, 10, 24, 20, 0, tzinfo=UTC), datetime(2026, 10, 25, 3, 0, tzinfo=UTC)),
    ):
        [event] = events(client.get(f"/meetings/{meeting.slug}.ics")).values()
        start, end = event.decoded("DTSTART"), event.decoded("DTEND")
        assert (start, end) == (start_utc, end_utc)
        assert start.astimezone(WARSAW).strftime("%H:%M") == meeting.starts_at.astimezone(WARSAW).strftime("%H:%M")
    [event] = events(client.get(f"/meetings/{autumn.slug}.ics")).values()
    assert event.decoded("DTSTART").astimezone(WARSAW).hour == 10
    [event] = events(client.get(f"/meetings/{spring.slug}.ics")).values()
    assert event.decoded("DTSTART").astimezone(WARSAW).hour == 10
    [event] = events(client.get(f"/meetings/{night.slug}.ics")).values()
    assert event.decoded("DTEND") - event.decoded("DTSTART") == timedelta(hours=7)  # the night the clocks go back

    # the organiser's feed, read in October, holds both in their order, with the same times
    ewa, lgd = host
    with clock_at(datetime(2026, 10, 1, tzinfo=UTC)):
        feed = events(client.get(f"/calendar/organisations/{lgd.slug}.ics"))
    assert list(feed) == ["Nocny maraton planowania", "Forum jesienne", "Spotkanie wiosenne"]
    assert feed["Forum jesienne"].decoded("DTSTART") == datetime(2026, 10, 25, 9, 0, tzinfo=UTC)
    assert feed["Spotkanie wiosenne"].decoded("DTSTART") == datetime(2027, 3, 29, 8, 0, tzinfo=UTC)


def test_a_meetings_event_says_what_where_and_keeps_its_uid(client, db, host):
    ewa, lgd = host
    meeting = make_meeting(
        db, organiser=ewa, organisation=lgd, title="Szkolenie z dotacji", online_url="https://spotkanie.example/abc"
    )
    response = client.get(f"/meetings/{meeting.slug}.ics")
    assert response.headers["content-disposition"] == f'inline; filename="{meeting.slug}.ics"'
    calendar = Calendar.from_ical(response.content)
    assert str(calendar["PRODID"]) == "-//consult//meetings//PL" and str(calendar["VERSION"]) == "2.0"
    [event] = calendar.walk("VEVENT")
    assert str(event["UID"]) == f"meeting-{meeting.id}@testserver"
    assert str(event["LOCATION"]) == "Wierzbno, ul. Szkolna 1, świetlica"
    assert str(event["URL"]) == f"http://testserver/meetings/{meeting.slug}"
    assert str(event["STATUS"]) == "CONFIRMED"
    assert "Lokalna Grupa Działania" in str(event["DESCRIPTION"]) and "https://spotkanie.example/abc" in str(
        event["DESCRIPTION"]
    )
    assert b"DTSTART:" in response.content and b"Z\r\n" in response.content  # UTC, no floating local time

    actions.cancel_meeting(db, principal(db, ewa), meeting, actions.CancelInput(reason="Choroba prowadzącej"), "")
    [after] = Calendar.from_ical(client.get(f"/meetings/{meeting.slug}.ics").content).walk("VEVENT")
    assert str(after["UID"]) == str(event["UID"]) and str(after["STATUS"]) == "CANCELLED"


def test_each_owners_feed_holds_its_meetings(client, db, host):
    ewa, lgd = host
    _official, gmina = make_official(db)
    _other_official, elsewhere = make_official(db)
    network = make_network(db, coordinators=[ewa], spans=[gmina])
    group = make_group(db, runner=lgd, coordinator=ewa)
    for_everyone = make_meeting(db, organiser=ewa, organisation=lgd, title="Forum dla wszystkich")
    for_network = make_meeting(
        db, organiser=ewa, organisation=lgd, title="Kwartalne sieci", audience="network", network_id=network.id
    )
    for_group = make_meeting(
        db, organiser=ewa, organisation=lgd, title="Grupa robocza", audience="group", group_id=group.id
    )
    for_gmina = make_meeting(
        db, organiser=ewa, organisation=lgd, title="Forum gminne", audience="municipality", municipality_id=gmina.id
    )
    make_meeting(db, organiser=ewa, organisation=lgd, title="Szkic", published=False)
    long_ago = make_meeting(db, organiser=ewa, organisation=lgd, title="Dawne spotkanie")
    long_ago.starts_at, long_ago.ends_at = utcnow() - timedelta(days=120), utcnow() - timedelta(days=119, hours=22)
    recent = make_meeting(db, organiser=ewa, organisation=lgd, title="Niedawne spotkanie")
    recent.starts_at, recent.ends_at = utcnow() - timedelta(days=20), utcnow() - timedelta(days=19, hours=22)
    db.add_all([long_ago, recent])
    db.commit()
    titles = {m.title for m in (for_everyone, for_network, for_group, for_gmina)}

    assert set(events(client.get(f"/calendar/organisations/{lgd.slug}.ics"))) == titles | {"Niedawne spotkanie"}
    assert set(events(client.get(f"/calendar/networks/{network.slug}.ics"))) == {"Kwartalne sieci"}
    assert set(events(client.get(f"/calendar/groups/{group.slug}.ics"))) == {"Grupa robocza"}
    assert set(events(client.get(f"/calendar/municipalities/{gmina.slug}.ics"))) == {"Kwartalne sieci", "Forum gminne"}
    assert events(client.get(f"/calendar/municipalities/{elsewhere.slug}.ics")) == {}
    name = Calendar.from_ical(client.get(f"/calendar/networks/{network.slug}.ics").content)["X-WR-CALNAME"]
    assert str(name) == f"Spotkania: {network.name}"  # Polish by default


@pytest.mark.parametrize(
    "path",
    [
        "/calendar/organisations/nie-ma.ics",
        "/calendar/networks/nie-ma.ics",
        "/calendar/groups/nie-ma.ics",
        "/calendar/municipalities/nie-ma.ics",
    ],
)
def test_an_unknown_owner_has_no_feed(client, path):
    assert client.get(path).status_code == 404


def test_a_municipalitys_feed_is_only_for_a_municipality(client, db, host):
    _ewa, lgd = host
    assert client.get(f"/calendar/municipalities/{lgd.slug}.ics").status_code == 404
    assert client.get(f"/calendar/organisations/{lgd.slug}.ics").status_code == 200


def test_a_drafts_file_is_its_organisers_only(client, db, host):
    ewa, lgd = host
    draft = make_meeting(db, organiser=ewa, organisation=lgd, published=False)
    assert client.get(f"/meetings/{draft.slug}.ics").status_code == 404
    client.login(ewa.email)
    assert client.get(f"/meetings/{draft.slug}.ics").status_code == 200
