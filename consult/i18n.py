"""Translations (gettext catalogues through Babel), the request's locale, Polish dates."""

from __future__ import annotations

import io
from contextvars import ContextVar
from datetime import UTC, date, datetime, timedelta
from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo

from babel.dates import format_date
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

LOCALES = ("pl", "en")
LOCALE_DIR = Path(__file__).parent / "locale"
current_locale: ContextVar[str] = ContextVar("current_locale", default="pl")


@cache
def translations(locale: str) -> Translations:
    """The compiled catalogue, or one compiled in memory from the .po when the build has not run."""
    mo = LOCALE_DIR / locale / "LC_MESSAGES" / "messages.mo"
    po = mo.with_suffix(".po")
    if mo.exists() and (not po.exists() or mo.stat().st_mtime >= po.stat().st_mtime):
        with mo.open("rb") as f:
            return Translations(f)
    if not po.exists():
        return Translations()
    with po.open("rb") as f:
        catalog = read_po(f, locale=locale)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return Translations(buffer)


def gettext(message: str, **variables: object) -> str:
    text = translations(current_locale.get()).ugettext(message)
    return text % variables if variables else text


def ngettext(singular: str, plural: str, n: int, **variables: object) -> str:
    text = translations(current_locale.get()).ungettext(singular, plural, n)
    return text % {"num": n, **variables}


def _(message: str) -> str:
    """Mark a message for extraction; it is translated later, where it is shown."""
    return message


def pick_locale(cookie: str | None, default: str) -> str:
    """The reader's chosen language, else the site's (Polish): a browser's own language setting does not switch it."""
    return cookie if cookie in LOCALES else default


@cache
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


@cache
def _day(day: date, locale: str) -> str:
    """ "3 grudnia 2026": Babel's month names, once per day shown (a page shows hundreds of dates)."""
    return format_date(day, "d MMMM y", locale=locale)


def format_when(value: datetime | None, zone: str = "Europe/Warsaw", style: str = "long") -> str:
    """A date and time written out in the reader's language, in the municipality's time zone."""
    if value is None:
        return ""
    local = value.astimezone(_zone(zone))
    locale = current_locale.get()
    day = _day(local.date(), locale)
    if style == "date":
        return day + (" r." if locale == "pl" else "")
    if locale == "pl":
        return f"{day} r., godz. {local:%H:%M}"
    return f"{day}, {local:%H:%M}"


def machine_time(value: datetime | date | None) -> str:
    """The value of a `datetime` attribute: UTC to the second (HTML allows at most three digits of a fraction)."""
    if value is None:
        return ""
    if not isinstance(value, datetime):
        return value.isoformat()
    return value.astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def time_left(until: datetime, now: datetime | None = None) -> str:
    """ "3 days, 4 hours": the countdown to a deadline, in the reader's language."""
    from babel.dates import format_timedelta

    from consult.models import utcnow

    delta = until - (now or utcnow())
    if delta.total_seconds() <= 0:
        return ""
    locale = current_locale.get()
    days, rest = delta.days, delta.seconds
    hours, minutes = rest // 3600, (rest % 3600) // 60
    parts = []
    if days:
        parts.append(format_timedelta(timedelta(days=days), threshold=1000, granularity="day", locale=locale))
    if hours and days < 7:
        parts.append(format_timedelta(timedelta(hours=hours), threshold=1000, granularity="hour", locale=locale))
    if not days and minutes:
        parts.append(format_timedelta(timedelta(minutes=minutes), threshold=1000, granularity="minute", locale=locale))
    return ", ".join(parts)
