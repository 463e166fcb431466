"""Proposals and votes in Chromium, in Polish: an NGO member submits a proposal and votes for the association, with
JavaScript (the tally changes in place, no reload) and without (plain pages, 303 back); axe-core on the pages.

With JavaScript, `window.sameDocument` is set before an action: if it is still there after it, the page was not
reloaded. Pages a reader without JavaScript gets after a refused form are reached by submitting the form natively.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from sqlmodel import Session

from consult.comments.actions import CommentInput, submit_comment
from consult.consultations.actions import gate_for
from consult.models import Membership, Organisation
from consult.proposals.threads import thread_of
from consult.proposals.votes import cast_vote
from tests.factories import (
    add_member,
    make_consultation,
    make_official,
    make_organisation,
    make_proposal,
    make_user,
    principal,
)

JS = pytest.mark.parametrize("js", [True, False], ids=["js", "no-js"])
TITLE = "Zajęcia ruchowe dla seniorów w sołectwach"


class Scene:
    """Gmina Wierzbno consults its programme. ngo@example.pl (Maria Zielińska) is a member of Stowarzyszenie
    Przyjaciół Wierzbna whom its admin designated to vote; Klub Sportowy Orzeł (klub@example.pl, its admin) has
    already proposed something, which the fire brigade voted for."""

    def __init__(self, db: Session) -> None:
        municipality = make_organisation(db, kind="municipality", name="Gmina Wierzbno", verified=True)
        self.official, _ = make_official(db, municipality, email="urzednik@example.pl")
        self.consultation = make_consultation(db, official=self.official, municipality=municipality)
        self.member = make_user(db, email="ngo@example.pl", display_name="Maria Zielińska")
        self.association = make_organisation(db, verified=True, name="Stowarzyszenie Przyjaciół Wierzbna")
        membership = add_member(db, self.association, self.member)
        membership.votes = True
        db.add(membership)
        db.commit()
        self.club_admin = make_user(db, email="klub@example.pl", display_name="Piotr Lis")
        self.club = make_organisation(db, admin=self.club_admin, verified=True, name="Klub Sportowy Orzeł")
        self.club_proposal = make_proposal(
            db, self.consultation, author=self.club_admin, organisation=self.club, title="Boisko przy szkole"
        )
        osp_admin = make_user(db, display_name="Marek Kowalczyk")
        osp = make_organisation(db, admin=osp_admin, verified=True, name="OSP w Wierzbnie")
        cast_vote(db, principal(db, osp_admin), self.club_proposal, osp.id, "for")

    @property
    def url(self) -> str:
        return f"/consultations/{self.consultation.slug}"


def comment_on(db: Session, scene: Scene, proposal, body: str) -> None:
    """A comment in the proposal's discussion, by a new verified organisation."""
    author = make_user(db)
    organisation = make_organisation(db, admin=author, verified=True)
    gate = gate_for(scene.consultation, db.get(Organisation, scene.consultation.organisation_id))
    data = CommentInput(body=body, organisation_id=organisation.id)
    submit_comment(db, principal(db, author), thread_of(db, proposal).id, gate, data)


def mark_document(page, js: bool) -> None:
    if js:
        page.evaluate("window.sameDocument = true")


def assert_same_document(page, js: bool) -> None:
    if js:
        assert page.evaluate("window.sameDocument") is True, "the page was reloaded"


def banner(page):
    return page.locator("main > .banner[role=status]")


@JS
def test_ngo_member_submits_a_proposal_and_votes_for_the_association(visitor, db, js):
    scene = Scene(db)
    page = visitor.page(js=js, lang="pl")
    visitor.log_in(page, "ngo@example.pl")
    page.goto(scene.url)
    summary = page.locator("section.proposals-summary")
    expect(summary).to_contain_text("1 propozycja")
    summary.get_by_role("link", name="Zgłoś propozycję").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Zgłoś propozycję")
    expect(page.get_by_label("W imieniu")).to_have_value(str(scene.association.id))
    page.get_by_label("Tytuł").fill(TITLE)
    page.get_by_label("Treść propozycji").fill("Proponujemy **zajęcia ruchowe** w każdej świetlicy.")
    page.get_by_label("Część dokumentu (opcjonalnie)").select_option(label="§ 6 ust. 1 pkt 3")
    page.get_by_label("Kategoria (opcjonalnie)").fill("działalność na rzecz osób w wieku emerytalnym")
    page.get_by_role("button", name="Zgłoś propozycję").click()

    expect(banner(page)).to_contain_text("Twoja propozycja została zgłoszona.")
    expect(page.get_by_role("heading", level=1)).to_have_text(TITLE)
    expect(page.locator("article.proposal-detail .prose strong")).to_have_text("zajęcia ruchowe")
    part = page.locator(".summary-list div").filter(has_text="Część dokumentu").get_by_role("link")
    expect(part).to_have_text("§ 6 ust. 1 pkt 3")
    proposal_id = re.search(r"/proposals/(\d+)$", page.url).group(1)
    tally = page.locator(f"#proposal-{proposal_id}-tally")
    expect(tally).to_have_text(re.compile(r"Za: 0\s+Przeciw: 0\s+Wstrzymujące się: 0"))

    votes = page.get_by_role("region", name="Głosy organizacji")
    mark_document(page, js)
    votes.get_by_label("Za", exact=True).check()
    votes.get_by_role("button", name="Oddaj głos").click()
    saved = "Głos organizacji Stowarzyszenie Przyjaciół Wierzbna został zapisany: za."
    if js:
        expect(votes.get_by_role("status")).to_have_text(saved)
    else:
        expect(page).to_have_url(re.compile(rf"/proposals/{proposal_id}#proposal-{proposal_id}-vote$"))
        expect(banner(page)).to_contain_text(saved)
    expect(tally).to_have_text(re.compile(r"Za: 1\s+Przeciw: 0\s+Wstrzymujące się: 0"))
    expect(votes.locator(".our-votes")).to_contain_text("Głos organizacji Stowarzyszenie Przyjaciół Wierzbna: za")
    assert_same_document(page, js)

    votes.get_by_label("Przeciw").check()
    votes.get_by_role("button", name="Oddaj głos").click()
    expect(tally).to_have_text(re.compile(r"Za: 0\s+Przeciw: 1\s+Wstrzymujące się: 0"))
    expect(votes.get_by_label("Przeciw")).to_be_checked()
    assert_same_document(page, js)

    page.get_by_role("navigation", name="Jesteś tutaj").get_by_role("link", name="Propozycje").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Propozycje")
    cards = page.locator("li.proposal")
    expect(cards).to_have_count(2)
    expect(cards.first).to_contain_text("Boisko przy szkole")  # one vote for: more support than ours
    ours = cards.filter(has_text=TITLE)
    expect(ours.locator(".tally")).to_have_text(re.compile(r"Za: 0\s+Przeciw: 1"))
    page.get_by_role("link", name="Najnowsze").click()
    expect(cards.first).to_contain_text(TITLE)
    assert visitor.console_errors == [], "\n".join(visitor.console_errors)


