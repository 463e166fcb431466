"""The network's journeys on a 390 px phone and a 1280 px desktop, with JavaScript on and off: an NGO admin applies
to the valley's network (a refused try first), a coordinator admits it at the last quarterly meeting, the NGO's
member writes in the members' discussion; and the coordinators' pages (founding, coordinators, attendance) and a
refusal, each checked with axe-core."""

from __future__ import annotations

import re
import time
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from tests.factories import (
    add_member,
    admit_to_network,
    make_network,
    make_network_meeting,
    make_official,
    make_organisation,
    make_user,
    register_organisation,
)

WIDTHS = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1280, "height": 900}}
CASES = pytest.mark.parametrize(
    ("js", "width"),
    [(True, "phone"), (False, "phone"), (True, "desktop"), (False, "desktop")],
    ids=["js-390", "no-js-390", "js-1280", "no-js-1280"],
)
MIN_TAP = 44


class Valley:
    """Gmina Wierzbno's official coordinates the valley's network; Ewa runs KGW Wierzbno and the seniors' club (not
    members yet), Marek belongs to the KGW; Jan runs a sports club outside the network."""

    def __init__(self, db) -> None:
        self.wierzbno = make_organisation(db, kind="municipality", name="Gmina Wierzbno", verified=True)
        self.official, _ = make_official(
            db, self.wierzbno, email="koordynator@example.pl", display_name="Katarzyna Nowak"
        )
        self.network = make_network(
            db, coordinator=self.official, municipalities=[self.wierzbno], name="Sieć Doliny Wierzbnicy"
        )
        self.meeting = make_network_meeting(
            db, self.network, starts_in=timedelta(days=-3), title="Spotkanie kwartalne sieci"
        )
        self.ewa = make_user(db, email="ewa@example.pl", display_name="Ewa Kowal")
        self.kgw = make_organisation(db, admin=self.ewa, verified=True, name="KGW Wierzbno")
        make_organisation(db, admin=self.ewa, verified=True, name="Klub Seniora Wierzbno")
        self.marek = make_user(db, email="marek@example.pl", display_name="Marek Zieliński")
        add_member(db, self.kgw, self.marek)
        self.jan = make_user(db, email="jan@example.pl", display_name="Jan Obok")
        self.club = make_organisation(db, admin=self.jan, verified=True, name="LKS Orzeł")

    @property
    def url(self) -> str:
        return f"/networks/{self.network.slug}"


def open_page(visitor, js: bool, width: str):
    page = visitor.page(js=js)
    page.set_viewport_size(WIDTHS[width])
    return page


def assert_tap_target(locator) -> None:
    box = locator.bounding_box()
    assert box is not None, "not shown"
    assert box["height"] >= MIN_TAP and box["width"] >= MIN_TAP, f"{box['width']:.0f}×{box['height']:.0f} px"


def mail_to(mailbox, address: str, within: float = 10.0):
    """The mail the outbox sends after the response, once it has arrived."""
    deadline = time.monotonic() + within
    while not any(m["To"] == address for m in mailbox.messages) and time.monotonic() < deadline:
        time.sleep(0.05)
    return mailbox.last_to(address)


