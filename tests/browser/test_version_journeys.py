"""Revised versions and the council's opinion in Chromium, with JavaScript on and off; axe-core on each page family.

The pages are in English (the visitor's consult_lang cookie) so fields are found by their labels.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect
from sqlmodel import Session

from consult.consultations.versions import VersionInput, publish_version
from consult.models import Answer, AnswerLink, utcnow
from consult.opinions.actions import CouncilInput, OpinionInput, request_opinion, set_council, submit_opinion
from tests.factories import (
    PROGRAMME_MD,
    add_member,
    make_comment,
    make_consultation,
    make_official,
    make_organisation,
    make_user,
    paragraph_by_label,
    principal,
)

JS = pytest.mark.parametrize("js", [True, False], ids=["js", "no-js"])
LABEL = "§ 3 ust. 2"
OLD, NEW = "nie później niż 30 dni", "nie później niż 45 dni"


class Programme:
    """Gmina Wierzbno consults the fixture programme; Klub Sportowy Orzeł asked for a longer term in § 3 ust. 2."""

    def __init__(self, db: Session) -> None:
        self.municipality = make_organisation(db, kind="municipality", name="Gmina Wierzbno", verified=True)
        self.official, _ = make_official(db, self.municipality, email="urzednik@example.pl")
        self.consultation = make_consultation(db, official=self.official, municipality=self.municipality)
        self.paragraph = paragraph_by_label(db, self.consultation, LABEL)
        club_admin = make_user(db, email="klub@example.pl", display_name="Piotr Lis")
        self.club = make_organisation(db, admin=club_admin, verified=True, name="Klub Sportowy Orzeł")
        self.comment = make_comment(
            db, self.consultation, author=club_admin, organisation=self.club, paragraph=self.paragraph,
            body="Trzydzieści dni to za mało na przygotowanie oferty.",
        )  # fmt: skip

    def revise(self, db: Session) -> Programme:
        """The club's comment accepted, and version 2 with the longer term published."""
        answer = Answer(consultation_id=self.consultation.id, position="accepted")
        db.add(answer)
        db.flush()
        db.add(AnswerLink(answer_id=answer.id, consultation_id=self.consultation.id, contribution_kind="comment",
                          contribution_id=self.comment.id))  # fmt: skip
        db.commit()
        text = PROGRAMME_MD.read_text(encoding="utf-8").replace(OLD, NEW)
        data = VersionInput(note="Wydłużono termin informowania o konkursach do 45 dni.", document=text)
        publish_version(db, principal(db, self.official), self.consultation, data)
        return self


@JS
def test_official_publishes_a_revised_version_and_sees_the_diff(visitor, db, js, assert_accessible):
    programme = Programme(db)
    slug = programme.consultation.slug
    page = visitor.page(js=js)
    visitor.log_in(page, "urzednik@example.pl")
    page.goto(f"/consultations/{slug}")

    page.locator(".version-line").get_by_role("link", name="Publish a revised version").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Publish a revised version")
    if js:  # axe runs in the page: not without JavaScript
        assert_accessible(page)
    document = page.get_by_label("Document text (Markdown)")
    current = document.input_value()
    assert OLD in current and current.startswith("# Program współpracy")
    document.fill(current.replace(OLD, NEW))
    page.get_by_label("What changed").fill("Wydłużono termin informowania o konkursach do 45 dni.")
    page.get_by_role("button", name="Publish version 2").click()

    expect(page).to_have_url(re.compile(rf"/consultations/{slug}/diff\?from=1&to=2$"))
    expect(page.locator("main > .banner[role=status]")).to_contain_text("Version 2 is published.")
    expect(page.get_by_role("heading", level=1)).to_have_text("Changes between version 1 and version 2")
    changed = page.locator(f"#paragraph-{programme.paragraph.key}-diff")
    expect(changed.locator("del")).to_have_text("[deleted: 30]")
    expect(changed.locator("ins")).to_have_text("[added: 45]")
    expect(changed.locator(".badge")).to_have_text("changed")
    if js:  # axe runs in the page: not without JavaScript
        assert_accessible(page)
    assert visitor.console_errors == [], "\n".join(visitor.console_errors)


