"""A working group in Chromium, in Polish, with JavaScript on and off, on a 390 px phone and a 1280 px desktop: a
local leader finds the group, learns that a declaration needs an account, logs in and comes back to the form, declares
before the deadline; the coordinator accepts (in place with JavaScript) and the leader is told by e-mail; the new
member comments on a paragraph of the group's road map. axe-core (WCAG 2.1 AA) on every page family on the way.

With JavaScript, `window.sameDocument` is set before an action: if it is still there after it, the page was not
reloaded.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from sqlmodel import select

from consult.models import GroupDeclaration, Paragraph
from tests.factories import fresh, make_group, make_group_document, make_official, make_organisation, make_user

CASES = pytest.mark.parametrize(
    "js,width",
    [(True, 390), (False, 390), (True, 1280), (False, 1280)],
    ids=["js-390", "no-js-390", "js-1280", "no-js-1280"],
)
GROUP = "Rozwój trzeciego sektora"


def opened(visitor, js: bool, width: int):
    page = visitor.page(js=js, lang="pl")
    page.set_viewport_size({"width": width, "height": 900})
    return page


def check(page, js: bool, assert_accessible) -> None:
    if js:  # axe runs in the page: only with JavaScript on
        assert_accessible(page)


@CASES
def test_a_leader_declares_the_coordinator_accepts_and_the_member_comments_on_the_road_map(
    visitor, db, mailbox, assert_accessible, js, width
):
    municipality = make_organisation(db, kind="municipality", name="Gmina Wierzbno", verified=True)
    coordinator, _ = make_official(db, municipality, email="koordynator@example.pl", display_name="Katarzyna Nowak")
    group = make_group(db, coordinator=coordinator, organisation=municipality, name=GROUP)
    document = make_group_document(db, group, title="Mapa drogowa zespołu")
    make_user(db, email="lider@example.pl", display_name="Jan Lider")
    key = db.exec(
        select(Paragraph.key).where(Paragraph.version_id == document.version_id, Paragraph.label == "§ 2 ust. 1")
    ).one()

    # A visitor finds the group; the declaration needs an account, and the log-in leads back to the form.
    page = opened(visitor, js, width)
    page.goto("/groups")
    expect(page.get_by_role("heading", level=1)).to_have_text("Zespoły robocze")
    expect(page.locator(f"#group-{group.id}")).to_contain_text("Przyjmuje deklaracje")
    check(page, js, assert_accessible)
    page.get_by_role("link", name=GROUP).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(GROUP)
    check(page, js, assert_accessible)
    page.get_by_role("link", name="Złóż deklarację przystąpienia").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Deklaracja przystąpienia do zespołu roboczego")
    expect(page.locator("main")).to_contain_text("Aby złożyć deklarację, potrzebujesz konta")
    check(page, js, assert_accessible)
    page.get_by_role("link", name="Zaloguj się i złóż deklarację").click()
    page.locator("#field-email").fill("lider@example.pl")
    page.locator("#field-password").fill("correct-horse-battery")
    page.locator("main form button[type=submit]").click()
    expect(page).to_have_url(re.compile(rf"/groups/{group.slug}/declare$"))

    # The declaration: the name and e-mail filled in from the account; a motivation forgotten first.
    expect(page.get_by_label("Imię i nazwisko")).to_have_value("Jan Lider")
    expect(page.locator("form.declare-form")).to_contain_text("Składasz deklarację jako osoba indywidualna.")
    page.get_by_label("Co możesz wnieść do prac zespołu (opcjonalnie)").fill("Salę w świetlicy w Brzozowie.")
    page.get_by_role("button", name="Wyślij deklarację").click()
    expect(page.locator(".error-summary")).to_contain_text("Napisz krótko, dlaczego chcesz dołączyć do zespołu.")
    expect(page.get_by_label("Co możesz wnieść do prac zespołu (opcjonalnie)")).to_have_value(
        "Salę w świetlicy w Brzozowie."
    )
    check(page, js, assert_accessible)
    page.get_by_label("Dlaczego chcesz dołączyć").fill("Prowadzę klub seniora i znam potrzeby mieszkańców.")
    page.get_by_role("button", name="Wyślij deklarację").click()
    expect(page.locator("main > .banner[role=status]")).to_contain_text("Twoja deklaracja została wysłana.")
    expect(page.locator(".my-declarations")).to_contain_text("czeka na decyzję")
    check(page, js, assert_accessible)
    fresh(db)
    declaration = db.exec(select(GroupDeclaration)).one()

    # The coordinator accepts, with a note; the leader is told by e-mail.
    desk = opened(visitor, js, width)
    visitor.log_in(desk, "koordynator@example.pl")
    desk.goto(f"/groups/{group.slug}")
    desk.get_by_role("link", name="Deklaracje czekające na Twoją decyzję: 1").click()
    expect(desk.get_by_role("heading", level=1)).to_have_text("Deklaracje przystąpienia")
    card = desk.locator(f"#declaration-{declaration.id}")
    expect(card).to_contain_text("Prowadzę klub seniora i znam potrzeby mieszkańców.")
    check(desk, js, assert_accessible)
    card.get_by_label("Uwaga dla osoby składającej deklarację (opcjonalnie)").fill("Witamy w zespole!")
    if js:
        desk.evaluate("window.sameDocument = true")
    card.get_by_role("button", name="Przyjmij").click()
    card = desk.locator(f"#declaration-{declaration.id}")
    expect(card.locator(".declaration-state")).to_have_text("deklaracja przyjęta")
    if js:
        expect(card.get_by_role("status")).to_have_text("Deklaracja została przyjęta.")
        assert desk.evaluate("window.sameDocument") is True, "the page was reloaded"
    else:
        expect(desk.locator("main > .banner[role=status]")).to_contain_text("Deklaracja została przyjęta.")
    check(desk, js, assert_accessible)
    message = mailbox.last_to("lider@example.pl")
    assert message["Subject"] == f"Jesteś członkiem zespołu roboczego {GROUP}"
    assert "Witamy w zespole!" in message.get_content()

    # The new member comments on a paragraph of the road map.
    page.goto(f"/groups/{group.slug}")
    expect(page.locator(".member-list")).to_contain_text("Jan Lider")
    page.get_by_role("link", name="Mapa drogowa zespołu").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Mapa drogowa zespołu")
    check(page, js, assert_accessible)
    paragraph = page.locator(f"#p-{key}")
    paragraph.get_by_role("link", name=re.compile("Skomentuj")).click()
    thread = page.locator(f"#thread-{key}") if js else page
    if not js:
        expect(page.get_by_role("heading", level=1)).to_have_text("Uwagi do § 2 ust. 1")
    thread.get_by_label("Twoja uwaga").fill("Proponuję pierwsze spotkanie w lutym, w świetlicy w Brzozowie.")
    if js:
        page.evaluate("window.sameDocument = true")
    thread.get_by_role("button", name="Zgłoś uwagę").click()
    expect(page.locator(f"#thread-{key}-list")).to_contain_text("Proponuję pierwsze spotkanie w lutym")
    expect(page.locator(f"#thread-{key}-list")).to_contain_text("Jan Lider")
    if js:
        assert page.evaluate("window.sameDocument") is True, "the page was reloaded"
        expect(page.locator(f"#paragraph-{key}-count")).to_have_text("1")
    else:
        expect(page.locator("main > .banner[role=status]")).to_contain_text("Twoja uwaga została opublikowana.")
    check(page, js, assert_accessible)
    assert [e for e in visitor.console_errors if "status of 422" not in e] == []  # the refused form, by design
