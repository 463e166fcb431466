"""A consultation's history of changes in its record: corrections, new dates, an extension, a cancellation.

In the canonical JSON under `course.history`, and only when the consultation has changes: the record of a consultation
that never changed keeps exactly the bytes (and the SHA-256) it had before the history was part of the record.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlmodel import Session

from consult.consultations.changes import CHANGE_LABELS, changes_of
from consult.i18n import format_when, gettext
from consult.labels import form_field_label
from consult.models import Consultation

TIMES = ("opens_at", "closes_at", "cancelled_at")  # a change's values that are times: in the record in UTC


def _value(field: str, value: str) -> str:
    return datetime.fromisoformat(value).astimezone(UTC).isoformat() if field in TIMES and value else value


def history(session: Session, consultation: Consultation) -> list[dict[str, Any]]:
    """The consultation's public history of changes, oldest first, as the record holds it."""
    return [
        {
            "kind": change.kind,
            "at": change.at.astimezone(UTC).isoformat(),
            "reason": change.reason,
            "changes": [
                {"field": field, "before": _value(field, before), "after": _value(field, after)}
                for field, before, after in change.changes
            ],
        }
        for change in changes_of(session, consultation)
    ]


@dataclass(frozen=True)
class HistoryRow:
    """One change as the record's page and PDF show it, in the reader's language."""

    label: str
    at: datetime
    details: list[str]
    reason: str


def _detail(field: str, before: str, after: str) -> str | None:
    if field in ("opens_at", "closes_at"):
        was, now = (format_when(datetime.fromisoformat(v)) for v in (before, after))
        name = gettext("Opens") if field == "opens_at" else gettext("Closes")
        return f"{name}: " + gettext("was %(before)s, now %(after)s", before=was, after=now)
    if field == "cancelled_at":
        return None  # the label says it
    if field == "summary":
        return gettext("The summary was rewritten.")
    return f"{form_field_label(field)}: " + gettext("was “%(before)s”, now “%(after)s”", before=before, after=after)


def history_rows(data: dict[str, Any]) -> list[HistoryRow]:
    """The record's history of changes (none for a consultation that never changed), read from its snapshot."""
    return [
        HistoryRow(
            label=gettext(CHANGE_LABELS.get(entry["kind"], entry["kind"])),
            at=datetime.fromisoformat(entry["at"]),
            details=[d for c in entry["changes"] if (d := _detail(c["field"], c["before"], c["after"])) is not None],
            reason=entry["reason"],
        )
        for entry in data["course"].get("history", [])
    ]
