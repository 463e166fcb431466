"""The moderation queue: the flagged comments a moderator may act on, each with its open flags, oldest first.

An official sees the flags on the consultations of their municipalities, a platform admin every flag; a consultation
whose record is published is frozen, so its flags are not in the queue (nothing there can change any more).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, or_
from sqlmodel import Session, col, select

from consult.comments.actions import CommentView, comment_views
from consult.comments.flags import open_flags_condition, reason_label
from consult.comments.owners import RESOLVERS, ThreadContext, resolve
from consult.desk.actions import managed_municipalities
from consult.models import Comment, CommentFlag, Consultation, Record, Thread
from consult.permissions import Principal, can

QUEUE_SIZE = 50  # comments on one page of the queue: the oldest flags first


@dataclass(frozen=True)
class FlagView:
    reason: str  # in the reader's language
    at: datetime


@dataclass
class QueueItem:
    """One flagged comment: where it is, the comment, and its open flags."""

    view: CommentView
    ctx: ThreadContext
    flags: list[FlagView] = field(default_factory=list)

    @property
    def id(self) -> int:
        return self.view.id


def may_moderate_any(session: Session, principal: Principal | None) -> bool:
    """Whether this person has a moderation queue: a platform admin, or an official of a municipality."""
    return principal is not None and (principal.is_admin or bool(managed_municipalities(session, principal)))


def _scope(session: Session, principal: Principal):
    """The conditions on a flag's comment and thread: the reader's municipalities' consultations (every thread for a
    platform admin, whose owner the comment engine knows), never a consultation whose record is published."""
    conditions = [
        col(Thread.owner_kind).in_(list(RESOLVERS)),
        or_(
            col(Thread.consultation_id).is_(None),
            col(Thread.consultation_id).not_in(select(Record.consultation_id)),
        ),
    ]
    if not principal.is_admin:
        ids = [m.id for m in managed_municipalities(session, principal)]
        conditions.append(
            col(Thread.consultation_id).in_(select(Consultation.id).where(col(Consultation.organisation_id).in_(ids)))
        )
    return conditions


def _open_flags(session: Session, principal: Principal, *columns):
    return (
        select(*columns)
        .select_from(CommentFlag)
        .join(Comment, col(Comment.id) == CommentFlag.comment_id)
        .join(Thread, col(Thread.id) == Comment.thread_id)
        .where(*open_flags_condition(), *_scope(session, principal))
    )


def count_open_flags(session: Session, principal: Principal | None) -> int:
    """How many flags wait for this moderator (the desk's link says it)."""
    if principal is None:
        return 0
    return session.exec(_open_flags(session, principal, func.count())).one()


def queue(
    session: Session, principal: Principal | None, url_for: Callable[..., str], only: int | None = None
) -> list[QueueItem]:
    """The flagged comments this moderator may act on, the longest waiting first, each with its open flags (or the
    one comment `only`, when it still has open flags)."""
    if principal is None:
        return []
    first_flag = func.min(CommentFlag.created_at)
    query = _open_flags(session, principal, Comment.id).group_by(Comment.id).order_by(first_flag, col(Comment.id))
    if only is not None:
        query = query.where(Comment.id == only)
    ids = list(session.exec(query.limit(QUEUE_SIZE)).all())
    if not ids:
        return []
    views = comment_views(session, ids)
    items = {}
    contexts: dict[int, ThreadContext] = {}
    threads = {
        t.id: t
        for t in session.exec(select(Thread).where(col(Thread.id).in_([v.comment.thread_id for v in views.values()])))
    }
    for comment_id in ids:
        view = views[comment_id]
        thread_id = view.comment.thread_id
        if thread_id not in contexts:
            contexts[thread_id] = resolve(session, threads[thread_id], url_for)
        ctx = contexts[thread_id]
        if ctx.gate.moderator is None or ctx.gate.frozen or not can(principal, "comment.moderate", ctx.gate.moderator):
            continue
        items[comment_id] = QueueItem(view, ctx)
    flags = session.exec(
        select(CommentFlag)
        .join(Comment, col(Comment.id) == CommentFlag.comment_id)
        .where(col(CommentFlag.comment_id).in_(list(items)), *open_flags_condition())
        .order_by(col(CommentFlag.created_at), col(CommentFlag.id))
    ).all()
    for flag in flags:
        items[flag.comment_id].flags.append(FlagView(reason_label(flag.reason), flag.created_at))
    return list(items.values())