@JS
def test_vote_without_a_choice_comes_back_with_the_error(visitor, db, js):
    scene = Scene(db)
    page = visitor.page(js=js, lang="pl")
    visitor.log_in(page, "ngo@example.pl")
    page.goto(f"{scene.url}/proposals/{scene.club_proposal.id}")
    votes = page.get_by_role("region", name="Głosy organizacji")
    mark_document(page, js)
    votes.get_by_role("button", name="Oddaj głos").click()

    summary = votes.locator(".error-summary")
    expect(summary).to_contain_text("Wybierz: za, przeciw albo wstrzymuję się od głosu.")
    expect(page.locator(f"#proposal-{scene.club_proposal.id}-tally")).to_have_text(re.compile(r"Za: 1\s+Przeciw: 0"))
    assert_same_document(page, js)
    summary.get_by_role("link").click()
    expect(page.locator(f"#field-vote-{scene.club_proposal.id}-choice")).to_be_in_viewport()


def test_proposal_pages_have_no_accessibility_violations(visitor, db, assert_accessible):
    scene = Scene(db)
    proposal = scene.club_proposal
    comment_on(db, scene, proposal, "Dyskusja o boisku.")  # a thread with a comment below the votes
    reader = visitor.page(lang="pl")
    reader.goto(f"{scene.url}/proposals")
    expect(reader.locator("li.proposal")).to_have_count(1)
    assert_accessible(reader)
    reader.goto(f"{scene.url}/proposals/{proposal.id}")
    assert_accessible(reader)

    member = visitor.page(lang="pl")
    visitor.log_in(member, "ngo@example.pl")
    member.goto(f"{scene.url}/proposals/{proposal.id}")
    votes = member.get_by_role("region", name="Głosy organizacji")
    assert_accessible(member)
    votes.get_by_label("Wstrzymuję się od głosu").check()
    votes.get_by_role("button", name="Oddaj głos").click()
    expect(votes.get_by_role("status")).to_contain_text("wstrzymanie się od głosu")
    assert_accessible(member)  # after the htmx swap
    votes.get_by_role("button", name="Oddaj głos").evaluate("b => b.form.submit()")  # no JS path: 303, banner
    expect(banner(member)).to_be_visible()
    assert_accessible(member)

    member.goto(f"{scene.url}/proposals/new")
    assert_accessible(member)
    member.get_by_role("button", name="Zgłoś propozycję").evaluate("b => b.form.submit()")  # empty: 422 page
    expect(member.locator(".error-summary")).to_be_visible()
    assert_accessible(member)

    official = visitor.page(lang="pl")
    visitor.log_in(official, "urzednik@example.pl")
    official.goto(f"{scene.url}/proposals/enter")
    assert_accessible(official)


def test_designating_a_voter_on_the_members_page_is_accessible(visitor, db, assert_accessible):
    scene = Scene(db)
    other = make_user(db, email="czlonek@example.pl", display_name="Jan Członek")
    membership = add_member(db, scene.club, other)
    page = visitor.page(lang="pl")
    visitor.log_in(page, "klub@example.pl")
    page.goto(f"/organisations/{scene.club.slug}/members")
    row = page.locator("tr").filter(has_text="Jan Członek")
    expect(row).to_contain_text("Nie")
    assert_accessible(page)
    row.get_by_role("button", name=re.compile("^Wyznacz do głosowania")).click()
    expect(banner(page)).to_contain_text("Ta osoba może teraz głosować nad propozycjami w imieniu organizacji.")
    expect(page.locator("tr").filter(has_text="Jan Członek")).to_contain_text("Tak")
    db.expire_all()
    assert db.get(Membership, membership.id).votes is True
