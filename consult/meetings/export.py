"""The organiser's list of registrations as CSV for a spreadsheet: UTF-8 with a BOM, so Excel reads Polish letters,
and semicolons between the fields, which is what Excel in Polish expects (its list separator: the comma is the decimal
sign), so the file opens in columns with a double click."""

from __future__ import annotations

import csv
import io
from zoneinfo import ZoneInfo

from consult.i18n import _, gettext
from consult.meetings.queries import RegistrationRow

DELIMITER = ";"
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
STATUS_LABELS = {"confirmed": _("Confirmed"), "waitlisted": _("Waiting list"), "cancelled": _("Cancelled")}
COLUMNS = (
    _("No."),
    _("Organisation or person"),
    _("Status"),
    _("Place on the waiting list"),
    _("Head count"),
    _("Breakout group"),
    _("Participants"),
    _("Accessibility needs"),
    _("Catering"),
    _("Registered at"),
    _("How many came"),
)


def cell(value: object) -> str:
    """A value as text a spreadsheet shows as typed: one starting like a formula gets a leading apostrophe."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def registrations_csv(rows: list[RegistrationRow], zone: str = "Europe/Warsaw") -> bytes:
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, delimiter=DELIMITER)
    writer.writerow([gettext(c) for c in COLUMNS])
    for number, row in enumerate(rows, start=1):
        r = row.registration
        writer.writerow(
            [
                number,
                cell(row.name),
                gettext(STATUS_LABELS[r.status]),
                row.position or "",
                r.head_count,
                cell(row.breakout),
                cell("\n".join(row.participants)),
                cell(r.accessibility_needs),
                cell(r.catering_needs),
                r.created_at.astimezone(ZoneInfo(zone)).strftime("%Y-%m-%d %H:%M"),
                "" if r.attended is None else r.attended,
            ]
        )
    return out.getvalue().encode("utf-8")
