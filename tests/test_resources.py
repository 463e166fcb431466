"""Rooms and equipment organisations lend: offering them, the lists and filters, the calendar of accepted bookings
(in Warsaw time, across the DST change), deactivating and deleting, and what the meetings feature reads."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlmodel import select

from consult import ledger
from consult.i18n import current_locale
from consult.models import Booking, Meeting, Resource
from consult.resources import queries
from consult.resources.actions import ResourceInput, update_resource
from tests.factories import (
    fresh,
    ledger_events,
    make_admin,
    make_booking,
    make_organisation,
    make_resource,
    principal,
    signed_in,
)
from tests.html import page, summary_list
from tests.lending import Lending, make_lending, request_form


@pytest.fixture
def lending(db) -> Lending:
    return make_lending(db)


def room_form(**overrides) -> dict:
    return {
        "kind": "room",
        "name": "Sala konferencyjna",
        "address": "ul. Szkolna 3, Wierzbno",
        "capacity": "40",
        "step_free": "1",
        "equipment": "rzutnik, ekran, 40 krzeseł",
        "description": "Klucze w sekretariacie, **pn–pt 8–16**.",
    } | overrides


def only(db, model):
    fresh(db)
    return db.exec(select(model)).one()


# --- offering ------------------------------------------------------------------------------------------------


def test_an_admin_offers_a_room_and_it_is_shown_on_the_organisation_and_in_the_list(client, db, lending):
    signed_in(client, lending.ewa)
    profile = page(client.get(f"/organisations/{lending.foundation.slug}"))
    offer_link = profile.one(f"a[href=/organisations/{lending.foundation.slug}/resources]")
    assert offer_link.text == "Rooms and equipment it lends"
    assert client.get(offer_link.get("href")).context["resources"] == []

    response = client.submit(f"/organisations/{lending.foundation.slug}/resources/new", room_form())

    room = only(db, Resource)
    assert response.url.path == f"/resources/{room.id}"
    html = page(response)
    assert "Sala konferencyjna is now on offer." in html.one(".banner").text
    assert html.one("h1").text == "Sala konferencyjna"
    assert summary_list(html) == {
        "Address": "ul. Szkolna 3, Wierzbno",
        "Capacity": "up to 40 people",
        "Step-free access": "Yes",
        "Hearing loop": "No",
        "Equipment in the room": "rzutnik, ekran, 40 krzeseł",
    }
    assert html.one(".prose strong").text == "pn–pt 8–16"
    offer = page(client.get(f"/organisations/{lending.foundation.slug}/resources"))
    assert offer.texts(".card-title a") == ["Sala konferencyjna"]
    listed = page(client.get("/resources"))
    assert listed.texts(".card-title a") == ["Sala konferencyjna"]
    assert "Fundacja Most" in listed.one(f"#resource-{room.id} .meta").text
    [event] = ledger_events(db, "resource.created")
    assert (event.actor_id, event.subject_id) == (lending.ewa.id, str(room.id))
    assert ledger.verify(db) is None


def test_equipment_has_no_capacity_nor_accessibility_of_its_own(client, db, lending):
    signed_in(client, lending.ewa)
    form = room_form(kind="equipment", name="Nagłośnienie", address="", capacity="500", hearing_loop="1")

    client.submit(f"/organisations/{lending.foundation.slug}/resources/new", form)

    equipment = only(db, Resource)
    assert (equipment.kind, equipment.capacity, equipment.step_free, equipment.hearing_loop) == (
        "equipment",
        None,
        False,
        False,
    )
    html = page(client.get(f"/resources/{equipment.id}"))
    assert "Capacity" not in summary_list(html)
    assert "Equipment" in html.one(".meta").text


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"address": ""}, "address", "Give the room's address"),
        ({"capacity": ""}, "capacity", "Give how many people the room holds."),
        ({"capacity": "0"}, "capacity", "Enter a number of people between 1 and 10,000."),
        ({"capacity": "10001"}, "capacity", "Enter a number of people between 1 and 10,000."),
        ({"capacity": "czterdzieści"}, "capacity", "Enter a whole number."),
        ({"kind": "boat"}, "kind", "Choose one of the options."),
        ({"name": ""}, "name", "This field is required."),
    ],
)
def test_a_room_described_wrongly_is_refused_beside_the_field_with_what_was_typed(
    client, db, lending, overrides, field, message
):
    signed_in(client, lending.ewa)

    response = client.submit(f"/organisations/{lending.foundation.slug}/resources/new", room_form(**overrides))

    assert response.status_code == 422
    html = page(response)
    assert message in html.one(f"#field-{field}-error").text
    assert html.one(f".error-summary a[href=#field-{field}]")
    assert html.one("#field-equipment").get("value") == "rzutnik, ekran, 40 krzeseł"
    assert db.exec(select(Resource)).first() is None


def test_only_the_organisations_admins_offer_and_edit(client, db, lending):
    room = make_resource(db, lending.foundation)
    new, edit = f"/organisations/{lending.foundation.slug}/resources/new", f"/resources/{room.id}/edit"
    assert client.get(new, follow_redirects=False).status_code == 303  # to the log-in page
    for person in (lending.marek, lending.piotr, lending.zofia):
        client.cookies.clear()
        signed_in(client, person)
        assert client.get(new).status_code == 403
        assert client.get(edit).status_code == 403
        assert client.submit(new, room_form()).status_code == 403
        assert client.submit(edit, room_form(name="Zajęta")).status_code == 403
        assert client.submit(f"/resources/{room.id}/active", {"active": "0"}).status_code == 403
        assert client.submit(f"/resources/{room.id}/delete").status_code == 403
    client.cookies.clear()
    signed_in(client, make_admin(db))
    assert client.get(edit).status_code == 200
    assert only(db, Resource).name == "Sala konferencyjna"


def test_editing_a_room_saves_it_and_the_ledger_says_what_changed(client, db, lending):
    room = make_resource(db, lending.foundation)
    signed_in(client, lending.ewa)
    form = page(client.get(f"/resources/{room.id}/edit"))
    assert form.one("#field-name").get("value") == "Sala konferencyjna"
    assert form.one("#field-step_free").get("checked") is not None

    response = client.submit(f"/resources/{room.id}/edit", room_form(capacity="25", hearing_loop="1"))

    assert "The changes have been saved." in page(response).one(".banner").text
    saved = only(db, Resource)
    assert (saved.capacity, saved.hearing_loop) == (25, True)
    [event] = ledger_events(db, "resource.updated")
    assert '"changed":["capacity","description","equipment","hearing_loop"]' in event.payload


def test_a_room_with_bookings_stays_a_room(db, lending):
    room = make_resource(db, lending.foundation)
    make_booking(db, room, lending.club)
    values = room_form(kind="equipment", capacity="")

    from consult.errors import DomainError

    with pytest.raises(DomainError) as refused:
        update_resource(db, principal(db, lending.ewa), room, ResourceInput(**values))
    assert (refused.value.field, refused.value.status_code) == ("kind", 409)


# --- deactivating and deleting -----------------------------------------------------------------------------


def test_a_resource_no_longer_on_offer_leaves_the_list_keeps_its_bookings_and_takes_no_request(client, db, lending):
    room = make_resource(db, lending.foundation)
    booking = make_booking(db, room, lending.club, accepted=True)
    signed_in(client, lending.ewa)

    response = client.submit(f"/resources/{room.id}/active", {"active": "0"})

    assert "no longer on offer. Its bookings stay as they are." in page(response).one(".banner").text
    assert only(db, Resource).active is False
    assert page(client.get("/resources")).select(".card-title a") == []
    owners_view = page(client.get(f"/organisations/{lending.foundation.slug}/resources"))
    assert owners_view.one(".tag-inactive").text == "Not on offer now"
    client.cookies.clear()
    signed_in(client, lending.piotr)
    assert page(client.get(f"/organisations/{lending.foundation.slug}/resources")).select(".card") == []
    detail = page(client.get(f"/resources/{room.id}"))
    assert detail.one(".request-region").text == "This resource is not lent at the moment."
    assert detail.one(f"#booking-{booking.id}-week-{queries.monday_of(_local_day(booking.starts_at)).isoformat()}")
    refused = client.submit(f"/resources/{room.id}/bookings", request_form(lending.club, days=20))
    assert refused.status_code == 409
    assert "This resource is not lent at the moment." in page(refused).one(".error-summary").text

    client.cookies.clear()
    signed_in(client, lending.ewa)
    client.submit(f"/resources/{room.id}/active", {"active": "1"})
    assert only(db, Resource).active is True
    assert [e.action for e in ledger_events(db) if e.subject_kind == "resource"][-2:] == [
        "resource.deactivated",
        "resource.reactivated",
    ]


def test_a_resource_nobody_asked_for_can_be_deleted(client, db, lending):
    room_id = make_resource(db, lending.foundation).id
    signed_in(client, lending.ewa)
    assert page(client.get(f"/resources/{room_id}")).one(f"form[action=/resources/{room_id}/delete]")

    response = client.submit(f"/resources/{room_id}/delete")

    assert response.url.path == f"/organisations/{lending.foundation.slug}/resources"
    assert "Sala konferencyjna has been deleted." in page(response).one(".banner").text
    fresh(db)
    assert db.exec(select(Resource)).first() is None
    assert [e.subject_id for e in ledger_events(db, "resource.deleted")] == [str(room_id)]


def test_a_resource_with_bookings_is_not_deleted(client, db, lending):
    room = make_resource(db, lending.foundation)
    make_booking(db, room, lending.club)
    signed_in(client, lending.ewa)
    assert page(client.get(f"/resources/{room.id}")).select(f"form[action=/resources/{room.id}/delete]") == []

    response = client.submit(f"/resources/{room.id}/delete")

    assert response.status_code == 409
    assert "deactivate it instead" in page(response).one("main").text
    assert only(db, Resource).id == room.id


def test_a_bad_switch_is_refused(client, db, lending):
    room = make_resource(db, lending.foundation)
    signed_in(client, lending.ewa)
    assert client.submit(f"/resources/{room.id}/active", {"active": "maybe"}).status_code == 422
    assert client.get("/resources/999999").status_code == 404
    assert client.get("/organisations/no-such/resources").status_code == 404


# --- the list and its filters ------------------------------------------------------------------------------


def test_the_list_filters_rooms_equipment_step_free_hearing_loop_and_capacity(client, db, lending):
    make_resource(db, lending.foundation, name="Sala duża", capacity=80, step_free=True, hearing_loop=True)
    make_resource(db, lending.foundation, name="Sala mała", capacity=12, step_free=False)
    make_resource(db, lending.club, name="Świetlica klubu", capacity=40, step_free=True, address="ul. Leśna 1")
    make_resource(db, lending.club, kind="equipment", name="Rzutnik", address="", capacity=None)

    def names(query: str) -> list[str]:
        return page(client.get(f"/resources?{query}")).texts(".card-title a")

    assert names("") == ["Rzutnik", "Sala duża", "Sala mała", "Świetlica klubu"]
    assert names("kind=equipment") == ["Rzutnik"]
    assert names("kind=room") == ["Sala duża", "Sala mała", "Świetlica klubu"]
    assert names("step_free=1") == ["Sala duża", "Świetlica klubu"]
    assert names("hearing_loop=1") == ["Sala duża"]
    assert names("min_capacity=30") == ["Sala duża", "Świetlica klubu"]
    assert names("min_capacity=30&step_free=1&hearing_loop=1") == ["Sala duża"]
    assert names("q=LEŚNA") == ["Świetlica klubu"]
    assert names("q=orzeł") == ["Rzutnik", "Świetlica klubu"]
    assert names("min_capacity=1000") == []
    assert names("min_capacity=dużo&kind=boat") == ["Rzutnik", "Sala duża", "Sala mała", "Świetlica klubu"]
    fragment = client.get("/resources?kind=equipment", headers={"HX-Request": "true"})
    assert fragment.template.name == "resources/_results.html"
    assert "<h1" not in fragment.text and page(fragment).texts(".card-title a") == ["Rzutnik"]


# --- the calendar ------------------------------------------------------------------------------------------


def _local_day(moment: datetime) -> date:
    return moment.astimezone(queries.ZONE).date()


def test_the_calendar_shows_accepted_bookings_week_by_week_in_warsaw_time(client, db, lending):
    room = make_resource(db, lending.foundation)
    start = (datetime.now(queries.ZONE) + timedelta(days=9)).replace(hour=17, minute=30, second=0, microsecond=0)
    accepted = make_booking(
        db, room, lending.club, accepted=True, starts_at=start.astimezone(UTC), ends_at=(start + timedelta(hours=2))
    )
    pending = make_booking(db, room, lending.club, starts_in=timedelta(days=3))
    client.cookies.set("consult_lang", "en")

    html = page(client.get(f"/resources/{room.id}"))

    calendar = html.one(f"#resource-{room.id}-calendar")
    assert len(calendar.select(".calendar-week")) == 4
    [entry] = calendar.select(".calendar-entry")
    assert entry.get("id") == f"booking-{accepted.id}-week-{queries.monday_of(start.date()).isoformat()}"
    start_time, end_time = entry.select("time")
    assert start_time.text.endswith(", 17:30") and end_time.text == "19:30"
    assert start_time.get("datetime") == start.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert "Booked by: Klub Sportowy Orzeł" in entry.text
    assert f"booking-{pending.id}" not in calendar.text  # a request is not a booking yet
    assert len(calendar.select(".calendar-free")) == 3


def test_the_calendar_pages_by_weeks_and_htmx_gets_the_calendar_alone(client, db, lending):
    room = make_resource(db, lending.foundation)
    booking = make_booking(db, room, lending.club, accepted=True, starts_in=timedelta(days=40))
    html = page(client.get(f"/resources/{room.id}"))
    assert html.select(".calendar-entry") == []
    later = html.one(".calendar-nav a[rel=next]")

    fragment = client.get(later.get("hx-get"), headers={"HX-Request": "true"})

    assert fragment.template.name == "resources/_calendar.html"
    assert "<h1" not in fragment.text
    landing = page(client.get(later.get("href").split("#")[0]))
    assert [e.get("id").split("-week-")[0] for e in landing.select(".calendar-entry")] == [f"booking-{booking.id}"]
    assert page(client.get(f"/resources/{room.id}?from=not-a-date")).select(".calendar-week")
    assert page(client.get(f"/resources/{room.id}?from=1900-01-01")).select(".calendar-week")


def test_the_calendar_reads_warsaw_time_across_the_change_to_summer_time(db, lending):
    """On 28 March 2027 clocks go from 2:00 to 3:00 in Warsaw: the same 10:00 is 9:00 UTC before, 8:00 UTC after."""
    room = make_resource(db, lending.foundation)
    before = Booking(
        resource_id=room.id,
        organisation_id=lending.club.id,
        starts_at=datetime(2027, 3, 27, 9, 0, tzinfo=UTC),
        ends_at=datetime(2027, 3, 27, 11, 0, tzinfo=UTC),
        status="accepted",
    )
    late_sunday = Booking(  # Sunday 23:30 in Warsaw: still the week of 22 March
        resource_id=room.id,
        organisation_id=lending.club.id,
        starts_at=datetime(2027, 3, 28, 21, 30, tzinfo=UTC),
        ends_at=datetime(2027, 3, 28, 21, 50, tzinfo=UTC),
        status="accepted",
    )
    after = Booking(
        resource_id=room.id,
        organisation_id=lending.club.id,
        starts_at=datetime(2027, 3, 29, 8, 0, tzinfo=UTC),
        ends_at=datetime(2027, 3, 30, 16, 0, tzinfo=UTC),
        status="accepted",
    )
    db.add_all([before, late_sunday, after])
    db.commit()
    token = current_locale.set("pl")
    try:
        weeks = queries.calendar(db, room, date(2027, 3, 22), weeks=2)
    finally:
        current_locale.reset(token)

    assert [w.label for w in weeks] == ["22–28 marca 2027", "29 marca\u2009–\u20094 kwietnia 2027"]
    assert [(e.start_text, e.end_text) for e in weeks[0].entries] == [
        ("sobota, 27 marca 2027 r., 10:00", "12:00"),
        ("niedziela, 28 marca 2027 r., 23:30", "23:50"),
    ]
    assert [(e.start_text, e.end_text) for e in weeks[1].entries] == [
        ("poniedziałek, 29 marca 2027 r., 10:00", "wtorek, 30 marca 2027 r., 18:00")
    ]


def test_a_booking_over_two_weeks_is_in_both(db, lending):
    room = make_resource(db, lending.foundation)
    saturday = datetime(2027, 6, 5, 8, 0, tzinfo=UTC)
    db.add(
        Booking(
            resource_id=room.id,
            organisation_id=lending.club.id,
            starts_at=saturday,
            ends_at=saturday + timedelta(days=3),
            status="accepted",
        )
    )
    db.commit()
    weeks = queries.calendar(db, room, date(2027, 5, 31), weeks=3)
    assert [len(w.entries) for w in weeks] == [1, 1, 0]


def test_a_meeting_held_in_a_booking_is_linked_from_the_calendar(client, db, lending):
    room = make_resource(db, lending.foundation)
    booking = make_booking(db, room, lending.club, accepted=True)
    meeting = Meeting(
        slug="spotkanie-kwartalne",
        title="Spotkanie kwartalne sieci",
        organisation_id=lending.club.id,
        starts_at=booking.starts_at,
        ends_at=booking.ends_at,
        booking_id=booking.id,
        published_at=booking.created_at,
    )
    db.add(meeting)
    db.commit()

    entry = page(client.get(f"/resources/{room.id}")).one(".calendar-entry")

    link = entry.one("a[href=/meetings/spotkanie-kwartalne]")
    assert link.text == "Spotkanie kwartalne sieci"


# --- what the meetings feature reads --------------------------------------------------------------------


def test_venue_bookings_are_the_accepted_ones_to_come_of_the_borrower_or_the_owner(db, lending):
    room = make_resource(db, lending.foundation, name="Sala konferencyjna", address="ul. Szkolna 3, Wierzbno")
    projector = make_resource(db, lending.foundation, kind="equipment", name="Rzutnik", address="", capacity=None)
    third = make_organisation(db, name="Koło Gospodyń Wiejskich")
    borrowed = make_booking(db, room, lending.club, accepted=True, starts_in=timedelta(days=5))
    lent_to_others = make_booking(db, projector, third, accepted=True, starts_in=timedelta(days=2))
    make_booking(db, room, lending.club, starts_in=timedelta(days=20))  # a request only
    make_booking(db, room, third, accepted=True, starts_in=timedelta(days=30))

    club_venues = queries.venue_bookings(db, lending.club.id)
    foundation_venues = queries.venue_bookings(db, lending.foundation.id)

    assert [b.id for b in club_venues] == [borrowed.id]
    assert [b.id for b in foundation_venues][:2] == [lent_to_others.id, borrowed.id]
    assert len(foundation_venues) == 3
    assert queries.venue_of(db, borrowed) == "Sala konferencyjna, ul. Szkolna 3, Wierzbno"
    assert queries.venue_of(db, lent_to_others) == "Rzutnik"
    [(booking_id, label)] = queries.venue_options(db, lending.club.id)
    assert booking_id == borrowed.id and label.startswith("Sala konferencyjna, ul. Szkolna 3, Wierzbno: ")
