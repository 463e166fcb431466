"""A coordinator posts a funding opportunity to the network, on a 390 px phone and a 1280 px desktop, with
JavaScript on and off: a forgotten deadline is refused beside its field with the text kept, then the opportunity
appears on the funding page with its days left, found again by its field of activity; every page family of the
announcements passes axe-core."""

from __future__ import annotations

import re
from datetime import timedelta

from playwright.sync_api import expect

from consult.announcements.queries import today
from tests.browser.test_network_journeys import CASES, assert_tap_target, no_horizontal_scroll, open_page
from tests.factories import admit_to_network, make_network, make_official, make_organisation, make_user


@CASES
def test_a_coordinator_posts_a_funding_opportunity_to_the_network(visitor, db, js, width, assert_accessible):
    gmina = make_organisation(db, kind="municipality", name="Gmina Wierzbno", verified=True)
    make_official(db, gmina, email="urzednik@example.pl")
    coordinator = make_user(db, email="koordynatorka@example.pl", display_name="Kinga Koordynator")
    make_organisation(db, admin=coordinator, verified=True, name="Fundacja Dolina")
    network = make_network(db, coordinator=coordinator, municipalities=[gmina], name="Sieć Doliny Wierzbnicy")
    member = make_user(db, email="kgw@example.pl")
    admit_to_network(db, network, make_organisation(db, admin=member, verified=True, name="KGW Wierzbno"))
    deadline = today() + timedelta(days=12)

    page = open_page(visitor, js, width)
    visitor.log_in(page, "koordynatorka@example.pl")
    page.goto("/announcements")
    expect(page.get_by_role("heading", level=1)).to_have_text("Announcements")
    no_horizontal_scroll(page)
    if js:
        assert_accessible(page)
    page.get_by_role("link", name="Post an announcement").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Post an announcement")
    if js:
        assert_accessible(page)
    page.get_by_label("Funding opportunity").check()
    page.get_by_label("Who it is for").select_option(label="Sieć Doliny Wierzbnicy")
    page.get_by_label("Title").fill("Fundusz Inicjatyw Sąsiedzkich 2027")
    page.get_by_label("Text").fill("Mikrogranty na **inicjatywy sąsiedzkie** w gminach doliny.")
    page.get_by_label("Funder").fill("Fundacja Wspólnota")
    page.get_by_label("Lowest amount (zł) (optional)").fill("2 000")
    page.get_by_label("Highest amount (zł) (optional)").fill("10000")
    page.get_by_label("Seniors").check()
    page.get_by_label("Culture and heritage").check()
    publish = page.get_by_role("button", name="Publish the announcement")
    assert_tap_target(publish)
    publish.click()  # the deadline forgotten

    summary = page.locator(".error-summary")
    expect(summary).to_contain_text("Last day to apply: Give the last day to apply.")
    expect(page.locator("#field-deadline-error")).to_contain_text("Give the last day to apply.")
    expect(page.get_by_label("Title")).to_have_value("Fundusz Inicjatyw Sąsiedzkich 2027")
    expect(page.get_by_label("Seniors")).to_be_checked()
    no_horizontal_scroll(page)
    if js:
        assert_accessible(page)
    page.get_by_label("Last day to apply").fill(deadline.isoformat())
    page.get_by_role("button", name="Publish the announcement").click()

    expect(page.get_by_text("The announcement is published.")).to_be_visible()
    facts = page.locator(".announcement-facts")
    expect(facts).to_contain_text("12 days left")
    expect(facts).to_contain_text("2,000 to 10,000 zł")
    expect(facts).to_contain_text("Sieć Doliny Wierzbnicy")
    expect(page.locator(".prose strong")).to_have_text("inicjatywy sąsiedzkie")
    no_horizontal_scroll(page)
    if js:
        assert_accessible(page)

    # a member of the network finds it on the funding page, by its field
    reader = open_page(visitor, js, width)
    reader.goto("/forum")
    reader.get_by_role("link", name="Open funding opportunities by deadline").first.click()
    expect(reader.get_by_role("heading", level=1)).to_have_text("Funding opportunities")
    card = reader.locator(".announcement-card").filter(has_text="Fundusz Inicjatyw Sąsiedzkich 2027")
    expect(card.locator(".days-left")).to_have_text("(12 days left)")
    no_horizontal_scroll(reader)
    if js:
        assert_accessible(reader)
    reader.get_by_label("Field of activity").select_option(label="Sport and recreation")
    if not js:
        reader.get_by_role("button", name="Show").click()
    expect(reader.locator("#funding-results")).to_contain_text("No open funding opportunity matches this filter.")
    reader.get_by_label("Field of activity").select_option(label="Seniors")
    if not js:
        reader.get_by_role("button", name="Show").click()
    expect(reader.locator(".announcement-card")).to_have_count(1)
    expect(reader).to_have_url(re.compile(r"field=seniors"))
    reader.get_by_role("link", name="Closed opportunities (archive)").click()
    expect(reader.get_by_role("heading", level=1)).to_have_text("Closed funding opportunities")
    if js:
        assert_accessible(reader)
    reader.goto(f"/networks/{network.slug}")
    reader.get_by_role("link", name="The network's announcements").click()
    expect(reader.locator(".announcement-card")).to_have_count(1)
    if js:
        assert_accessible(reader)
    assert [e for e in visitor.console_errors if "status of 422" not in e] == []  # the refusal is a 422 page
