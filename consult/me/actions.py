"""My page: what a signed-in person (and the organisations they speak for) has going on, in a fixed number of queries.

- Open and upcoming consultations, those of the municipalities our organisations serve (their `area_served` names
  the municipality) or have already taken part in first.
- What our organisations submitted (and what the person submitted in their own name): comments on a consultation's
  document and proposals, with the municipality's answer once there is one and whether the record is published.
- Co-signatures our organisations added, and the votes they cast.
Drafts of contributions are not kept by the platform (a comment is submitted or not), so there are none to list.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import or_
from sqlmodel import Session, col, select

from consult.answers.contributions import AnswerView, public_answers
from consult.models import (
    DOCUMENT_THREADS,
    Comment,
    Consultation,
    CoSignature,
    DocumentVersion,
    Organisation,
    Paragraph,
    Proposal,
    Record,
    Thread,
    Vote,
    utcnow,
)
from consult.organisations.actions import organisations_of
from consult.permissions import Principal

LIMIT = 50  # contributions, co-signatures and votes shown: the newest
MUNICIPALITY_WORDS = {"gmina", "miasto", "i", "powiat", "miejska", "wiejska", "miejsko-wiejska", "m.", "st."}


@dataclass(frozen=True)
class OpenConsultation:
    consultation: Consultation
    municipality: Organisation
    ours: bool  # in a municipality our organisations serve or have taken part in


@dataclass(frozen=True)
class Contribution:
    """A comment or proposal of ours, where it was made, and what the municipality answered."""

    kind: str  # comment | proposal
    id: int
    consultation: Consultation
    place: str | None  # the paragraph's label; None: the whole document
    organisation: str  # "" when made in one's own name
    title: str  # a proposal's title; "" for a comment
    text: str
    status: str  # visible | withdrawn | hidden
    created_at: datetime
    answer: AnswerView | None
    record_published: bool


@dataclass(frozen=True)
class CastVote:
    proposal: Proposal
    consultation: Consultation
    organisation: str
    choice: str  # for | against | abstain
    updated_at: datetime


@dataclass(frozen=True)
class MyPage:
    organisations: list[tuple[Organisation, str]]
    consultations: list[OpenConsultation]
    contributions: list[Contribution]
    cosigned: list[Contribution]  # contributions of others our organisations co-signed
    votes: list[CastVote]


def _fold(text: str) -> str:
    """Lower case without diacritics ("Łódź" → "lodz"), for matching place names typed by people."""
    text = text.lower().replace("ł", "l")
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def _place_words(name: str) -> set[str]:
    """The words naming the place in "Gmina Wierzbno", "Miasto i Gmina Nowe Miasto": Wierzbno; Nowe, Miasto."""
    return {w for w in _fold(name).replace("„", " ").replace("”", " ").split() if w not in MUNICIPALITY_WORDS}


def serves(area_served: str, municipality: Organisation) -> bool:
    """Whether an organisation's area, as its members typed it, names the municipality."""
    words = _place_words(municipality.name)
    area = _fold(area_served)
    return bool(words) and all(w[:-1] in area if len(w) > 4 else w in area.split() for w in words)


def open_consultations(
    session: Session, ours: list[Organisation], took_part_in: set[int], now: datetime | None = None
) -> list[OpenConsultation]:
    """Published consultations open now or later, ours first, each group by closing time."""
    now = now or utcnow()
    rows = session.exec(
        select(Consultation, Organisation)
        .join(Organisation, col(Organisation.id) == Consultation.organisation_id)
        .where(
            col(Consultation.published_at).is_not(None),
            col(Consultation.cancelled_at).is_(None),
            Consultation.closes_at > now,
        )
        .order_by(col(Consultation.closes_at))
    ).all()
    found = [
        OpenConsultation(c, m, c.id in took_part_in or any(serves(o.area_served, m) for o in ours)) for c, m in rows
    ]
    return sorted(found, key=lambda item: not item.ours)  # stable: closing time within each group


def _consultations(session: Session, ids: set[int]) -> dict[int, Consultation]:
    if not ids:
        return {}
    return {c.id: c for c in session.exec(select(Consultation).where(col(Consultation.id).in_(ids))).all()}


def _places(session: Session, consultation_ids: set[int], keys: set[str]) -> dict[tuple[int, str], str]:
    """The labels of these paragraph keys in each consultation's latest version, in one query."""
    if not consultation_ids or not keys:
        return {}
    rows = session.exec(
        select(DocumentVersion.consultation_id, Paragraph.key, Paragraph.label)
        .join(DocumentVersion, col(DocumentVersion.id) == Paragraph.version_id)
        .where(col(DocumentVersion.consultation_id).in_(consultation_ids), col(Paragraph.key).in_(keys))
        .order_by(col(DocumentVersion.number).desc())
    ).all()
    labels: dict[tuple[int, str], str] = {}
    for consultation_id, key, label in rows:
        labels.setdefault((consultation_id, key), label)
    return labels


