"""The record's table as every format shows it, read from the snapshot: one row per comment, then per proposal.

Columns (the Polish report's): Lp. / organisation (name, KRS) / part of the document / current wording / proposed
wording or content of the comment / justification / position / justification of the position; spreadsheets add the
kind, co-signers, channel, times, status and votes after them.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from consult.answers.contributions import position_label
from consult.entries.actions import CHANNEL_LABELS
from consult.i18n import _, format_when, gettext

PLATFORM = _("On the consultation platform")
STATUS_LABELS = {
    "visible": _("considered"),
    "withdrawn": _("withdrawn by the author"),
    "hidden": _("hidden by moderation"),
}
PLACE_PREFIXES = ("Miasto i Gmina ", "Gmina Miejska ", "Gmina Wiejska ", "Urząd Gminy ", "Urząd Miasta ", "Gmina ")


def channel_label(channel: str) -> str:
    return gettext(CHANNEL_LABELS.get(channel, PLATFORM))


def status_label(status: str) -> str:
    return gettext(STATUS_LABELS.get(status, status))


def parse_time(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def record_time(value: str | None, style: str = "long") -> str:
    """A time of the record's data (ISO 8601, UTC) in the reader's language, Europe/Warsaw."""
    return format_when(parse_time(value), style=style) if value else ""


def place_of(municipality: str) -> str:
    """ "Gmina Wierzbno" → "Wierzbno": where the record is signed, for the place-and-date line."""
    for prefix in PLACE_PREFIXES:
        if municipality.startswith(prefix):
            return municipality.removeprefix(prefix)
    return municipality


def content_of(row: dict[str, Any]) -> str:
    """The proposed wording, then the comment's text, each as written, a blank line between."""
    return "\n\n".join(text for text in (row.get("proposed_wording"), row.get("body")) if text)


def redaction(row: dict[str, Any]) -> str:
    """What stands instead of a withdrawn or hidden contribution's text."""
    if row["status"] == "withdrawn":
        return gettext("Withdrawn by the author.")
    return gettext("Hidden by moderation: %(reason)s", reason=row.get("status_reason") or "")


@dataclass(frozen=True)
class TableRow:
    lp: int
    kind: str  # comment | proposal
    id: int
    organisation: str
    krs: str
    co_signers: str
    part: str
    current_wording: str
    content: str
    justification: str
    position: str
    position_justification: str
    channel: str  # platform | email | paper | meeting
    received_at: datetime | None
    submitted_at: datetime | None
    status: str
    tally: dict[str, int] | None


def _row(lp: int, row: dict[str, Any]) -> TableRow:
    proposal = "tally" in row
    shown = row["status"] == "visible"
    organisation = row.get("organisation") or {}
    if proposal:
        title = row.get("title") or ""
        part = f"{title} ({row['paragraph']})" if title and row.get("paragraph") else title
        content = row.get("body") or ""
    else:
        part = row.get("paragraph") or gettext("The whole document")
        content = content_of(row)
    return TableRow(
        lp=lp,
        kind="proposal" if proposal else "comment",
        id=row["id"],
        organisation=organisation.get("name") or row.get("sender") or gettext("A resident"),
        krs=organisation.get("krs") or "",
        co_signers="; ".join(s["name"] for s in row.get("co_signers", [])),
        part=part if shown or not proposal else gettext("Proposal"),
        current_wording=(row.get("current_wording") or "") if shown else "",
        content=content if shown else redaction(row),
        justification=(row.get("justification") or "") if shown else "",
        position=position_label(row["position"]) if row.get("position") else "",
        position_justification=row.get("position_justification") or "",
        channel=row["channel"],
        received_at=parse_time(row.get("received_at")),
        submitted_at=parse_time(row.get("submitted_at")),
        status=status_label(row["status"]),
        tally=row.get("tally"),
    )


def comment_rows(data: dict[str, Any]) -> Iterator[TableRow]:
    for lp, row in enumerate(data["contributions"], start=1):
        yield _row(lp, row)


def proposal_rows(data: dict[str, Any]) -> Iterator[TableRow]:
    for lp, row in enumerate(data["proposals"], start=1):
        yield _row(lp, row)


def all_rows(data: dict[str, Any]) -> Iterator[TableRow]:
    """Comments, then proposals, numbered on from them: the one table of the spreadsheets."""
    lp = 0
    for lp, row in enumerate(data["contributions"], start=1):  # noqa: B007  (lp goes on below)
        yield _row(lp, row)
    for n, row in enumerate(data["proposals"], start=lp + 1):
        yield _row(n, row)


@dataclass(frozen=True)
class Reply:
    """One comment in the conversation around a contribution, as the record page lists it."""

    id: int
    organisation: str
    submitted_at: datetime | None
    text: str


@dataclass(frozen=True)
class Conversation:
    """The replies under one comment, or one proposal's discussion, headed by the contribution's number."""

    kind: str  # comment | proposal
    lp: int
    id: int
    organisation: str
    replies: list[Reply]


def _replies(items: list[dict[str, Any]]) -> list[Reply]:
    return [
        Reply(
            id=item["id"],
            organisation=(item.get("organisation") or {}).get("name") or gettext("A resident"),
            submitted_at=parse_time(item.get("submitted_at")),
            text=item["body"] if item["status"] == "visible" else redaction(item),
        )
        for item in items
    ]


def conversations(data: dict[str, Any]) -> Iterator[Conversation]:
    """The replies and proposals' discussions of the record (records published before they were kept have none)."""
    talks = (("comment", "replies", data["contributions"]), ("proposal", "discussion", data["proposals"]))
    for kind, key, rows in talks:
        for lp, row in enumerate(rows, start=1):
            if row.get(key):
                name = (row.get("organisation") or {}).get("name") or gettext("A resident")
                yield Conversation(kind, lp, row["id"], name, _replies(row[key]))
