"""Reading commitments: a consultation's, a municipality's open ones, the counts the yearly report needs, and last
year's commitments beside the paragraphs of this year's draft. Queries never commit."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from sqlalchemy import func
from sqlmodel import Session, col, select

from consult.i18n import _, format_when, gettext
from consult.models import (
    COMMITMENT_STATUSES,
    OPEN_COMMITMENT_STATUSES,
    Commitment,
    CommitmentChange,
    Consultation,
    Organisation,
    Record,
    User,
)

STATUS_LABELS = {
    "planned": _("planned"),
    "in_force": _("in force"),
    "done": _("done"),
    "dropped": _("dropped"),
}
EXCERPT_CHARS = 240
SAME_SERIES = 0.85  # how alike two titles must be, years left out, to be the same programme of another year


def status_label(status: str) -> str:
    return gettext(STATUS_LABELS.get(status, status))


@dataclass(frozen=True)
class CommitmentRow:
    """A commitment as pages show it, with its consultation's title and slug."""

    commitment: Commitment
    consultation_title: str
    consultation_slug: str

    @property
    def id(self) -> int:
        return self.commitment.id

    @property
    def status_label(self) -> str:
        return status_label(self.commitment.status)

    @property
    def excerpt(self) -> str:
        # a proposal's title and body are two paragraphs: a dash between them keeps them apart on one line
        text = " — ".join(" ".join(part.split()) for part in self.commitment.wording.split("\n\n") if part.strip())
        return text if len(text) <= EXCERPT_CHARS else text[: EXCERPT_CHARS - 1].rstrip() + "…"

    @property
    def record_anchor(self) -> str:
        """The contribution's row in the published record."""
        return f"record-{self.commitment.contribution_kind}-{self.commitment.contribution_id}"


@dataclass(frozen=True)
class ChangeRow:
    change: CommitmentChange
    by: str  # the official's name, "" once their account is gone

    @property
    def from_label(self) -> str:
        return status_label(self.change.from_status)

    @property
    def to_label(self) -> str:
        return status_label(self.change.to_status)


def _rows(session: Session, *where, order=()) -> list[CommitmentRow]:
    rows = session.exec(
        select(Commitment, Consultation.title, Consultation.slug)
        .join(Consultation, col(Consultation.id) == Commitment.consultation_id)
        .where(*where)
        .order_by(*order, col(Commitment.id))
    ).all()
    return [CommitmentRow(c, title, slug) for c, title, slug in rows]


def get_commitment(session: Session, commitment_id: int) -> CommitmentRow | None:
    found = _rows(session, Commitment.id == commitment_id)
    return found[0] if found else None


def commitments_of(session: Session, consultation_id: int) -> list[CommitmentRow]:
    """A consultation's commitments, in the order of the record (comments, then proposals, as they arrived)."""
    return _rows(session, Commitment.consultation_id == consultation_id, order=(col(Commitment.contribution_kind),))


def municipality_commitments(session: Session, municipality_id: int, *, only_open: bool = True) -> list[CommitmentRow]:
    """The municipality's commitments, newest consultation first: the open ones (planned, in force), or all."""
    where = [Commitment.municipality_id == municipality_id]
    if only_open:
        where.append(col(Commitment.status).in_(OPEN_COMMITMENT_STATUSES))
    return _rows(session, *where, order=(col(Consultation.closes_at).desc(), col(Commitment.contribution_kind)))


def history_of(session: Session, commitment_id: int) -> list[ChangeRow]:
    """Every change of a commitment, oldest first, with who made it."""
    rows = session.exec(
        select(CommitmentChange, User.display_name)
        .outerjoin(User, col(User.id) == CommitmentChange.changed_by_id)
        .where(CommitmentChange.commitment_id == commitment_id)
        .order_by(col(CommitmentChange.changed_at), col(CommitmentChange.id))
    ).all()
    return [ChangeRow(change, name or "") for change, name in rows]


