"""axe-core (WCAG 2.1 A and AA) on the consultation and comment pages, in Polish and English, and after htmx swaps.

axe needs JavaScript, so the pages a reader without JavaScript gets after posting a form (a 422 page with errors)
are reached here by submitting the form natively (form.submit() fires no submit event, so htmx stays out of it).
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import expect
from sqlmodel import Session

from consult.comments.actions import CommentInput, ModerationInput, edit_comment, hide_comment, withdraw_comment
from consult.consultations.actions import gate_for
from tests.factories import (
    add_member,
    make_comment,
    make_consultation,
    make_official,
    make_organisation,
    make_user,
    paragraph_by_label,
    principal,
)

LANGS = pytest.mark.parametrize("lang", ["pl", "en"])
LABEL = "§ 6 ust. 1"


class Scene:
    """A consultation open for comments in Gmina Wierzbno, with threads on § 6 ust. 1 and on the whole document.

    Each thread: a root comment with the official form's fields, a reply from another organisation, a reply to the
    reply, a withdrawn comment and one hidden by the official with a public reason (three organisations, so nobody
    reaches the rate limit of 5 comments a minute). The NGO member
    (ngo@example.pl, of a verified association) wrote the reply and the withdrawn comment, and edited the reply.
    """

    def __init__(self, db: Session, **consultation) -> None:
        municipality = make_organisation(db, kind="municipality", name="Gmina Wierzbno", verified=True)
        self.official, _ = make_official(db, municipality, email="urzednik@example.pl")
        self.consultation = make_consultation(db, official=self.official, municipality=municipality, **consultation)
        self.paragraph = paragraph_by_label(db, self.consultation, LABEL)
        self.member = make_user(db, email="ngo@example.pl", display_name="Maria Zielińska")
        self.association = make_organisation(db, verified=True, name="Stowarzyszenie Przyjaciół Wierzbna")
        add_member(db, self.association, self.member)
        self.other = make_user(db, email="klub@example.pl", display_name="Piotr Lis")
        self.club = make_organisation(db, admin=self.other, verified=True, name="Klub Sportowy Orzeł")
        self.third = make_user(db, email="kgw@example.pl", display_name="Helena Wójcik")
        self.kgw = make_organisation(db, admin=self.third, verified=True, name="Koło Gospodyń Wiejskich w Lipnie")
        self.gate = gate_for(self.consultation, municipality)
        self.roots = {}
        self.replies = {}
        if self.consultation.published_at is not None and self.gate.open:
            for where in (self.paragraph, None):
                self._thread(db, where)

    def _thread(self, db: Session, paragraph) -> None:
        def comment(author, organisation, body, **fields):
            return make_comment(
                db,
                self.consultation,
                author=author,
                organisation=organisation,
                paragraph=paragraph,
                body=body,
                **fields,
            )

        root = comment(
            self.other,
            self.club,
            "Proponujemy dopisać **sport osób starszych**.",
            current_wording=paragraph.text if paragraph else "",
            proposed_wording="Za priorytetowe uznaje się także zadania z zakresu sportu seniorów.",
            justification="Seniorzy to co piąty mieszkaniec gminy.",
        )
        reply = comment(self.member, self.association, "Popieramy.", parent=root)
        edit_comment(
            db,
            principal(db, self.member),
            reply,
            self.gate,
            CommentInput(body="Popieramy, z zastrzeżeniem budżetu.", organisation_id=self.association.id),
        )
        comment(self.other, self.club, "Dziękujemy za poparcie.", parent=reply)
        withdrawn = comment(self.member, self.association, "Pomyłka, proszę pominąć.")
        withdraw_comment(db, principal(db, self.member), withdrawn, self.gate)
        hidden = comment(self.third, self.kgw, "Treść naruszająca regulamin.")
        hide_comment(db, principal(db, self.official), hidden, self.gate, ModerationInput(reason="Obraźliwy język."))
        key = paragraph.key if paragraph else ""
        self.roots[key], self.replies[key] = root, reply

    @property
    def url(self) -> str:
        return f"/consultations/{self.consultation.slug}"

    @property
    def paragraph_url(self) -> str:
        return f"{self.url}/paragraphs/{self.paragraph.key}"


def submit_natively(page, form) -> None:
    """Post a form the way a browser without JavaScript does, and wait for the page it answers with."""
    with page.expect_navigation():
        form.evaluate("f => f.submit()")


def consultation_list(db, visitor, page):
    Scene(db)
    municipality = make_organisation(db, kind="municipality", name="Gmina Lipno", verified=True)
    make_consultation(
        db, municipality=municipality, opens_in=timedelta(days=7), title="Regulamin budżetu obywatelskiego"
    )
    make_consultation(db, municipality=municipality, opens_in=timedelta(days=-40), lasts=timedelta(days=21))
    page.goto("/consultations")
    expect(page.locator("#consultation-results .card")).to_have_count(3)


def consultation_anonymous(db, visitor, page):
    scene = Scene(db)
    page.goto(scene.url)
    expect(page.locator("#thread-general .comment-withdrawn")).to_have_count(1)
    expect(page.locator("#thread-general .comment-hidden")).to_have_count(1)


def consultation_as_ngo_member(db, visitor, page):
    scene = Scene(db)
    visitor.log_in(page, "ngo@example.pl")
    page.goto(scene.url)
    expect(page.locator("#thread-general-form form")).to_be_visible()
    expect(page.locator("#thread-general .replies .comment")).to_have_count(2)


def consultation_closed(db, visitor, page):
    scene = Scene(db, opens_in=timedelta(days=-30), lasts=timedelta(days=14))
    visitor.log_in(page, "ngo@example.pl")
    page.goto(scene.url)
    expect(page.locator(".closed-note")).to_be_visible()


def paragraph_page_with_errors(db, visitor, page):
    scene = Scene(db)
    visitor.log_in(page, "ngo@example.pl")
    page.goto(scene.paragraph_url)
    form = page.locator("form.comment-form")
    form.locator("textarea[name=justification]").fill("Nowe uzasadnienie.")
    submit_natively(page, form)
    expect(page.locator(".error-summary")).to_be_visible()
    expect(page.locator("textarea[name=justification]")).to_have_value("Nowe uzasadnienie.")


def reply_page(db, visitor, page):
    scene = Scene(db)
    visitor.log_in(page, "ngo@example.pl")
    page.goto(f"/comments/{scene.roots[scene.paragraph.key].id}/reply")
    expect(page.locator("form.comment-form textarea[name=body]")).to_be_visible()


def reply_page_with_errors(db, visitor, page):
    scene = Scene(db)
    visitor.log_in(page, "ngo@example.pl")
    page.goto(f"/comments/{scene.roots[scene.paragraph.key].id}/reply")
    submit_natively(page, page.locator("form.comment-form"))
    expect(page.locator(".error-summary")).to_be_visible()


def edit_page(db, visitor, page):
    scene = Scene(db)
    visitor.log_in(page, "ngo@example.pl")
    page.goto(f"/comments/{scene.replies[scene.paragraph.key].id}/edit")
    expect(page.locator("form.comment-form textarea[name=body]")).to_have_value("Popieramy, z zastrzeżeniem budżetu.")


def history_page(db, visitor, page):
    scene = Scene(db)
    page.goto(f"/comments/{scene.replies[scene.paragraph.key].id}/history")
    expect(page.locator(".revision")).to_have_count(1)


def replies_page(db, visitor, page):
    scene = Scene(db)
    page.goto(f"/comments/{scene.roots[scene.paragraph.key].id}/replies")
    expect(page.locator(".comments .comment")).to_have_count(2)


def hide_page(db, visitor, page):
    scene = Scene(db)
    visitor.log_in(page, "urzednik@example.pl")
    page.goto(f"/comments/{scene.roots[scene.paragraph.key].id}/hide")
    expect(page.locator("form.comment-form input[name=reason]")).to_be_visible()


def draft_preview(db, visitor, page):
    scene = Scene(db, published=False)
    visitor.log_in(page, "urzednik@example.pl")
    page.goto(scene.url)
    expect(page.locator('.banner-warning a.button[href$="/publish"]')).to_be_visible()  # to the confirmation


def new_consultation_with_errors(db, visitor, page):
    Scene(db)
    visitor.log_in(page, "urzednik@example.pl")
    page.goto("/consultations/new")
    page.locator("#field-title").fill("Pr")
    page.locator("#field-opens_at").fill("2026-12-01T09:00")
    page.locator("#field-closes_at").fill("2026-12-05T09:00")
    page.locator("main form button[type=submit]").click()
    expect(page.locator(".error-summary li").first).to_be_visible()
    assert page.locator(".error-summary li").count() >= 3


PAGES = [
    consultation_list,
    consultation_anonymous,
    consultation_as_ngo_member,
    consultation_closed,
    paragraph_page_with_errors,
    reply_page,
    reply_page_with_errors,
    edit_page,
    history_page,
    replies_page,
    hide_page,
    draft_preview,
    new_consultation_with_errors,
]


@LANGS
@pytest.mark.parametrize("open_page", PAGES, ids=[p.__name__ for p in PAGES])
def test_consultation_page_has_no_wcag_violations(open_page, lang, db, visitor, assert_accessible):
    page = visitor.page(js=True, lang=lang)
    open_page(db, visitor, page)
    expect(page.locator("html")).to_have_attribute("lang", lang)
    assert_accessible(page)


def _open_paragraph_in_place(scene: Scene, page) -> None:
    page.goto(scene.url)
    page.evaluate("window.sameDocument = true")
    page.locator(f"#p-{scene.paragraph.key} .paragraph-actions a").click()
    expect(page.locator(f"#paragraph-{scene.paragraph.key}-thread .comment")).to_have_count(5)
    assert page.evaluate("window.sameDocument") is True


def test_paragraph_thread_opened_in_place_has_no_wcag_violations(db, visitor, assert_accessible):
    scene = Scene(db)
    page = visitor.page(js=True)
    visitor.log_in(page, "ngo@example.pl")
    _open_paragraph_in_place(scene, page)
    assert_accessible(page)


def test_comment_form_with_errors_swapped_in_place_has_no_wcag_violations(db, visitor, assert_accessible):
    scene = Scene(db)
    page = visitor.page(js=True)
    visitor.log_in(page, "ngo@example.pl")
    _open_paragraph_in_place(scene, page)
    thread = page.locator(f"#paragraph-{scene.paragraph.key}-thread")
    thread.get_by_label("Justification (optional)").fill("Nowe uzasadnienie.")
    thread.get_by_role("button", name="Post the comment").click()
    expect(thread.locator(".error-summary")).to_be_visible()
    assert page.evaluate("window.sameDocument") is True
    assert_accessible(page)


def test_reply_and_edit_forms_opened_in_place_have_no_wcag_violations(db, visitor, assert_accessible):
    scene = Scene(db)
    page = visitor.page(js=True)
    visitor.log_in(page, "ngo@example.pl")
    _open_paragraph_in_place(scene, page)
    root, reply = scene.roots[scene.paragraph.key], scene.replies[scene.paragraph.key]
    page.locator(f"#comment-{root.id} .comment-actions").get_by_role("link", name="Reply").click()
    expect(page.locator(f"#comment-{root.id}-reply-form textarea")).to_be_visible()
    page.locator(f"#comment-{reply.id} .comment-actions").get_by_role("link", name="Edit").click()
    expect(page.locator(f"form#comment-{reply.id} textarea[name=body]")).to_be_visible()
    assert page.evaluate("window.sameDocument") is True
    assert_accessible(page)


def test_thread_after_posting_a_comment_and_a_reply_in_place_has_no_wcag_violations(db, visitor, assert_accessible):
    scene = Scene(db)
    page = visitor.page(js=True)
    visitor.log_in(page, "kgw@example.pl")
    _open_paragraph_in_place(scene, page)
    thread = page.locator(f"#paragraph-{scene.paragraph.key}-thread")
    thread.get_by_label("Proposed wording or the content of the comment").fill("Jeszcze jedna uwaga.")
    thread.get_by_role("button", name="Post the comment").click()
    expect(thread.locator(f"#thread-{scene.paragraph.key}-status")).to_have_text("Your comment is posted.")
    reply = scene.replies[scene.paragraph.key]
    page.locator(f"#comment-{reply.id} .comment-actions").get_by_role("link", name="Reply").click()
    page.get_by_label("Your reply").fill("Odpowiadamy.")
    page.get_by_role("button", name="Post the reply").click()
    expect(page.locator(f"#comment-{reply.id}-replies").get_by_role("status")).to_have_text("Your reply is posted.")
    assert page.evaluate("window.sameDocument") is True
    assert_accessible(page)


DUPLICATE_IDS = """() => {
  const ids = [...document.querySelectorAll('[id]')].map(e => e.id);
  return ids.filter((id, i) => ids.indexOf(id) !== i);
}"""


def test_forms_opened_in_place_each_label_their_own_fields(db, visitor):
    """Two reply forms and an edit form open at once: every label names the field in its own form."""
    scene = Scene(db)
    page = visitor.page(js=True)
    visitor.log_in(page, "ngo@example.pl")
    _open_paragraph_in_place(scene, page)
    for root in (scene.roots[scene.paragraph.key], scene.roots[""]):
        page.locator(f"#comment-{root.id} .comment-actions").get_by_role("link", name="Reply").click()
        form = page.locator(f"#comment-{root.id}-reply-form")
        expect(form.get_by_label("Your reply")).to_be_visible()
        expect(form.get_by_label("On behalf of")).to_have_value(str(scene.association.id))
    reply = scene.replies[scene.paragraph.key]
    page.locator(f"#comment-{reply.id} .comment-actions").get_by_role("link", name="Edit").click()
    editor = page.locator(f"form#comment-{reply.id}")
    expect(editor.get_by_label("Your comment")).to_have_value("Popieramy, z zastrzeżeniem budżetu.")
    assert page.evaluate(DUPLICATE_IDS) == []


def test_table_of_contents_stays_within_a_short_window(db, visitor):
    """Beside the document the contents stay in view; in a short window they scroll on their own, all reachable."""
    scene = Scene(db)
    page = visitor.page(js=True)
    page.set_viewport_size({"width": 1280, "height": 480})
    page.goto(f"{scene.url}#section-5")
    toc = page.get_by_role("navigation", name="Contents")
    box = toc.bounding_box()
    assert box is not None and box["y"] >= 0 and box["y"] + box["height"] <= 480, box
    last = toc.get_by_role("link").last
    last.focus()
    expect(last).to_be_in_viewport()
    expect(page.locator("#section-5-title")).to_be_in_viewport()  # the reader's place in the document is kept
