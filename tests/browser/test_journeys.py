"""Journeys through the real app in Chromium, each with JavaScript on and off.

The pages are in English (consult_lang cookie) so fields can be found by their labels while the Polish catalogue is
being filled; the language journey checks Polish against the catalogue itself.
"""

from __future__ import annotations

import re
import time

import pytest
from playwright.sync_api import expect

from consult.i18n import translations
from tests.factories import PASSWORD, make_organisation, make_user

JS = pytest.mark.parametrize("js", [True, False], ids=["js", "no-js"])


def mail_to(mailbox, address: str, within: float = 10.0):
    """The last message to address, waiting for it: the app sends mail after the response has gone out."""
    deadline = time.monotonic() + within
    while not any(m["To"] == address for m in mailbox.messages) and time.monotonic() < deadline:
        time.sleep(0.05)
    return mailbox.last_to(address)


def polish(msgid: str) -> str:
    """What the Polish catalogue says for msgid (the msgid itself while it is untranslated)."""
    return translations("pl").ugettext(msgid)


@JS
def test_newcomer_registers_confirms_logs_in_and_adds_their_organisation(visitor, mailbox, js):
    page = visitor.page(js=js)
    page.goto("/")
    page.locator("header").get_by_role("link", name="Create an account").click()
    page.get_by_label("E-mail address").fill("ewa.nowak@example.pl")
    page.get_by_label("Your name").fill("Ewa Nowak")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Repeat the password").fill(PASSWORD)
    page.locator("main").get_by_role("button", name="Create an account").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your inbox")
    expect(page.get_by_text("We have sent a link to ewa.nowak@example.pl")).to_be_visible()

    link = mailbox.link_in(mail_to(mailbox, "ewa.nowak@example.pl"))
    assert link.startswith(visitor.base_url + "/confirm/"), link
    page.goto(link)
    expect(page.get_by_role("status")).to_contain_text("Your e-mail address is confirmed")
    expect(page.get_by_role("heading", level=1)).to_have_text("Log in")
    page.get_by_label("E-mail address").fill("ewa.nowak@example.pl")
    page.get_by_label("Password").fill(PASSWORD)
    page.locator("main").get_by_role("button", name="Log in").click()
    expect(page.get_by_role("status")).to_contain_text("You are logged in as Ewa Nowak")

    page.get_by_role("navigation", name="Main menu").get_by_role("link", name="My organisations").click()
    page.locator("main").get_by_role("link", name="Add an organisation").click()
    page.get_by_label("Name", exact=True).fill("Stowarzyszenie Przyjaciół Wierzbna")
    page.get_by_label("Kind").select_option(label="Non-governmental organisation")
    page.get_by_label("KRS number").fill("0000654321")
    page.get_by_label("Culture and heritage").check()
    page.get_by_label("Seniors").check()
    page.get_by_role("button", name="Add the organisation").click()

    expect(page).to_have_url(re.compile(r"/organisations/stowarzyszenie-przyjaciol-wierzbna$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Stowarzyszenie Przyjaciół Wierzbna")
    expect(page.locator(".summary-list")).to_contain_text("0000654321")
    expect(page.locator(".summary-list")).to_contain_text("Culture and heritage, Seniors")

    page.get_by_role("navigation", name="Main menu").get_by_role("link", name="Organisations", exact=True).click()
    results = page.locator("#directory-results")
    expect(results.get_by_role("link", name="Stowarzyszenie Przyjaciół Wierzbna")).to_be_visible()


@JS
def test_organisation_form_with_invalid_krs_comes_back_with_errors_and_typed_values(visitor, db, js):
    make_user(db, email="jan@example.pl", display_name="Jan Wiśniewski")
    page = visitor.page(js=js)
    visitor.log_in(page, "jan@example.pl")
    page.goto("/organisations/new")
    page.get_by_label("Name", exact=True).fill("Klub Sportowy Orzeł")
    page.get_by_label("Kind").select_option(label="Non-governmental organisation")
    page.get_by_label("KRS number").fill("12345")
    page.get_by_label("Sport and recreation").check()
    page.get_by_role("button", name="Add the organisation").click()

    summary = page.locator(".error-summary")
    expect(summary).to_be_visible()
    expect(summary.get_by_role("heading")).to_have_text("There is a problem")
    summary.focus()
    expect(summary).to_be_focused()
    krs = page.get_by_label("KRS number")
    expect(krs).to_have_accessible_description(re.compile("A KRS number has exactly 10 digits"))
    expect(krs).to_have_attribute("aria-invalid", "true")
    expect(krs).to_have_value("12345")
    expect(page.get_by_label("Name", exact=True)).to_have_value("Klub Sportowy Orzeł")
    expect(page.get_by_label("Sport and recreation")).to_be_checked()

    summary.get_by_role("link", name=re.compile("A KRS number has exactly 10 digits")).click()
    expect(krs).to_be_focused()


def _directory_with_two_kinds(db) -> None:
    official = make_user(db, email="urzad@example.pl", display_name="Urząd Gminy")
    make_organisation(db, admin=official, name="Gmina Wierzbno", kind="municipality")
    make_organisation(db, name="Fundacja Dobry Start", kind="ngo")
    make_organisation(db, name="Koło Gospodyń Wiejskich w Lipnie", kind="ngo")


def _result_titles(page):
    return page.locator("#directory-results").get_by_role("heading", level=2)


def test_directory_filter_with_javascript_updates_results_in_place(visitor, db):
    _directory_with_two_kinds(db)
    page = visitor.page(js=True)
    page.goto("/organisations")
    expect(_result_titles(page)).to_have_count(3)
    page.evaluate("window.sameDocument = true")

    page.get_by_label("Kind").select_option(label="Municipality")

    expect(page).to_have_url(re.compile(r"/organisations\?.*kind=municipality"))
    expect(_result_titles(page)).to_have_text(["Gmina Wierzbno"])
    expect(page.locator(".result-count")).to_have_text("1 organisation")
    assert page.evaluate("window.sameDocument") is True, "the filter reloaded the whole page"
    assert visitor.console_errors == []


def test_directory_filter_without_javascript_submits_with_the_show_button(visitor, db):
    _directory_with_two_kinds(db)
    page = visitor.page(js=False)
    page.goto("/organisations")
    expect(_result_titles(page)).to_have_count(3)

    page.get_by_label("Kind").select_option(label="Municipality")
    expect(_result_titles(page)).to_have_count(3)  # nothing happens until the form is sent
    page.get_by_role("button", name="Show").click()

    expect(page).to_have_url(re.compile(r"/organisations\?.*kind=municipality"))
    expect(_result_titles(page)).to_have_text(["Gmina Wierzbno"])
    expect(page.locator(".result-count")).to_have_text("1 organisation")


@JS
def test_reader_switches_to_english_and_back_to_polish(visitor, js):
    page = visitor.page(js=js, lang=None, locale="pl-PL")
    page.goto("/")
    expect(page.locator("html")).to_have_attribute("lang", "pl")
    expect(page).to_have_title(f"{polish('Public consultations and the NGO forum')} · consult")
    nav = page.get_by_role("navigation", name=polish("Main menu"))
    nav.get_by_role("link", name=polish("Organisations"), exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(polish("Organisation directory"))

    page.get_by_role("link", name="English").click()

    expect(page).to_have_url(re.compile(r"/organisations$"))
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("heading", level=1)).to_have_text("Organisation directory")
    expect(page.get_by_role("link", name="Accessibility statement")).to_be_visible()

    page.get_by_role("link", name="Polski").click()

    expect(page).to_have_url(re.compile(r"/organisations$"))
    expect(page.locator("html")).to_have_attribute("lang", "pl")
    expect(page.get_by_role("heading", level=1)).to_have_text(polish("Organisation directory"))
    expect(page.get_by_role("link", name=polish("Accessibility statement"))).to_be_visible()