def commitment_counts(session: Session, municipality_id: int, year: int) -> dict[str, int]:
    """The municipality's commitments that were live during the year, by the status each stood in at its end:
    {"planned": n, "in_force": n, "done": n, "dropped": n}.

    Live during the year: made (its record published) before the year ended, and not already done or dropped when
    it began. A commitment done next March counts for this year in the status it had on 31 December."""
    start, end = datetime(year, 1, 1, tzinfo=UTC), datetime(year + 1, 1, 1, tzinfo=UTC)
    made = dict(
        session.exec(
            select(Commitment.id, Commitment.created_at).where(
                Commitment.municipality_id == municipality_id, col(Commitment.created_at) < end
            )
        ).all()
    )
    changes: dict[int, list[tuple[datetime, str]]] = {}
    if made:
        for i, to_status, at in session.exec(
            select(CommitmentChange.commitment_id, CommitmentChange.to_status, CommitmentChange.changed_at)
            .where(col(CommitmentChange.commitment_id).in_(made), col(CommitmentChange.changed_at) < end)
            .order_by(col(CommitmentChange.changed_at), col(CommitmentChange.id))
        ).all():
            changes.setdefault(i, []).append((_aware(at), to_status))
    counts = dict.fromkeys(COMMITMENT_STATUSES, 0)
    for i in made:
        history = changes.get(i, [])
        at_start = next((s for at, s in reversed(history) if at < start), "planned")
        if _aware(made[i]) < start and at_start in ("done", "dropped"):
            continue
        at_end = history[-1][1] if history else "planned"
        counts[at_end] += 1
    return counts


def _aware(moment: datetime) -> datetime:
    """SQLite gives back naive times; they were stored in UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def count_by_status(session: Session, municipality_id: int) -> dict[str, int]:
    """The municipality's commitments in each status now."""
    rows = session.exec(
        select(Commitment.status, func.count())
        .where(Commitment.municipality_id == municipality_id)
        .group_by(col(Commitment.status))
    ).all()
    return dict.fromkeys(COMMITMENT_STATUSES, 0) | dict(rows)


# --- last year's commitments beside this year's draft ----------------------------------------------------


def series_key(title: str) -> str:
    """A title without its years and numbers: "Program współpracy … na rok 2027" is the programme of any year."""
    words = re.sub(r"[\W\d_]+", " ", title.casefold())
    return " ".join(words.split())


def same_series(one: str, other: str) -> bool:
    a, b = series_key(one), series_key(other)
    return a == b or difflib.SequenceMatcher(None, a, b).ratio() >= SAME_SERIES


@dataclass
class Earlier:
    """Last year's commitments for this year's draft: the earlier consultation of the same programme, its
    commitments by the paragraph label they touched, and those on no paragraph of this draft (or the whole one)."""

    consultation: Consultation | None = None
    by_label: dict[str, list[CommitmentRow]] = field(default_factory=dict)
    elsewhere: list[CommitmentRow] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.by_label or self.elsewhere)


def previous_consultation(session: Session, consultation: Consultation) -> Consultation | None:
    """The municipality's latest consultation of the same programme with a published record, before this one."""
    candidates = session.exec(
        select(Consultation)
        .join(Record, col(Record.consultation_id) == Consultation.id)
        .where(
            Consultation.organisation_id == consultation.organisation_id,
            Consultation.id != consultation.id,
            col(Consultation.opens_at) < consultation.opens_at,
        )
        .order_by(col(Consultation.opens_at).desc())
        .limit(20)
    ).all()
    return next((c for c in candidates if same_series(c.title, consultation.title)), None)


def earlier_commitments(session: Session, consultation: Consultation, labels: set[str]) -> Earlier:
    """Last year's commitments matched to this draft's paragraphs by their label ("§ 9 ust. 1")."""
    previous = previous_consultation(session, consultation)
    if previous is None:
        return Earlier()
    earlier = Earlier(previous)
    for row in commitments_of(session, previous.id):
        label = row.commitment.paragraph_label
        if label and label in labels:
            earlier.by_label.setdefault(label, []).append(row)
        else:
            earlier.elsewhere.append(row)
    return earlier


def municipality_by_slug(session: Session, slug: str) -> Organisation | None:
    return session.exec(
        select(Organisation).where(Organisation.slug == slug, Organisation.kind == "municipality")
    ).first()


def day_text(value: date | None) -> str:
    """A date written out in the reader's language ("14 grudnia 2026 r.")."""
    if value is None:
        return ""
    return format_when(datetime(value.year, value.month, value.day, 12, tzinfo=UTC), style="date")


def consultation_context(session: Session, consultation: Consultation, document, *, record, officials: bool) -> dict:
    """What a consultation's page shows of commitments: its own after its record, and for the municipality's
    officials the previous consultation's beside this draft's paragraphs."""
    labels = {p.label for _section, paragraphs in document.sections for p in paragraphs}
    return {
        "commitment_rows": commitments_of(session, consultation.id) if record is not None else [],
        "earlier": earlier_commitments(session, consultation, labels) if officials else Earlier(),
        "day": day_text,
    }
