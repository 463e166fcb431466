"""The conversation around the contributions, for the record: replies under each comment, a proposal's discussion.

Replies and a proposal's discussion need no position of the municipality, but what the server accepted is in the
record all the same (DESIGN.md: every contribution appears in the record), in the order it was written.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC
from typing import Any

from sqlmodel import Session, col, select

from consult.models import Comment, Organisation, Thread


def _item(comment: Comment, name: str | None, krs: str | None) -> dict[str, Any]:
    shown = comment.status == "visible"
    return {
        "id": comment.id,
        "in_reply_to": comment.parent_id,
        "organisation": {"name": name, "krs": krs} if name is not None else None,
        "channel": comment.channel,
        "submitted_at": comment.created_at.astimezone(UTC).isoformat(),
        "status": comment.status,
        "body": comment.body if shown else None,
    }


def _comments(session: Session, *conditions):
    return session.exec(
        select(Comment, Organisation.name, Organisation.krs)
        .outerjoin(Organisation, col(Organisation.id) == Comment.organisation_id)
        .where(*conditions)
        .order_by(col(Comment.created_at), col(Comment.id))
    ).all()


def replies_of(session: Session, root_ids: list[int]) -> dict[int, list[dict[str, Any]]]:
    """Every reply under these root comments, at any depth, oldest first, by root: one query."""
    found: dict[int, list[dict[str, Any]]] = defaultdict(list)
    if root_ids:
        for comment, name, krs in _comments(
            session, col(Comment.root_id).in_(root_ids), col(Comment.parent_id).is_not(None)
        ):
            found[comment.root_id].append(_item(comment, name, krs))
    return found


def proposal_discussions(session: Session, proposal_ids: list[int]) -> dict[int, list[dict[str, Any]]]:
    """Every comment in these proposals' discussions, replies included, oldest first, by proposal: one query."""
    found: dict[int, list[dict[str, Any]]] = defaultdict(list)
    if not proposal_ids:
        return found
    threads = dict(
        session.exec(
            select(Thread.id, Thread.owner_id).where(
                Thread.owner_kind == "proposal", col(Thread.owner_id).in_([str(i) for i in proposal_ids])
            )
        ).all()
    )
    if threads:
        for comment, name, krs in _comments(session, col(Comment.thread_id).in_(list(threads))):
            found[int(threads[comment.thread_id])].append(_item(comment, name, krs))
    return found
