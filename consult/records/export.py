"""The record's formats besides HTML: JSON and CSV streamed from the canonical structure, PDF through WeasyPrint."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from consult.answers.contributions import position_label
from consult.i18n import _, gettext
from consult.records import build

PRINT_CSS = Path(__file__).resolve().parents[2] / "static" / "css" / "record-print.css"
CSV_COLUMNS = (
    ("lp", _("No.")),
    ("kind", _("Kind")),
    ("id", _("Id")),
    ("organisation", _("Submitting organisation")),
    ("krs", _("KRS")),
    ("co_signers", _("Co-signed by")),
    ("paragraph", _("Part of the document")),
    ("channel", _("Channel")),
    ("received_at", _("Received")),
    ("submitted_at", _("Submitted")),
    ("status", _("Status")),
    ("current_wording", _("Current wording")),
    ("proposed_wording", _("Proposed wording")),
    ("justification", _("Justification")),
    ("body", _("Text")),
    ("tally", _("Votes for / against / abstaining")),
    ("position", _("Position")),
    ("position_justification", _("Justification of the position")),
    ("replies_count", _("Replies")),
)


def json_chunks(head: dict[str, Any], rows: Iterator[dict], sha256: str) -> Iterator[bytes]:
    """The published JSON: canonical, with sha256 as its last key, in chunks of about 64 kB."""
    buffer: list[str] = []
    size = 0
    for chunk in build.canonical_chunks(head, rows, sha256):
        buffer.append(chunk)
        size += len(chunk)
        if size >= 65_536:
            yield "".join(buffer).encode("utf-8")
            buffer, size = [], 0
    yield "".join(buffer).encode("utf-8")


def _csv_row(n: int, row: dict[str, Any]) -> list[str]:
    organisation = row.get("organisation") or {}
    tally = row.get("tally")
    values = {
        **row,
        "lp": n,
        "organisation": organisation.get("name") or "",
        "krs": organisation.get("krs") or "",
        "co_signers": "; ".join(s["name"] for s in row.get("co_signers", [])),
        "kind": gettext("Proposal") if "tally" in row else gettext("Comment"),
        "body": row.get("body") if "tally" not in row else "\n".join(filter(None, [row["title"], row["body"]])),
        "tally": f"{tally['for']} / {tally['against']} / {tally['abstain']}" if tally else "",
        "position": position_label(row["position"]) if row.get("position") else "",
        "status": row["status"] if row["status"] == "visible" else f"{row['status']}: {row['status_reason']}",
    }
    return ["" if values.get(key) is None else str(values.get(key)) for key, _label in CSV_COLUMNS]


def csv_chunks(head: dict[str, Any], rows: Iterator[dict], sha256: str) -> Iterator[bytes]:
    """UTF-8 with a BOM (spreadsheet programs then read Polish letters), one row per contribution, then the hash.

    In chunks of about 64 kB, as the JSON: a chunk per row cost a thread hop each (7 s instead of 1 s at 10,000).
    """
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out)
    writer.writerow([gettext(label) for _key, label in CSV_COLUMNS])
    for n, row in enumerate(_proposals_last(rows, head), start=1):
        writer.writerow(_csv_row(n, row))
        if out.tell() >= 65_536:
            yield out.getvalue().encode("utf-8")
            out.seek(0)
            out.truncate()
    writer.writerow([])
    writer.writerow([gettext("SHA-256 of the record"), sha256])
    yield out.getvalue().encode("utf-8")


def _proposals_last(rows: Iterator[dict], head: dict[str, Any]) -> Iterator[dict]:
    yield from rows
    yield from head["proposals"]


def pdf_bytes(html: str, base_url: str) -> bytes:
    """The record page as PDF/A-3b, for archiving."""
    from weasyprint import CSS, HTML  # imported here: loading Pango takes a moment

    stylesheet = CSS(filename=str(PRINT_CSS))
    return HTML(string=html, base_url=base_url).write_pdf(stylesheets=[stylesheet], pdf_variant="pdf/a-3b")
