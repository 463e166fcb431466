"""An official answers the contributions of a closed consultation in Chromium, with JavaScript (the row's answer is
swapped in place, the progress bar follows) and without (plain forms, 303 back to the row); axe-core on the review.

Pages are in English (the visitor's consult_lang cookie) so fields are found by their labels.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from consult.answers import actions
from consult.answers.actions import AnswerInput
from tests.factories import PASSWORD, principal
from tests.test_answers import Closed

JS = pytest.mark.parametrize("js", [True, False], ids=["js", "no-js"])


def mark_document(page, js: bool) -> None:
    if js:
        page.evaluate("window.sameDocument = true")


def assert_same_document(page, js: bool) -> None:
    if js:
        assert page.evaluate("window.sameDocument") is True, "the page was reloaded"


def assert_no_console_errors(visitor) -> None:
    """None beyond Chromium's note of a 422 response, which htmx swaps in on purpose (the form with its errors)."""
    errors = [e for e in visitor.console_errors if "status of 422" not in e]
    assert errors == [], "\n".join(errors)


@JS
def test_official_answers_a_comment(visitor, db, js):
    world = Closed(db)
    row_id = f"contribution-comment-{world.on_point.id}"
    page = visitor.page(js=js)
    visitor.log_in(page, world.official.email, PASSWORD)
    page.goto(f"/consultations/{world.consultation.slug}")
    page.get_by_role("link", name="Review and answer the contributions").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Review of contributions")
    progress = page.locator(f"#consultation-{world.consultation.id}-progress")
    expect(progress.locator("p")).to_have_text("Answered 0 of 3")
    row = page.locator(f"#{row_id}")
    expect(row.locator(".tag")).to_have_text("Not answered yet")
    expect(row.locator("dl.wording")).to_contain_text("sport dzieci i seniorów")
    mark_document(page, js)

    region = page.locator(f"#{row_id}-answer")
    region.get_by_label("rejected").check()
    region.get_by_role("button", name="Save the answer").click()
    if js:
        region = page.locator(f"#{row_id}-answer")
        expect(region.locator(".error-summary")).to_contain_text("Give the justification of the position")
        assert_same_document(page, js)
    else:
        # numbered as the record will number it, not by its id
        expect(page.get_by_role("heading", level=1)).to_have_text(re.compile(r"^Answer to comment no\. \d+$"))
        expect(page.locator(".error-summary")).to_contain_text("Give the justification of the position")
        region = page.locator(f"#{row_id}-answer")
    expect(region.get_by_label("rejected")).to_be_checked()

    region.get_by_label("Justification of the position").fill("Sport seniorów obejmie program zdrowotny.")
    region.get_by_role("button", name="Save the answer").click()

    if js:
        expect(page.locator(f"#{row_id}-answer p.notice")).to_have_text("The answer is saved.")
        assert_same_document(page, js)
    else:
        expect(page).to_have_url(re.compile(rf"/review#{row_id}$"))
        expect(page.locator("main > .banner")).to_have_text("The answer is saved.")
    expect(page.locator(f"#{row_id}-answer .council-answer .position")).to_have_text("rejected")
    expect(page.locator(f"#{row_id}-status")).to_have_text("Answered")
    expect(page.locator(f"#consultation-{world.consultation.id}-progress p")).to_have_text("Answered 1 of 3")
    expect(page.locator(f"#consultation-{world.consultation.id}-progress progress")).to_have_attribute("value", "1")

    resident = visitor.page(js=js)
    resident.goto(f"/consultations/{world.consultation.slug}/paragraphs/{world.point.key}")
    answer = resident.locator(f"#comment-{world.on_point.id}-answer")
    expect(answer).to_contain_text("The municipality's position: rejected")
    expect(answer).to_contain_text("Sport seniorów obejmie program zdrowotny.")
    assert_no_console_errors(visitor)


@JS
def test_official_gives_one_answer_to_two_contributions(visitor, db, js):
    world = Closed(db)
    page = visitor.page(js=js)
    visitor.log_in(page, world.official.email, PASSWORD)
    page.goto(f"/consultations/{world.consultation.slug}/review")

    page.locator(f"#contribution-comment-{world.general.id}").get_by_label("Select for one shared answer").check()
    page.locator(f"#contribution-proposal-{world.proposal.id}").get_by_label("Select for one shared answer").check()
    together = page.locator("#review-together")
    together.get_by_label("explained").check()
    together.get_by_label("Justification of the position").fill("Oba wnioski dotyczą programu kultury.")
    together.get_by_role("button", name="Give the selected contributions one answer").click()

    expect(page.locator("main > .banner")).to_have_text("One answer now covers 2 contributions.")
    expect(page.locator(f"#consultation-{world.consultation.id}-progress p")).to_have_text("Answered 2 of 3")
    shared = page.locator(f"#contribution-proposal-{world.proposal.id}-answer")
    expect(shared.locator(".council-answer")).to_contain_text("The same answer covers:")
    shared.get_by_role("button", name="Detach from the shared answer").click()

    detached = page.locator(f"#contribution-proposal-{world.proposal.id}-answer")
    expect(detached.locator(".council-answer")).to_have_count(0)
    expect(page.locator(f"#consultation-{world.consultation.id}-progress p")).to_have_text("Answered 1 of 3")
    expect(page.locator(f"#contribution-comment-{world.general.id}-answer .position")).to_have_text("explained")
    assert_no_console_errors(visitor)


def test_review_page_is_accessible(visitor, db, assert_accessible):
    world = Closed(db)
    who = principal(db, world.official)
    refs = [world.ref(world.general), world.ref(world.proposal)]
    actions.answer_together(db, who, world.consultation, refs, AnswerInput(position="rejected", justification="Nie."))
    page = visitor.page()
    visitor.log_in(page, world.official.email, PASSWORD)

    page.goto(f"/consultations/{world.consultation.slug}/review")
    assert_accessible(page)
    page.locator("#review-together").get_by_role("button", name="Give the selected contributions one answer").click()
    expect(page.locator(".error-summary")).to_contain_text("Select at least one contribution.")
    assert_accessible(page)
    region = page.locator(f"#contribution-comment-{world.on_point.id}-answer")
    region.get_by_label("partly accepted").check()
    region.get_by_role("button", name="Save the answer").click()
    expect(region.locator(".error-summary")).to_be_visible()
    assert_accessible(page)

    page.goto(f"/consultations/{world.consultation.slug}/contributions/comment/{world.on_point.id}/answer")
    assert_accessible(page)
    page.goto(f"/consultations/{world.consultation.slug}/discussion")
    expect(page.locator(f"#comment-{world.general.id}-answer")).to_be_visible()
    assert_accessible(page)
    assert_no_console_errors(visitor)
