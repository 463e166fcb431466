"""An NGO asks the support centre for advice and reads the answer, in Chromium, in Polish, with JavaScript on and off,
on a 390 px phone and a 1280 px desktop: the circle's member finds advice from the forum, forgets the description
(refused beside the field, the rest kept), sends the request; the advisor is told, takes it from the queue and
answers (with htmx in place); the member reads the answer, the advisor closes the request and the member rates it.
axe-core (WCAG 2.1 AA) on every page family on the way.
"""

from __future__ import annotations

import time

import pytest
from playwright.sync_api import expect
from sqlmodel import select

from consult.advice.actions import mark_support_centre
from consult.models import AdviceRequest
from tests.factories import add_member, fresh, make_admin, make_organisation, make_user, principal

CASES = pytest.mark.parametrize(
    "js,width",
    [(True, 390), (False, 390), (True, 1280), (False, 1280)],
    ids=["js-390", "no-js-390", "js-1280", "no-js-1280"],
)
CENTRE = "Centrum Wspierania Organizacji Pozarządowych"
CIRCLE = "Koło Gospodyń Wiejskich w Olszance"


def opened(visitor, js: bool, width: int):
    page = visitor.page(js=js, lang="pl")
    page.set_viewport_size({"width": width, "height": 900})
    return page


def check(page, js: bool, assert_accessible) -> None:
    if js:  # axe runs in the page: only with JavaScript on
        assert_accessible(page)


def mail_to(mailbox, address: str):
    """The last mail to the address, waiting a little: the outbox is sent after the response has gone out."""
    deadline = time.monotonic() + 10
    while not any(m["To"] == address for m in mailbox.messages) and time.monotonic() < deadline:
        time.sleep(0.05)
    return mailbox.last_to(address)


def world(db):
    advisor = make_user(db, email="doradca@example.pl", display_name="Agnieszka Kamińska")
    centre = make_organisation(db, admin=advisor, name=CENTRE, verified=True)
    mark_support_centre(db, principal(db, make_admin(db)), centre, True)
    halina = make_user(db, email="kgw@example.pl", display_name="Halina Zając")
    circle = make_organisation(db, admin=halina, name=CIRCLE, verified=True)
    add_member(db, circle, make_user(db, email="czlonkini@example.pl", display_name="Maria Wrona"))
    return centre, circle


