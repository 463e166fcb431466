"""Surveys in the browser, on a 390 px phone and a 1280 px desktop, with JavaScript on and off: an official builds the
evaluation of cooperation from its ready template, moves a question, opens it; an NGO's admin answers, leaving a
required question empty on the way (the rest stays typed, the summary names it); the official publishes the results.
axe-core finds nothing on the list, the builder, the answer form (with its errors) and the results with their SVG."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from consult.models import utcnow
from tests.factories import make_official, make_organisation, make_user

WIDTHS = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1280, "height": 900}}
CASES = pytest.mark.parametrize(
    ("js", "width"),
    [(True, "phone"), (False, "phone"), (True, "desktop"), (False, "desktop")],
    ids=["js-390", "no-js-390", "js-1280", "no-js-1280"],
)


def check(assert_accessible, page, js: bool) -> None:
    """axe runs in the page: with JavaScript off it cannot, and the same pages are checked in the JS cases."""
    if js:
        assert_accessible(page)


def open_page(visitor, js: bool, width: str):
    page = visitor.page(js=js)
    page.set_viewport_size(WIDTHS[width])
    return page


@CASES
def test_official_builds_ngo_answers_official_publishes(visitor, db, assert_accessible, js, width):
    official, gmina = make_official(db, email="urzednik@gmina.example.pl")
    ewa = make_user(db, email="ewa@razem.example.pl", display_name="Ewa Nowak")
    make_organisation(db, admin=ewa, verified=True, name="Stowarzyszenie Razem")

    page = open_page(visitor, js, width)
    visitor.log_in(page, official.email)
    page.goto("/surveys")
    check(assert_accessible, page, js)
    page.get_by_role("link", name="New survey").click()
    page.get_by_label("The yearly evaluation of cooperation by NGOs").check()
    local = utcnow().astimezone(ZoneInfo("Europe/Warsaw"))
    page.get_by_label("Opens").fill((local - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"))
    page.get_by_label("Closes").fill((local + timedelta(days=14)).strftime("%Y-%m-%dT%H:%M"))
    check(assert_accessible, page, js)
    page.get_by_role("button", name="Save the draft").click()
    expect(page.locator("h1")).to_contain_text("Build the survey")
    check(assert_accessible, page, js)
    items = page.locator("#survey-questions > li")
    second = items.nth(1).locator(".survey-builder-text").inner_text()
    items.nth(1).get_by_role("button", name="Move up").click()
    expect(page.locator("#survey-questions > li").first.locator(".survey-builder-text")).to_have_text(second)
    page.get_by_role("button", name="Open the survey").click()
    expect(page.locator(".status-line")).to_contain_text("Open for answers")
    survey_url = page.url

    ngo = open_page(visitor, js, width)
    visitor.log_in(ngo, ewa.email)
    ngo.goto("/surveys")
    ngo.get_by_role("link", name="Ocena współpracy samorządu z organizacjami pozarządowymi").first.click()
    assert ngo.url == survey_url
    check(assert_accessible, ngo, js)
    ngo.locator("fieldset").filter(has_text="Z jakich form współpracy").get_by_label("otwarty konkurs ofert").check()
    overall = ngo.locator("fieldset").filter(has_text="Jak oceniasz współpracę gminy")
    overall.get_by_label("4").check()
    ngo.locator("textarea").last.fill("Prosimy o wcześniejsze ogłaszanie konkursów.")
    ngo.get_by_role("button", name="Send the answer").click()
    summary = ngo.locator(".error-summary")
    expect(summary).to_contain_text("Jak oceniasz przejrzystość otwartych konkursów ofert?")
    expect(ngo.locator("textarea").last).to_have_value("Prosimy o wcześniejsze ogłaszanie konkursów.")
    expect(overall.get_by_label("4")).to_be_checked()
    check(assert_accessible, ngo, js)
    for question in ("Jak oceniasz przejrzystość", "Jak oceniasz dostępność"):
        ngo.locator("fieldset").filter(has_text=question).get_by_label("3").check()
    ngo.get_by_role("button", name="Send the answer").click()
    expect(ngo.locator(".banner, .flash, [role=status]").first).to_contain_text("Thank you")
    expect(ngo.get_by_text("Stowarzyszenie Razem has answered this survey.")).to_be_visible()

    page.goto(survey_url + "/results")
    check(assert_accessible, page, js)
    expect(page.locator("svg.survey-chart").first).to_have_attribute("role", "img")
    page.get_by_role("button", name="Publish").first.click()
    expect(page.locator(".survey-text").first).to_contain_text("Shown with the public results")
    page.get_by_role("button", name="Make the results public").click()
    expect(page.get_by_role("button", name="Withdraw the results from public view")).to_be_visible()

    reader = open_page(visitor, js, width)
    reader.goto(survey_url + "/results")
    expect(reader.locator(".survey-text")).to_contain_text("Prosimy o wcześniejsze ogłaszanie konkursów.")
    check(assert_accessible, reader, js)
    assert [e for e in visitor.console_errors if "status of 422" not in e] == []  # the refused try
