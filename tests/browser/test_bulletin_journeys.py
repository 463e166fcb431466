"""The bulletin and the outbox in Chromium.

A visitor finds the bulletin from the municipality's page, steps to last month, prints it (Chromium's own print to
PDF, with the print stylesheet: no menu, no month picker) and downloads the PDF; with JavaScript on and off, at 390 px
and at desktop width, axe-core on the page. The platform admin finds the outgoing mail in the menu and sends a message
given up again.
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from playwright.sync_api import expect
from pypdf import PdfReader

from consult.bulletin.actions import current_month
from tests.factories import make_admin
from tests.test_bulletin import ZONE, story  # noqa: F401  (the month of Gmina Wierzbno, a fixture)
from tests.test_outbox import given_up

JS = pytest.mark.parametrize("js", [True, False], ids=["js", "no-js"])
WIDTH = pytest.mark.parametrize("width", [390, 1280])
SHOTS = Path("/tmp/consult-bulletin-shots")


def pdf_text(data: bytes) -> str:
    return " ".join(" ".join((p.extract_text() or "").split()) for p in PdfReader(io.BytesIO(data)).pages)


@JS
@WIDTH
def test_a_visitor_reads_last_months_bulletin_prints_it_and_downloads_the_pdf(
    visitor,
    story,  # noqa: F811
    assert_accessible,
    js,
    width,  # noqa: F811
):
    check = assert_accessible if js else (lambda page: None)  # axe runs in the page: it needs JavaScript
    page = visitor.page(js=js, lang=None)
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(f"/municipalities/{story.municipality.slug}")
    page.get_by_role("link", name="Biuletyn na bieżący miesiąc").click()
    expect(page).to_have_url(
        f"{visitor.base_url}/municipalities/{story.municipality.slug}/bulletin/{current_month(ZONE).key}"
    )
    check(page)
    page.get_by_role("link", name="Poprzedni miesiąc").click()
    expect(page.locator("h1")).to_contain_text("Gmina Wierzbno")
    expect(page.locator("#bulletin-opened")).to_have_text("Nowe i trwające konsultacje społeczne")
    expect(page.get_by_role("heading", name=story.programme.title).first).to_be_visible()
    expect(page.get_by_text("Termin składania wniosków:")).to_be_visible()
    check(page)
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / f"bulletin-{width}-{'js' if js else 'nojs'}.png"), full_page=True)

    page.emulate_media(media="print")
    expect(page.locator(".site-header")).to_be_hidden()
    expect(page.locator(".bulletin-tools")).to_be_hidden()
    if js:  # Chromium prints to PDF in headless mode only; once is enough
        printed_pdf = page.pdf(format="A4")
        (SHOTS / f"printed-{width}.pdf").write_bytes(printed_pdf)
        printed = pdf_text(printed_pdf)
        assert story.programme.title in printed and story.grant.title in printed
        assert "Poprzedni miesiąc" not in printed and "Zaloguj się" not in printed
    page.emulate_media(media="screen")

    with page.expect_download() as download:
        page.get_by_role("link", name="Pobierz PDF (A4)").click()
    data = Path(download.value.path()).read_bytes()
    (SHOTS / f"bulletin-{width}.pdf").write_bytes(data)
    text = pdf_text(data)
    assert story.rules.title in text and story.budget.title in text and "Termin składania wniosków" in text


@JS
def test_the_platform_admin_finds_a_message_given_up_and_sends_it_again(visitor, db, mailbox, assert_accessible, js):
    admin = make_admin(db, email="admin@consult.example")
    item = given_up(db, "zly.adres@example.pl")
    check = assert_accessible if js else (lambda page: None)  # axe runs in the page: it needs JavaScript
    page = visitor.page(js=js)
    visitor.log_in(page, admin.email)
    page.get_by_role("link", name="Outgoing mail").click()
    expect(page.locator("h1")).to_have_text("Outgoing mail")
    expect(page.locator(f"#outbox-{item.id}")).to_contain_text("No such user")
    check(page)
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / f"outbox-{'js' if js else 'nojs'}.png"), full_page=True)
    page.locator(f"#outbox-{item.id}").get_by_role("button", name="Send again now").click()
    expect(page.get_by_role("status")).to_contain_text("sent again")
    page.reload()
    expect(page.locator(f"#outbox-{item.id}")).to_have_count(0)
    assert "zly.adres@example.pl" in [m["To"] for m in mailbox.messages]
