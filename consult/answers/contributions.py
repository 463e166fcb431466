"""What a consultation's contributions are, and the queries that list them with their answers.

Definitions shared by the review screen and the record:
- A *contribution* of a consultation is a root comment (no parent) in one of its own threads, the general discussion
  or a paragraph's (`Thread.owner_kind` "consultation" or "paragraph"), or one of its proposals. Its kind is
  "comment" or "proposal"; its paragraph is the key in the thread's owner id "<consultation id>:<key>" for a comment,
  `Proposal.paragraph_key` for a proposal (None: the whole document).
- Withdrawn and hidden contributions need no answer: they are listed as such and left out of the progress.
- An *answer* (a position of POSITIONS and a justification, required unless accepted) covers one or more
  contributions through AnswerLink, unique per contribution: each contribution has at most one answer.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import String, and_, case, func, literal_column, union_all
from sqlmodel import Session, col, select

from consult.comments.annotations import register
from consult.i18n import _, gettext
from consult.models import (
    DOCUMENT_THREADS,
    Answer,
    AnswerLink,
    Comment,
    Consultation,
    DocumentVersion,
    Organisation,
    Paragraph,
    Proposal,
    Thread,
    User,
)
from consult.records.build import co_signers_of
from consult.records.discussion import proposal_discussions, replies_of

KINDS = ("comment", "proposal")
PER_PAGE = 50
EXCERPT_CHARS = 200
POSITION_LABELS = {
    "accepted": _("accepted"),
    "partly_accepted": _("partly accepted"),
    "rejected": _("rejected"),
    "explained": _("explained"),
}
GENERAL = "general"  # the paragraph filter's value for contributions on the whole document
NO_ORGANISATION = "none"  # the organisation filter's value for residents speaking for themselves

Ref = tuple[str, int]  # (kind, id) of a contribution


def ref_text(ref: Ref) -> str:
    """ "comment:12": how the ledger and the forms name a contribution."""
    return f"{ref[0]}:{ref[1]}"


def parse_ref(value: str) -> Ref | None:
    kind, _sep, number = value.partition(":")
    return (kind, int(number)) if kind in KINDS and number.isdigit() else None


def position_label(position: str) -> str:
    return gettext(POSITION_LABELS.get(position, position))


@dataclass(frozen=True)
class AnswerView:
    """An answer as pages show it, with every contribution it covers."""

    id: int
    position: str
    justification: str
    updated_at: datetime
    covers: tuple[Ref, ...]

    @property
    def position_label(self) -> str:
        return position_label(self.position)

    @property
    def shared(self) -> bool:
        return len(self.covers) > 1


@dataclass
class Contribution:
    """One comment or proposal of a consultation as the review screen and the record show it."""

    kind: str
    id: int
    paragraph_key: str | None
    paragraph_label: str | None
    organisation_name: str | None
    organisation_slug: str | None
    author: str
    title: str  # a proposal's; "" for a comment
    body: str
    body_html: str
    current_wording: str
    proposed_wording: str
    justification: str
    channel: str
    received_at: datetime | None
    status: str
    created_at: datetime
    sender_name: str = ""  # a person or group without an account, for an entry an official made
    answer: AnswerView | None = None
    co_signers: list[str] = field(default_factory=list)  # organisations' names
    replies: list[dict] = field(default_factory=list)  # a comment's replies or a proposal's discussion, as recorded

    @property
    def ref(self) -> Ref:
        return (self.kind, self.id)

    @property
    def key(self) -> str:
        return ref_text(self.ref)

    @property
    def dom_id(self) -> str:
        return f"contribution-{self.kind}-{self.id}"

    @property
    def needs_answer(self) -> bool:
        return self.status == "visible"

    @property
    def excerpt(self) -> str:
        text = " ".join(self.body.split())
        return text if len(text) <= EXCERPT_CHARS else text[: EXCERPT_CHARS - 1].rstrip() + "…"


@dataclass(frozen=True)
class ContributionFilter:
    paragraph: str = ""  # "", GENERAL or a paragraph key
    organisation: str = ""  # "", NO_ORGANISATION or an organisation's slug
    page: int = 1


@dataclass(frozen=True)
class Progress:
    answered: int
    total: int  # contributions that need an answer

    @property
    def done(self) -> bool:
        return self.answered >= self.total


@dataclass
class Review:
    """Everything the review screen shows: one page of contributions, the progress and the filters' choices."""

    rows: list[Contribution]
    matching: int  # contributions matching the filters
    page: int
    pages: int
    progress: Progress
    paragraphs: list[tuple[str, str]] = field(default_factory=list)  # (key, label) of those with contributions
    general: bool = False  # whether any contribution is on the whole document
    organisations: list[tuple[str, str]] = field(default_factory=list)  # (slug, name)


