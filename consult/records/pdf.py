"""The record as a tagged, accessible PDF (PDF/A-2a and PDF/UA-1) through Typst, from the record's snapshot.

Typst, not WeasyPrint: bench/record_pdf.py measured both on the record's table (see bench/README.md). The data goes to
Typst as JSON in sys.inputs, never spliced into markup, so a comment's `#strong[x]` or `$x$` prints as written;
control characters, which PDF/A refuses, are stripped.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

from consult.answers.contributions import position_label
from consult.i18n import format_when, gettext
from consult.models import Record
from consult.records.history import history_rows
from consult.records.table import (
    channel_label,
    comment_rows,
    place_of,
    proposal_rows,
    record_time,
    status_label,
)

TEMPLATE = Path(__file__).resolve().parents[2] / "templates" / "records" / "record.typ"
STANDARDS = ["a-2a", "ua-1"]
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\ufffe\uffff]")
POSITIONS = ("accepted", "partly_accepted", "rejected", "explained")
RENDER_TIMEOUT = 600  # seconds


def clean(value: Any) -> Any:
    """The data without control characters (tab and newline stay), at any depth."""
    if isinstance(value, str):
        return CONTROL.sub("", value.replace("\r\n", "\n").replace("\t", " "))
    if isinstance(value, dict):
        return {k: clean(v) for k, v in value.items()}
    if isinstance(value, list):
        return [clean(v) for v in value]
    return value


def _labels() -> dict[str, str]:
    return {
        "page": gettext("Page"),
        "of": gettext("of"),
        "part1": gettext("I. Subject and responsible unit"),
        "part2": gettext("II. Course of the consultation"),
        "part3": gettext("III. Participants"),
        "part4": gettext("IV. Results"),
        "part5": gettext("V. Conclusion"),
        "no_participants": gettext("No organisation took part in the consultation."),
        "no_contributions": gettext("No comments or proposals were submitted during the consultation."),
        "comments": gettext("Comments"),
        "comments_caption": gettext("Comments with the municipality's position, by part of the document"),
        "proposals": gettext("Proposals"),
        "proposals_caption": gettext("Proposals with the votes of organisations and the municipality's position"),
        "changes": gettext("Changes between the consulted draft and the final text"),
        "history": gettext("History of changes"),
        "proof": gettext("Proof of integrity"),
        "prepared": gettext("Prepared by:"),
        "approved": gettext("Approved by:"),
    }


def _organisation(row) -> str:
    lines = [row.organisation] + ([f"KRS {row.krs}"] if row.krs else [])
    if row.co_signers:
        lines.append(gettext("Co-signed by") + ": " + row.co_signers)
    if row.channel != "platform":
        lines.append(f"{channel_label(row.channel)}, {format_when(row.received_at, style='short')}")
    return "\n".join(lines)


def _course(data: dict[str, Any], base_url: str) -> list[list[str]]:
    c = data["consultation"]
    found = [
        [gettext("Consultation period"), f"{record_time(c['opens_at'])} – {record_time(c['closes_at'])}"],
        [
            gettext("Announced"),
            f"{record_time(c['announced_at'])}, {gettext('on the consultation platform')}: "
            f"{base_url}/consultations/{c['slug']}",
        ],
        [gettext("Forms of consultation"), "; ".join(channel_label(f) for f in data["course"]["forms"])],
    ]
    if data["course"].get("short_window_reason"):
        found.append([gettext("Why the consultation was shorter"), data["course"]["short_window_reason"]])
    opinion = data.get("council_opinion")
    if opinion:
        if opinion["status"] == "submitted":
            said = gettext("Given on %(when)s.", when=record_time(opinion["submitted_at"]))
        elif opinion["status"] == "lapsed":
            said = gettext("Not given by the deadline of %(when)s.", when=record_time(opinion["due_at"]))
        else:
            said = gettext("Requested; due by %(when)s.", when=record_time(opinion["due_at"]))
        found.append([gettext("Opinion of the public benefit council"), said])
    return found


def _counts(data: dict[str, Any]) -> list[list[str]]:
    counts = data["counts"]
    if not counts["total"]:
        return []
    found = [[gettext("Contributions in all"), str(counts["total"])]]
    found += [[position_label(key).capitalize(), str(counts[key])] for key in POSITIONS]
    for key in ("withdrawn", "hidden"):
        if counts[key]:
            found.append([status_label(key).capitalize(), str(counts[key])])
    return found


def document(data: dict[str, Any], record: Record, base_url: str) -> dict[str, Any]:
    """What the Typst template lays out: every string translated and formatted here."""
    c = data["consultation"]
    changes = {"added": gettext("added"), "removed": gettext("removed"), "changed": gettext("changed")}
    url = f"{base_url}/consultations/{c['slug']}/record"
    return {
        "labels": _labels(),
        "title": gettext("Consultation record: %(title)s", title=c["title"]),
        "heading": gettext("Consultation record"),
        "subject": c["title"],
        "municipality": c["municipality"],
        "header": gettext("Consultation record"),
        "sha256": record.sha256,
        "part1": [
            [gettext("Subject"), c["title"]],
            [gettext("Municipality"), c["municipality"]],
            [gettext("Responsible unit"), c["responsible_unit"]],
            [gettext("Contact"), c["contact_person"]],
        ],
        "part2": _course(data, base_url),
        "opinion": (data.get("council_opinion") or {}).get("body") or "",
        "history_columns": [gettext("Change"), gettext("What changed"), gettext("Reason")],
        "history": [[f"{h.label}\n{format_when(h.at)}", "\n".join(h.details), h.reason] for h in history_rows(data)],
        "participants": [p["name"] + (f" (KRS {p['krs']})" if p["krs"] else "") for p in data["participants"]],
        "counts": _counts(data),
        "comment_columns": [
            gettext("No."),
            gettext("Submitting organisation"),
            gettext("Part of the document"),
            gettext("Current wording"),
            gettext("Proposed wording or the content of the comment"),
            gettext("Justification"),
            gettext("Position"),
            gettext("Justification of the position"),
        ],
        "comments": [
            [str(r.lp), _organisation(r), r.part, r.current_wording, r.content, r.justification]
            + [r.position, r.position_justification]
            for r in comment_rows(data)
        ],
        "proposal_columns": [
            gettext("No."),
            gettext("Submitting organisation"),
            gettext("Proposal"),
            gettext("For"),
            gettext("Against"),
            gettext("Abstaining"),
            gettext("Position"),
            gettext("Justification of the position"),
        ],
        "proposals": [
            [str(r.lp), _organisation(r), f"{r.part}\n{r.content}".strip()]
            + [str(r.tally["for"]), str(r.tally["against"]), str(r.tally["abstain"])]
            + [r.position, r.position_justification]
            for r in proposal_rows(data)
        ],
        "outcome": gettext("The draft goes to the council amended after the consultation.")
        if data["conclusion"]["outcome"] == "amended"
        else gettext("The draft goes to the council unchanged."),
        "conclusion": [p for p in (data["conclusion"]["text"] or "").split("\n\n") if p.strip()],
        "change_columns": [gettext("Part of the document"), gettext("Change"), gettext("before"), gettext("after")],
        "changes": [
            [ch["paragraph"], changes[ch["change"]], ch["before"] or "", ch["after"] or ""]
            for ch in data["conclusion"]["changes"]
        ],
        "proof": [
            [gettext("Record published"), record_time(c["published_at"])],
            ["SHA-256", record.sha256],
            [gettext("Ledger head at publication"), f"{data['ledger']['seq']} · {data['ledger']['hash']}"],
            [gettext("Check it at"), url],
        ],
        "place_date": f"{place_of(c['municipality'])}, {record_time(c['published_at'], 'date')}",
    }


def compile_pdf(inputs: str, timestamp: int) -> bytes:
    import typst  # imported here: only the worker renders

    return typst.compile(
        TEMPLATE.read_bytes(),
        format="pdf",
        sys_inputs={"data": inputs},
        pdf_standards=STANDARDS,
        timestamp=timestamp,
    )


def render(data: dict[str, Any], record: Record, base_url: str) -> bytes:
    """The PDF: tagged, PDF/A-2a and PDF/UA-1, Polish, titled; its creation time is the record's publication.

    Compiled in a child process: Typst holds the whole layout (about 3 GB at 10,000 long contributions), and the
    worker, which lives on, gets that memory back when the child ends; a render past RENDER_TIMEOUT is stopped.
    """
    inputs = json.dumps(clean(document(data, record, base_url)), ensure_ascii=False)
    timestamp = int(record.published_at.timestamp())
    done = subprocess.run(
        [sys.executable, "-m", "consult.records.pdf", str(timestamp)],
        input=inputs.encode("utf-8"),
        capture_output=True,
        timeout=RENDER_TIMEOUT,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"Typst failed: {done.stderr.decode(errors='replace').strip()[-1500:]}")
    return done.stdout


if __name__ == "__main__":  # the child of render(): the document's JSON on stdin, the PDF on stdout
    sys.stdout.buffer.write(compile_pdf(sys.stdin.buffer.read().decode("utf-8"), int(sys.argv[1])))
