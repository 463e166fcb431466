"""Flags: a reader reports a comment to the moderators, saying why (one of a few common reasons, or in their words),
once per comment; the moderators hide it with a public reason or keep it, which dismisses its open flags.

A flag is *open* while its comment is visible and it came after the comment's last moderation (`moderated_at`: hidden
and restored, or kept): keeping a comment sets that time, so the flags before it are dismissed, kept in the table and
in the ledger, and a later flag (by someone else) opens it again.
"""

from __future__ import annotations

from pydantic import BaseModel, Field, field_validator
from sqlalchemy import or_
from sqlmodel import Session, col, select

from consult import ledger
from consult.comments.actions import Gate, _moderate, _require_member
from consult.forms import DomainError, invalid
from consult.i18n import _, gettext
from consult.models import Comment, CommentFlag, utcnow
from consult.permissions import Principal

# The common reasons, in the order the form offers them; "other" asks for the reader's own words.
FLAG_REASONS = {
    "offensive": _("Offensive or abusive language"),
    "personal_data": _("Someone's personal data"),
    "spam": _("Advertising or spam"),
    "off_topic": _("Not about this consultation"),
    "other": _("Something else"),
}
SAY_WHY = _("Say why you report this comment: choose a reason or describe the problem.")


class FlagInput(BaseModel):
    category: str = ""  # a key of FLAG_REASONS, or "" when the reader only describes the problem
    reason: str = Field(default="", max_length=400)  # the reader's own words, optional unless "other"

    @field_validator("category")
    @classmethod
    def _known(cls, value: str) -> str:
        if value and value not in FLAG_REASONS:
            raise invalid(_("Choose one of the reasons."))
        return value


def stored_reason(data: FlagInput) -> str:
    """What the flag keeps: the reason's key, then the reader's words ("spam: a link to a shop"), or the words."""
    words = data.reason.strip()
    if data.category and data.category != "other":
        return f"{data.category}: {words}" if words else data.category
    return words


def reason_label(stored: str) -> str:
    """A flag's reason as the moderators read it, in their language."""
    key, _sep, words = stored.partition(": ")
    if key in FLAG_REASONS and key != "other":
        label = gettext(FLAG_REASONS[key])
        return f"{label}: {words}" if words else label
    return stored


# --- queries ------------------------------------------------------------------------------


def open_flags_condition():
    """The flags the moderators have not acted on yet: on a visible comment, after its last moderation."""
    return (
        Comment.status == "visible",
        or_(col(Comment.moderated_at).is_(None), col(CommentFlag.created_at) > Comment.moderated_at),
    )


def flag_refusal(session: Session, principal: Principal | None, comment: Comment, gate: Gate) -> DomainError | None:
    """Why this person may not flag this comment now, or None: the flag form is shown only when they may."""
    try:
        principal = _require_member(principal)
    except DomainError as refused:
        return refused
    if not gate.open:
        return DomainError("", gate.closed_message, 409)
    if comment.author_id == principal.id:
        return DomainError("", _("You cannot flag your own comment."), 409)
    if comment.status != "visible":
        return DomainError("", _("This comment was withdrawn or hidden: there is nothing to report."), 409)
    already = session.exec(
        select(CommentFlag.id).where(CommentFlag.comment_id == comment.id, CommentFlag.user_id == principal.id)
    ).first()
    if already is not None:
        return DomainError("", _("You have already flagged this comment. The moderators will look at it."), 409)
    return None


# --- actions ------------------------------------------------------------------------------


def flag_comment(
    session: Session, principal: Principal | None, comment: Comment, gate: Gate, data: FlagInput
) -> CommentFlag:
    """Report a comment to the moderators with a reason; once per person and comment (a database constraint too)."""
    if (refused := flag_refusal(session, principal, comment, gate)) is not None:
        raise refused
    assert principal is not None
    if not data.category and not data.reason.strip():
        raise DomainError("category", SAY_WHY)
    if data.category == "other" and not data.reason.strip():
        raise DomainError("reason", _("Describe the problem in a few words."))
    reason = stored_reason(data)
    flag = CommentFlag(comment_id=comment.id, user_id=principal.id, reason=reason)
    session.add(flag)
    ledger.append(
        session,
        actor_id=principal.id,
        action="comment.flagged",
        subject_kind="comment",
        subject_id=comment.id,
        # the reader's words may name someone: bound by their hash; the common reason is no one's personal data
        payload={"category": data.category or None, "reason_sha256": ledger.sha256_hex(reason)},
    )
    session.commit()
    return flag


def keep_comment(session: Session, principal: Principal | None, comment: Comment, gate: Gate) -> int:
    """The moderators looked and keep the comment as it is: its open flags are dismissed. How many were."""
    principal = _moderate(session, principal, comment, gate)
    if comment.status != "visible":
        raise DomainError("", _("Only a visible comment can be kept."), 409)
    dismissed = session.exec(
        select(CommentFlag.id)
        .join(Comment, col(Comment.id) == CommentFlag.comment_id)
        .where(CommentFlag.comment_id == comment.id, *open_flags_condition())
        .order_by(col(CommentFlag.id))
    ).all()
    if not dismissed:
        raise DomainError("", _("This comment has no open flags: nothing to dismiss."), 409)
    comment.moderated_by_id, comment.moderated_at = principal.id, utcnow()
    session.add(comment)
    ledger.append(
        session,
        actor_id=principal.id,
        action="comment.flags_dismissed",
        subject_kind="comment",
        subject_id=comment.id,
        payload={"flags": list(dismissed)},
    )
    session.commit()
    return len(dismissed)