# --- queries ------------------------------------------------------------------------------


WORDING = ("current_wording", "proposed_wording", "justification")  # a comment's structured fields
SHARED = ("body", "body_html", "channel", "received_at", "status", "created_at")


def _contributions_query(consultation: Consultation, f: ContributionFilter, refs: list[Ref] | None = None):
    """Comments and proposals as one subquery with the same columns, narrowed by the filters (or to refs)."""
    empty = literal_column("''", String)
    comments = (
        select(
            literal_column("'comment'", String).label("kind"), Comment.id, col(Thread.owner_id).label("place"),
            Comment.organisation_id, Comment.author_id, empty.label("title"),
            *(getattr(Comment, name) for name in WORDING + SHARED), Comment.sender_name,
        )
        .join(Thread, col(Thread.id) == Comment.thread_id)
        .where(
            Thread.consultation_id == consultation.id,
            col(Thread.owner_kind).in_(DOCUMENT_THREADS),
            col(Comment.parent_id).is_(None),
        )
    )  # fmt: skip
    proposals = select(
        literal_column("'proposal'", String), Proposal.id, Proposal.paragraph_key, Proposal.organisation_id,
        Proposal.author_id, Proposal.title, empty, empty, empty, *(getattr(Proposal, name) for name in SHARED),
        empty,
    ).where(Proposal.consultation_id == consultation.id)  # fmt: skip
    if f.paragraph == GENERAL:
        comments = comments.where(Thread.owner_kind == "consultation")
        proposals = proposals.where(col(Proposal.paragraph_key).is_(None))
    elif f.paragraph:
        comments = comments.where(Thread.owner_id == f"{consultation.id}:{f.paragraph}")
        proposals = proposals.where(Proposal.paragraph_key == f.paragraph)
    if refs is not None:
        comments = comments.where(col(Comment.id).in_([i for k, i in refs if k == "comment"]))
        proposals = proposals.where(col(Proposal.id).in_([i for k, i in refs if k == "proposal"]))
    return union_all(comments, proposals).subquery("contribution")


def _ordered(consultation: Consultation, f: ContributionFilter, refs: list[Ref] | None = None):
    """The contributions with their author, organisation and answer: unanswered first, then answered, then those
    needing no answer; in each group in the order they arrived."""
    u = _contributions_query(consultation, f, refs)
    group = case((u.c.status != "visible", 2), (col(AnswerLink.id).is_(None), 0), else_=1)
    query = (
        select(u, AnswerLink.answer_id, Organisation.name, Organisation.slug, User.display_name)
        .select_from(u)
        .outerjoin(AnswerLink, and_(AnswerLink.contribution_kind == u.c.kind, AnswerLink.contribution_id == u.c.id))
        .outerjoin(Organisation, col(Organisation.id) == u.c.organisation_id)
        .outerjoin(User, col(User.id) == u.c.author_id)
    )
    if f.organisation == NO_ORGANISATION:
        query = query.where(u.c.organisation_id.is_(None))
    elif f.organisation:
        query = query.where(Organisation.slug == f.organisation)
    return query, (group, u.c.created_at, u.c.kind, u.c.id)


