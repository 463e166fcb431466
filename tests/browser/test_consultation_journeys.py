"""Journeys through a consultation in Chromium, each with JavaScript on (htmx swaps in place) and off (plain pages).

The pages are in English (the visitor's consult_lang cookie) so fields are found by their labels while the Polish
catalogue is being filled. With JavaScript, `window.sameDocument` is set on arrival: if it is still there after an
action, the page was not reloaded.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect
from sqlmodel import Session

from consult.i18n import current_locale, format_when
from tests.factories import (
    PROGRAMME_MD,
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
SECTIONS = 12  # in the fixture programme, § 1 to § 12


class Programme:
    """Gmina Wierzbno consults the fixture programme; Klub Sportowy Orzeł has commented on § 6 ust. 1.

    ngo@example.pl (Maria Zielińska) is a member of Stowarzyszenie Przyjaciół Wierzbna, a verified association;
    urzednik@example.pl is an official of the municipality.
    """

    def __init__(self, db: Session, **consultation) -> None:
        self.municipality = make_organisation(db, kind="municipality", name="Gmina Wierzbno", verified=True)
        self.official, _ = make_official(db, self.municipality, email="urzednik@example.pl")
        self.consultation = make_consultation(
            db, official=self.official, municipality=self.municipality, **consultation
        )
        self.paragraph = paragraph_by_label(db, self.consultation, LABEL)
        member = make_user(db, email="ngo@example.pl", display_name="Maria Zielińska")
        self.association = make_organisation(db, verified=True, name="Stowarzyszenie Przyjaciół Wierzbna")
        add_member(db, self.association, member)
        self.club_admin = make_user(db, email="klub@example.pl", display_name="Piotr Lis")
        self.club = make_organisation(db, admin=self.club_admin, verified=True, name="Klub Sportowy Orzeł")
        self.club_comment = None

    def with_club_comment(self, db: Session) -> Programme:
        self.club_comment = make_comment(
            db,
            self.consultation,
            organisation=self.club,
            author=self.club_admin,
            paragraph=self.paragraph,
            body="Prosimy o dopisanie sportu seniorów.",
        )
        return self


def in_english(value: datetime) -> str:
    """A date as the English page writes it."""
    token = current_locale.set("en")
    try:
        return format_when(value)
    finally:
        current_locale.reset(token)


def paragraph_on_page(page, label: str = LABEL):
    """The paragraph whose label is exactly `label`, as the reader sees it in the document."""
    exact = re.compile(rf"^{re.escape(label)}$")
    return page.locator("article.document div.paragraph").filter(has=page.locator("span.label", has_text=exact))


def comments_link(paragraph):
    return paragraph.locator(".paragraph-actions").get_by_role(
        "link", name=re.compile(r"^(Comments \(\d+\)|Comment on this)$")
    )


def banner(page):
    """The notification banner at the top of the page after an action (threads have status regions of their own)."""
    return page.locator("main > .banner[role=status]")


def mark_document(page, js: bool) -> None:
    if js:
        page.evaluate("window.sameDocument = true")


def assert_same_document(page, js: bool) -> None:
    if js:
        assert page.evaluate("window.sameDocument") is True, "the page was reloaded"


def open_paragraph_comments(page, js: bool, programme: Programme):
    """Open § 6 ust. 1's comments from the document: in place with JavaScript, on their own page without."""
    paragraph = paragraph_on_page(page)
    mark_document(page, js)
    comments_link(paragraph).click()
    if js:
        thread = paragraph.locator(f"#thread-{programme.paragraph.key}")
        expect(thread.get_by_role("heading", name=re.compile(f"^Comments on {re.escape(LABEL)}"))).to_be_visible()
        expect(page).to_have_url(re.compile(rf"/consultations/{programme.consultation.slug}$"))
        assert_same_document(page, js)
        return thread
    expect(page).to_have_url(re.compile(rf"/paragraphs/{programme.paragraph.key}$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Comments on {LABEL}")
    expect(page.locator("blockquote.paragraph-quote")).to_contain_text(programme.paragraph.text)
    return page.locator(f"#thread-{programme.paragraph.key}")


def article_by(scope, organisation: str):
    """The comment (its article) signed by an organisation."""
    return scope.locator("article.comment").filter(
        has=scope.page.locator("header strong", has_text=re.compile(f"^{re.escape(organisation)}$"))
    )


@JS
def test_resident_reads_the_consultation_and_the_comments_on_a_paragraph(visitor, db, js):
    programme = Programme(db).with_club_comment(db)
    consultation = programme.consultation
    page = visitor.page(js=js)
    page.goto("/")
    page.get_by_role("navigation", name="Main menu").get_by_role("link", name="Consultations").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Consultations")
    card = page.locator("#consultation-results .card")
    expect(card).to_have_count(1)
    expect(card).to_contain_text("Open for comments")
    expect(card).to_contain_text("Gmina Wierzbno")
    card.get_by_role("link", name=consultation.title).click()

    expect(page.get_by_role("heading", level=1)).to_have_text(consultation.title)
    expect(page.locator(".lead")).to_have_text(consultation.summary)
    expect(page.locator(".status-line")).to_contain_text(f"Comments until {in_english(consultation.closes_at)}")
    expect(page.locator(".status-line .countdown")).to_contain_text("left")
    period = page.locator(".summary-list div").filter(has_text="Consultation period").locator("dd")
    expect(period).to_have_text(f"{in_english(consultation.opens_at)} – {in_english(consultation.closes_at)}")

    toc = page.get_by_role("navigation", name="Contents")
    sections = toc.locator('a[href^="#section-"]')
    expect(sections).to_have_count(SECTIONS)
    expect(sections.first).to_have_text("§ 1. Postanowienia ogólne")
    expect(sections.last).to_contain_text("§ 12.")
    expect(page.locator("article.document section.doc-section")).to_have_count(SECTIONS)
    pkt4 = paragraph_on_page(page, "§ 6 ust. 1 pkt 4")
    expect(pkt4).to_contain_text("działalności na rzecz osób z niepełnosprawnością")
    expect(comments_link(paragraph_on_page(page))).to_have_text("Comments (1)")

    thread = open_paragraph_comments(page, js, programme)
    club = article_by(thread, "Klub Sportowy Orzeł")
    expect(club).to_contain_text("Prosimy o dopisanie sportu seniorów.")
    expect(thread.get_by_role("link", name="Log in to comment")).to_be_visible()
    expect(thread.locator("form.comment-form")).to_have_count(0)
    assert visitor.console_errors == [], "\n".join(visitor.console_errors)


@JS
def test_ngo_member_comments_on_a_paragraph_replies_and_edits(visitor, db, js):
    programme = Programme(db).with_club_comment(db)
    key = programme.paragraph.key
    page = visitor.page(js=js)
    visitor.log_in(page, "ngo@example.pl")
    page.goto(f"/consultations/{programme.consultation.slug}")
    thread = open_paragraph_comments(page, js, programme)

    expect(thread.get_by_label("On behalf of")).to_have_value(str(programme.association.id))
    expect(thread.get_by_label("Current wording (optional)")).to_have_value(programme.paragraph.text)
    thread.get_by_label("Proposed wording or the content of the comment").fill(
        "Proponujemy dopisać **sport seniorów**."
    )
    thread.get_by_label("Justification (optional)").fill("Seniorzy to co piąty mieszkaniec gminy.")
    thread.get_by_role("button", name="Post the comment").click()

    ours = article_by(thread, "Stowarzyszenie Przyjaciół Wierzbna")
    expect(ours).to_have_count(1)
    expect(ours.locator(".prose strong")).to_have_text("sport seniorów")
    expect(ours.locator("dl.wording dt")).to_have_text(["Current wording"])
    expect(ours.locator(".justification")).to_have_text("Justification: Seniorzy to co piąty mieszkaniec gminy.")
    comment_id = ours.get_attribute("id")
    if js:
        expect(comments_link(paragraph_on_page(page))).to_have_text("Comments (2)")
        expect(page.locator(f"#thread-{key}-count")).to_have_text("2")
        expect(thread.get_by_label("Proposed wording or the content of the comment")).to_have_value(
            ""
        )  # a fresh form for the next comment
        assert_same_document(page, js)
    else:
        expect(page).to_have_url(re.compile(rf"/paragraphs/{key}\?page=1#{comment_id}$"))
        expect(banner(page)).to_contain_text("Your comment is posted.")

    club = article_by(thread, "Klub Sportowy Orzeł")
    club.get_by_role("link", name="Reply").click()
    if not js:
        expect(page.get_by_role("heading", level=1)).to_have_text("Reply to Klub Sportowy Orzeł")
    page.get_by_label("Your reply").fill("Zgadzamy się z klubem.")
    page.get_by_role("button", name="Post the reply").click()
    if not js:
        expect(page).to_have_url(re.compile(rf"/paragraphs/{key}\?page=1#comment-\d+$"))
        expect(banner(page)).to_contain_text("Your reply is posted.")
        thread = page.locator(f"#thread-{key}")
    replies = page.locator(f"#comment-{programme.club_comment.id}-replies")
    expect(article_by(replies, "Stowarzyszenie Przyjaciół Wierzbna")).to_contain_text("Zgadzamy się z klubem.")
    assert_same_document(page, js)

    ours = thread.locator(f"#{comment_id}")
    ours.get_by_role("link", name="Edit").click()
    if not js:
        expect(page.get_by_role("heading", level=1)).to_have_text("Edit your comment")
    body = page.locator(f"form#{comment_id}").get_by_label(
        "Proposed wording or the content of the comment"
    )  # the form takes the comment's place
    expect(body).to_have_value("Proponujemy dopisać **sport seniorów**.")
    body.fill("Proponujemy dopisać sport seniorów i turystykę.")
    page.get_by_role("button", name="Save the changes").click()
    if js:
        expect(ours.get_by_role("status")).to_have_text("Your changes are saved.")
        assert_same_document(page, js)
    else:
        expect(page).to_have_url(re.compile(rf"/paragraphs/{key}\?page=1#{comment_id}$"))
        expect(banner(page)).to_contain_text("Your changes are saved.")
        ours = page.locator(f"#{comment_id}")
    expect(ours.locator(".prose")).to_have_text("Proponujemy dopisać sport seniorów i turystykę.")

    ours.get_by_role("link", name="edited").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("History of the comment")
    earlier = page.locator("section.revision")
    expect(earlier).to_have_count(1)
    expect(earlier.locator(".prose strong")).to_have_text("sport seniorów")
    expect(page.locator(f"#{comment_id} .prose")).to_have_text("Proponujemy dopisać sport seniorów i turystykę.")
    assert visitor.console_errors == [], "\n".join(visitor.console_errors)


@JS
def test_comment_without_text_comes_back_with_errors_and_the_typed_wording(visitor, db, js):
    programme = Programme(db)
    page = visitor.page(js=js)
    visitor.log_in(page, "ngo@example.pl")
    page.goto(f"/consultations/{programme.consultation.slug}")
    thread = open_paragraph_comments(page, js, programme)
    thread.get_by_label("Justification (optional)").fill("Seniorzy to co piąty mieszkaniec gminy.")
    thread.get_by_role("button", name="Post the comment").click()

    summary = thread.locator(".error-summary")
    expect(summary).to_be_visible()
    expect(summary.get_by_role("heading")).to_have_text("There is a problem")
    body = thread.get_by_label("Proposed wording or the content of the comment")
    expect(body).to_have_attribute("aria-invalid", "true")
    expect(body).to_have_accessible_description(re.compile("This field is required."))
    justification = thread.get_by_label("Justification (optional)")
    expect(justification).to_have_value("Seniorzy to co piąty mieszkaniec gminy.")
    expect(thread.get_by_label("Current wording (optional)")).to_have_value(programme.paragraph.text)
    if js:
        assert_same_document(page, js)
    else:  # no redirect: the answer to the post, at the form
        expect(page).to_have_url(re.compile(r"/consultations/[^/]+/comments#thread-[^/]+-form$"))
    assert page.locator("article.comment").count() == 0, "nothing was posted"
    summary.get_by_role("link", name="This field is required.").click()
    expect(body).to_be_focused()


@JS
def test_closed_consultation_says_so_and_offers_no_comment_form(visitor, db, js):
    programme = Programme(db, opens_in=timedelta(days=-30), lasts=timedelta(days=14))
    closes_at = programme.consultation.closes_at
    page = visitor.page(js=js)
    visitor.log_in(page, "ngo@example.pl")  # an eligible member: the form is withheld because of the date alone
    page.goto(f"/consultations/{programme.consultation.slug}")
    expect(page.locator(".status-line")).to_contain_text("Closed")
    expect(page.locator(".status-line")).to_contain_text(f"Closed {in_english(closes_at)}")
    closed = "This consultation is closed. Comments can no longer be posted or changed."
    expect(page.locator(".general-discussion")).to_contain_text(closed)
    expect(page.locator("form.comment-form")).to_have_count(0)

    thread = open_paragraph_comments(page, js, programme)
    expect(thread).to_contain_text(closed)
    expect(thread.locator("form.comment-form")).to_have_count(0)
    expect(page.get_by_role("button", name="Post the comment")).to_have_count(0)


def _warsaw_local(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M")


@JS
def test_official_creates_previews_and_publishes_a_consultation(visitor, db, js):
    municipality = make_organisation(db, kind="municipality", name="Gmina Wierzbno", verified=True)
    make_official(db, municipality, email="urzednik@example.pl")
    opens = datetime.now(ZoneInfo("Europe/Warsaw")).replace(hour=0, minute=0, second=0, microsecond=0)
    closes = opens + timedelta(days=21)
    title = "Program współpracy z organizacjami na rok 2027"
    page = visitor.page(js=js)
    visitor.log_in(page, "urzednik@example.pl")
    page.goto("/consultations")
    page.locator("main").get_by_role("link", name="New consultation").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("New consultation")
    expect(page.get_by_label("Municipality", exact=True)).to_have_value(str(municipality.id))
    page.get_by_label("Title", exact=True).fill(title)
    page.get_by_label("Summary in plain language").fill("Jak gmina będzie współpracować z organizacjami w 2027 roku.")
    page.get_by_label("Responsible unit").fill("Referat Promocji i Współpracy")
    page.get_by_label("Contact person").fill("Katarzyna Nowak, tel. 12 345 67 89")
    page.get_by_label("Who may take part").select_option(label="Verified organisations")
    page.fill("#field-opens_at", _warsaw_local(opens))
    page.fill("#field-closes_at", _warsaw_local(closes))
    page.get_by_text("…or paste the text").click()  # the Word file comes first; the text field opens on request
    page.get_by_label("Document text").fill(PROGRAMME_MD.read_text(encoding="utf-8"))
    page.get_by_role("button", name="Save the draft and preview").click()

    expect(banner(page)).to_contain_text("The draft is saved.")
    expect(page.get_by_role("heading", level=1)).to_have_text(title)
    draft = page.get_by_role("region", name="Preview of a draft")
    expect(draft).to_be_visible()
    expect(page.get_by_role("navigation", name="Contents").locator('a[href^="#section-"]')).to_have_count(SECTIONS)
    expect(paragraph_on_page(page, "§ 6 ust. 1 pkt 4")).to_contain_text("osób z niepełnosprawnością")
    period = page.locator(".summary-list div").filter(has_text="Consultation period").locator("dd")
    expect(period).to_have_text(f"{in_english(opens)} – {in_english(closes)}")

    other = visitor.page(js=js)  # a resident does not see the draft yet
    other.goto("/consultations")
    expect(other.locator("#consultation-results .card")).to_have_count(0)

    draft.get_by_role("link", name="Check and publish").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check before you publish")
    page.get_by_role("button", name="Publish the consultation").click()
    expect(banner(page)).to_contain_text("The consultation is published.")
    expect(page.get_by_role("region", name="Preview of a draft")).to_have_count(0)

    other.goto("/consultations")
    card = other.locator("#consultation-results .card")
    expect(card).to_have_count(1)
    expect(card.get_by_role("link", name=title)).to_be_visible()
    expect(card).to_contain_text("Open for comments")
    assert visitor.console_errors == [], "\n".join(visitor.console_errors)


@JS
def test_ngo_member_replies_on_the_page_of_all_replies(visitor, db, js):
    programme = Programme(db).with_club_comment(db)
    root = programme.club_comment
    answers = [make_comment(db, programme.consultation, parent=root, body=f"Odpowiedź {n}.") for n in range(1, 10)]
    page = visitor.page(js=js)
    visitor.log_in(page, "ngo@example.pl")
    page.goto(f"/consultations/{programme.consultation.slug}")
    thread = open_paragraph_comments(page, js, programme)
    expect(thread.locator(f"#comment-{root.id}-replies > li")).to_have_count(8)  # the first eight, then a link
    thread.get_by_role("link", name="Show all 9 replies").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Replies to Klub Sportowy Orzeł")
    expect(page.locator("ol.comments.flat > li")).to_have_count(9)
    mark_document(page, js)

    page.locator(f"#comment-{root.id}").get_by_role("link", name="Reply").click()
    page.get_by_label("Your reply").fill("Odpowiadamy klubowi.")
    page.get_by_role("button", name="Post the reply").click()
    if js:
        ours = page.locator(f"#comment-{root.id}-replies")
        expect(ours).to_contain_text("Odpowiadamy klubowi.")
        expect(ours.get_by_role("status")).to_have_text("Your reply is posted.")
    else:
        expect(page).to_have_url(re.compile(rf"/comments/{root.id}/replies\?page=1#comment-\d+$"))
        expect(banner(page)).to_contain_text("Your reply is posted.")
        expect(page.locator("ol.comments.flat > li").last).to_contain_text("Odpowiadamy klubowi.")

    last = answers[-1]
    page.locator(f"#comment-{last.id}").get_by_role("link", name="Reply").click()
    page.get_by_label("Your reply").fill("I jeszcze do ostatniej odpowiedzi.")
    page.get_by_role("button", name="Post the reply").click()
    if js:
        expect(page.locator(f"#comment-{last.id}-replies")).to_contain_text("I jeszcze do ostatniej odpowiedzi.")
        assert_same_document(page, js)
    else:
        expect(banner(page)).to_contain_text("Your reply is posted.")
        expect(page.locator("ol.comments.flat > li").last).to_contain_text("I jeszcze do ostatniej odpowiedzi.")
        expect(page.locator("ol.comments.flat > li").last.locator(".in-reply-to")).to_be_visible()
    assert visitor.console_errors == [], "\n".join(visitor.console_errors)
