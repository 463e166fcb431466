"""Meetings in the browser, on a 390 px phone and a 1280 px desktop, with JavaScript on and off: an NGO registers two
people for the network's quarterly meeting and picks a breakout group (a refused try first); a second NGO lands on
the waiting list and moves up when the first cancels; and the organiser's pages. axe-core finds nothing on any."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from sqlmodel import select

from consult.models import MeetingBreakout
from tests.factories import make_meeting, make_organisation, make_user, register_for

WIDTHS = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1280, "height": 900}}
CASES = pytest.mark.parametrize(
    ("js", "width"),
    [(True, "phone"), (False, "phone"), (True, "desktop"), (False, "desktop")],
    ids=["js-390", "no-js-390", "js-1280", "no-js-1280"],
)
MIN_TAP = 44


class Network:
    """The local action group hosts the network's quarterly meeting: 10 places, two breakout groups of 5."""

    def __init__(self, db, capacity: int = 10, breakouts=(("Planowanie", 5), ("Ewaluacja", 5))) -> None:
        self.host = make_user(db, email="lgd@example.pl", display_name="Ewa Gospodyni")
        self.lgd = make_organisation(db, admin=self.host, verified=True, name="Lokalna Grupa Działania")
        self.meeting = make_meeting(
            db,
            organiser=self.host,
            organisation=self.lgd,
            title="Spotkanie kwartalne sieci",
            capacity=capacity,
            breakouts=breakouts,
            agenda="- Plan na kwartał\n- Przyjęcie nowych członków",
        )
        self.kgw_admin = make_user(db, email="kgw@example.pl", display_name="Halina Zając")
        self.kgw = make_organisation(db, admin=self.kgw_admin, verified=True, name="KGW Wierzbno")

    @property
    def url(self) -> str:
        return f"/meetings/{self.meeting.slug}"

    @property
    def region(self) -> str:
        return f"#meeting-{self.meeting.id}-registration"


def open_page(visitor, js: bool, width: str):
    page = visitor.page(js=js)
    page.set_viewport_size(WIDTHS[width])
    return page


def assert_tap_target(locator) -> None:
    box = locator.bounding_box()
    assert box is not None, "not shown"
    assert box["height"] >= MIN_TAP and box["width"] >= MIN_TAP, f"{box['width']:.0f}×{box['height']:.0f} px"


def check(page, js: bool, assert_accessible) -> None:
    if js:  # axe runs in the page
        assert_accessible(page)


@CASES
def test_an_ngo_registers_two_people_and_picks_a_breakout_group(visitor, db, js, width, assert_accessible):
    w = Network(db)
    page = open_page(visitor, js, width)
    visitor.log_in(page, "kgw@example.pl")
    page.goto("/meetings")
    expect(page.get_by_role("heading", level=1)).to_have_text("Meetings, trainings and forums")
    check(page, js, assert_accessible)
    page.get_by_role("link", name="Spotkanie kwartalne sieci").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Spotkanie kwartalne sieci")
    check(page, js, assert_accessible)

    form = page.locator("form.registration-form")
    expect(form.get_by_label("On behalf of")).to_have_value(str(w.kgw.id))
    form.get_by_label("Number of people").fill("2")
    form.get_by_label("Participants' names").fill("Halina Zając")  # one name for two people: refused
    form.get_by_label(re.compile("^Planowanie")).check()
    form.get_by_label("Catering (optional)").fill("Dwa posiłki wegetariańskie")
    button = form.get_by_role("button", name="Sign up for the meeting")
    assert_tap_target(button)
    button.click()
    summary = page.locator(f"{w.region} .error-summary")
    expect(summary).to_contain_text("The head count is 2, but 1 names are given")
    if js:
        expect(summary).to_be_focused()
    form = page.locator("form.registration-form")
    expect(form.get_by_label("Catering (optional)")).to_have_value("Dwa posiłki wegetariańskie")  # nothing lost
    expect(form.get_by_label(re.compile("^Planowanie"))).to_be_checked()
    check(page, js, assert_accessible)

    form.get_by_label("Participants' names").fill("Halina Zając\nJan Nowak")
    form.get_by_role("button", name="Sign up for the meeting").click()
    expect(page.locator(f"{w.region} .banner-success")).to_have_text("You are registered: 2 people.")
    card = page.locator(".registration-card")
    expect(card.get_by_role("heading")).to_have_text("Registered: KGW Wierzbno")
    expect(card).to_contain_text("2 people · group: Planowanie")
    expect(card).to_contain_text("Halina Zając, Jan Nowak")
    if not js:
        expect(page).to_have_url(re.compile(rf"{w.region}$"))
    for action in (card.get_by_role("link", name="Change the registration"), card.get_by_role("button")):
        assert_tap_target(action)
    page.reload()
    expect(page.locator(".breakout-list")).to_contain_text("Planowanie: 3 places left")
    check(page, js, assert_accessible)
    assert visitor.console_errors == [] or all("status of 422" in e for e in visitor.console_errors)