def no_horizontal_scroll(page) -> None:
    overflow = page.evaluate("() => document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0, f"the page scrolls sideways by {overflow} px"


@CASES
def test_an_ngo_applies_a_coordinator_admits_it_and_its_member_writes_to_the_members(
    visitor, db, mailbox, js, width, assert_accessible
):
    v = Valley(db)

    # Ewa finds the network and applies for the KGW; forgetting to choose the organisation is refused first
    ewa = open_page(visitor, js, width)
    visitor.log_in(ewa, "ewa@example.pl")
    ewa.goto("/networks")
    expect(ewa.get_by_role("heading", level=1)).to_have_text("Cooperation networks")
    if js:
        assert_accessible(ewa)
    ewa.get_by_role("link", name="Sieć Doliny Wierzbnicy").click()
    expect(ewa.locator("section[aria-labelledby=network-municipalities]")).to_contain_text("Gmina Wierzbno")
    no_horizontal_scroll(ewa)
    if js:
        assert_accessible(ewa)
    panel = ewa.locator("#network-apply")
    panel.get_by_label("Message to the coordinators (optional)").fill("Prowadzimy warsztaty rękodzieła.")
    send = panel.get_by_role("button", name="Send the application")
    assert_tap_target(send)
    send.click()
    summary = ewa.locator("#network-apply .error-summary")
    expect(summary).to_contain_text("Organisation: Choose the organisation that applies.")
    if js:
        expect(summary).to_be_focused()
    expect(ewa.locator("#network-apply").get_by_label("Message to the coordinators (optional)")).to_have_value(
        "Prowadzimy warsztaty rękodzieła."
    )
    ewa.locator("#network-apply").get_by_label("Organisation that applies").select_option(label="KGW Wierzbno")
    ewa.locator("#network-apply").get_by_role("button", name="Send the application").click()
    confirmation = "The application has been sent. The network's coordinators will decide."
    expect(ewa.locator(".notice, .banner").filter(has_text=confirmation)).to_be_visible()
    expect(ewa.locator("#network-apply")).to_contain_text("waiting for the coordinators' decision")
    if js:
        assert_accessible(ewa)

    # the coordinator admits the KGW, noting the quarterly meeting where it was decided
    coordinator = open_page(visitor, js, width)
    visitor.log_in(coordinator, "koordynator@example.pl")
    coordinator.goto(v.url)
    coordinator.get_by_role("link", name=re.compile("^Applications")).click()
    expect(coordinator.get_by_role("heading", level=1)).to_contain_text("Applications to the network")
    item = coordinator.locator("li.application").filter(has_text="KGW Wierzbno")
    expect(item.locator("blockquote")).to_have_text("Prowadzimy warsztaty rękodzieła.")
    no_horizontal_scroll(coordinator)
    if js:
        assert_accessible(coordinator)
    item.get_by_label("Note to the organisation").fill("Witamy w sieci!")
    item.get_by_label("Decided at a meeting (optional)").select_option(value=str(v.meeting.id))
    admit = item.get_by_role("button", name="Admit KGW Wierzbno")
    assert_tap_target(admit)
    admit.click()
    decided = coordinator.locator("li.application").filter(has_text="KGW Wierzbno")
    expect(decided.locator(".tag")).to_have_text("Admitted")
    expect(decided).to_contain_text("at the meeting Spotkanie kwartalne sieci")
    expect(
        coordinator.get_by_text("The organisation is admitted. Its admins have been told by e-mail.")
    ).to_be_visible()
    if js:
        assert_accessible(coordinator)
    told = mail_to(mailbox, "ewa@example.pl")
    assert "have admitted KGW Wierzbno" in told.get_content() and "Witamy w sieci!" in told.get_content()

    # Marek, of the KGW, now reads and writes in the members' discussion
    marek = open_page(visitor, js, width)
    visitor.log_in(marek, "marek@example.pl")
    marek.goto(v.url)
    marek.get_by_role("link", name="Members' discussion").click()
    expect(marek.get_by_role("heading", level=1)).to_contain_text("Members' discussion")
    form = marek.locator("form.comment-form")
    form.get_by_label("On behalf of").select_option(label="KGW Wierzbno")
    form.get_by_label("Your comment").fill("Kto pożyczy **rzutnik** na następne spotkanie?")
    form.get_by_role("button", name="Post the comment").click()
    ours = marek.locator("article.comment").filter(has_text="Kto pożyczy rzutnik na następne spotkanie?")
    expect(ours).to_have_count(1)
    expect(ours.locator("header strong")).to_have_text("KGW Wierzbno")
    if js:
        expect(ours).to_be_focused()
    else:
        expect(marek).to_have_url(re.compile(rf"#{ours.get_attribute('id')}$"))
    for action in ours.locator(".comment-actions a, .comment-actions button").all():
        assert_tap_target(action)
    no_horizontal_scroll(marek)
    if js:
        assert_accessible(marek)
    marek.goto(f"{v.url}/members")
    expect(marek.locator("li.card").filter(has_text="KGW Wierzbno")).to_contain_text("Ewa Kowal")
    if js:
        assert_accessible(marek)

    # Jan, outside the network, is told why he cannot read it
    jan = open_page(visitor, js, width)
    visitor.log_in(jan, "jan@example.pl")
    response = jan.goto(f"{v.url}/discussion")
    assert response.status == 403
    expect(jan.locator("main")).to_contain_text("The discussion of a network is for the people of its member")
    if js:
        assert_accessible(jan)
    # the refused application answers 422 and Jan's page 403, by design (the browser notes it); nothing else
    errors = [e for e in visitor.console_errors if "status of 422" not in e and "status of 403" not in e]
    assert errors == [], "\n".join(errors)


@CASES
def test_the_coordinators_pages_read_well(visitor, db, js, width, assert_accessible):
    v = Valley(db)
    admit_to_network(db, v.network, v.kgw)
    older = make_network_meeting(db, v.network, starts_in=timedelta(days=-95), title="Spotkanie kwartalne (lato)")
    register_organisation(db, older, v.kgw, attended=2)
    register_organisation(db, v.meeting, v.kgw, attended=0)
    make_network_meeting(db, v.network, starts_in=timedelta(days=30), title="Spotkanie kwartalne (zima)")
    page = open_page(visitor, js, width)
    visitor.log_in(page, "koordynator@example.pl")

    page.goto(f"{v.url}/attendance")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Attendance at the network's meetings")
    row = page.locator(f"#attendance-{v.kgw.id}")
    expect(row.locator("td").first).to_have_text("Attended (2 people)")
    region = page.locator(".table-scroll")
    expect(region).to_have_attribute("tabindex", "0")
    no_horizontal_scroll(page)  # the table scrolls inside its region, the page does not
    if js:
        assert_accessible(page)

    page.goto(f"{v.url}/coordinators")
    page.get_by_label("E-mail address of the person's account").fill("nikt@example.pl")
    page.get_by_role("button", name="Add the coordinator").click()
    expect(page.locator(".error-summary")).to_contain_text("No confirmed account uses this address.")
    page.get_by_label("E-mail address of the person's account").fill("jan@example.pl")
    page.get_by_role("button", name="Add the coordinator").click()
    expect(page.locator(".banner")).to_have_text("Jan Obok now coordinates the network.")
    remove = page.get_by_role("button", name="Remove Jan Obok")
    assert_tap_target(remove)
    no_horizontal_scroll(page)
    if js:
        assert_accessible(page)

    page.goto(f"{v.url}/edit")
    page.get_by_label("Charter").fill("")
    page.get_by_role("button", name="Save the changes").click()
    expect(page.locator(".error-summary")).to_contain_text("Charter: This field is required.")
    no_horizontal_scroll(page)
    if js:
        assert_accessible(page)

    page.goto("/networks/new")
    expect(page.get_by_role("heading", level=1)).to_have_text("Found a network")
    for box in page.locator("fieldset .checkbox").all():
        assert box.bounding_box()["height"] >= 24
    if js:
        assert_accessible(page)
    errors = [e for e in visitor.console_errors if "status of 422" not in e]
    assert errors == [], "\n".join(errors)
