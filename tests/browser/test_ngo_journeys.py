"""The NGO volunteer's journeys on a 390 px phone and a 1280 px desktop, with JavaScript on and off: log in to my
page, comment on a paragraph (a refused post first), land on the comment, read the receipt; and, once the
municipality has answered and published the record, find the answer on my page and in the record."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from consult.answers.actions import AnswerInput, answer_contribution
from consult.models import utcnow
from consult.records.actions import RecordInput, publish_record
from tests.factories import (
    make_comment,
    make_consultation,
    make_official,
    make_organisation,
    make_user,
    paragraph_by_label,
    principal,
)

WIDTHS = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1280, "height": 900}}
CASES = pytest.mark.parametrize(
    ("js", "width"),
    [(True, "phone"), (False, "phone"), (True, "desktop"), (False, "desktop")],
    ids=["js-390", "no-js-390", "js-1280", "no-js-1280"],
)
LABEL = "§ 6 ust. 1"
MIN_TAP = 44


class Wierzbno:
    """Gmina Wierzbno consults the fixture programme; Ewa is the admin of KGW Wierzbno, a verified NGO there."""

    def __init__(self, db) -> None:
        self.official, self.municipality = make_official(db)
        self.municipality.name = "Gmina Wierzbno"
        db.add(self.municipality)
        db.commit()
        self.consultation = make_consultation(
            db, official=self.official, municipality=self.municipality, title="Program współpracy Wierzbna 2027"
        )
        self.paragraph = paragraph_by_label(db, self.consultation, LABEL)
        self.ewa = make_user(db, email="kgw@example.pl", display_name="Ewa Kowal")
        self.kgw = make_organisation(
            db, admin=self.ewa, verified=True, name="KGW Wierzbno", area_served="Gmina Wierzbno"
        )


def open_page(visitor, js: bool, width: str):
    page = visitor.page(js=js)
    page.set_viewport_size(WIDTHS[width])
    return page


def focused(page) -> str:
    """The focused element as "tag#id.class…", to say where the keyboard and the screen reader are."""
    return page.evaluate(
        "() => { const e = document.activeElement; return e.tagName.toLowerCase() + '#' + e.id + '.' + e.className }"
    )


def assert_tap_target(locator) -> None:
    box = locator.bounding_box()
    assert box is not None, "not shown"
    assert box["height"] >= MIN_TAP and box["width"] >= MIN_TAP, f"{box['width']:.0f}×{box['height']:.0f} px"


@CASES
def test_volunteer_comments_lands_on_the_comment_and_reads_the_receipt(visitor, db, js, width, assert_accessible):
    w = Wierzbno(db)
    page = open_page(visitor, js, width)
    visitor.log_in(page, "kgw@example.pl")
    expect(page).to_have_url(re.compile(r"/me$"))  # logging in lands on my page
    expect(page.get_by_role("heading", level=1)).to_have_text("My page")
    open_list = page.locator("section[aria-labelledby=me-open]")
    expect(open_list.locator(".card").first).to_contain_text("where your organisation works")
    open_list.get_by_role("link", name=w.consultation.title).click()

    paragraph = page.locator(f"#p-{w.paragraph.key}")
    link = paragraph.get_by_role("link", name=re.compile("^Comment on this"))
    assert_tap_target(link)
    link.click()
    thread = page.locator(f"#thread-{w.paragraph.key}")
    expect(thread.get_by_role("heading", name=re.compile(f"^Comments on {re.escape(LABEL)}"))).to_be_visible()
    form = thread.locator("form.comment-form")
    expect(form.get_by_label("On behalf of")).to_have_value(str(w.kgw.id))

    form.get_by_role("button", name="Post the comment").click()  # nothing typed: refused
    summary = page.locator(f"#thread-{w.paragraph.key}-form .error-summary")
    expect(summary).to_be_visible()
    if js:
        expect(summary).to_be_focused()
    else:
        expect(page).to_have_url(re.compile(rf"#thread-{w.paragraph.key}-form$"))
    assert summary.bounding_box()["y"] < WIDTHS[width]["height"]  # in view, not 1,000 px away

    form = page.locator(f"#thread-{w.paragraph.key}-form form")
    form.get_by_label("Proposed wording or the content of the comment").fill("Dopisać warsztaty dla seniorów.")
    form.get_by_role("button", name="Post the comment").click()
    ours = page.locator("article.comment").filter(has_text="Dopisać warsztaty dla seniorów.")
    expect(ours).to_have_count(1)
    comment_id = ours.get_attribute("id")
    if js:
        expect(ours).to_be_focused()
    else:
        expect(page).to_have_url(re.compile(rf"#{comment_id}$"))
    box = ours.bounding_box()
    assert -2 <= box["y"] < WIDTHS[width]["height"], f"the new comment is at {box['y']:.0f} px, out of view"
    if js:
        assert focused(page).startswith(f"article#{comment_id}")
    for action in ours.locator(".comment-actions a, .comment-actions button").all():
        assert_tap_target(action)
    if js:  # axe runs in the page
        assert_accessible(page)

    ours.get_by_role("link", name="Receipt").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Receipt no.")
    facts = page.locator("dl.summary-list").first
    expect(facts).to_contain_text(w.consultation.title)
    expect(facts).to_contain_text(LABEL)
    expect(facts).to_contain_text("KGW Wierzbno")
    expect(page.locator("dl.receipt-texts")).to_contain_text("Dopisać warsztaty dla seniorów.")
    expect(page.get_by_role("heading", name="Proof")).to_be_visible()
    if js:  # axe runs in the page
        assert_accessible(page)
    page.emulate_media(media="print")
    expect(page.locator(".site-header")).to_be_hidden()
    expect(page.locator("dl.receipt-texts")).to_be_visible()
    # the refused post answers 422 by design (the browser notes it); nothing else went wrong
    errors = [e for e in visitor.console_errors if "status of 422" not in e]
    assert errors == [], "\n".join(errors)


@CASES
def test_volunteer_sees_the_answer_after_the_record_is_published(visitor, db, js, width, assert_accessible):
    w = Wierzbno(db)
    comment = make_comment(
        db, w.consultation, author=w.ewa, organisation=w.kgw, paragraph=w.paragraph, body="Dłuższy termin naboru."
    )
    w.consultation.closes_at = utcnow() - timedelta(minutes=1)
    db.add(w.consultation)
    db.commit()
    official = principal(db, w.official)
    answer = AnswerInput(position="partly_accepted", justification="Termin wydłużony do 21 dni.")
    answer_contribution(db, official, w.consultation, ("comment", comment.id), answer)
    publish_record(db, official, w.consultation, RecordInput())

    page = open_page(visitor, js, width)
    visitor.log_in(page, "kgw@example.pl")
    item = page.locator(f"#my-comment-{comment.id}")
    expect(item.locator(".position")).to_have_text("partly accepted")
    expect(item).to_contain_text("Termin wydłużony do 21 dni.")
    record_link = item.get_by_role("link", name="The consultation record")
    assert_tap_target(record_link)
    if js:  # axe runs in the page
        assert_accessible(page)
    record_link.click()
    expect(page).to_have_url(re.compile(rf"/consultations/{w.consultation.slug}/record$"))
    expect(page.locator("main")).to_contain_text("Dłuższy termin naboru.")
    assert visitor.console_errors == [], "\n".join(visitor.console_errors)
