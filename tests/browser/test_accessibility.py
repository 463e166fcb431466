"""axe-core (WCAG 2.1 A and AA) on every page family, in Polish and English, and the keyboard and language basics."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from sqlmodel import Session

from consult.organisations import actions
from tests.factories import make_organisation, make_user, principal

LANGS = pytest.mark.parametrize("lang", ["pl", "en"])


def _organisation(db: Session, admin=None):
    """A verified organisation with a full profile, whose admin is admin@example.pl unless given."""
    admin = admin or make_user(db, email="admin@example.pl", display_name="Maria Zielińska")
    return make_organisation(
        db,
        admin=admin,
        verified=True,
        name="Fundacja Zielony Wierzbnów",
        krs="0000111222",
        fields=["environment", "education"],
        area_served="Gmina Wierzbno",
        description="Sadzimy drzewa i **uczymy** o przyrodzie.",
        contact_email="kontakt@zielony.example.pl",
        website="https://zielony.example.pl",
    )


def home(db, visitor, page):
    page.goto("/")


def directory(db, visitor, page):
    admin = make_user(db, email="sekretariat@example.pl")
    for n in range(actions.PAGE_SIZE + 1):  # one more than a page: the pagination is shown too
        make_organisation(db, admin=admin, name=f"Stowarzyszenie Numer {n:02d}", area_served="Wierzbno")
    _organisation(db, admin)
    page.goto("/organisations")
    expect(page.locator(".pagination")).to_be_visible()


def profile_anonymous(db, visitor, page):
    organisation = _organisation(db)
    page.goto(f"/organisations/{organisation.slug}")
    expect(page.locator(".summary-list")).to_be_visible()


def profile_as_admin(db, visitor, page):
    organisation = _organisation(db)
    visitor.log_in(page, "admin@example.pl")
    page.goto(f"/organisations/{organisation.slug}")
    expect(page.locator(f'a[href$="/organisations/{organisation.slug}/edit"]')).to_be_visible()


def profile_as_outsider(db, visitor, page):
    organisation = _organisation(db)
    make_user(db, email="outsider@example.pl")
    visitor.log_in(page, "outsider@example.pl")
    page.goto(f"/organisations/{organisation.slug}")
    expect(page.locator(f'form[action$="/organisations/{organisation.slug}/join"]')).to_be_visible()


def organisation_form_with_errors(db, visitor, page):
    make_user(db, email="jan@example.pl")
    visitor.log_in(page, "jan@example.pl")
    page.goto("/organisations/new")
    page.locator("#field-krs").fill("12345")
    page.locator("#field-website").fill("zielony")
    page.locator("main form button[type=submit]").click()
    expect(page.locator(".error-summary li")).to_have_count(4)  # name, kind, KRS, website


def members_with_request_and_invitation(db, visitor, page):
    admin = make_user(db, email="admin@example.pl", display_name="Maria Zielińska")
    organisation = _organisation(db, admin)
    candidate = principal(db, make_user(db, email="kandydat@example.pl", display_name="Piotr Kandydat"))
    join = actions.request_to_join(db, candidate, organisation, actions.JoinRequestInput(message="Dzień dobry"))
    invite = actions.InvitationInput(email="nowa@example.pl", role="member")
    invitation = actions.invite_member(db, principal(db, admin), organisation, invite)
    db.commit()
    visitor.log_in(page, "admin@example.pl")
    page.goto(f"/organisations/{organisation.slug}/members")
    expect(page.locator(f"#join-request-{join.id}")).to_be_visible()
    expect(page.locator(f"#invitation-{invitation.id}")).to_be_visible()


def register_with_errors(db, visitor, page):
    page.goto("/register")
    page.locator("#field-email").fill("not-an-address")
    page.locator("#field-password").fill("short")
    page.locator("main form button[type=submit]").click()
    expect(page.locator(".error-summary")).to_be_visible()


def login(db, visitor, page):
    page.goto("/login")


def not_found(db, visitor, page):
    response = page.goto("/organisations/no-such-organisation")
    assert response.status == 404


def accessibility_statement(db, visitor, page):
    page.goto("/accessibility")


PAGES = [
    home,
    directory,
    profile_anonymous,
    profile_as_admin,
    profile_as_outsider,
    organisation_form_with_errors,
    members_with_request_and_invitation,
    register_with_errors,
    login,
    not_found,
    accessibility_statement,
]


@LANGS
@pytest.mark.parametrize("open_page", PAGES, ids=[p.__name__ for p in PAGES])
def test_page_has_no_wcag_violations(open_page, lang, db, visitor, assert_accessible):
    page = visitor.page(js=True, lang=lang)
    open_page(db, visitor, page)
    expect(page.locator("html")).to_have_attribute("lang", lang)
    assert_accessible(page)


@pytest.mark.parametrize("js", [True, False], ids=["js", "no-js"])
def test_skip_link_is_first_on_the_page_and_moves_focus_to_main(visitor, js):
    page = visitor.page(js=js)
    page.goto("/organisations")
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to main content")
    expect(skip).to_be_focused()
    expect(skip).to_be_in_viewport()  # shown while it has the focus
    page.keyboard.press("Enter")
    expect(page.locator("main")).to_be_focused()
    page.keyboard.press("Tab")  # the next stop is inside main, not back in the header
    assert page.evaluate("document.querySelector('main').contains(document.activeElement)")


@pytest.mark.parametrize("browser_locale", ["pl-PL", "en-US"])
def test_html_lang_is_polish_until_the_reader_switches_to_english(visitor, browser_locale):
    """Polish whatever the browser's own language; the header link switches, and the choice is remembered."""
    page = visitor.page(lang=None, locale=browser_locale)
    page.goto("/")
    expect(page.locator("html")).to_have_attribute("lang", "pl")
    switch = page.get_by_role("link", name="English")
    expect(switch).to_have_attribute("lang", "en")  # the link's own text is in the language it offers
    switch.click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    page.goto("/accessibility")
    expect(page.locator("html")).to_have_attribute("lang", "en")


def test_htmx_loads_under_the_content_security_policy(visitor, db):
    make_organisation(db, name="Gmina Wierzbno", kind="municipality")
    make_organisation(db, name="Fundacja Dobry Start", kind="ngo")
    page = visitor.page(js=True)
    for path in ["/", "/organisations", "/accessibility", "/login", "/register"]:
        page.goto(path)
        assert page.evaluate("typeof htmx") == "object", f"htmx did not load on {path}"
    page.goto("/organisations")
    with page.expect_response(lambda r: r.request.headers.get("hx-request") == "true") as partial:
        page.get_by_label("Kind").select_option(label="Non-governmental organisation")
    assert partial.value.status == 200
    expect(page.locator("#directory-results h2")).to_have_text(["Fundacja Dobry Start"])
    expect(page).to_have_url(re.compile(r"kind=ngo"))
    assert visitor.console_errors == [], "\n".join(visitor.console_errors)
