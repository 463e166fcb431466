"""Notifications in the browser, on a 390 px phone and a 1280 px desktop, with JavaScript on and off: a network
member chooses announcements at once on her settings page, receives an announcement by e-mail (through the real SMTP
server), follows its unsubscribe link from a browser where she is not signed in, and unsubscribes in one click; a mail
client's RFC 8058 one-click POST does the same for another kind. axe-core finds nothing on the settings page, the
unsubscribe page, its confirmation, nor the refusal of a forged link."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlmodel import Session

from consult.mail import deliver_pending
from consult.notifications.dispatch import make_token, modes_of, notify
from tests.factories import make_organisation, make_user

WIDTHS = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1280, "height": 900}}
CASES = pytest.mark.parametrize(
    ("js", "width"),
    [(True, "phone"), (False, "phone"), (True, "desktop"), (False, "desktop")],
    ids=["js-390", "no-js-390", "js-1280", "no-js-1280"],
)
MIN_TAP = 44


def open_page(visitor, js: bool, width: str):
    page = visitor.page(js=js)
    page.set_viewport_size(WIDTHS[width])
    return page


def check(page, js: bool, assert_accessible) -> None:
    """axe-core runs in the page's JavaScript: with it switched off the page is the same HTML, checked with it on."""
    if js:
        assert_accessible(page)


def mode(app, user, kind: str) -> str:
    with Session(app.state.engine) as session:
        return modes_of(session, [user.id])[user.id][kind]


@CASES
def test_a_member_gets_an_announcement_by_mail_and_unsubscribes_in_one_click(
    app, db, settings, mailbox, visitor, assert_accessible, js, width
):
    halina = make_user(db, email="halina@kgw.example.pl", display_name="Halina Zając")
    make_organisation(db, admin=halina, verified=True, name="KGW Wierzbno", area_served="Wierzbno")

    # Her settings: announcements at once instead of the weekly digest.
    page = open_page(visitor, js, width)
    visitor.log_in(page, halina.email)
    page.goto("/me")
    page.get_by_role("link", name="Notification settings: what we e-mail you, and when").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Notifications")
    check(page, js, assert_accessible)
    group = page.get_by_role("group", name="Announcements for my networks and municipalities")
    expect(group.get_by_label("In the weekly digest (default)")).to_be_checked()
    choice = group.get_by_label("Immediately")
    box = page.locator("label[for=field-announcement-immediate]").bounding_box()
    assert box is not None and box["height"] >= MIN_TAP
    choice.check()
    page.get_by_role("button", name="Save the settings").click()
    expect(page.get_by_role("status")).to_have_text("Your notification settings are saved.")
    check(page, js, assert_accessible)
    assert mode(app, halina, "announcement") == "immediate"

    # The network's coordinator posts a funding opportunity: the announcements feature calls notify.
    notify(
        db,
        [halina.id],
        "announcement",
        "Nabór wniosków: Fundusz Inicjatyw Lokalnych",
        "Sieć organizacji zaprasza do składania wniosków do 15 stycznia 2027 r.",
        f"{settings.base_url}/announcements",
    )
    db.commit()
    deliver_pending(db, settings)
    message = mailbox.last_to("halina@kgw.example.pl")
    assert message["Subject"] == "Nabór wniosków: Fundusz Inicjatyw Lokalnych"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    link = message["List-Unsubscribe"].strip("<>")
    assert link in message.get_content()

    # She opens the link from her mail, in a browser where she is not signed in.
    reader = open_page(visitor, js, width)
    reader.goto(link)
    expect(reader.get_by_role("heading", level=1)).to_have_text("Unsubscribe")
    expect(reader.locator("main li")).to_have_text("Announcements for my networks and municipalities")
    check(reader, js, assert_accessible)
    assert mode(app, halina, "announcement") == "immediate"  # the page asks first
    button = reader.get_by_role("button", name="Unsubscribe")
    assert button.bounding_box()["height"] >= MIN_TAP
    button.click()
    expect(reader.get_by_role("heading", level=1)).to_have_text("You are unsubscribed")
    check(reader, js, assert_accessible)
    assert mode(app, halina, "announcement") == "never"
    assert mode(app, halina, "meeting_reminder") == "immediate"

    # A mail client's one-click POST (RFC 8058), with no cookie and no CSRF token, stops another kind.
    other = make_token(settings.secret_key, halina.id, ["meeting_reminder"])
    response = reader.request.post(
        f"{settings.base_url}/notifications/unsubscribe/{other}",
        data="List-Unsubscribe=One-Click",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert response.status == 200
    assert mode(app, halina, "meeting_reminder") == "never"

    # A forged link changes nothing, and says so.
    forged = make_token("not-the-sites-key", halina.id, ["comment_reply"])
    reader.goto(f"/notifications/unsubscribe/{forged}")
    expect(reader.get_by_role("alert")).to_have_text("This unsubscribe link is not valid. Nothing was changed.")
    check(reader, js, assert_accessible)
    assert mode(app, halina, "comment_reply") == "immediate"
    assert all("status of 400" in error for error in visitor.console_errors)  # the forged link's page only
