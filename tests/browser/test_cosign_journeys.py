"""A second organisation co-signs a comment in Chromium, with JavaScript (the region swaps in place) and without (a
post and a 303 back to the comment); an official enters a comment received by e-mail; axe-core on those pages.

axe needs JavaScript (its run never settles in a page without it), so it checks the pages of the runs with JavaScript.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect
from sqlmodel import Session

from tests.factories import (
    add_member,
    make_comment,
    make_consultation,
    make_official,
    make_organisation,
    make_user,
    paragraph_by_label,
)

JS = pytest.mark.parametrize("js", [True, False], ids=["js", "no-js"])
LABEL = "§ 6 ust. 1"


class Coalition:
    """Klub Sportowy Orzeł commented on § 6 ust. 1 of Gmina Wierzbno's programme; Maria Zielińska
    (ngo@example.pl) belongs to Fundacja Most, which may co-sign it; urzednik@example.pl is the official."""

    def __init__(self, db: Session) -> None:
        municipality = make_organisation(db, kind="municipality", name="Gmina Wierzbno", verified=True)
        self.official, _ = make_official(db, municipality, email="urzednik@example.pl")
        self.consultation = make_consultation(
            db, official=self.official, municipality=municipality, opens_in=timedelta(days=-5)
        )
        self.paragraph = paragraph_by_label(db, self.consultation, LABEL)
        club_admin = make_user(db, email="klub@example.pl", display_name="Piotr Lis")
        self.club = make_organisation(db, admin=club_admin, verified=True, name="Klub Sportowy Orzeł")
        self.comment = make_comment(
            db,
            self.consultation,
            author=club_admin,
            organisation=self.club,
            paragraph=self.paragraph,
            body="Prosimy o dopisanie sportu seniorów.",
        )
        self.member = make_user(db, email="ngo@example.pl", display_name="Maria Zielińska")
        self.foundation = make_organisation(db, verified=True, name="Fundacja Most")
        add_member(db, self.foundation, self.member)
        self.kgw = make_organisation(db, verified=True, name="Koło Gospodyń Wiejskich w Olszance")

    @property
    def thread_url(self) -> str:
        return f"/consultations/{self.consultation.slug}/paragraphs/{self.paragraph.key}"


def open_thread(page, coalition: Coalition, js: bool):
    """The paragraph's comments: under the paragraph with JavaScript, on their own page without."""
    if not js:
        page.goto(coalition.thread_url)
        return page.locator(f"#thread-{coalition.paragraph.key}")
    page.goto(f"/consultations/{coalition.consultation.slug}")
    paragraph = page.locator(f"#p-{coalition.paragraph.key}")
    paragraph.locator(".paragraph-actions a").click()
    thread = paragraph.locator(f"#thread-{coalition.paragraph.key}")
    expect(thread.locator(f"#comment-{coalition.comment.id}")).to_be_visible()
    page.evaluate("window.sameDocument = true")
    return thread


@JS
def test_second_organisation_cosigns_a_comment_and_withdraws(visitor, db, js, assert_accessible):
    coalition = Coalition(db)
    page = visitor.page(js=js)
    visitor.log_in(page, "ngo@example.pl")
    thread = open_thread(page, coalition, js)
    region = thread.locator(f"#comment-{coalition.comment.id}-cosign")
    if js:
        assert_accessible(page)

    region.get_by_role("button", name="Co-sign as Fundacja Most").click()

    if js:
        expect(region.get_by_role("status")).to_have_text("Your organisation has co-signed this contribution.")
        assert page.evaluate("window.sameDocument") is True, "the page was reloaded"
    else:
        expect(page).to_have_url(re.compile(rf"/paragraphs/{coalition.paragraph.key}\?page=1#comment-\d+$"))
        expect(page.locator("main .banner[role=status]")).to_contain_text("co-signed this contribution")
        region = page.locator(f"#comment-{coalition.comment.id}-cosign")
    expect(region.locator(".cosigners")).to_have_text(re.compile(r"^Co-signed by:\s+Fundacja Most$"))
    expect(region.get_by_role("link", name="Fundacja Most")).to_be_visible()
    if js:
        assert_accessible(page)

    region.get_by_role("button", name="Withdraw the co-signature of Fundacja Most").click()
    if not js:
        region = page.locator(f"#comment-{coalition.comment.id}-cosign")
    expect(region.locator(".cosigners")).to_have_count(0)
    expect(region.get_by_role("button", name="Co-sign as Fundacja Most")).to_be_visible()
    assert visitor.console_errors == [], "\n".join(visitor.console_errors)


def test_cosign_form_with_several_organisations_passes_axe_in_polish(visitor, db, assert_accessible):
    coalition = Coalition(db)
    add_member(db, coalition.kgw, coalition.member)
    page = visitor.page(lang="pl")
    visitor.log_in(page, "ngo@example.pl")
    page.goto(coalition.thread_url)
    region = page.locator(f"#comment-{coalition.comment.id}-cosign")

    region.get_by_label("Współpodpisz w imieniu").select_option(label="Koło Gospodyń Wiejskich w Olszance")
    assert_accessible(page)
    region.get_by_role("button", name="Współpodpisz").click()

    expect(region.get_by_role("status")).to_have_text("Twoja organizacja współpodpisała to zgłoszenie.")
    expect(region.locator(".cosigners")).to_have_text(re.compile(r"Współpodpisały:\s+Koło Gospodyń Wiejskich"))
    assert_accessible(page)


@JS
def test_official_enters_a_comment_received_by_email(visitor, db, js, assert_accessible):
    coalition = Coalition(db)
    received = datetime.now(ZoneInfo("Europe/Warsaw")).date() - timedelta(days=2)
    page = visitor.page(js=js)
    visitor.log_in(page, "urzednik@example.pl")
    page.goto(f"/consultations/{coalition.consultation.slug}")
    page.get_by_role("link", name="Enter a comment received outside the platform").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Enter a comment received outside the platform")
    if js:
        assert_accessible(page)

    page.get_by_label("Organisation that sent the comment").select_option(label="Koło Gospodyń Wiejskich w Olszance")
    page.get_by_label("How the comment was received").select_option(label="By e-mail")
    page.get_by_label("Date of receipt").fill(received.isoformat())
    page.get_by_label("Part of the document").select_option(label=LABEL)
    if js:  # the current wording follows the chosen paragraph
        expect(page.get_by_label("Current wording")).to_have_value(coalition.paragraph.text)
    page.get_by_label("Content of the comment").fill("Prosimy o spotkanie w Olszance.")
    page.get_by_role("button", name="Enter the comment").click()

    expect(page).to_have_url(re.compile(rf"/paragraphs/{coalition.paragraph.key}\?page=1#comment-\d+$"))
    article = page.locator("article.comment").filter(has_text="Prosimy o spotkanie w Olszance.")
    expect(article.locator(".entry-mark")).to_have_text(
        re.compile(r"^Comment received by e-mail on .+, entered by the municipality$")
    )
    expect(article.locator("header")).not_to_contain_text(coalition.official.display_name)
    if js:
        assert_accessible(page)
