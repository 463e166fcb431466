"""The record as a spreadsheet, from its snapshot: CSV streamed, XLSX through XlsxWriter in constant-memory mode.

Both carry the report's columns first, then the kind, co-signers, channel, times (Europe/Warsaw), status and votes;
positions, channels and statuses in the reader's language; "Cały dokument" for comments on the whole document.
"""

from __future__ import annotations

import csv
import io
import os
import tempfile
from collections.abc import Iterator
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from consult.i18n import _, gettext
from consult.records.table import TableRow, all_rows, channel_label, parse_time, proposal_rows, record_time

CHUNK = 65_536
WARSAW = ZoneInfo("Europe/Warsaw")
COLUMNS = (  # key, header, width in characters (XLSX)
    ("lp", _("No."), 6),
    ("organisation", _("Submitting organisation"), 30),
    ("krs", _("KRS"), 12),
    ("part", _("Part of the document"), 22),
    ("current_wording", _("Current wording"), 40),
    ("content", _("Proposed wording or the content of the comment"), 60),
    ("justification", _("Justification"), 45),
    ("position", _("Position"), 18),
    ("position_justification", _("Justification of the position"), 50),
    ("kind", _("Kind"), 12),
    ("co_signers", _("Co-signed by"), 30),
    ("channel", _("Channel"), 22),
    ("received_at", _("Received"), 17),
    ("submitted_at", _("Submitted"), 17),
    ("status", _("Status"), 18),
    ("tally", _("Votes for / against / abstaining"), 14),
)
TIMES = ("received_at", "submitted_at")
PROPOSAL_COLUMNS = (
    ("lp", _("No."), 6),
    ("organisation", _("Submitting organisation"), 30),
    ("part", _("Proposal"), 40),
    ("content", _("Content"), 60),
    ("for", _("For"), 8),
    ("against", _("Against"), 10),
    ("abstain", _("Abstaining"), 12),
    ("position", _("Position"), 18),
    ("position_justification", _("Justification of the position"), 50),
)


def local(value: datetime | None) -> datetime | None:
    """A time as Excel keeps it: Polish local time, without a zone."""
    return value.astimezone(WARSAW).replace(tzinfo=None) if value else None


def _values(row: TableRow) -> dict[str, Any]:
    tally = row.tally
    return {
        **row.__dict__,
        "kind": gettext("Proposal") if row.kind == "proposal" else gettext("Comment"),
        "channel": channel_label(row.channel),
        "tally": f"{tally['for']} / {tally['against']} / {tally['abstain']}" if tally else "",
        "received_at": local(row.received_at),
        "submitted_at": local(row.submitted_at),
    }


# --- CSV ------------------------------------------------------------------------------------------------------


def _csv_cell(value: Any) -> str:
    if value is None:
        return ""
    return value.strftime("%Y-%m-%d %H:%M") if isinstance(value, datetime) else str(value)


def csv_chunks(data: dict[str, Any], sha256: str) -> Iterator[bytes]:
    """UTF-8 with a BOM (spreadsheet programs then read Polish letters), one row per contribution, then the hash.

    In chunks of about 64 kB: a chunk per row cost a thread hop each (7 s instead of 1 s at 10,000).
    """
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out)
    writer.writerow([gettext(label) for _key, label, _width in COLUMNS])
    for row in all_rows(data):
        values = _values(row)
        writer.writerow([_csv_cell(values[key]) for key, _label, _width in COLUMNS])
        if out.tell() >= CHUNK:
            yield out.getvalue().encode("utf-8")
            out.seek(0)
            out.truncate()
    writer.writerow([])
    writer.writerow([gettext("SHA-256 of the record"), sha256])
    yield out.getvalue().encode("utf-8")


# --- XLSX -----------------------------------------------------------------------------------------------------


def _sheet(book, name: str, columns, header_format) -> Any:
    sheet = book.add_worksheet(name[:31])
    sheet.freeze_panes(1, 0)
    for index, (_key, label, width) in enumerate(columns):
        sheet.set_column(index, index, width)
        sheet.write_string(0, index, gettext(label), header_format)
    return sheet


def write_xlsx(path: str, data: dict[str, Any], sha256: str) -> None:
    """The record's workbook: contributions on the first sheet, proposals with their votes on the second.

    Without sha256 it is the live table of comments during the consultation ("zestawienie uwag"), not a record.
    """
    import xlsxwriter

    c = data["consultation"]
    # constant_memory: each row goes to a temporary file as it is written (rows in order, one sheet after another).
    book = xlsxwriter.Workbook(path, {"constant_memory": True, "tmpdir": os.path.dirname(path)})
    published = local(parse_time(c["published_at"]))
    name = _("Consultation record: %(title)s") if sha256 else _("Table of comments: %(title)s")
    title = gettext(name, title=c["title"])
    book.set_properties(
        {
            "title": title,
            "author": c["municipality"],
            "comments": f"SHA-256 {sha256}" if sha256 else "",
            "created": published,
        }
    )
    header = book.add_format({"bold": True, "text_wrap": True, "valign": "top", "bg_color": "#E8E8E8", "border": 1})
    wrap = book.add_format({"text_wrap": True, "valign": "top"})
    when = book.add_format({"num_format": "dd.mm.yyyy hh:mm", "valign": "top"})
    sheet = _sheet(book, gettext("Comments and proposals"), COLUMNS, header)
    n = 0
    for n, row in enumerate(all_rows(data), start=1):
        values = _values(row)
        for index, (key, _label, _width) in enumerate(COLUMNS):
            value = values[key]
            if key == "lp":
                sheet.write_number(n, index, value)
            elif key in TIMES:
                sheet.write_datetime(n, index, value, when) if value else sheet.write_blank(n, index, None)
            else:
                sheet.write_string(n, index, value or "", wrap)
    sheet.autofilter(0, 0, max(n, 1), len(COLUMNS) - 1)
    if sha256:
        sheet.write_string(n + 2, 0, gettext("SHA-256 of the record"))
        sheet.write_string(n + 2, 1, sha256)
    else:
        when = record_time(c["published_at"])
        sheet.write_string(n + 2, 0, gettext("As of %(when)s; not the consultation record.", when=when))
    votes = _sheet(book, gettext("Proposals and votes"), PROPOSAL_COLUMNS, header)
    for n, row in enumerate(proposal_rows(data), start=1):
        values = {**_values(row), **(row.tally or {})}
        for index, (key, _label, _width) in enumerate(PROPOSAL_COLUMNS):
            value = values[key]
            if isinstance(value, int):
                votes.write_number(n, index, value)
            else:
                votes.write_string(n, index, value or "", wrap)
    book.close()


def xlsx_chunks(data: dict[str, Any], sha256: str) -> Iterator[bytes]:
    """The workbook written to a temporary file (in the thread that iterates this), then read out in chunks."""
    with tempfile.TemporaryDirectory(prefix="consult-xlsx-") as tmp:
        path = os.path.join(tmp, "record.xlsx")
        write_xlsx(path, data, sha256)
        with open(path, "rb") as f:
            while chunk := f.read(CHUNK):
                yield chunk
