"""An organisation books another's room, in Chromium, in Polish, with JavaScript on and off, on a 390 px phone and a
1280 px desktop: the club finds the room, asks for too many people and corrects it (what it typed kept), sends the
request; the foundation's admin accepts it with a note and the club is told by e-mail; the booking shows on the
room's calendar. A resident learns why they cannot ask. axe-core (WCAG 2.1 AA) on every page family on the way.

With JavaScript, `window.sameDocument` is set before an action: if it is still there after it, the page was not
reloaded (htmx swapped a region).
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest
from playwright.sync_api import expect
from sqlmodel import select

from consult.models import Booking
from consult.resources.queries import ZONE
from tests.factories import fresh, make_booking, make_organisation, make_resource, make_user

CASES = pytest.mark.parametrize(
    "js,width",
    [(True, 390), (False, 390), (True, 1280), (False, 1280)],
    ids=["js-390", "no-js-390", "js-1280", "no-js-1280"],
)
ROOM = "Sala konferencyjna Fundacji Most"


def opened(visitor, js: bool, width: int):
    page = visitor.page(js=js, lang="pl")
    page.set_viewport_size({"width": width, "height": 900})
    return page


def check(page, js: bool, assert_accessible) -> None:
    if js:  # axe runs in the page: only with JavaScript on
        assert_accessible(page)


def log_in(page, email: str) -> None:
    page.goto("/login")
    page.get_by_label("Adres e-mail").fill(email)
    page.get_by_label("Hasło").fill("correct-horse-battery")
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(lambda url: "/login" not in url)


def world(db):
    """Fundacja Most lends its room (Ewa decides); Klub Sportowy Orzeł (Piotr) borrows; Zofia has no organisation."""
    ewa = make_user(db, email="ewa@example.pl", display_name="Ewa Nowak")
    foundation = make_organisation(db, admin=ewa, name="Fundacja Most", verified=True)
    room = make_resource(db, foundation, name=ROOM, capacity=30, step_free=True, hearing_loop=True)
    make_resource(db, foundation, name="Salka na poddaszu", capacity=8, step_free=False)
    piotr = make_user(db, email="piotr@example.pl", display_name="Piotr Lis")
    club = make_organisation(db, admin=piotr, name="Klub Sportowy Orzeł", verified=True)
    make_user(db, email="zofia@example.pl", display_name="Zofia Mieszkanka")
    return foundation, room, club


@CASES
def test_an_organisation_books_another_organisations_room_and_the_booking_shows_on_the_calendar(
    visitor, db, mailbox, assert_accessible, js, width
):
    foundation, room, club = world(db)
    start = (datetime.now(ZONE) + timedelta(days=9)).replace(hour=17, minute=0, second=0, microsecond=0)

    # The club finds a room with step-free access, and opens it.
    page = opened(visitor, js, width)
    log_in(page, "piotr@example.pl")
    page.goto("/resources")
    expect(page.get_by_role("heading", level=1)).to_have_text("Sale i sprzęt do wypożyczenia")
    check(page, js, assert_accessible)
    page.get_by_label("Dostęp bez schodów").check()
    if not js:
        page.get_by_role("button", name="Pokaż").click()
    expect(page.locator("#resource-results .card-title")).to_have_text([ROOM])
    page.get_by_role("link", name=ROOM).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(ROOM)
    expect(page.locator(".calendar-entry")).to_have_count(0)
    check(page, js, assert_accessible)

    # Too many people: refused beside the field, with what was typed kept.
    region = page.locator(f"#resource-{room.id}-request")
    expect(region).to_contain_text("Prosisz w imieniu: Klub Sportowy Orzeł.")
    region.get_by_label("Rozpoczęcie").fill(start.strftime("%Y-%m-%dT%H:%M"))
    region.get_by_label("Zakończenie").fill((start + timedelta(hours=3)).strftime("%Y-%m-%dT%H:%M"))
    region.get_by_label("Liczba osób").fill("45")
    region.get_by_label("Cel").fill("Walne zebranie członków klubu")
    if js:
        page.evaluate("window.sameDocument = true")
    region.get_by_role("button", name="Wyślij prośbę").click()
    region = page.locator(f"#resource-{room.id}-request")
    expect(region.locator(".error-summary")).to_contain_text("Sala ma mniej miejsc (30). Podaj mniejszą liczbę osób.")
    expect(region.get_by_label("Cel")).to_have_value("Walne zebranie członków klubu")
    expect(region.get_by_label("Rozpoczęcie")).to_have_value(start.strftime("%Y-%m-%dT%H:%M"))
    check(page, js, assert_accessible)

    region.get_by_label("Liczba osób").fill("25")
    region.get_by_role("button", name="Wyślij prośbę").click()
    if js:
        expect(region.get_by_role("status")).to_contain_text("Prośba została wysłana do: Fundacja Most.")
        assert page.evaluate("window.sameDocument") is True, "the page was reloaded"
        check(page, js, assert_accessible)
        region.get_by_role("link", name="Zobacz swoją prośbę").click()
    else:
        expect(page.locator("main .banner[role=status]")).to_contain_text("Prośba została wysłana do: Fundacja Most.")
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Rezerwacja: {ROOM}")
    expect(page.locator(".summary-list")).to_contain_text("Czeka na decyzję")
    check(page, js, assert_accessible)
    assert mailbox.last_to("ewa@example.pl")["Subject"] == f"Klub Sportowy Orzeł prosi o udostępnienie: {ROOM}"

    # The foundation's admin accepts it with a note, from the organisation's bookings.
    owner = opened(visitor, js, width)
    log_in(owner, "ewa@example.pl")
    owner.goto(f"/organisations/{foundation.slug}")
    owner.get_by_role("link", name="Rezerwacje sal i sprzętu").click()
    expect(owner.get_by_role("heading", level=1)).to_have_text("Rezerwacje – Fundacja Most")
    check(owner, js, assert_accessible)
    fresh(db)
    booking = db.exec(select(Booking)).one()
    card = owner.locator(f"#booking-{booking.id}")
    expect(card).to_contain_text("Prosi: Klub Sportowy Orzeł (Piotr Lis) · 25 osób")
    card.get_by_label("Uwagi dla: Klub Sportowy Orzeł (nieobowiązkowe)").fill("Klucze w sekretariacie do 16:00.")
    card.get_by_role("button", name="Przyjmij").click()
    expect(owner.locator("main .banner[role=status]")).to_contain_text(
        "Rezerwacja została przyjęta. Klub Sportowy Orzeł otrzyma powiadomienie e-mailem."
    )
    expect(owner.locator("section[aria-labelledby=lent-title] li")).to_contain_text("Klub Sportowy Orzeł")
    mail = mailbox.last_to("piotr@example.pl")
    assert mail["Subject"] == f"Fundacja Most przyjmuje Państwa rezerwację: {ROOM}"
    assert "Klucze w sekretariacie do 16:00." in mail.get_content()

    # The booking shows on the room's calendar, in Warsaw time, for anyone.
    page.goto(f"/resources/{room.id}")
    entry = page.locator(".calendar-entry")
    expect(entry).to_have_count(1)
    expect(entry).to_contain_text("17:00 – 20:00")
    expect(entry).to_contain_text("Zarezerwowane przez: Klub Sportowy Orzeł")
    check(page, js, assert_accessible)
    page.goto(f"/resources/bookings/{booking.id}")
    expect(page.locator(".summary-list")).to_contain_text("Rezerwacja przyjęta")
    expect(page.locator(".summary-list")).to_contain_text("Klucze w sekretariacie do 16:00.")
    check(page, js, assert_accessible)
    assert [e for e in visitor.console_errors if "status of 422" not in e] == []  # the refused form, by design


@CASES
def test_the_calendar_turns_weeks_and_a_resident_learns_why_they_cannot_ask(visitor, db, assert_accessible, js, width):
    foundation, room, club = world(db)
    make_booking(db, room, club, accepted=True, starts_in=timedelta(days=40))
    page = opened(visitor, js, width)
    log_in(page, "zofia@example.pl")
    page.goto(f"/resources/{room.id}")
    region = page.locator(f"#resource-{room.id}-request")
    expect(region.locator(".refusal")).to_have_text(
        "Sale i sprzęt rezerwują organizacje. Aby złożyć prośbę, dołącz do organizacji albo dodaj swoją."
    )
    expect(region.locator("form")).to_have_count(0)
    expect(page.locator(".calendar-entry")).to_have_count(0)
    check(page, js, assert_accessible)

    if js:
        page.evaluate("window.sameDocument = true")
    page.get_by_role("link", name="Późniejsze tygodnie").click()
    expect(page.locator(".calendar-entry")).to_have_count(1)
    expect(page.locator(".calendar-entry")).to_contain_text("Zarezerwowane przez: Klub Sportowy Orzeł")
    if js:
        assert page.evaluate("window.sameDocument") is True, "the page was reloaded"
    else:
        expect(page).to_have_url(re.compile(rf"/resources/{room.id}\?from=\d{{4}}-\d{{2}}-\d{{2}}#resource-"))
    check(page, js, assert_accessible)

    page.goto(f"/organisations/{foundation.slug}/resources")
    expect(page.locator(".card-title")).to_have_text([ROOM, "Salka na poddaszu"])
    check(page, js, assert_accessible)
    assert visitor.console_errors == [], "\n".join(visitor.console_errors)


def test_the_owner_adds_a_room_and_its_form_passes_axe(visitor, db, assert_accessible):
    foundation, _room, _club = world(db)
    page = opened(visitor, True, 1280)
    log_in(page, "ewa@example.pl")
    page.goto(f"/organisations/{foundation.slug}/resources")
    page.get_by_role("link", name="Udostępnij salę lub sprzęt").click()
    assert_accessible(page)
    page.get_by_label("Nazwa").fill("Świetlica")
    page.get_by_role("button", name="Dodaj do oferty").click()
    expect(page.locator(".error-summary")).to_contain_text("Podaj adres sali")
    expect(page.get_by_label("Nazwa")).to_have_value("Świetlica")
    assert_accessible(page)
    page.get_by_label("Adres").fill("ul. Szkolna 3, Wierzbno")
    page.get_by_label("Liczba miejsc").fill("50")
    page.get_by_label("Pętla indukcyjna").check()
    page.get_by_role("button", name="Dodaj do oferty").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Świetlica")
    expect(page.locator("main .banner[role=status]")).to_contain_text("jest już w ofercie")
    assert_accessible(page)
