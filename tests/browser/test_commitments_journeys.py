"""What became of accepted contributions, in Chromium, in Polish, with JavaScript on and off, on a 390 px phone and a
1280 px desktop: the official drafting next year's programme sees last year's commitment beside § 9 ust. 1, opens
it, tries to drop it without a reason (refused, what was typed kept), then marks it done; a resident finds it on the
municipality's page among those done, and on last year's consultation page after the record. axe-core (WCAG 2.1 AA)
on every page family on the way.

With JavaScript, `window.sameDocument` is set before saving: if it is still there after it, htmx swapped the region.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from consult.models import Commitment
from tests.factories import fresh, make_consultation, make_user, paragraph_by_label
from tests.test_commitments import commitment_for, last_years_programme

CASES = pytest.mark.parametrize(
    "js,width",
    [(True, 390), (False, 390), (True, 1280), (False, 1280)],
    ids=["js-390", "no-js-390", "js-1280", "no-js-1280"],
)


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


@CASES
def test_an_official_marks_a_commitment_done_and_a_resident_sees_it(db, visitor, assert_accessible, js, width):
    year = last_years_programme(db)
    draft = make_consultation(
        db, official=year.official, municipality=year.municipality, published=False,
        title="Program współpracy Gminy Testowej na rok 2027",
    )  # fmt: skip
    make_user(db, email="zofia@example.pl", display_name="Zofia Mieszkanka")
    amount = commitment_for(db, year.accepted)

    official = opened(visitor, js, width)
    log_in(official, year.official.email)
    official.goto(f"/consultations/{draft.slug}")
    note = official.locator(f"#p-{paragraph_by_label(db, draft, '§ 9 ust. 1').key} aside.commitment-note")
    expect(note).to_contain_text("Na realizację programu planuje się 500 000 zł.")
    expect(note).to_contain_text("zaplanowane")
    expect(official.locator("#earlier-commitments")).to_contain_text("Małe granty dla młodzieży")
    check(official, js, assert_accessible)

    note.get_by_role("link", name="Na realizację programu").click()
    official.wait_for_url(f"**/commitments/{amount.id}")
    expect(official.locator("h1")).to_contain_text("§ 9 ust. 1")
    check(official, js, assert_accessible)

    official.get_by_label("zaniechane", exact=True).check()
    official.get_by_label("Kto odpowiada").fill("Skarbnik Gminy")
    official.get_by_role("button", name="Zapisz zmianę").click()
    expect(official.locator(".error-summary")).to_contain_text("Podaj, dlaczego gmina odstępuje od zobowiązania")
    expect(official.get_by_label("Kto odpowiada")).to_have_value("Skarbnik Gminy")
    check(official, js, assert_accessible)

    official.get_by_label("zrealizowane", exact=True).check()
    official.get_by_label("Data", exact=True).fill("2026-01-15")
    if js:
        official.evaluate("window.sameDocument = true")
    official.get_by_role("button", name="Zapisz zmianę").click()
    expect(official.get_by_role("status")).to_contain_text("Zobowiązanie zostało zaktualizowane: zrealizowane.")
    expect(official.locator(f"#commitment-{amount.id}-history")).to_contain_text("zaplanowane → zrealizowane")
    if js:
        assert official.evaluate("window.sameDocument === true"), "htmx should have swapped the region in place"
    fresh(db)
    done = db.get(Commitment, amount.id)
    assert (done.status, done.responsible) == ("done", "Skarbnik Gminy")

    resident = opened(visitor, js, width)
    log_in(resident, "zofia@example.pl")
    resident.goto(f"/municipalities/{year.municipality.slug}")
    resident.get_by_role("link", name="Co stało się z uwzględnionymi uwagami: zobowiązania gminy").click()
    expect(resident.locator(f"#commitment-{amount.id}-card")).to_have_count(0)  # done: no longer open
    check(resident, js, assert_accessible)
    resident.get_by_role("link", name="Pokaż także zrealizowane i zaniechane").click()
    card = resident.locator(f"#commitment-{amount.id}-card")
    expect(card).to_contain_text("zrealizowane")
    expect(card).to_contain_text("Skarbnik Gminy")
    expect(resident.get_by_role("button", name="Zapisz zmianę")).to_have_count(0)

    resident.goto(f"/consultations/{year.consultation.slug}")
    section = resident.locator(f"#consultation-{year.consultation.id}-commitments")
    expect(section.get_by_role("heading", name="Co stało się z uwzględnionymi uwagami")).to_be_visible()
    expect(section.locator(f"#commitment-{amount.id}-card")).to_contain_text("zrealizowane")
    check(resident, js, assert_accessible)
    resident.goto(f"/commitments/{amount.id}")
    expect(resident.locator("form[action*='/commitments/']")).to_have_count(0)
    check(resident, js, assert_accessible)
    assert [e for e in visitor.console_errors if "status of 422" not in e] == []  # the refused drop, by design