def paragraph_labels(session: Session, consultation: Consultation) -> dict[str, str]:
    """Each paragraph key's label, in the order of the latest version (keys of earlier versions keep theirs)."""
    rows = session.exec(
        select(Paragraph.key, Paragraph.label)
        .join(DocumentVersion, col(DocumentVersion.id) == Paragraph.version_id)
        .where(DocumentVersion.consultation_id == consultation.id)
        .order_by(col(DocumentVersion.number).desc(), col(Paragraph.position))
    ).all()
    labels: dict[str, str] = {}
    for key, label in rows:
        labels.setdefault(key, label)
    return labels


def answers_by_id(session: Session, answer_ids: set[int]) -> dict[int, AnswerView]:
    """The answers with every contribution each covers, in one query."""
    if not answer_ids:
        return {}
    rows = session.exec(
        select(Answer, AnswerLink.contribution_kind, AnswerLink.contribution_id)
        .join(AnswerLink, col(AnswerLink.answer_id) == Answer.id)
        .where(col(Answer.id).in_(answer_ids))
        .order_by(col(AnswerLink.id))
    ).all()
    answers: dict[int, Answer] = {}
    covers: dict[int, list[Ref]] = {}
    for answer, kind, number in rows:
        answers[answer.id] = answer
        covers.setdefault(answer.id, []).append((kind, number))
    return {i: AnswerView(i, a.position, a.justification, a.updated_at, tuple(covers[i])) for i, a in answers.items()}


def _place_key(consultation: Consultation, kind: str, place: str | None) -> str | None:
    if kind == "proposal":
        return place
    prefix = f"{consultation.id}:"
    return place.removeprefix(prefix) if place and place.startswith(prefix) else None


def contributions(
    session: Session,
    consultation: Consultation,
    filters: ContributionFilter | None = None,
    *,
    refs: list[Ref] | None = None,
    limit: int | None = None,
    offset: int = 0,
    labels: dict[str, str] | None = None,
) -> list[Contribution]:
    """The consultation's contributions (unanswered first) with their answers, in four queries however many."""
    query, order = _ordered(consultation, filters or ContributionFilter(), refs)
    query = query.order_by(*order).offset(offset)
    if limit is not None:
        query = query.limit(limit)
    rows = session.exec(query).all()
    if labels is None:
        labels = paragraph_labels(session, consultation) if rows else {}
    answers = answers_by_id(session, {r.answer_id for r in rows if r.answer_id is not None})
    found = [
        Contribution(
            kind=r.kind,
            id=r.id,
            paragraph_key=(key := _place_key(consultation, r.kind, r.place)),
            paragraph_label=labels.get(key, key) if key else None,
            organisation_name=r.name,
            organisation_slug=r.slug,
            author=r.display_name or "",
            title=r.title,
            answer=answers.get(r.answer_id) if r.answer_id is not None else None,
            sender_name=r.sender_name or "",
            **{name: getattr(r, name) for name in WORDING + SHARED},
        )
        for r in rows
    ]
    _add_conversation(session, found)
    return found


def _add_conversation(session: Session, rows: list[Contribution]) -> None:
    """Each contribution's co-signers and replies (a proposal's discussion), as the record will hold them."""
    for kind, talk in (("comment", replies_of), ("proposal", proposal_discussions)):
        ids = [r.id for r in rows if r.kind == kind]
        if not ids:
            continue
        signers, replies = co_signers_of(session, kind, ids), talk(session, ids)
        for row in (r for r in rows if r.kind == kind):
            row.co_signers = [s["name"] for s in signers.get(row.id, [])]
            row.replies = replies.get(row.id, [])


def paragraph_choices(
    session: Session, consultation: Consultation, labels: dict[str, str]
) -> tuple[list[tuple[str, str]], bool]:
    """The paragraphs that have contributions, in the document's order, and whether the whole document has any."""
    u = _contributions_query(consultation, ContributionFilter())
    keys = {
        _place_key(consultation, kind, place) for kind, place in session.exec(select(u.c.kind, u.c.place).distinct())
    }
    return [(key, label) for key, label in labels.items() if key in keys], None in keys


