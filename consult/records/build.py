"""The record's one canonical structure, built from the live data once, at publication: its snapshot and hash.

The head (everything but the contributions) is small; the contributions are yielded in batches so that a record of
10,000 contributions streams as CSV or JSON without being held in memory.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, literal, or_
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from consult import ledger
from consult.models import (
    DOCUMENT_THREADS,
    Answer,
    AnswerLink,
    Comment,
    Consultation,
    CoSignature,
    DocumentVersion,
    Organisation,
    Paragraph,
    Proposal,
    Thread,
    Vote,
)
from consult.opinions.actions import opinion_of, state_of
from consult.records.discussion import proposal_discussions, replies_of
from consult.records.history import history

BATCH = 500
CONTRIBUTION_FIELDS = (
    "id",
    "kind",
    "paragraph",
    "organisation",
    "co_signers",
    "channel",
    "received_at",
    "submitted_at",
    "status",
    "status_reason",
    "current_wording",
    "proposed_wording",
    "justification",
    "body",
    "position",
    "position_justification",
    "replies_count",
)


def iso(value: datetime | None) -> str | None:
    return value.astimezone(UTC).isoformat() if value else None


def _organisation(name: str | None, krs: str | None) -> dict[str, Any] | None:
    return {"name": name, "krs": krs} if name is not None else None


def versions(session: Session, consultation: Consultation) -> list[DocumentVersion]:
    return list(
        session.exec(
            select(DocumentVersion)
            .where(DocumentVersion.consultation_id == consultation.id)
            .order_by(col(DocumentVersion.number))
        )
    )


def paragraphs_of(session: Session, version: DocumentVersion) -> list[Paragraph]:
    return list(session.exec(select(Paragraph).where(Paragraph.version_id == version.id).order_by(Paragraph.position)))


def _document_sha256(paragraphs: list[Paragraph]) -> str:
    return ledger.sha256_hex("\n".join(f"{p.label} {p.text}" for p in paragraphs))


def documents(session: Session, consultation: Consultation) -> tuple[list[dict], list[Paragraph], list[Paragraph]]:
    """The versions as the record lists them, and the paragraphs of the consulted draft and of the final text."""
    found = versions(session, consultation)
    texts = {v.id: paragraphs_of(session, v) for v in (found[0], found[-1])} if found else {}
    listed = []
    for version in found:
        entry = {
            "id": version.id,
            "number": version.number,
            "created_at": iso(version.created_at),
            "note": version.note,
        }
        if version.id in texts:
            entry["sha256"] = _document_sha256(texts[version.id])
        listed.append(entry)
    if not found:
        return listed, [], []
    return listed, texts[found[0].id], texts[found[-1].id]


def changes(draft: list[Paragraph], final: list[Paragraph]) -> list[dict[str, Any]]:
    """What changed between the consulted draft and the final text, paragraph by paragraph (by stable key)."""
    before = {p.key: p for p in draft}
    after = {p.key: p for p in final}
    found = []
    for p in final:
        old = before.get(p.key)
        if old is None:
            found.append({"paragraph": p.label, "key": p.key, "change": "added", "before": None, "after": p.text})
        elif old.text != p.text or old.label != p.label:
            found.append({"paragraph": p.label, "key": p.key, "change": "changed", "before": old.text, "after": p.text})
    for p in draft:
        if p.key not in after:
            found.append({"paragraph": p.label, "key": p.key, "change": "removed", "before": p.text, "after": None})
    return found


def _answers(consultation_id: int, kind: str, id_column):
    """Outer-join clauses for the answer of a contribution of this kind."""
    link = aliased(AnswerLink)
    answer = aliased(Answer)
    return (
        link,
        answer,
        (
            (link.contribution_kind == kind) & (link.contribution_id == id_column),
            col(answer.id) == link.answer_id,
        ),
    )


def co_signers_of(session: Session, kind: str, ids: list[int]) -> dict[int, list[dict]]:
    if not ids:
        return {}
    rows = session.exec(
        select(CoSignature.subject_id, Organisation.name, Organisation.krs)
        .join(Organisation, col(Organisation.id) == CoSignature.organisation_id)
        .where(CoSignature.subject_kind == kind, col(CoSignature.subject_id).in_(ids))
        .order_by(col(CoSignature.created_at), col(CoSignature.id))
    ).all()
    found: dict[int, list[dict]] = {}
    for subject_id, name, krs in rows:
        found.setdefault(subject_id, []).append({"name": name, "krs": krs})
    return found


def _redacted(status: str, reason: str) -> str | None:
    if status == "hidden":
        return reason
    return "withdrawn by the author" if status == "withdrawn" else None


def _comments_in_order(consultation: Consultation, draft_version_id: int | None, *columns):
    """The comments opening a thread on the document in the record's order (general ones first, then by paragraph,
    then by time): the one ordering the record and the review screen number them by."""
    prefix = f"{consultation.id}:"
    return (
        select(*columns)
        .join(Thread, col(Thread.id) == Comment.thread_id)
        .outerjoin(
            Paragraph,
            (Paragraph.version_id == draft_version_id) & (col(Thread.owner_id) == literal(prefix) + Paragraph.key),
        )
        .where(
            Thread.consultation_id == consultation.id,
            col(Thread.owner_kind).in_(DOCUMENT_THREADS),
            col(Comment.parent_id).is_(None),
        )
        .order_by(func.coalesce(Paragraph.position, -1), col(Comment.created_at), col(Comment.id))
    )


def _proposals_in_order(consultation: Consultation, *columns):
    return (
        select(*columns)
        .where(Proposal.consultation_id == consultation.id)
        .order_by(col(Proposal.created_at), col(Proposal.id))
    )


def draft_version_id(session: Session, consultation: Consultation) -> int | None:
    """The consulted draft: the first version, whose paragraphs the record names."""
    return session.exec(
        select(DocumentVersion.id)
        .where(DocumentVersion.consultation_id == consultation.id)
        .order_by(col(DocumentVersion.number))
        .limit(1)
    ).first()


def record_numbers(session: Session, consultation: Consultation) -> dict[tuple[str, int], int]:
    """The number ("Lp.") each contribution has, or will have, in the record: comments 1..n, proposals 1..m, as
    contributions() and proposals() yield them; in three queries of ids."""
    draft = draft_version_id(session, consultation)
    comment_ids = session.exec(_comments_in_order(consultation, draft, Comment.id)).all()
    proposal_ids = session.exec(_proposals_in_order(consultation, Proposal.id)).all()
    return {("comment", i): n for n, i in enumerate(comment_ids, start=1)} | {
        ("proposal", i): n for n, i in enumerate(proposal_ids, start=1)
    }


def contributions(
    session: Session, consultation: Consultation, draft_version_id: int | None, discussion: bool = True
) -> Iterator[dict]:
    """Every comment that opens a thread on the document, grouped by paragraph (general ones first), in batches,
    each with its replies (`discussion=False`: as records were before they carried replies, for the backfill)."""
    link, answer, (link_on, answer_on) = _answers(consultation.id, "comment", Comment.id)
    columns = (Comment, Paragraph.label, Organisation.name, Organisation.krs, answer.position, answer.justification)
    query = (
        _comments_in_order(consultation, draft_version_id, *columns)
        .outerjoin(Organisation, col(Organisation.id) == Comment.organisation_id)
        .outerjoin(link, link_on)
        .outerjoin(answer, answer_on)
    )
    # One query read in batches, a server-side cursor on PostgreSQL (OFFSET paging sorted every row again for each
    # batch: quadratic); the session's identity map holds rows weakly, so memory stays at one batch.
    for rows in session.exec(query.execution_options(yield_per=BATCH)).partitions():
        signers = co_signers_of(session, "comment", [row[0].id for row in rows])
        replies = replies_of(session, [row[0].id for row in rows]) if discussion else None
        for comment, label, org_name, krs, position, position_justification in rows:
            shown = comment.status == "visible"
            row = {
                "id": comment.id,
                "kind": "comment",
                "paragraph": label,
                "organisation": _organisation(org_name, krs),
                "co_signers": signers.get(comment.id, []),
                "channel": comment.channel,
                "received_at": iso(comment.received_at),
                "submitted_at": iso(comment.created_at),
                "status": comment.status,
                "status_reason": _redacted(comment.status, comment.moderation_reason),
                "current_wording": comment.current_wording if shown else None,
                "proposed_wording": comment.proposed_wording if shown else None,
                "justification": comment.justification if shown else None,
                "body": comment.body if shown else None,
                "position": position,
                "position_justification": position_justification,
                "replies_count": comment.reply_count,
            }
            if comment.sender_name:  # a person or group without an account (only then: older records keep their hash)
                row["sender"] = comment.sender_name
            if replies is not None:
                row["replies"] = replies.get(comment.id, [])
            yield row


def proposals(
    session: Session, consultation: Consultation, draft_version_id: int | None, discussion: bool = True
) -> list[dict]:
    link, answer, (link_on, answer_on) = _answers(consultation.id, "proposal", Proposal.id)
    columns = (Proposal, Paragraph.label, Organisation.name, Organisation.krs, answer.position, answer.justification)
    rows = session.exec(
        _proposals_in_order(consultation, *columns)
        .outerjoin(
            Paragraph, (Paragraph.version_id == draft_version_id) & (col(Paragraph.key) == Proposal.paragraph_key)
        )
        .outerjoin(Organisation, col(Organisation.id) == Proposal.organisation_id)
        .outerjoin(link, link_on)
        .outerjoin(answer, answer_on)
    ).all()
    ids = [row[0].id for row in rows]
    tallies: dict[int, dict[str, int]] = {i: {"for": 0, "against": 0, "abstain": 0} for i in ids}
    if ids:
        for proposal_id, choice, n in session.exec(
            select(Vote.proposal_id, Vote.choice, func.count())
            .where(col(Vote.proposal_id).in_(ids))
            .group_by(Vote.proposal_id, Vote.choice)
        ):
            tallies[proposal_id][choice] = n
    signers = co_signers_of(session, "proposal", ids)
    discussions = proposal_discussions(session, ids) if discussion else None
    listed = []
    for proposal, label, org_name, krs, position, position_justification in rows:
        shown = proposal.status == "visible"
        listed.append(
            {
                "id": proposal.id,
                "title": proposal.title if shown else None,
                "body": proposal.body if shown else None,
                "category": proposal.category,
                "paragraph": label,
                "organisation": _organisation(org_name, krs),
                "co_signers": signers.get(proposal.id, []),
                "channel": proposal.channel,
                "received_at": iso(proposal.received_at),
                "submitted_at": iso(proposal.created_at),
                "status": proposal.status,
                "status_reason": _redacted(proposal.status, proposal.moderation_reason),
                "tally": tallies[proposal.id],
                "position": position,
                "position_justification": position_justification,
            }
        )
        if discussions is not None:
            listed[-1]["discussion"] = discussions.get(proposal.id, [])
    return listed


def participants(session: Session, consultation: Consultation) -> list[dict]:
    """The organisations that took part: commented, proposed, co-signed or voted."""
    threads = select(Thread.id).where(Thread.consultation_id == consultation.id)
    proposal_ids = select(Proposal.id).where(Proposal.consultation_id == consultation.id)
    comment_ids = select(Comment.id).where(col(Comment.thread_id).in_(threads))
    rows = session.exec(
        select(Organisation.name, Organisation.krs)
        .where(
            or_(
                col(Organisation.id).in_(select(Comment.organisation_id).where(col(Comment.thread_id).in_(threads))),
                col(Organisation.id).in_(
                    select(Proposal.organisation_id).where(Proposal.consultation_id == consultation.id)
                ),
                col(Organisation.id).in_(select(Vote.organisation_id).where(col(Vote.proposal_id).in_(proposal_ids))),
                col(Organisation.id).in_(
                    select(CoSignature.organisation_id).where(
                        ((CoSignature.subject_kind == "proposal") & col(CoSignature.subject_id).in_(proposal_ids))
                        | ((CoSignature.subject_kind == "comment") & col(CoSignature.subject_id).in_(comment_ids))
                    )
                ),
            )
        )
        .order_by(Organisation.name)
    ).all()
    return [{"name": name, "krs": krs} for name, krs in rows]


def council_opinion(session: Session, consultation: Consultation, now: datetime) -> dict | None:
    opinion = opinion_of(session, consultation)
    if opinion is None:
        return None
    return {
        "requested_at": iso(opinion.requested_at),
        "due_at": iso(opinion.due_at),
        "submitted_at": iso(opinion.submitted_at),
        "status": state_of(opinion, now),  # requested | submitted | lapsed
        "body": opinion.body or None,
    }


def head(
    session: Session,
    consultation: Consultation,
    municipality: Organisation,
    *,
    published_at: datetime,
    conclusion: str,
    ledger_seq: int | None,
    ledger_hash: str,
    discussion: bool = True,
) -> tuple[dict[str, Any], int | None]:
    """Everything in the record but the contributions, and the consulted draft's version id for them."""
    listed, draft, final = documents(session, consultation)
    found_proposals = proposals(session, consultation, draft[0].version_id if draft else None, discussion)
    channels = sorted({"platform", *(p["channel"] for p in found_proposals), *_comment_channels(session, consultation)})
    found_changes = changes(draft, final)
    course: dict[str, Any] = {"forms": channels, "short_window_reason": consultation.short_window_reason or None}
    if found_history := history(session, consultation):  # only then: records of unchanged consultations keep their hash
        course["history"] = found_history
    record = {
        "consultation": {
            "slug": consultation.slug,
            "title": consultation.title,
            "municipality": municipality.name,
            "summary": consultation.summary,
            "responsible_unit": consultation.responsible_unit,
            "contact_person": consultation.contact_person,
            "participation": consultation.participation,
            "announced_at": iso(consultation.published_at),
            "opens_at": iso(consultation.opens_at),
            "closes_at": iso(consultation.closes_at),
            "published_at": iso(published_at),
        },
        "course": course,
        "participants": participants(session, consultation),
        "proposals": found_proposals,
        "documents": listed,
        "council_opinion": council_opinion(session, consultation, published_at),
        "conclusion": {
            "outcome": "amended" if found_changes else "unchanged",
            "text": conclusion,
            "draft_version": listed[0]["id"] if listed else None,
            "final_version": listed[-1]["id"] if listed else None,
            "changes": found_changes,
        },
        "ledger": {"seq": ledger_seq, "hash": ledger_hash},
    }
    return record, draft[0].version_id if draft else None