@CASES
def test_an_ngo_asks_for_advice_and_reads_the_answer(visitor, db, mailbox, assert_accessible, js, width):
    centre, circle = world(db)

    # The circle's admin finds advice from the forum and asks, forgetting the description first.
    page = opened(visitor, js, width)
    visitor.log_in(page, "kgw@example.pl")
    page.goto("/forum")
    page.get_by_role("link", name="Poproś o poradę albo przeczytaj prośby swojej organizacji").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Porady centrum wspierania organizacji")
    check(page, js, assert_accessible)
    page.locator("main").get_by_role("link", name="Poproś o poradę").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Poproś centrum wspierania o poradę")
    expect(page.locator("#field-organisation_id option:checked")).to_have_text(CIRCLE)
    expect(page.locator("#field-centre_id option:checked")).to_have_text(CENTRE)
    check(page, js, assert_accessible)
    page.get_by_label("Temat").select_option("finance")
    page.get_by_label("Na miejscu").check()
    page.get_by_label("Dogodny termin (nieobowiązkowe)").fill("czwartek po 15:00")
    page.get_by_role("button", name="Wyślij prośbę").click()
    expect(page.locator(".error-summary")).to_contain_text("W jakiej sprawie potrzebujesz porady?")
    expect(page.locator("#field-description-error")).to_contain_text("To pole jest wymagane.")
    expect(page.get_by_label("Dogodny termin (nieobowiązkowe)")).to_have_value("czwartek po 15:00")
    expect(page.get_by_label("Na miejscu")).to_be_checked()
    check(page, js, assert_accessible)
    page.get_by_label("W jakiej sprawie potrzebujesz porady?").fill(
        "Jak prowadzić ewidencję wydatków z pierwszej dotacji gminy? Nie mamy księgowej."
    )
    page.get_by_role("button", name="Wyślij prośbę").click()
    expect(page.locator("main .banner[role=status]")).to_contain_text("Prośba została wysłana.")
    expect(page.get_by_role("heading", level=1)).to_have_text("Prośba o poradę: Finanse i księgowość")
    expect(page.locator(".badge-advice-new")).to_have_text("Czeka na przyjęcie")
    check(page, js, assert_accessible)
    fresh(db)
    advice = db.exec(select(AdviceRequest)).one()
    mail = mail_to(mailbox, "doradca@example.pl")
    assert mail["Subject"] == f"{CIRCLE} prosi o poradę: Finanse i księgowość"

    # The advisor takes it from the centre's queue and answers.
    advisor = opened(visitor, js, width)
    visitor.log_in(advisor, "doradca@example.pl")
    advisor.goto("/advice")
    advisor.get_by_role("link", name=f"Kolejka zgłoszeń: {CENTRE}").click()
    expect(advisor.get_by_role("heading", level=1)).to_have_text(f"Prośby o poradę: {CENTRE}")
    expect(advisor.locator("section.panel")).to_contain_text("Finanse i księgowość")
    check(advisor, js, assert_accessible)
    advisor.get_by_role("link", name=f"Finanse i księgowość: {CIRCLE}").click()
    advisor.get_by_role("button", name="Przyjmij tę prośbę").click()
    expect(advisor.locator("main .banner[role=status]")).to_contain_text("Prośba została przyjęta.")
    check(advisor, js, assert_accessible)
    thread = advisor.locator(f"#advice-{advice.id}-thread")
    thread.get_by_label("Twoja odpowiedź").fill("Każdą fakturę opiszcie: numer umowy i pozycja kosztorysu.")
    if js:
        advisor.evaluate("window.sameDocument = true")
    thread.get_by_role("button", name="Wyślij").click()
    expect(advisor.locator(".advice-message-advisor")).to_contain_text("Każdą fakturę opiszcie")
    if js:
        assert advisor.evaluate("window.sameDocument") is True, "the page was reloaded"
    check(advisor, js, assert_accessible)
    assert "odpowiedziało na prośbę o poradę" in mail_to(mailbox, "czlonkini@example.pl")["Subject"]

    # The circle reads the answer; the advisor closes the request and the circle rates it.
    page.goto("/advice")
    page.get_by_role("link", name=f"Finanse i księgowość: {CIRCLE}").click()
    expect(page.locator(".advice-message-advisor")).to_contain_text("Każdą fakturę opiszcie")
    expect(page.locator(".advice-message-advisor")).to_contain_text("Agnieszka Kamińska (doradca)")
    check(page, js, assert_accessible)
    advisor.reload()
    advisor.get_by_role("button", name="Zamknij prośbę").click()
    expect(advisor.locator("main .banner[role=status]")).to_contain_text("Prośba została zamknięta.")
    page.reload()
    page.get_by_role("button", name="Wyślij ocenę").click()
    expect(page.locator("#field-rating-error")).to_contain_text("Wybierz ocenę od 1 do 5.")
    check(page, js, assert_accessible)
    page.get_by_label("5", exact=True).check()
    page.get_by_label("Komentarz do porady (nieobowiązkowe)").fill("Konkretnie i cierpliwie.")
    page.get_by_role("button", name="Wyślij ocenę").click()
    expect(page.locator("main .banner[role=status]")).to_contain_text("Dziękujemy za ocenę porady.")
    expect(page.locator(".summary-list")).to_contain_text("5 na 5")
    check(page, js, assert_accessible)
    assert [e for e in visitor.console_errors if "status of 422" not in e] == []  # the refused forms, by design
