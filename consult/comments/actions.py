"""The comment engine: threads of comments with replies, edits with history, withdrawal, flags and moderation.

It never names what a thread hangs on: the owner (a consultation, later a proposal or a group) hands it a Gate
that says whether the thread is open and who may take part.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy import func, update
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from consult import ledger
from consult.comments.annotations import annotate
from consult.forms import DomainError
from consult.i18n import _
from consult.markdown import render_markdown
from consult.models import Comment, CommentRevision, Organisation, User, utcnow
from consult.permissions import Principal, can

MAX_DISPLAY_DEPTH = 3  # 0..3: four levels shown nested, deeper replies say whom they answer
ROOTS_PER_PAGE = 20
REPLIES_PER_ROOT = 8
REPLIES_PER_PAGE = 50
RATE_LIMITS = ((timedelta(minutes=1), 5), (timedelta(hours=1), 40))


@dataclass(frozen=True)
class Gate:
    """What the owner of a thread says about taking part in it now."""

    open: bool
    closed_message: str  # a msgid, shown when not open
    allow_individuals: bool  # a signed-in person may speak for themselves, without an organisation
    verified_only: bool  # organisations must be verified
    moderator: Organisation | None  # whose officials moderate the thread
    frozen: bool = False  # the owner's record is published: not even moderation changes the thread
    # Who may post, when fewer than the rules above let in (a working group's members): called with the person and
    # the organisation they speak for (None: themselves); the others are refused (403) with speak_refusal, a msgid.
    may_speak: Callable[[Principal, int | None], bool] | None = None
    speak_refusal: str = ""


class CommentInput(BaseModel):
    body: str = Field(min_length=1, max_length=20_000)
    current_wording: str = Field(default="", max_length=20_000)
    proposed_wording: str = Field(default="", max_length=20_000)
    justification: str = Field(default="", max_length=20_000)
    organisation_id: int | None = None


class ModerationInput(BaseModel):
    reason: str = Field(min_length=3, max_length=500)


@dataclass
class CommentView:
    """One comment as a page shows it, with its loaded replies."""

    comment: Comment
    author: str
    organisation: str | None
    organisation_slug: str | None
    parent_author: str | None = None
    replies: list[CommentView] = field(default_factory=list)
    extras: dict[str, Any] = field(default_factory=dict)  # filled by other features' annotators

    @property
    def id(self) -> int:
        return self.comment.id

    @property
    def speaker(self) -> str:
        """Whom the comment is by, as a heading names it: an entry an official made is its sender's, never the
        official's; "" for a resident's letter without a name."""
        if self.comment.channel != "platform":
            return self.organisation or self.comment.sender_name
        return self.organisation or self.author


# --- queries ------------------------------------------------------------------------------

_Parent = aliased(Comment)
_ParentAuthor = aliased(User)
_ParentOrganisation = aliased(Organisation)


def _view_query():
    return (
        select(
            Comment,
            User.display_name,
            Organisation.name,
            Organisation.slug,
            _ParentAuthor.display_name,
            _ParentOrganisation.name,
            _Parent.channel,
            _Parent.sender_name,
        )
        .join(User, col(User.id) == Comment.author_id)
        .outerjoin(Organisation, col(Organisation.id) == Comment.organisation_id)
        .outerjoin(_Parent, col(_Parent.id) == Comment.parent_id)
        .outerjoin(_ParentAuthor, col(_ParentAuthor.id) == _Parent.author_id)
        .outerjoin(_ParentOrganisation, col(_ParentOrganisation.id) == _Parent.organisation_id)
    )


def _speaker(author: str | None, organisation: str | None, channel: str | None, sender: str | None) -> str | None:
    """Whom a comment is by, for "in reply to": an entry an official made is the sender's (the organisation, or the
    person or group without an account), never the official's who typed it; "" for a resident's letter unnamed."""
    if channel is not None and channel != "platform":
        return organisation or sender or ""
    return author


def _views(rows) -> list[CommentView]:
    return [
        CommentView(c, author, org, slug, _speaker(parent, parent_org, parent_channel, parent_sender))
        for c, author, org, slug, parent, parent_org, parent_channel, parent_sender in rows
    ]


def _tree(roots: list[CommentView], replies: list[CommentView]) -> list[CommentView]:
    by_id = {v.id: v for v in roots}
    for reply in sorted(replies, key=lambda v: (v.comment.created_at, v.id)):
        by_id[reply.id] = reply
        parent = by_id.get(reply.comment.parent_id)
        if parent is not None:
            parent.replies.append(reply)
    return roots


def count_roots(session: Session, thread_id: int) -> int:
    return session.exec(
        select(func.count())
        .select_from(Comment)
        .where(Comment.thread_id == thread_id, col(Comment.parent_id).is_(None))
    ).one()


def count_comments(session: Session, thread_id: int) -> int:
    """Comments in the thread, replies included; hidden ones are not counted."""
    return session.exec(
        select(func.count()).select_from(Comment).where(Comment.thread_id == thread_id, Comment.status != "hidden")
    ).one()


def thread_page(session: Session, thread_id: int, page: int = 1, per_page: int = ROOTS_PER_PAGE) -> list[CommentView]:
    """A page of root comments, oldest first, each with its first replies: at most per_page × (1 + 8) comments."""
    roots = _views(
        session.exec(
            _view_query()
            .where(Comment.thread_id == thread_id, col(Comment.parent_id).is_(None))
            .order_by(col(Comment.created_at), col(Comment.id))
            .offset((max(page, 1) - 1) * per_page)
            .limit(per_page)
        ).all()
    )
    if not roots:
        return []
    ranked = (
        select(
            Comment.id,
            func.row_number()
            .over(partition_by=Comment.root_id, order_by=(col(Comment.created_at), col(Comment.id)))
            .label("n"),
        )
        .where(col(Comment.root_id).in_([r.id for r in roots]), col(Comment.parent_id).is_not(None))
        .subquery()
    )
    replies = _views(
        session.exec(_view_query().join(ranked, ranked.c.id == Comment.id).where(ranked.c.n <= REPLIES_PER_ROOT)).all()
    )
    return annotate(session, _tree(roots, replies))


def replies_page(session: Session, root: Comment, page: int = 1) -> list[CommentView]:
    """All replies under one root comment, a page at a time, as a flat list in order of posting."""
    return _views(
        session.exec(
            _view_query()
            .where(Comment.root_id == root.id, col(Comment.parent_id).is_not(None))
            .order_by(col(Comment.created_at), col(Comment.id))
            .offset((max(page, 1) - 1) * REPLIES_PER_PAGE)
            .limit(REPLIES_PER_PAGE)
        ).all()
    )


def get_comment_view(session: Session, comment_id: int) -> CommentView | None:
    views = annotate(session, _views(session.exec(_view_query().where(Comment.id == comment_id)).all()))
    return views[0] if views else None


def comment_views(session: Session, comment_ids: list[int]) -> dict[int, CommentView]:
    """These comments as pages show them, by id, in one query (and one per annotating feature)."""
    if not comment_ids:
        return {}
    views = annotate(session, _views(session.exec(_view_query().where(col(Comment.id).in_(comment_ids))).all()))
    return {view.id: view for view in views}


def revisions_of(session: Session, comment: Comment) -> list[CommentRevision]:
    return list(
        session.exec(
            select(CommentRevision)
            .where(CommentRevision.comment_id == comment.id)
            .order_by(col(CommentRevision.revision).desc())
        ).all()
    )


# --- rules --------------------------------------------------------------------------------


def _require_open(gate: Gate) -> None:
    if not gate.open:
        raise DomainError("", gate.closed_message, 409)


def _require_member(principal: Principal | None) -> Principal:
    if principal is None:
        raise DomainError("", _("Log in to take part."), 403)
    if principal.user.confirmed_at is None:
        raise DomainError("", _("Confirm your e-mail address first: open the link we sent you."), 403)
    return principal


def check_speaker(session: Session, principal: Principal, gate: Gate, organisation_id: int | None) -> None:
    """The person may speak in this thread, for this organisation (or for themselves where allowed)."""
    if organisation_id is None:
        if not gate.allow_individuals:
            raise DomainError("organisation_id", _("Choose the organisation on whose behalf you write."), 403)
        return
    if gate.moderator is not None and organisation_id == gate.moderator.id:
        raise DomainError(
            "organisation_id", _("The municipality that consults answers contributions: it does not make them."), 403
        )
    organisation = session.get(Organisation, organisation_id)
    if organisation is None or not can(principal, "organisation.act_for", organisation):
        raise DomainError("organisation_id", _("You can write only on behalf of an organisation you belong to."), 403)
    if gate.verified_only and organisation.verified_at is None:
        raise DomainError("organisation_id", _("Only verified organisations take part in this consultation."), 403)


def _check_rate(session: Session, principal: Principal) -> None:
    now = utcnow()
    for window, limit in RATE_LIMITS:
        recent = session.exec(
            select(func.count())
            .select_from(Comment)
            .where(Comment.author_id == principal.id, Comment.created_at >= now - window)
        ).one()
        if recent >= limit:
            raise DomainError("", _("You are posting too quickly. Wait a moment and try again."), 429)


def _text_hash(comment: Comment | CommentInput) -> str:
    return ledger.sha256_hex(
        ledger.canonical_json([comment.body, comment.current_wording, comment.proposed_wording, comment.justification])
    )


# --- actions ------------------------------------------------------------------------------


def submit_comment(
    session: Session,
    principal: Principal | None,
    thread_id: int,
    gate: Gate,
    data: CommentInput,
    parent: Comment | None = None,
) -> Comment:
    principal = _require_member(principal)
    _require_open(gate)
    check_speaker(session, principal, gate, data.organisation_id)
    if gate.may_speak is not None and not gate.may_speak(principal, data.organisation_id):
        raise DomainError("", gate.speak_refusal, 403)
    if parent is not None and (parent.thread_id != thread_id or parent.status == "hidden"):
        raise DomainError("", _("This comment cannot be answered."), 409)
    _check_rate(session, principal)
    comment = Comment(
        thread_id=thread_id,
        parent_id=parent.id if parent else None,
        depth=parent.depth + 1 if parent else 0,
        author_id=principal.id,
        organisation_id=data.organisation_id,
        body=data.body,
        body_html=render_markdown(data.body),
        current_wording=data.current_wording,
        proposed_wording=data.proposed_wording,
        justification=data.justification,
    )
    session.add(comment)
    session.flush()
    comment.root_id = parent.root_id if parent else comment.id
    if parent is not None:
        session.exec(update(Comment).where(Comment.id == comment.root_id).values(reply_count=Comment.reply_count + 1))
    ledger.append(
        session,
        actor_id=principal.id,
        action="comment.submitted",
        subject_kind="comment",
        subject_id=comment.id,
        payload={
            "thread": thread_id,
            "parent": comment.parent_id,
            "organisation": data.organisation_id,
            "sha256": _text_hash(comment),
        },
    )
    if parent is not None:
        from consult.notifications import events  # the author of the comment replied to is told

        events.comment_replied(session, comment, parent)
    session.commit()
    return comment


def _own_visible(principal: Principal | None, comment: Comment) -> Principal:
    principal = _require_member(principal)
    if not can(principal, "comment.change", comment):
        raise DomainError("", _("Only the author can change this comment."), 403)
    if comment.status != "visible":
        raise DomainError("", _("This comment was withdrawn or hidden and can no longer be changed."), 409)
    return principal


def edit_comment(
    session: Session, principal: Principal | None, comment: Comment, gate: Gate, data: CommentInput
) -> Comment:
    principal = _own_visible(principal, comment)
    _require_open(gate)
    session.add(
        CommentRevision(
            comment_id=comment.id,
            revision=comment.revision,
            body=comment.body,
            current_wording=comment.current_wording,
            proposed_wording=comment.proposed_wording,
            justification=comment.justification,
            created_at=comment.edited_at or comment.created_at,
        )
    )
    comment.body, comment.body_html = data.body, render_markdown(data.body)
    comment.current_wording, comment.proposed_wording = data.current_wording, data.proposed_wording
    comment.justification = data.justification
    comment.revision += 1
    comment.edited_at = utcnow()
    session.add(comment)
    ledger.append(
        session,
        actor_id=principal.id,
        action="comment.edited",
        subject_kind="comment",
        subject_id=comment.id,
        payload={"revision": comment.revision, "sha256": _text_hash(comment)},
    )
    session.commit()
    return comment


def withdraw_comment(session: Session, principal: Principal | None, comment: Comment, gate: Gate) -> Comment:
    principal = _own_visible(principal, comment)
    _require_open(gate)
    comment.status = "withdrawn"
    comment.moderated_at = utcnow()
    session.add(comment)
    ledger.append(
        session, actor_id=principal.id, action="comment.withdrawn", subject_kind="comment", subject_id=comment.id
    )
    session.commit()
    return comment


def _moderate(session: Session, principal: Principal | None, comment: Comment, gate: Gate) -> Principal:
    if principal is None or gate.moderator is None or not can(principal, "comment.moderate", gate.moderator):
        raise DomainError("", _("Only the municipality's officials and the platform's admins moderate comments."), 403)
    if gate.frozen:
        raise DomainError("", _("The consultation record is published: nothing in this consultation can change."), 409)
    return principal


def hide_comment(
    session: Session, principal: Principal | None, comment: Comment, gate: Gate, data: ModerationInput
) -> Comment:
    principal = _moderate(session, principal, comment, gate)
    if comment.status != "visible":
        raise DomainError("", _("Only a visible comment can be hidden."), 409)
    comment.status, comment.moderation_reason = "hidden", data.reason
    comment.moderated_by_id, comment.moderated_at = principal.id, utcnow()
    session.add(comment)
    ledger.append(
        session,
        actor_id=principal.id,
        action="comment.hidden",
        subject_kind="comment",
        subject_id=comment.id,
        payload={"reason": data.reason},
    )
    session.commit()
    return comment


def restore_comment(session: Session, principal: Principal | None, comment: Comment, gate: Gate) -> Comment:
    principal = _moderate(session, principal, comment, gate)
    if comment.status != "hidden":
        raise DomainError("", _("Only a hidden comment can be restored."), 409)
    comment.status, comment.moderation_reason = "visible", ""
    comment.moderated_by_id, comment.moderated_at = principal.id, utcnow()
    session.add(comment)
    ledger.append(
        session, actor_id=principal.id, action="comment.restored", subject_kind="comment", subject_id=comment.id
    )
    session.commit()
    return comment


def locate(session: Session, comment: Comment, roots_per_page: int = ROOTS_PER_PAGE) -> tuple[int, int | None]:
    """Where a comment is shown: the page of its root in the thread, and for a late reply the page of replies."""
    root = comment if comment.root_id in (None, comment.id) else session.get(Comment, comment.root_id)
    assert root is not None
    earlier_roots = session.exec(
        select(func.count())
        .select_from(Comment)
        .where(
            Comment.thread_id == root.thread_id,
            col(Comment.parent_id).is_(None),
            (col(Comment.created_at) < root.created_at)
            | ((col(Comment.created_at) == root.created_at) & (col(Comment.id) < root.id)),
        )
    ).one()
    root_page = earlier_roots // roots_per_page + 1
    if comment.id == root.id:
        return root_page, None
    earlier_replies = session.exec(
        select(func.count())
        .select_from(Comment)
        .where(
            Comment.root_id == root.id,
            col(Comment.parent_id).is_not(None),
            (col(Comment.created_at) < comment.created_at)
            | ((col(Comment.created_at) == comment.created_at) & (col(Comment.id) < comment.id)),
        )
    ).one()
    if earlier_replies < REPLIES_PER_ROOT:
        return root_page, None
    return root_page, earlier_replies // REPLIES_PER_PAGE + 1


def descendants(views: list[CommentView]) -> list[CommentView]:
    """Every reply below these, in order of posting: shown flat once the thread is four levels deep."""
    found: list[CommentView] = []
    for view in views:
        found.append(view)
        found.extend(descendants(view.replies))
    return sorted(found, key=lambda v: (v.comment.created_at, v.id))