def _comment_channels(session: Session, consultation: Consultation) -> set[str]:
    threads = select(Thread.id).where(Thread.consultation_id == consultation.id)
    return set(session.exec(select(Comment.channel).where(col(Comment.thread_id).in_(threads)).distinct()).all())


# --- canonical JSON, streamed --------------------------------------------------------------------------


def canonical_chunks(record_head: dict[str, Any], rows: Iterator[dict], sha256: str | None = None) -> Iterator[str]:
    """The canonical JSON of the record (keys sorted, compact, UTF-8), the contributions one at a time.

    Without sha256 it is exactly what the hash covers; with it, the published file (sha256 is the last key).
    The counts are computed while streaming and written after the contributions: "counts" sorts after them.
    """
    keys = sorted([*record_head, "contributions", "counts", *(["sha256"] if sha256 else [])])
    counts = tally(record_head["proposals"])
    yield "{"
    for index, key in enumerate(keys):
        yield ("," if index else "") + ledger.canonical_json(key) + ":"
        if key == "contributions":
            yield "["
            for n, row in enumerate(rows):
                _count(counts, row)
                yield ("," if n else "") + ledger.canonical_json(row)
            yield "]"
        elif key == "counts":
            yield ledger.canonical_json(counts)
        elif key == "sha256":
            yield ledger.canonical_json(sha256)
        else:
            yield ledger.canonical_json(record_head[key])
    yield "}"


def tally(rows) -> dict[str, int]:
    """How many contributions got each position, and how many were withdrawn or hidden."""
    counts = dict.fromkeys(("total", "accepted", "partly_accepted", "rejected", "explained", "withdrawn", "hidden"), 0)
    for row in rows:
        _count(counts, row)
    return counts


def _count(tally: dict[str, int], row: dict) -> None:
    tally["total"] += 1
    if row["status"] != "visible":
        tally[row["status"]] += 1
    elif row["position"]:
        tally[row["position"]] += 1


def sha256_of(chunks: Iterator[str]) -> str:
    digest = hashlib.sha256()
    for chunk in chunks:
        digest.update(chunk.encode("utf-8"))
    return digest.hexdigest()
