"""Polish by default, English on request; Polish plurals and dates; sanitised Markdown."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from consult import i18n
from consult.markdown import render_markdown


@pytest.fixture
def polish():
    token = i18n.current_locale.set("pl")
    yield
    i18n.current_locale.reset(token)


def test_polish_catalogue_translates_interface_texts(polish):
    assert i18n.gettext("Log in") == "Zaloguj się"
    assert i18n.gettext("Accessibility statement") == "Deklaracja dostępności"


@pytest.mark.parametrize(
    ("n", "word"),
    [(1, "organizacja"), (2, "organizacje"), (5, "organizacji"), (12, "organizacji"), (22, "organizacje")],
)
def test_polish_plurals_follow_polish_grammar(polish, n, word):
    assert i18n.ngettext("%(num)d organisation", "%(num)d organisations", n) == f"{n} {word}"


def test_dates_are_written_out_in_warsaw_time(polish):
    winter = datetime(2026, 12, 14, 14, 0, tzinfo=timezone.utc)
    summer = datetime(2027, 6, 1, 13, 0, tzinfo=timezone.utc)
    assert i18n.format_when(winter) == "14 grudnia 2026 r., godz. 15:00"
    assert i18n.format_when(summer) == "1 czerwca 2027 r., godz. 15:00"
    assert i18n.format_when(winter, style="date") == "14 grudnia 2026 r."


def test_english_readers_get_english_dates():
    token = i18n.current_locale.set("en")
    try:
        assert i18n.format_when(datetime(2026, 12, 14, 14, 0, tzinfo=timezone.utc)) == "14 December 2026, 15:00"
        assert i18n.gettext("Log in") == "Log in"
    finally:
        i18n.current_locale.reset(token)


@pytest.mark.parametrize(("cookie", "expected"), [(None, "pl"), ("en", "en"), ("pl", "pl"), ("xx", "pl")])
def test_locale_is_polish_unless_the_reader_chose_english(cookie, expected):
    assert i18n.pick_locale(cookie, "pl") == expected


def test_an_english_browser_still_gets_polish_until_the_reader_switches(client):
    page = client.get("/", headers={"Accept-Language": "en-GB,en;q=0.9"})
    assert '<html lang="pl">' in page.text
    client.cookies.set("consult_lang", "en")
    assert '<html lang="en">' in client.get("/").text


def test_markdown_keeps_formatting_and_drops_scripts():
    html = render_markdown(
        "**Ważne**: [program](https://wierzbno.example) <script>alert(1)</script> [x](javascript:alert(1))"
    )
    assert "<strong>Ważne</strong>" in html
    assert 'href="https://wierzbno.example"' in html
    assert "<script>" not in html
    assert 'href="javascript' not in html


def test_every_interface_text_has_a_polish_translation():
    """Extracted from the code as it is now, so a new text without its Polish translation fails here, not in use."""
    from pathlib import Path

    from babel.messages.extract import extract_from_dir
    from babel.messages.pofile import read_po

    root = Path(__file__).resolve().parents[1]
    method_map = [("consult/**.py", "python"), ("templates/**.html", "jinja2")]
    options = {"templates/**.html": {"extensions": "jinja2.ext.i18n"}}
    keywords = {"_": None, "gettext": None, "ngettext": (1, 2)}
    wanted = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
        root, method_map, options, keywords=keywords, comment_tags=()
    ):
        wanted.add(message if isinstance(message, str) else message[0])
    with (root / "consult/locale/pl/LC_MESSAGES/messages.po").open("rb") as po:
        catalogue = read_po(po)
    translated = {
        m.id if isinstance(m.id, str) else m.id[0]
        for m in catalogue
        if m.id and not m.fuzzy and (all(m.string) if isinstance(m.string, tuple) else m.string)
    }
    missing = sorted(wanted - translated - {""})
    assert missing == [], (
        f"{len(missing)} texts without a Polish translation (make messages, then translate): {missing}"
    )
