"""The knowledge base in Chromium, in Polish, with JavaScript on and off, on a 390 px phone and a 1280 px desktop: the
support centre's advisor finds the knowledge base from the forum, publishes a guide, is refused a PNG named .pdf and a
photo without its description (the text kept, the photo kept), corrects both and publishes; a resident finds the guide
through the site search and downloads its PDF. An NGO proposes a good practice and the advisor publishes it.
axe-core (WCAG 2.1 AA) on every page family on the way."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect

from consult.knowledge.demo import checklist_pdf, garden_png
from tests.factories import make_organisation, make_user

CASES = pytest.mark.parametrize(
    "js,width",
    [(True, 390), (False, 390), (True, 1280), (False, 1280)],
    ids=["js-390", "no-js-390", "js-1280", "no-js-1280"],
)
TITLE = "Sprawozdanie z realizacji zadania publicznego krok po kroku"
PDF = checklist_pdf()


def opened(visitor, js: bool, width: int):
    page = visitor.page(js=js, lang="pl")
    page.set_viewport_size({"width": width, "height": 900})
    return page


def check(page, js: bool, assert_accessible) -> None:
    if js:  # axe runs in the page: only with JavaScript on
        assert_accessible(page)


def world(db):
    advisor = make_user(db, email="doradca@example.pl", display_name="Agnieszka Kamińska")
    centre = make_organisation(db, admin=advisor, name="Centrum Wspierania NGO w Wierzbnie", verified=True)
    centre.support_centre = True
    db.add(centre)
    db.commit()
    kgw = make_user(db, email="kgw@example.pl", display_name="Halina Zając")
    make_organisation(db, admin=kgw, name="Koło Gospodyń Wiejskich w Olszance")
    make_user(db, email="mieszkanka@example.pl", display_name="Ewa Mazur")


@CASES
def test_the_support_centre_publishes_a_guide_and_a_resident_finds_and_downloads_it(
    visitor, db, assert_accessible, js, width, tmp_path
):
    world(db)
    page = opened(visitor, js, width)
    visitor.log_in(page, "doradca@example.pl")
    page.goto("/forum")
    page.get_by_role("link", name="Przeczytaj poradniki i dobre praktyki").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Baza wiedzy")
    check(page, js, assert_accessible)
    page.get_by_role("link", name="Opublikuj poradnik lub dobrą praktykę").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Opublikuj w bazie wiedzy")
    check(page, js, assert_accessible)

    # A first try: a PNG named .pdf, and a photo without its description.
    page.locator("#field-title").fill(TITLE)
    page.locator("#field-summary").fill("Co wpisać w sprawozdaniu końcowym i jak rozliczyć dotację.")
    page.locator("#field-body").fill("### Termin\n\nSprawozdanie składa się w ciągu **30 dni**.")
    page.locator("#field-fields-ngo_development").check()
    page.locator("#field-topics").fill("sprawozdanie, dotacje")
    page.set_input_files(
        "#field-attachment", files=[{"name": "raport.pdf", "mimeType": "application/pdf", "buffer": garden_png()}]
    )
    page.set_input_files(
        "#field-photo", files=[{"name": "spotkanie.png", "mimeType": "image/png", "buffer": garden_png()}]
    )
    page.get_by_role("button", name="Opublikuj").click()
    expect(page.locator(".error-summary")).to_be_visible()
    expect(page.locator("#field-attachment-error")).to_contain_text("Zawartość pliku nie odpowiada jego rozszerzeniu")
    expect(page.locator("#field-attachment-error")).to_contain_text("Wybierz plik ponownie")
    expect(page.locator("#field-photo_alt-error")).to_contain_text("tekst alternatywny jest wymagany")
    expect(page.locator("#field-photo_token")).to_contain_text("spotkanie.png")
    expect(page.locator("#field-title")).to_have_value(TITLE)
    expect(page.locator("#field-fields-ngo_development")).to_be_checked()
    check(page, js, assert_accessible)

    # The real PDF, the description; the photo is not chosen again.
    page.set_input_files(
        "#field-attachment", files=[{"name": "wzor-sprawozdania.pdf", "mimeType": "application/pdf", "buffer": PDF}]
    )
    page.locator("#field-photo_alt").fill("Doradczyni pokazuje formularz sprawozdania przedstawicielom organizacji")
    page.get_by_role("button", name="Opublikuj").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(TITLE)
    expect(page.locator(".knowledge-photo img")).to_have_attribute(
        "alt", "Doradczyni pokazuje formularz sprawozdania przedstawicielom organizacji"
    )
    check(page, js, assert_accessible)

    # A resident searches the site and downloads the PDF.
    resident = opened(visitor, js, width)
    visitor.log_in(resident, "mieszkanka@example.pl")
    resident.goto("/search")
    resident.locator("#search-q").fill("sprawozdanie zadania")
    resident.locator("main form[role=search] button[type=submit]").click()
    expect(resident.locator(".search-knowledge h3")).to_have_text([TITLE])
    check(resident, js, assert_accessible)
    resident.get_by_role("link", name=TITLE).click()
    expect(resident.get_by_role("heading", level=1)).to_have_text(TITLE)
    with resident.expect_download() as download:
        resident.get_by_role("link", name="wzor-sprawozdania.pdf").click()
    saved = Path(tmp_path) / "saved.pdf"
    download.value.save_as(saved)
    assert download.value.suggested_filename == "wzor-sprawozdania.pdf"
    assert saved.read_bytes() == PDF
    assert [e for e in visitor.console_errors if "status of 422" not in e] == []  # the refused form, by design


@pytest.mark.parametrize("js,width", [(True, 390), (False, 1280)], ids=["js-390", "no-js-1280"])
def test_an_organisation_proposes_a_good_practice_and_the_advisor_publishes_it(
    visitor, db, assert_accessible, js, width
):
    world(db)
    page = opened(visitor, js, width)
    visitor.log_in(page, "kgw@example.pl")
    page.goto("/knowledge")
    page.get_by_role("link", name="Zgłoś dobrą praktykę").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Zgłoś dobrą praktykę")
    check(page, js, assert_accessible)
    page.locator("#field-title").fill("Warsztaty rękodzieła dla trzech pokoleń")
    page.locator("#field-body").fill("Babcie uczą wnuczki haftu w świetlicy w Olszance.")
    page.get_by_role("button", name="Wyślij do oceny").click()
    expect(page.locator(".banner strong")).to_have_text("Czeka na ocenę.")
    check(page, js, assert_accessible)
    page.goto("/knowledge/proposals")
    expect(page.locator(".card .tag")).to_have_text(["Czeka na ocenę"])
    check(page, js, assert_accessible)

    advisor = opened(visitor, js, width)
    visitor.log_in(advisor, "doradca@example.pl")
    advisor.goto("/knowledge/proposals")
    check(advisor, js, assert_accessible)
    advisor.get_by_role("link", name="Warsztaty rękodzieła dla trzech pokoleń").click()
    advisor.get_by_label("Opublikuj w bazie wiedzy").check()
    advisor.get_by_role("button", name="Zapisz decyzję").click()
    expect(advisor.locator(".banner-success, .banner").first).to_contain_text("Dobra praktyka została opublikowana.")
    page.goto("/knowledge/proposals")
    expect(page.locator(".card .tag")).to_have_text(["Opublikowana"])
    assert visitor.console_errors == []
