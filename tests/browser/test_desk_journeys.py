"""The official's desk in Chromium, with JavaScript on and off, on a 390 px phone and a 1280 px desktop: create a
consultation from a Word file with one error on the way (the file is kept), confirm and publish, extend, cancel."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from consult.models import utcnow
from tests.factories import PROGRAMME_DOCX, make_official, make_organisation

WARSAW = ZoneInfo("Europe/Warsaw")
CASES = pytest.mark.parametrize(
    "js,width",
    [(True, 390), (False, 390), (True, 1280), (False, 1280)],
    ids=["js-390", "no-js-390", "js-1280", "no-js-1280"],
)


def local(moment) -> str:
    return moment.astimezone(WARSAW).strftime("%Y-%m-%dT%H:%M")


@CASES
def test_official_creates_from_word_publishes_extends_and_cancels(visitor, db, assert_accessible, js, width):
    municipality = make_organisation(db, kind="municipality", name="Gmina Wierzbno", verified=True)
    official, _ = make_official(db, municipality, email="urzednik@example.pl")
    page = visitor.page(js=js)
    page.set_viewport_size({"width": width, "height": 900})
    visitor.log_in(page, official.email)

    page.goto("/desk")
    expect(page.get_by_role("heading", level=1)).to_have_text("Your desk")
    if js:  # axe runs in the page: only with JavaScript on
        assert_accessible(page)
    page.get_by_role("link", name="New consultation").click()

    # The Word file first; the title forgotten on the first try.
    page.get_by_label("Word file (.docx, up to 5 MB)").set_input_files(str(PROGRAMME_DOCX))
    opens = utcnow() - timedelta(hours=1)
    page.get_by_label("Summary in plain language").fill("Gmina co roku uchwala program współpracy z organizacjami.")
    page.get_by_label("Responsible unit").fill("Referat Promocji")
    page.get_by_label("Contact person").fill("Katarzyna Nowak")
    page.get_by_label("Opens (Warsaw time)").fill(local(opens))
    page.get_by_label("Closes (Warsaw time)").fill(local(opens + timedelta(days=21)))
    expect(page.locator("#field-closes_at-hint")).to_contain_text("At least 14 days")
    page.get_by_role("button", name="Save the draft and preview").click()

    summary = page.locator(".error-summary")
    expect(summary).to_contain_text("Title: This field is required.")
    expect(page.locator(".kept-file")).to_contain_text(PROGRAMME_DOCX.name)
    if js:
        assert_accessible(page)
    page.get_by_label("Title", exact=True).fill("Program współpracy na rok 2027")
    page.get_by_role("button", name="Save the draft and preview").click()

    expect(page.locator("#draft-title")).to_have_text("Preview of a draft")
    page.get_by_role("link", name="Check and publish").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check before you publish")
    expect(page.locator(".summary-list")).to_contain_text("37 paragraphs")
    if js:
        assert_accessible(page)
    page.get_by_role("button", name="Publish the consultation").click()
    expect(page.locator(".status-line .badge")).to_have_text("Open for comments")

    page.get_by_role("link", name="Extend the deadline").click()
    expect(page.get_by_label("Opens (Warsaw time)")).to_have_count(0)  # open: only the closing time moves
    if js:
        assert_accessible(page)
    page.get_by_label("New closing time (Warsaw time)").fill(local(opens + timedelta(days=28)))
    page.get_by_label("Reason for the change, shown publicly").fill("Na prośbę organizacji: drugie spotkanie.")
    page.get_by_role("button", name="Extend the deadline").click()
    expect(page.locator("#history")).to_contain_text("Deadline extended")
    expect(page.locator("#history")).to_contain_text("Na prośbę organizacji: drugie spotkanie.")

    page.get_by_role("link", name="Cancel the consultation").click()
    if js:
        assert_accessible(page)
    page.get_by_role("button", name="Cancel the consultation").click()  # no reason: refused, naming the field
    expect(page.locator(".error-summary")).to_contain_text("Reason:")
    page.get_by_label("Reason for cancelling, shown publicly").fill("Rada wycofała projekt uchwały z porządku obrad.")
    page.get_by_role("button", name="Cancel the consultation").click()
    expect(page.locator(".status-line .badge")).to_have_text("Cancelled")
    expect(page.locator("[id$=-cancelled]")).to_contain_text("Rada wycofała projekt uchwały")
    if js:
        assert_accessible(page)
    # the two refused forms answer 422 by design (the browser notes it); nothing else went wrong
    assert [e for e in visitor.console_errors if "status of 422" not in e] == []