@JS
def test_resident_compares_versions_and_follows_a_comment_behind_a_change(visitor, db, js, assert_accessible):
    programme = Programme(db).revise(db)
    slug = programme.consultation.slug
    page = visitor.page(js=js)
    page.goto(f"/consultations/{slug}")
    expect(page.locator(".version-line")).to_contain_text("Version 2 of the document")
    expect(page.locator(f"#p-{programme.paragraph.key}")).to_contain_text(NEW)

    page.get_by_role("link", name="All versions of the document").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Versions of the document")
    expect(page.locator("#version-2-row")).to_contain_text("Wydłużono termin informowania")
    if js:  # axe runs in the page: not without JavaScript
        assert_accessible(page)
    page.get_by_label("Earlier version").select_option("1")
    page.get_by_label("Later version").select_option("2")
    page.get_by_role("button", name="Compare").click()

    expect(page).to_have_url(re.compile(rf"/consultations/{slug}/diff\?from=1&to=2$"))
    unchanged = page.locator("details.diff-unchanged").first
    expect(unchanged.locator(".diff-paragraph").first).to_be_hidden()
    unchanged.locator("summary").click()
    expect(unchanged.locator(".diff-paragraph").first).to_be_visible()
    reasons = page.locator(f"#paragraph-{programme.paragraph.key}-reasons")
    expect(reasons.locator("strong")).to_have_text("1 contribution led to this change")
    if js:  # axe runs in the page: not without JavaScript
        assert_accessible(page)
    reasons.get_by_role("link").click()

    expect(page).to_have_url(
        re.compile(rf"/paragraphs/{programme.paragraph.key}\?page=1#comment-{programme.comment.id}$")
    )
    expect(page.locator(f"#comment-{programme.comment.id}")).to_contain_text("Trzydzieści dni to za mało")
    assert visitor.console_errors == [], "\n".join(visitor.console_errors)


@JS
def test_council_member_gives_the_opinion_on_a_draft(visitor, db, js, assert_accessible):
    municipality = make_organisation(db, kind="municipality", name="Gmina Wierzbno", verified=True)
    official, _ = make_official(db, municipality, email="urzednik@example.pl")
    member = make_user(db, email="rada@example.pl", display_name="Tomasz Wiśniewski")
    council = make_organisation(db, admin=member, kind="other", name="Rada Działalności Pożytku Publicznego")
    add_member(db, council, make_user(db))
    set_council(db, principal(db, official), municipality, CouncilInput(council_id=council.id))
    draft = make_consultation(db, official=official, municipality=municipality, published=False)
    request_opinion(db, principal(db, official), draft, "http://example.invalid")
    page = visitor.page(js=js)
    visitor.log_in(page, "rada@example.pl")

    page.goto(f"/consultations/{draft.slug}")
    expect(page.locator(".banner-warning")).to_contain_text("your council was asked for its opinion")
    page.locator("section.council-opinion").get_by_role("link", name="The council's opinion page").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Opinion of the public benefit council")
    if js:  # axe runs in the page: not without JavaScript
        assert_accessible(page)
    page.get_by_label("The council's opinion", exact=True).fill("Rada opiniuje projekt **pozytywnie**.")
    page.get_by_role("button", name="Give the opinion").click()

    expect(page.locator("main > .banner[role=status]")).to_contain_text("The council's opinion is published")
    expect(page.locator(f"#consultation-{draft.id}-opinion strong")).to_have_text("pozytywnie")
    if js:  # axe runs in the page: not without JavaScript
        assert_accessible(page)
    assert visitor.console_errors == [], "\n".join(visitor.console_errors)


def test_opinion_and_council_pages_are_accessible(visitor, db, assert_accessible):
    municipality = make_organisation(db, kind="municipality", name="Gmina Wierzbno", verified=True)
    official, _ = make_official(db, municipality, email="urzednik@example.pl")
    council = make_organisation(db, kind="other", name="Rada Działalności Pożytku Publicznego")
    set_council(db, principal(db, official), municipality, CouncilInput(council_id=council.id))
    lapsed = make_consultation(db, official=official, municipality=municipality, slug="po-terminie")
    request_opinion(db, principal(db, official), lapsed, "http://example.invalid", now=utcnow() - timedelta(days=20))
    given = make_consultation(db, official=official, municipality=municipality, slug="z-opinia")
    request_opinion(db, principal(db, official), given, "http://example.invalid")
    member = make_user(db)
    add_member(db, council, member)
    submit_opinion(db, principal(db, member), given, OpinionInput(body="## Opinia\n\nRada opiniuje **pozytywnie**."))
    page = visitor.page(lang="pl")

    page.goto("/consultations/po-terminie")
    expect(page.locator("section.council-opinion")).to_contain_text("Termin na wydanie opinii minął")
    for url in ("/consultations/po-terminie/opinion", "/consultations/z-opinia/opinion"):
        page.goto(url)
        assert_accessible(page)
    visitor.log_in(page, "urzednik@example.pl")
    page.goto("/organisations/gmina-wierzbno/council")
    assert_accessible(page)
