"""The yearly report in Chromium, with JavaScript on and off, on a 390 px phone and a 1280 px desktop: the official
goes from the municipality's page to the report, fills the figures with one mistake on the way, publishes it; a
resident reads the published report. axe-core on every page family of the report (with JavaScript)."""

from __future__ import annotations

import re
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from consult.answers.actions import AnswerInput, answer_contribution
from tests.factories import (
    close_consultation,
    make_comment,
    make_consultation,
    make_official,
    make_organisation,
    make_user,
    principal,
)

VIEWS = pytest.mark.parametrize(
    ("js", "width"),
    [(True, 390), (False, 390), (True, 1280), (False, 1280)],
    ids=["js-390", "no-js-390", "js-1280", "no-js-1280"],
)


def a_year_of_work(db):
    """Gmina Wierzbno consulted its programme this year; Klub Orzeł commented and the comment was accepted."""
    municipality = make_organisation(db, kind="municipality", name="Gmina Wierzbno", verified=True)
    official, _ = make_official(db, municipality, email="urzednik@example.pl")
    consultation = make_consultation(db, official=official, municipality=municipality)
    club_admin = make_user(db, email="klub@example.pl")
    club = make_organisation(db, admin=club_admin, verified=True, name="Klub Sportowy Orzeł")
    comment = make_comment(db, consultation, author=club_admin, organisation=club)
    close_consultation(db, consultation)
    answer_contribution(
        db, principal(db, official), consultation, ("comment", comment.id), AnswerInput(position="accepted")
    )
    make_user(db, email="mieszkanka@example.pl")
    return municipality, (consultation.opens_at - timedelta(0)).astimezone(ZoneInfo("Europe/Warsaw")).year


@VIEWS
def test_official_fills_the_figures_publishes_and_a_resident_reads_the_report(
    visitor, db, js, width, assert_accessible
):
    municipality, year = a_year_of_work(db)
    check = assert_accessible if js else (lambda page: None)  # axe runs in the page: it needs JavaScript
    page = visitor.page(js=js, lang="pl")
    page.set_viewport_size({"width": width, "height": 900})
    visitor.log_in(page, "urzednik@example.pl")
    page.goto(f"/municipalities/{municipality.slug}")
    page.get_by_role("link", name="Roczne sprawozdania z realizacji programu współpracy").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Sprawozdania z realizacji programu współpracy")
    check(page)
    page.get_by_label("Rok, którego dotyczy sprawozdanie").fill(str(year))
    page.get_by_role("button", name="Rozpocznij lub kontynuuj sprawozdanie").click()
    expect(page).to_have_url(re.compile(rf"/reports/{year}/edit$"))
    expect(page.locator("#report-platform-figures")).to_contain_text("Przeprowadzone konsultacje")
    check(page)

    page.get_by_label("Zadania priorytetowe").fill("kultury fizycznej\nkultury i sztuki")
    page.get_by_label("Mierniki realizacji programu").fill("liczba zawartych umów\nliczba wolontariuszy")
    page.get_by_role("button", name="Zapisz projekt").click()
    expect(page.get_by_label("Kwota wydana na zadanie: kultury fizycznej")).to_be_visible()
    page.get_by_label("Kwota wydana na zadanie: kultury fizycznej").fill("30 000,00")
    page.get_by_label("Kwota wydana na zadanie: kultury i sztuki").fill("12 500,50")
    page.get_by_label("Ogłoszone otwarte konkursy ofert").fill("2")
    page.get_by_label("Złożone oferty").fill("5")
    page.get_by_label("Podpisane umowy").fill("7")  # the mistake: more contracts than offers
    page.get_by_label("Małe granty (art. 19a)").fill("1")
    page.get_by_label("Kwota małych grantów").fill("8 000")
    page.get_by_label("Wartość miernika: liczba wolontariuszy").fill("25 osób")
    page.get_by_label("Wnioski").fill("Program zrealizowano.")
    page.get_by_role("button", name="Zapisz i przejdź do publikacji").click()
    expect(page.locator(".error-summary")).to_contain_text("Podpisanych umów nie może być więcej niż złożonych ofert")
    expect(page.locator("#field-contracts-error")).to_be_visible()
    expect(page.get_by_label("Podpisane umowy")).to_have_value("7")
    expect(page.get_by_label("Wnioski")).to_have_value("Program zrealizowano.")
    check(page)
    # the refused form came back as 422 on purpose: the browser logs that status, nothing else may be logged
    visitor.console_errors[:] = [e for e in visitor.console_errors if "status of 422" not in e]
    page.get_by_label("Podpisane umowy").fill("4")
    page.get_by_role("button", name="Zapisz i przejdź do publikacji").click()
    expect(page).to_have_url(re.compile(rf"/reports/{year}/publish$"))
    expect(page.locator("#report-missing")).to_have_count(0)
    check(page)
    page.get_by_role("button", name="Opublikuj sprawozdanie").click()
    expect(page).to_have_url(re.compile(rf"/reports/{year}$"))
    expect(page.locator("main .banner[role=status]")).to_contain_text("Sprawozdanie zostało opublikowane.")
    sha = page.locator("code#report-sha256").inner_text()
    assert re.fullmatch(r"[0-9a-f]{64}", sha), sha
    check(page)

    resident = visitor.page(js=js, lang="pl")
    resident.set_viewport_size({"width": width, "height": 900})
    visitor.log_in(resident, "mieszkanka@example.pl")
    resident.goto(f"/municipalities/{municipality.slug}/reports")
    resident.get_by_role("link", name=f"Sprawozdanie za {year} rok").click()
    expect(resident.locator("code#report-sha256")).to_have_text(sha)
    expect(resident.locator("#report-money-figures")).to_contain_text("42\u00a0500,50\u00a0zł")
    expect(resident.locator("#report-indicators-figures")).to_contain_text("25 osób")
    expect(resident.locator("#report-forms-figures")).to_contain_text("nie odnotowano na platformie")
    expect(resident.locator("#report-draft")).to_have_count(0)
    check(resident)
    assert visitor.console_errors == [], "\n".join(visitor.console_errors)


def test_publishing_with_a_figure_missing_is_refused_on_an_accessible_page(visitor, db, assert_accessible):
    municipality, year = a_year_of_work(db)
    page = visitor.page(js=True, lang="pl")
    visitor.log_in(page, "urzednik@example.pl")
    page.goto(f"/municipalities/{municipality.slug}/reports")
    page.get_by_label("Rok, którego dotyczy sprawozdanie").fill(str(year))
    page.get_by_role("button", name="Rozpocznij lub kontynuuj sprawozdanie").click()
    page.goto(f"/municipalities/{municipality.slug}/reports/{year}/publish")
    expect(page.locator("#report-missing")).to_contain_text("Złożone oferty")
    with page.expect_response(lambda r: r.request.method == "POST") as posted:
        page.get_by_role("button", name="Opublikuj sprawozdanie").click()
    assert posted.value.status == 409
    expect(page.locator(".error-summary")).to_contain_text("Sprawozdania nie można jeszcze opublikować")
    assert_accessible(page)
    page.goto(f"/municipalities/{municipality.slug}/reports/{year}")
    expect(page.locator("#report-draft")).to_contain_text("Projekt: jeszcze nieopublikowany")
    assert_accessible(page)