def get_contribution(session: Session, consultation: Consultation, ref: Ref) -> Contribution | None:
    found = contributions(session, consultation, refs=[ref]) if ref[0] in KINDS else []
    return found[0] if found else None


def count_contributions(session: Session, consultation: Consultation, filters: ContributionFilter) -> int:
    query, _order = _ordered(consultation, filters)
    return session.exec(select(func.count()).select_from(query.subquery())).one()


def progress(session: Session, consultation: Consultation) -> Progress:
    """How many of the contributions that need an answer have one, in one query."""
    u = _contributions_query(consultation, ContributionFilter())
    answered, total = session.exec(
        select(func.count(AnswerLink.id), func.count())
        .select_from(u)
        .outerjoin(AnswerLink, and_(AnswerLink.contribution_kind == u.c.kind, AnswerLink.contribution_id == u.c.id))
        .where(u.c.status == "visible")
    ).one()
    return Progress(answered, total)


def page_of(session: Session, consultation: Consultation, filters: ContributionFilter, ref: Ref) -> int:
    """The page of the review list on which a contribution now stands (answering it moves it down)."""
    query, order = _ordered(consultation, filters)
    ranked = query.add_columns(func.row_number().over(order_by=order).label("n")).subquery()
    n = session.exec(select(ranked.c.n).where(ranked.c.kind == ref[0], ranked.c.id == ref[1])).first()
    return (n - 1) // PER_PAGE + 1 if n else 1


def organisation_choices(session: Session, consultation: Consultation) -> list[tuple[str, str]]:
    """The organisations that contributed, by name; NO_ORGANISATION first when residents spoke for themselves."""
    u = _contributions_query(consultation, ContributionFilter())
    rows = session.exec(
        select(Organisation.slug, Organisation.name)
        .select_from(u)
        .outerjoin(Organisation, col(Organisation.id) == u.c.organisation_id)
        .distinct()
    ).all()
    named = sorted(((s, n) for s, n in rows if s), key=lambda row: row[1].casefold())
    return (
        [(NO_ORGANISATION, gettext("Residents (without an organisation)"))] if len(named) < len(rows) else []
    ) + named


def review(session: Session, consultation: Consultation, filters: ContributionFilter) -> Review:
    """One page of the review screen, in a fixed number of queries."""
    matching = count_contributions(session, consultation, filters)
    pages = max((matching + PER_PAGE - 1) // PER_PAGE, 1)
    page = min(max(filters.page, 1), pages)
    labels = paragraph_labels(session, consultation)
    rows = contributions(session, consultation, filters, limit=PER_PAGE, offset=(page - 1) * PER_PAGE, labels=labels)
    paragraphs, general = paragraph_choices(session, consultation, labels)
    return Review(
        rows=rows,
        matching=matching,
        page=page,
        pages=pages,
        progress=progress(session, consultation),
        paragraphs=paragraphs,
        general=general,
        organisations=organisation_choices(session, consultation),
    )


def public_answers(session: Session, kind: str, ids: list[int]) -> dict[int, AnswerView]:
    """The answers of these contributions of one kind, by contribution id, in one query (for public pages)."""
    if not ids:
        return {}
    rows = session.exec(
        select(AnswerLink.contribution_id, Answer)
        .join(Answer, col(Answer.id) == AnswerLink.answer_id)
        .where(AnswerLink.contribution_kind == kind, col(AnswerLink.contribution_id).in_(ids))
    ).all()
    return {i: AnswerView(a.id, a.position, a.justification, a.updated_at, ((kind, i),)) for i, a in rows}


def _annotate_comments(session: Session, views) -> None:
    """The comment engine's hook: a root comment's answer in view.extras["answer"]."""
    answers = public_answers(session, "comment", [v.id for v in views if v.comment.parent_id is None])
    for view in views:
        if view.id in answers:
            view.extras["answer"] = answers[view.id]


register("answers", _annotate_comments)
