"""Bookings: an organisation asks for another's room, the owner accepts or declines with a note, either side cancels
with a reason; every refusal with its status (422 a bad value, 409 a time taken, 403 no right) and what was typed."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select

from consult import ledger
from consult.errors import DomainError
from consult.models import Booking, clock_at, utcnow
from consult.resources import booking_lists, bookings, queries
from consult.resources.bookings import BookingInput, CancelInput, DecisionInput
from tests.factories import (
    add_member,
    fresh,
    ledger_events,
    make_admin,
    make_booking,
    make_organisation,
    make_resource,
    make_user,
    principal,
    signed_in,
)
from tests.html import page, summary_list
from tests.lending import Lending, make_lending, request_form


def stored(db, booking_id: int) -> Booking:
    fresh(db)
    return db.get(Booking, booking_id)


def all_bookings(db) -> list[Booking]:
    fresh(db)
    return list(db.exec(select(Booking).order_by(Booking.id)).all())


@pytest.fixture
def lending(db) -> Lending:
    return make_lending(db)


@pytest.fixture
def room(db, lending):
    return make_resource(db, lending.foundation, capacity=30)


# --- asking ------------------------------------------------------------------------------------------------


def test_an_organisation_asks_for_a_room_and_the_owners_admins_are_told(client, db, lending, room, mailbox):
    signed_in(client, lending.piotr)
    region = page(client.get(f"/resources/{room.id}")).one(f"#resource-{room.id}-request")
    assert "You ask in the name of Klub Sportowy Orzeł." in region.text
    form = request_form(lending.club, days=10)

    response = client.submit(f"/resources/{room.id}/bookings", form)

    [booking] = all_bookings(db)
    assert response.url.path == f"/resources/bookings/{booking.id}"
    html = page(response)
    assert "Your request has been sent to Fundacja Most." in html.one(".banner").text
    details = summary_list(html)
    assert details["Status"] == "Awaiting a decision"
    assert details["Borrower"] == "Klub Sportowy Orzeł (asked by Piotr Lis)"
    assert details["Number of people"] == "12" and details["What it is for"] == "Zebranie członków klubu"
    assert (booking.status, booking.organisation_id, booking.requested_by_id) == (
        "requested",
        lending.club.id,
        lending.piotr.id,
    )
    assert booking.starts_at.astimezone(queries.ZONE).strftime("%Y-%m-%dT%H:%M") == form["starts_at"]
    mail = mailbox.last_to("ewa@example.pl")
    assert mail["Subject"] == "Klub Sportowy Orzeł asks to borrow Sala konferencyjna"
    assert f"http://testserver/resources/bookings/{booking.id}" in mail.get_content()
    assert [m["To"] for m in mailbox.messages] == ["ewa@example.pl"]  # not Marek, a plain member
    [event] = ledger_events(db, "booking.requested")
    payload = json.loads(event.payload)
    assert payload["organisation"] == lending.club.id and payload["head_count"] == 12
    assert "Zebranie" not in event.payload  # what the purpose says stays out of the ledger
    assert ledger.verify(db) is None


def test_with_htmx_the_request_region_comes_back_with_a_notice(client, db, lending, room, mailbox):
    signed_in(client, lending.piotr)

    response = client.submit(
        f"/resources/{room.id}/bookings", request_form(lending.club), headers={"HX-Request": "true"}
    )

    assert response.status_code == 200
    assert response.template.name == "resources/_request_form.html"
    html = page(response)
    [booking] = all_bookings(db)
    assert html.one("[role=status] a").get("href") == f"/resources/bookings/{booking.id}"
    assert html.one("#field-purpose").text == ""  # a fresh form for another request
    assert mailbox.last_to("ewa@example.pl")


def test_a_member_with_several_organisations_chooses_in_whose_name(client, db, lending, room):
    other = make_organisation(db, name="Koło Gospodyń Wiejskich")
    add_member(db, other, lending.piotr)
    signed_in(client, lending.piotr)
    select_ = page(client.get(f"/resources/{room.id}")).one("#field-organisation_id")
    assert [o.text for o in select_.select("option")] == ["Klub Sportowy Orzeł", "Koło Gospodyń Wiejskich"]

    client.submit(f"/resources/{room.id}/bookings", request_form(other))

    assert [b.organisation_id for b in all_bookings(db)] == [other.id]


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"days": -1}, "starts_at", "The start is in the past. Choose a time still to come."),
        ({"days": 400}, "starts_at", "A booking can start at most a year from now."),
        ({"hours": -2}, "ends_at", "The end must be after the start."),
        ({"hours": 0}, "ends_at", "The end must be after the start."),
        ({"hours": 15 * 24}, "ends_at", "A booking can last at most 14 days. Ask for a shorter time."),
        ({"head_count": "31"}, "head_count", "The room has fewer places (30). Give a smaller number."),
        ({"head_count": ""}, "head_count", "Give how many people will come."),
        ({"head_count": "0"}, "head_count", "Enter a number of people, at least 1."),
        ({"purpose": ""}, "purpose", "This field is required."),
        ({"starts_at": "jutro rano"}, "starts_at", "Enter a date and time, for example 2026-12-01 09:00."),
        ({"starts_at": "0001-01-01T10:00"}, "starts_at", "Enter a date between 1900 and 2999."),
    ],
)
def test_a_bad_request_is_refused_beside_its_field_and_keeps_what_was_typed(
    client, db, lending, room, change, field, message
):
    signed_in(client, lending.piotr)
    layout = {k: change.pop(k) for k in ("days", "hours") if k in change}
    form = request_form(lending.club, **layout) | change

    response = client.submit(f"/resources/{room.id}/bookings", form)

    assert response.status_code == 422
    html = page(response)
    assert html.one(f"#field-{field}-error").text == f"Error: {message}"
    assert html.one(f".error-summary a[href=#field-{field}]")
    assert html.one("#field-starts_at").get("value") == form["starts_at"]
    assert html.one("#field-purpose").text == form["purpose"]
    assert all_bookings(db) == []


def test_every_mistake_is_told_at_once(client, db, lending, room):
    signed_in(client, lending.piotr)
    form = request_form(lending.club, days=-3) | {"head_count": "45", "purpose": ""}

    response = client.submit(f"/resources/{room.id}/bookings", form)

    assert response.status_code == 422
    summary = page(response).one(".error-summary")
    assert [a.get("href") for a in summary.select("a")] == ["#field-starts_at", "#field-purpose", "#field-head_count"]
    assert "The room has fewer places (30)." in summary.text


def test_the_same_rules_hold_for_a_direct_call(db, lending, room):
    now = utcnow().replace(second=0, microsecond=0)
    asker = principal(db, lending.piotr)
    cases = [
        (now - timedelta(hours=1), now + timedelta(hours=1), 10, "starts_at"),
        (now + timedelta(days=2), now + timedelta(days=1), 10, "ends_at"),
        (now + timedelta(days=1), now + timedelta(days=16), 10, "ends_at"),
        (now + timedelta(days=1), now + timedelta(days=1, hours=2), 31, "head_count"),
    ]
    for starts_at, ends_at, head_count, field in cases:
        data = BookingInput.model_construct(
            organisation_id=lending.club.id, starts_at=starts_at, ends_at=ends_at, head_count=head_count, purpose="x"
        )
        with pytest.raises(DomainError) as refused:
            bookings.request_booking(db, asker, room, data)
        assert (refused.value.field, refused.value.status_code) == (field, 422)


def test_a_request_overlapping_an_accepted_booking_is_refused_409_and_back_to_back_is_fine(client, db, lending, room):
    third = make_organisation(db, name="Koło Gospodyń Wiejskich")
    taken = make_booking(db, room, third, accepted=True, starts_in=timedelta(days=10), hours=3)
    start = taken.starts_at.astimezone(queries.ZONE)
    signed_in(client, lending.piotr)
    overlapping = request_form(lending.club) | {
        "starts_at": (start + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"),
        "ends_at": (start + timedelta(hours=5)).strftime("%Y-%m-%dT%H:%M"),
    }

    refused = client.submit(f"/resources/{room.id}/bookings", overlapping)

    assert refused.status_code == 409
    html = page(refused)
    error = html.one("#field-starts_at-error").text
    assert "This time overlaps a booking already accepted" in error and start.strftime("%H:%M") in error
    assert html.one("#field-ends_at").get("value") == overlapping["ends_at"]
    assert [b.id for b in all_bookings(db)] == [taken.id]

    after = request_form(lending.club) | {
        "starts_at": (start + timedelta(hours=3)).strftime("%Y-%m-%dT%H:%M"),
        "ends_at": (start + timedelta(hours=5)).strftime("%Y-%m-%dT%H:%M"),
    }
    assert client.submit(f"/resources/{room.id}/bookings", after, follow_redirects=False).status_code == 303
    fragment = client.submit(f"/resources/{room.id}/bookings", overlapping, headers={"HX-Request": "true"})
    assert fragment.status_code == 409 and fragment.template.name == "resources/_request_form.html"


def test_equipment_needs_no_head_count(client, db, lending):
    projector = make_resource(db, lending.foundation, kind="equipment", name="Rzutnik", address="", capacity=None)
    signed_in(client, lending.piotr)
    assert page(client.get(f"/resources/{projector.id}")).select("#field-head_count") == []

    client.submit(f"/resources/{projector.id}/bookings", request_form(lending.club) | {"head_count": ""})

    assert [(b.resource_id, b.head_count) for b in all_bookings(db)] == [(projector.id, None)]


# --- who may ask -------------------------------------------------------------------------------------------


def test_a_resident_without_an_organisation_is_told_why_and_refused_403(client, db, lending, room):
    signed_in(client, lending.zofia)
    region = page(client.get(f"/resources/{room.id}")).one(f"#resource-{room.id}-request")
    assert region.select("form") == []
    assert region.one(".refusal").text.startswith("Only organisations borrow rooms and equipment.")

    refused = client.submit(f"/resources/{room.id}/bookings", request_form(lending.club))

    assert refused.status_code == 403
    assert "Only organisations borrow rooms and equipment. Join an organisation" in page(refused).one("main").text
    assert all_bookings(db) == []


def test_the_owners_own_members_have_nothing_to_ask(client, db, lending, room):
    signed_in(client, lending.marek)
    region = page(client.get(f"/resources/{room.id}")).one(f"#resource-{room.id}-request")
    assert region.one(".refusal").text == "This is your organisation's own resource: there is nothing to ask for."
    assert client.submit(f"/resources/{room.id}/bookings", request_form(lending.foundation)).status_code == 403


def test_asking_in_the_name_of_someone_elses_organisation_is_refused_403(client, db, lending, room):
    stranger = make_organisation(db, name="Fundacja Obca")
    signed_in(client, lending.piotr)
    refused = client.submit(f"/resources/{room.id}/bookings", request_form(stranger))
    assert refused.status_code == 403
    assert "Ask in the name of an organisation you belong to" in page(refused).one("main").text
    assert client.submit(f"/resources/{room.id}/bookings", request_form(lending.foundation)).status_code == 403
    assert all_bookings(db) == []


def test_a_visitor_is_sent_to_log_in(client, db, lending, room):
    region = page(client.get(f"/resources/{room.id}")).one(f"#resource-{room.id}-request")
    assert region.one("a").get("href") == f"/login?next=/resources/{room.id}"
    response = client.submit(f"/resources/{room.id}/bookings", request_form(lending.club), follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"].startswith("http://testserver/login")


# --- deciding ----------------------------------------------------------------------------------------------


def test_the_owner_accepts_with_a_note_the_requester_is_told_and_the_booking_shows_on_the_calendar(
    client, db, lending, room, mailbox
):
    booking = make_booking(db, room, lending.club)
    signed_in(client, lending.ewa)
    listing = page(client.get(f"/organisations/{lending.foundation.slug}/bookings"))
    card = listing.one(f"#booking-{booking.id}")
    assert "Asked by Klub Sportowy Orzeł (Piotr Lis)" in card.text
    form = card.one("form")
    assert form.one("input[name=next]").get("value") == f"/organisations/{lending.foundation.slug}/bookings"

    response = client.submit(
        form.get("action"),
        {
            "decision": "accept",
            "note": "Klucze odbierzcie w sekretariacie.",
            "next": form.one("input[name=next]").get("value"),
        },
    )

    assert response.url.path == f"/organisations/{lending.foundation.slug}/bookings"
    html = page(response)
    assert "The booking has been accepted. Klub Sportowy Orzeł will be told by e-mail." in html.one(".banner").text
    assert html.one("#lent-title")
    assert [a.text for a in html.select("section[aria-labelledby=lent-title] a")] == ["Sala konferencyjna"]
    decided = stored(db, booking.id)
    assert (decided.status, decided.decided_by_id) == ("accepted", lending.ewa.id)
    mail = mailbox.last_to("piotr@example.pl")
    assert mail["Subject"] == "Fundacja Most accepted your request for Sala konferencyjna"
    assert "Their note: Klucze odbierzcie w sekretariacie." in mail.get_content()
    entry = page(client.get(f"/resources/{room.id}")).one(".calendar-entry")
    assert "Booked by: Klub Sportowy Orzeł" in entry.text
    assert [e.subject_id for e in ledger_events(db, "booking.accepted")] == [str(booking.id)]


def test_the_owner_declines_in_place_with_htmx_and_the_requester_is_told(client, db, lending, room, mailbox):
    booking = make_booking(db, room, lending.club)
    signed_in(client, lending.ewa)
    form = page(client.get(f"/resources/bookings/{booking.id}")).one(f"#booking-{booking.id} form")
    assert form.get("hx-target") == f"#booking-{booking.id}"

    response = client.submit(
        form.get("action"), {"decision": "decline", "note": "Sala jest w remoncie."}, headers={"HX-Request": "true"}
    )

    assert response.template.name == "resources/_booking.html"
    html = page(response)
    assert summary_list(html)["Status"] == "Request declined"
    assert "The request has been declined." in html.one("[role=status]").text
    assert html.select("form") == []
    assert stored(db, booking.id).decision_note == "Sala jest w remoncie."
    assert (
        mailbox.last_to("piotr@example.pl")["Subject"] == "Fundacja Most declined your request for Sala konferencyjna"
    )
    assert page(client.get(f"/resources/{room.id}")).select(".calendar-entry") == []


def test_overlapping_requests_wait_side_by_side_and_accepting_one_declines_the_others(
    client, db, lending, room, mailbox
):
    third = make_organisation(db, name="Koło Gospodyń Wiejskich", admin=make_user(db, email="kgw@example.pl"))
    first = make_booking(db, room, lending.club, starts_in=timedelta(days=10), hours=3)
    overlapping = make_booking(db, room, third, starts_in=timedelta(days=10, hours=2), hours=3)
    apart = make_booking(db, room, third, starts_in=timedelta(days=12), hours=3)
    assert {b.status for b in all_bookings(db)} == {"requested"}
    signed_in(client, lending.ewa)

    response = client.submit(f"/resources/bookings/{first.id}/decision", {"decision": "accept"})

    assert (
        "Requests overlapping it were declined and their organisations told: 1." in page(response).one(".banner").text
    )
    assert [(b.id, b.status, b.superseded_by_id) for b in all_bookings(db)] == [
        (first.id, "accepted", None),
        (overlapping.id, "declined", first.id),
        (apart.id, "requested", None),
    ]
    mail = mailbox.last_to("kgw@example.pl")
    assert mail["Subject"] == "Fundacja Most declined your request for Sala konferencyjna"
    assert "accepted another request for a time that overlaps it" in mail.get_content()
    events = ledger_events(db, "booking.declined")
    assert [json.loads(e.payload).get("superseded_by") for e in events] == [first.id]
    declined = page(client.get(f"/resources/bookings/{overlapping.id}"))
    assert summary_list(declined)["Why declined"] == "Another request for a time overlapping this one was accepted."

    again = client.submit(f"/resources/bookings/{overlapping.id}/decision", {"decision": "accept"})
    assert again.status_code == 409
    assert "This request has already been decided or withdrawn." in page(again).one(".error-summary").text


def test_accepting_a_request_that_overlaps_an_accepted_booking_is_refused_409(client, db, lending, room):
    taken = make_booking(db, room, lending.club, accepted=True, starts_in=timedelta(days=10), hours=3)
    third = make_organisation(db, name="Koło Gospodyń Wiejskich")
    # A request stored before the rule (or by hand): the acceptance checks again under the resource's lock.
    stale = Booking(
        resource_id=room.id,
        organisation_id=third.id,
        starts_at=taken.starts_at + timedelta(hours=1),
        ends_at=taken.ends_at + timedelta(hours=1),
        head_count=5,
        purpose="Warsztaty",
    )
    db.add(stale)
    db.commit()
    signed_in(client, lending.ewa)

    refused = client.submit(f"/resources/bookings/{stale.id}/decision", {"decision": "accept", "note": "Zapraszamy"})

    assert refused.status_code == 409
    html = page(refused)
    assert "It overlaps a booking already accepted" in html.one(".error-summary").text
    assert html.one(f"#field-booking-{stale.id}-note").text == "Zapraszamy"
    assert stored(db, stale.id).status == "requested"
    assert client.submit(f"/resources/bookings/{stale.id}/decision", {"decision": "decline"}).status_code == 200


def test_a_request_whose_time_has_come_can_no_longer_be_accepted(db, lending, room):
    booking = make_booking(db, room, lending.club, starts_in=timedelta(days=2))
    owner = principal(db, lending.ewa)
    with clock_at(booking.starts_at + timedelta(minutes=1)), pytest.raises(DomainError) as refused:
        bookings.decide_booking(db, owner, booking, DecisionInput(decision="accept"))
    assert refused.value.status_code == 409
    with clock_at(booking.starts_at + timedelta(minutes=1)):
        assert booking_lists.status_of(stored(db, booking.id)) == "lapsed"


@pytest.mark.parametrize("who", ["piotr", "marek", "zofia", "platform_admin"])
def test_only_the_owners_admins_decide_403(client, db, lending, room, who):
    booking = make_booking(db, room, lending.club)
    person = make_admin(db) if who == "platform_admin" else getattr(lending, who)
    signed_in(client, person)

    refused = client.submit(f"/resources/bookings/{booking.id}/decision", {"decision": "accept"})

    assert refused.status_code == 403
    assert stored(db, booking.id).status == "requested"


def test_a_decision_needs_accept_or_decline(client, db, lending, room):
    booking = make_booking(db, room, lending.club)
    signed_in(client, lending.ewa)
    refused = client.submit(f"/resources/bookings/{booking.id}/decision", {"decision": "maybe", "note": "Hmm"})
    assert refused.status_code == 422
    assert page(refused).one(f".error-summary a[href=#field-booking-{booking.id}-decision]")
    too_long = client.submit(f"/resources/bookings/{booking.id}/decision", {"decision": "accept", "note": "x" * 2001})
    assert too_long.status_code == 422
    assert stored(db, booking.id).status == "requested"


# --- cancelling --------------------------------------------------------------------------------------------


def test_the_borrower_cancels_an_accepted_booking_with_a_reason_and_the_owner_is_told(
    client, db, lending, room, mailbox
):
    booking = make_booking(db, room, lending.club, accepted=True)
    signed_in(client, lending.piotr)
    section = page(client.get(f"/resources/bookings/{booking.id}")).one(f"#booking-{booking.id}-cancel-title")
    assert section.text == "Cancel the booking"

    without_reason = client.submit(f"/resources/bookings/{booking.id}/cancel", {"reason": ""})
    assert without_reason.status_code == 422
    assert page(without_reason).one(f".error-summary a[href=#field-booking-{booking.id}-cancel-reason]")

    response = client.submit(f"/resources/bookings/{booking.id}/cancel", {"reason": "Zebranie przełożone."})

    html = page(response)
    assert "The booking has been cancelled and the other side told." in html.one(".banner").text
    assert summary_list(html)["Cancelled by Klub Sportowy Orzeł"] == "Zebranie przełożone."
    cancelled = stored(db, booking.id)
    assert (cancelled.status, cancelled.cancelled_by_organisation_id) == ("cancelled", lending.club.id)
    mail = mailbox.last_to("ewa@example.pl")
    assert mail["Subject"] == "Klub Sportowy Orzeł cancelled its booking of Sala konferencyjna"
    assert "Reason: Zebranie przełożone." in mail.get_content()
    assert page(client.get(f"/resources/{room.id}")).select(".calendar-entry") == []
    [event] = ledger_events(db, "booking.cancelled")
    assert json.loads(event.payload) == {"resource": room.id, "by": "borrower", "was": "accepted"}


def test_the_owner_cancels_an_accepted_booking_and_the_borrower_is_told(client, db, lending, room, mailbox):
    booking = make_booking(db, room, lending.club, accepted=True)
    signed_in(client, lending.ewa)

    response = client.submit(
        f"/resources/bookings/{booking.id}/cancel", {"reason": "Awaria ogrzewania."}, headers={"HX-Request": "true"}
    )

    assert response.template.name == "resources/_booking.html"
    assert summary_list(page(response))["Cancelled by Fundacja Most"] == "Awaria ogrzewania."
    assert (
        mailbox.last_to("piotr@example.pl")["Subject"] == "Fundacja Most cancelled your booking of Sala konferencyjna"
    )
    assert json.loads(ledger_events(db, "booking.cancelled")[0].payload)["by"] == "owner"


def test_the_person_who_asked_withdraws_a_request_but_the_owner_declines_it_instead(client, db, lending, room, mailbox):
    ola = make_user(db, email="ola@example.pl", display_name="Ola Lis")
    add_member(db, lending.club, ola)
    booking = make_booking(db, room, lending.club, by=ola)
    owner = principal(db, lending.ewa)
    with pytest.raises(DomainError) as refused:
        bookings.cancel_booking(db, owner, booking, CancelInput(reason="Nie pasuje nam."))
    assert refused.value.status_code == 409
    signed_in(client, ola)

    response = client.submit(f"/resources/bookings/{booking.id}/cancel", {"reason": "Znaleźliśmy inną salę."})

    assert summary_list(page(response))["Status"] == "Request withdrawn"
    assert (
        mailbox.last_to("ewa@example.pl")["Subject"]
        == "Klub Sportowy Orzeł withdrew its request for Sala konferencyjna"
    )


@pytest.mark.parametrize("who", ["marek", "zofia", "platform_admin", "club_member"])
def test_others_cannot_cancel_403(client, db, lending, room, who):
    booking = make_booking(db, room, lending.club, accepted=True)
    if who == "club_member":
        person = make_user(db, email="czlonek@example.pl")
        add_member(db, lending.club, person)  # a plain member who did not ask
    else:
        person = make_admin(db) if who == "platform_admin" else getattr(lending, who)
    signed_in(client, person)
    assert client.submit(f"/resources/bookings/{booking.id}/cancel", {"reason": "Bo tak."}).status_code == 403
    assert stored(db, booking.id).status == "accepted"


def test_a_booking_that_is_over_or_closed_cannot_be_cancelled(db, lending, room):
    booking = make_booking(db, room, lending.club, accepted=True, starts_in=timedelta(days=1))
    owner = principal(db, lending.ewa)
    with clock_at(booking.ends_at + timedelta(minutes=1)), pytest.raises(DomainError) as over:
        bookings.cancel_booking(db, owner, booking, CancelInput(reason="Za późno."))
    assert over.value.status_code == 409
    bookings.cancel_booking(db, owner, booking, CancelInput(reason="Awaria."))
    with pytest.raises(DomainError) as again:
        bookings.cancel_booking(db, owner, stored(db, booking.id), CancelInput(reason="Jeszcze raz."))
    assert again.value.status_code == 409


# --- the pages of the bookings -------------------------------------------------------------------------------


def test_an_organisations_bookings_page_shows_both_ways_to_its_members_only(client, db, lending, room):
    club_room = make_resource(db, lending.club, name="Świetlica klubu", address="ul. Leśna 1")
    asked = make_booking(db, room, lending.club, starts_in=timedelta(days=4))
    lent = make_booking(db, club_room, lending.foundation, accepted=True, starts_in=timedelta(days=6))
    past = Booking(
        resource_id=room.id,
        organisation_id=lending.club.id,
        starts_at=datetime(2020, 5, 1, 8, tzinfo=UTC),
        ends_at=datetime(2020, 5, 1, 10, tzinfo=UTC),
        status="accepted",
        purpose="Dawno temu",
    )
    db.add(past)
    db.commit()
    signed_in(client, lending.piotr)

    html = page(client.get(f"/organisations/{lending.club.slug}/bookings"))

    assert html.select("section[aria-labelledby=to-decide-title] form") == []
    assert [a.get("href") for a in html.select("section[aria-labelledby=lent-title] a")] == [
        f"/resources/bookings/{lent.id}"
    ]
    asked_item = html.one("section[aria-labelledby=asked-title] li")
    assert "Sala konferencyjna (Fundacja Most)" in asked_item.text and "Awaiting a decision" in asked_item.text
    assert html.one("section[aria-labelledby=history-title] a").get("href") == f"/resources/bookings/{past.id}"
    assert f"/resources/bookings/{asked.id}" in [a.get("href") for a in html.select("a")]
    client.cookies.clear()
    signed_in(client, lending.marek)  # a plain member of the owner sees, and may not decide
    owners = page(client.get(f"/organisations/{lending.foundation.slug}/bookings"))
    assert owners.one(f"#booking-{asked.id}").select("form") == []
    for person in (lending.zofia, lending.piotr):
        client.cookies.clear()
        signed_in(client, person)
        assert client.get(f"/organisations/{lending.foundation.slug}/bookings").status_code == 403
    client.cookies.clear()
    assert client.get(f"/organisations/{lending.foundation.slug}/bookings", follow_redirects=False).status_code == 303


def test_a_booking_is_seen_by_its_two_organisations_only(client, db, lending, room):
    booking = make_booking(db, room, lending.club)
    outsider = make_user(db)
    make_organisation(db, admin=outsider)
    for person, status in ((lending.marek, 200), (lending.piotr, 200), (lending.zofia, 403), (outsider, 403)):
        client.cookies.clear()
        signed_in(client, person)
        assert client.get(f"/resources/bookings/{booking.id}").status_code == status
    assert client.get("/resources/bookings/999999").status_code == 404


def test_every_step_is_in_the_ledger_and_the_chain_holds(db, lending, room):
    first = make_booking(db, room, lending.club, accepted=True)
    second = make_booking(db, room, lending.club, starts_in=timedelta(days=20))
    bookings.decide_booking(db, principal(db, lending.ewa), second, DecisionInput(decision="decline", note="Nie."))
    bookings.cancel_booking(db, principal(db, lending.piotr), first, CancelInput(reason="Zmiana planów."))
    actions = [(e.action, e.subject_id) for e in ledger_events(db) if e.subject_kind == "booking"]
    assert actions == [
        ("booking.requested", str(first.id)),
        ("booking.accepted", str(first.id)),
        ("booking.requested", str(second.id)),
        ("booking.declined", str(second.id)),
        ("booking.cancelled", str(first.id)),
    ]
    for event in ledger_events(db):
        assert "Piotr" not in event.payload and "Nie." not in event.payload and "Zmiana" not in event.payload
    assert ledger.verify(db) is None