def _mine(principal: Principal, organisation_column, author_column):
    """Made for one of our organisations, or by this person in their own name."""
    in_own_name = col(organisation_column).is_(None) & (author_column == principal.id)
    return or_(col(organisation_column).in_(list(principal.roles)), in_own_name)


def my_page(session: Session, principal: Principal, now: datetime | None = None) -> MyPage:
    organisations = organisations_of(session, principal.id)
    names = {o.id: o.name for o, _role in organisations}
    comments = session.exec(
        select(Comment, Thread)
        .join(Thread, col(Thread.id) == Comment.thread_id)
        .where(
            _mine(principal, Comment.organisation_id, Comment.author_id),
            col(Comment.parent_id).is_(None),
            col(Thread.owner_kind).in_(DOCUMENT_THREADS),
        )
        .order_by(col(Comment.created_at).desc())
        .limit(LIMIT)
    ).all()
    proposals = session.exec(
        select(Proposal)
        .where(_mine(principal, Proposal.organisation_id, Proposal.author_id))
        .order_by(col(Proposal.created_at).desc())
        .limit(LIMIT)
    ).all()
    signatures = session.exec(
        select(CoSignature)
        .where(col(CoSignature.organisation_id).in_(list(principal.roles)))
        .order_by(col(CoSignature.created_at).desc())
        .limit(LIMIT)
    ).all()
    own = {("comment", c.id) for c, _t in comments} | {("proposal", p.id) for p in proposals}
    signed_comments = {s.subject_id for s in signatures if s.subject_kind == "comment"}
    signed_proposals = {s.subject_id for s in signatures if s.subject_kind == "proposal"}
    if signed_comments:
        comments += session.exec(
            select(Comment, Thread)
            .join(Thread, col(Thread.id) == Comment.thread_id)
            .where(col(Comment.id).in_(signed_comments - {c.id for c, _t in comments}))
        ).all()
    if signed_proposals:
        proposals += session.exec(
            select(Proposal).where(col(Proposal.id).in_(signed_proposals - {p.id for p in proposals}))
        ).all()
    votes = session.exec(
        select(Vote, Proposal)
        .join(Proposal, col(Proposal.id) == Vote.proposal_id)
        .where(col(Vote.organisation_id).in_(list(principal.roles)))
        .order_by(col(Vote.updated_at).desc())
        .limit(LIMIT)
    ).all()
    consultations = _consultations(
        session,
        {t.consultation_id for _c, t in comments if t.consultation_id}
        | {p.consultation_id for p in proposals}
        | {p.consultation_id for _v, p in votes},
    )
    published = set(
        session.exec(select(Record.consultation_id).where(col(Record.consultation_id).in_(list(consultations)))).all()
    )
    keys = {t.owner_id.split(":", 1)[1] for _c, t in comments if t.owner_kind == "paragraph"}
    places = _places(session, set(consultations), keys | {p.paragraph_key for p in proposals if p.paragraph_key})
    answers = {
        "comment": public_answers(session, "comment", [c.id for c, _t in comments]),
        "proposal": public_answers(session, "proposal", [p.id for p in proposals]),
    }
    other_names = _names(session, {c.organisation_id for c, _t in comments} | {p.organisation_id for p in proposals})
    names = {**other_names, **names}
    items: list[Contribution] = []
    for comment, thread in comments:
        key = thread.owner_id.split(":", 1)[1] if thread.owner_kind == "paragraph" else None
        consultation = consultations[thread.consultation_id]
        items.append(
            Contribution(
                "comment",
                comment.id,
                consultation,
                places.get((consultation.id, key), key) if key else None,
                names.get(comment.organisation_id, ""),
                "",
                comment.proposed_wording or comment.body,
                comment.status,
                comment.created_at,
                answers["comment"].get(comment.id),
                consultation.id in published,
            )
        )
    for proposal in proposals:
        consultation = consultations[proposal.consultation_id]
        key = proposal.paragraph_key
        items.append(
            Contribution(
                "proposal",
                proposal.id,
                consultation,
                places.get((consultation.id, key), key) if key else None,
                names.get(proposal.organisation_id, ""),
                proposal.title,
                proposal.body,
                proposal.status,
                proposal.created_at,
                answers["proposal"].get(proposal.id),
                consultation.id in published,
            )
        )
    items.sort(key=lambda c: c.created_at, reverse=True)
    ours = [c for c in items if (c.kind, c.id) in own]
    took_part_in = {c.consultation.id for c in items}
    return MyPage(
        organisations=organisations,
        consultations=open_consultations(session, [o for o, _r in organisations], took_part_in, now),
        contributions=ours,
        cosigned=[c for c in items if (c.kind, c.id) not in own],
        votes=[
            CastVote(p, consultations[p.consultation_id], names.get(v.organisation_id, ""), v.choice, v.updated_at)
            for v, p in votes
        ],
    )


def _names(session: Session, ids: set[int | None]) -> dict[int | None, str]:
    wanted = [i for i in ids if i is not None]
    if not wanted:
        return {}
    return dict(session.exec(select(Organisation.id, Organisation.name).where(col(Organisation.id).in_(wanted))).all())