@CASES
def test_a_second_ngo_waits_and_moves_up_when_the_first_cancels(visitor, db, mailbox, js, width, assert_accessible):
    w = Network(db, capacity=2, breakouts=())
    first_admin = make_user(db, email="klub@example.pl", display_name="Tomasz Wiśniewski")
    club = make_organisation(db, admin=first_admin, verified=True, name="Klub Sportowy Orzeł")
    register_for(db, w.meeting, user=first_admin, organisation=club, head_count=2, participants=["Tomasz", "Adam"])

    second = open_page(visitor, js, width)
    visitor.log_in(second, "kgw@example.pl")
    second.goto(w.url)
    expect(second.locator(w.region)).to_contain_text("The meeting is full: a new registration goes on the waiting list")
    form = second.locator("form.registration-form")
    form.get_by_label("Number of people").fill("1")
    form.get_by_label("Participants' names").fill("Halina Zając")
    form.get_by_role("button", name="Sign up for the meeting").click()
    expect(second.locator(f"{w.region} .banner-success")).to_contain_text("you are number 1 on the waiting list")
    expect(second.locator(".registration-card")).to_contain_text("Waiting list, number 1")
    check(second, js, assert_accessible)

    first = open_page(visitor, js, width)
    visitor.log_in(first, "klub@example.pl")
    first.goto(w.url)
    card = first.locator(".registration-card")
    expect(card.get_by_role("heading")).to_have_text("Registered: Klub Sportowy Orzeł")
    card.get_by_role("button", name="Cancel the registration").click()
    expect(first.locator(f"{w.region} .banner-success")).to_have_text(
        "The registration is cancelled. 1 registration moved up from the waiting list."
    )
    expect(first.locator(".registration-card")).to_have_count(0)
    check(first, js, assert_accessible)

    second.reload()
    expect(second.locator(".registration-card").get_by_role("heading")).to_have_text("Registered: KGW Wierzbno")
    expect(second.locator(".registration-card")).to_contain_text("Confirmed")
    message = mailbox.last_to("kgw@example.pl")
    assert message["Subject"] == "A place for you: Spotkanie kwartalne sieci"
    check(second, js, assert_accessible)


@pytest.mark.parametrize("width", ["phone", "desktop"])
def test_the_organiser_sees_head_counts_and_plans_the_next_meeting(visitor, db, width, assert_accessible):
    w = Network(db)
    planning = db.exec(select(MeetingBreakout).where(MeetingBreakout.name == "Planowanie")).one()
    register_for(db, w.meeting, user=w.kgw_admin, organisation=w.kgw, head_count=2, breakout=planning,
                 accessibility_needs="Osoba na wózku")  # fmt: skip
    page = open_page(visitor, True, width)
    visitor.log_in(page, "lgd@example.pl")
    page.goto(w.url)
    page.get_by_role("link", name="Registrations and head counts").click()
    totals = page.locator(".tally-table tbody tr")
    expect(totals.nth(0)).to_contain_text("Planowanie")
    expect(totals.last).to_contain_text("Total")
    expect(page.locator(".registrations-table")).to_contain_text("Accessibility: Osoba na wózku")
    assert_accessible(page)
    page.goto("/meetings/new")
    expect(page.get_by_role("heading", level=1)).to_have_text("Plan a meeting")
    page.get_by_role("button", name="Save the draft").click()  # nothing typed: refused, the summary names each field
    expect(page.locator(".error-summary")).to_contain_text("Title")
    assert_accessible(page)


@pytest.mark.parametrize("width", ["phone", "desktop"])
def test_every_meeting_page_family_passes_axe(visitor, db, width, assert_accessible):
    """The pages the journeys above do not reach: editing, cancelling, a registration's own page, the minutes, a
    point of them entered into a consultation, and an organisation's page with its meetings."""
    from consult.meetings import after
    from tests.factories import make_consultation, make_official, principal
    from tests.meeting_helpers import held

    w = Network(db)
    mine = register_for(db, w.meeting, user=w.kgw_admin, organisation=w.kgw, head_count=1,
                        breakout=db.exec(select(MeetingBreakout)).first())  # fmt: skip
    official, gmina = make_official(db, email="urzednik@example.pl")
    make_consultation(db, official=official, municipality=gmina)
    forum = make_meeting(db, organiser=official, organisation=gmina, title="Forum gminne", kind="forum")
    register_for(db, forum, user=w.kgw_admin, organisation=w.kgw)
    held(db, forum, hours_ago=2)
    after.publish_minutes(db, principal(db, official), forum, after.MinutesInput(minutes="- Więcej ławek w parku."))
    pages = {
        "lgd@example.pl": [f"{w.url}/edit", f"{w.url}/cancel", f"/organisations/{w.lgd.slug}"],
        "kgw@example.pl": [f"{w.url}/registrations/{mine.id}", "/meetings"],
        "urzednik@example.pl": [
            f"/meetings/{forum.slug}",
            f"/meetings/{forum.slug}/minutes",
            f"/meetings/{forum.slug}/registrations",
            f"/meetings/{forum.slug}/points/new?point=1",
            f"/municipalities/{gmina.slug}",
        ],
    }
    for email, paths in pages.items():
        page = open_page(visitor, True, width)
        visitor.log_in(page, email)
        for path in paths:
            page.goto(path)
            assert_accessible(page)
    assert visitor.console_errors == []
