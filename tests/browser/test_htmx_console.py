"""Every htmx swap of the app leaves the console clean: no CSP refusal, no script error, no failed request.

The console is read through the Visitor's listener (tests/browser/conftest.py). No screenshots here: Playwright's
page.screenshot() injects a style of its own, which the CSP rightly refuses.
"""

from __future__ import annotations

from datetime import timedelta

from playwright.sync_api import expect
from sqlmodel import Session

from consult.models import utcnow
from tests.factories import (
    add_member,
    make_comment,
    make_consultation,
    make_official,
    make_organisation,
    make_proposal,
    make_user,
    paragraph_by_label,
)

LABEL = "§ 6 ust. 1"


class Scene:
    """An open consultation of Gmina Wierzbno: a comment on § 6 ust. 1 by a sports club, a proposal by a KGW;
    ngo@example.pl speaks for a verified association (a co-signer and voter), urzednik@example.pl is the official."""

    def __init__(self, db: Session) -> None:
        self.municipality = make_organisation(db, kind="municipality", name="Gmina Wierzbno", verified=True)
        self.official, _ = make_official(db, self.municipality, email="urzednik@example.pl")
        self.consultation = make_consultation(db, official=self.official, municipality=self.municipality)
        self.paragraph = paragraph_by_label(db, self.consultation, LABEL)
        self.member = make_user(db, email="ngo@example.pl", display_name="Maria Zielińska")
        self.association = make_organisation(db, verified=True, name="Stowarzyszenie Przyjaciół Wierzbna")
        add_member(db, self.association, self.member, role="admin")
        club_admin = make_user(db, email="klub@example.pl")
        club = make_organisation(db, admin=club_admin, verified=True, name="Klub Sportowy Orzeł")
        self.comment = make_comment(
            db, self.consultation, author=club_admin, organisation=club, paragraph=self.paragraph, body="Uwaga klubu."
        )
        kgw_admin = make_user(db, email="kgw@example.pl")
        kgw = make_organisation(db, admin=kgw_admin, verified=True, name="Koło Gospodyń Wiejskich")
        self.proposal = make_proposal(db, self.consultation, author=kgw_admin, organisation=kgw)

    @property
    def url(self) -> str:
        return f"/consultations/{self.consultation.slug}"


def open_thread_in_place(scene: Scene, page) -> None:
    page.goto(scene.url)
    page.evaluate("window.sameDocument = true")
    page.locator(f"#p-{scene.paragraph.key} .paragraph-actions a").click()
    expect(page.locator(f"#comment-{scene.comment.id}")).to_be_visible()


FORM_ERRORS = "the server responded with a status of 422"  # Chromium logs every 4xx; a 422 is a form's answer


def assert_clean(visitor, page) -> None:
    assert page.evaluate("window.sameDocument") is True, "a swap reloaded the page"
    errors = [e for e in visitor.console_errors if FORM_ERRORS not in e]
    assert errors == [], "\n".join(errors)


def test_comment_swaps_log_no_console_error(db, visitor):
    """Open a thread, post a comment (refused, then posted), reply, edit: each swapped in place."""
    scene = Scene(db)
    page = visitor.page(js=True)
    visitor.log_in(page, "ngo@example.pl")
    open_thread_in_place(scene, page)
    thread = page.locator(f"#paragraph-{scene.paragraph.key}-thread")
    thread.get_by_role("button", name="Post the comment").click()  # empty: the form comes back with its errors
    expect(thread.locator(".error-summary")).to_be_visible()
    thread.get_by_label("Proposed wording or the content of the comment").fill("Nasza uwaga.")
    thread.get_by_role("button", name="Post the comment").click()
    expect(thread.locator(f"#thread-{scene.paragraph.key}-status")).to_have_text("Your comment is posted.")
    page.locator(f"#comment-{scene.comment.id} .comment-actions").get_by_role("link", name="Reply").click()
    page.get_by_label("Your reply").fill("Odpowiadamy.")
    page.get_by_role("button", name="Post the reply").click()
    replies = page.locator(f"#comment-{scene.comment.id}-replies")
    expect(replies.get_by_role("status")).to_have_text("Your reply is posted.")
    mine = replies.locator("article.comment").first
    mine.get_by_role("link", name="Edit").click()
    editor = page.locator("form.comment-form").filter(has=page.get_by_label("Your comment"))
    editor.get_by_label("Your comment").fill("Odpowiadamy, poprawione.")
    editor.get_by_role("button", name="Save the changes").click()
    expect(replies.locator(".prose").first).to_have_text("Odpowiadamy, poprawione.")
    assert_clean(visitor, page)


def test_vote_and_cosign_swaps_log_no_console_error(db, visitor):
    scene = Scene(db)
    page = visitor.page(js=True)
    visitor.log_in(page, "ngo@example.pl")
    page.goto(f"{scene.url}/proposals/{scene.proposal.id}")
    page.evaluate("window.sameDocument = true")
    region = page.locator(f"#proposal-{scene.proposal.id}-vote")
    region.get_by_label("For", exact=True).check()
    region.get_by_role("button", name="Cast the vote").click()
    expect(page.locator(f"#proposal-{scene.proposal.id}-tally .tally-for strong")).to_have_text("1")
    region.get_by_label("Against", exact=True).check()  # changing the vote swaps again
    region.get_by_role("button", name="Cast the vote").click()
    expect(page.locator(f"#proposal-{scene.proposal.id}-tally .tally-against strong")).to_have_text("1")
    assert_clean(visitor, page)
    open_thread_in_place(scene, page)
    page.evaluate("window.sameDocument = true")
    page.locator(f"#comment-{scene.comment.id}").get_by_role("button", name="Co-sign").first.click()
    expect(page.locator(f"#comment-{scene.comment.id}").get_by_role("status")).to_be_visible()
    assert_clean(visitor, page)


def test_answer_swap_logs_no_console_error(db, visitor):
    scene = Scene(db)
    scene.consultation.opens_at = utcnow() - timedelta(days=30)
    scene.consultation.closes_at = utcnow() - timedelta(days=1)
    db.add(scene.consultation)
    db.commit()
    page = visitor.page(js=True)
    visitor.log_in(page, "urzednik@example.pl")
    page.goto(f"{scene.url}/review")
    page.evaluate("window.sameDocument = true")
    form = page.locator("form.answer-form").first
    form.locator("input[name=position][value=accepted]").check()
    form.get_by_role("button", name="Save the answer").click()
    expect(page.locator(".answer-region .position").first).to_be_visible()
    assert_clean(visitor, page)


def test_more_comments_swap_logs_no_console_error(db, visitor):
    scene = Scene(db)
    for _ in range(20):  # with the club's, one more than a page of comments (each by its own organisation)
        make_comment(db, scene.consultation, paragraph=scene.paragraph)
    page = visitor.page(js=True)
    open_thread_in_place(scene, page)
    thread = page.locator(f"#paragraph-{scene.paragraph.key}-thread")
    thread.get_by_role("link", name="More comments").click()
    expect(thread.get_by_role("link", name="Earlier comments")).to_be_visible()
    assert thread.locator("h5, h4").first.evaluate("e => e.tagName") in ("H4", "H5")  # the level kept after paging
    assert_clean(visitor, page)
