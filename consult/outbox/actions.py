"""The outbox as the platform admin sees it: mail given up or still retrying, and the retry.

Importing this module registers the feature's rules (prefix "outbox")."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func
from sqlmodel import Session, col, select

from consult import ledger, permissions
from consult.errors import DomainError
from consult.i18n import _
from consult.mail import MAX_ATTEMPTS, retry_message
from consult.models import OutboxMessage, utcnow
from consult.outbox.rules import rules
from consult.permissions import Principal, can

permissions.register_rules("outbox", rules)

SHOWN = 200  # rows per list: more than this means an outage, and "retry all" is the answer


@dataclass(frozen=True)
class OutboxState:
    failed: list[OutboxMessage]
    retrying: list[OutboxMessage]
    failed_count: int
    retrying_count: int
    waiting_count: int


def _count(session: Session, *where) -> int:
    return session.exec(select(func.count()).select_from(OutboxMessage).where(*where)).one()


def outbox_state(session: Session) -> OutboxState:
    """Messages given up (newest first) and those that failed and wait for their next attempt (soonest first)."""
    unsent = col(OutboxMessage.sent_at).is_(None)
    given_up = col(OutboxMessage.failed_at).is_not(None)
    retrying = (unsent, col(OutboxMessage.failed_at).is_(None), OutboxMessage.last_error != "")
    return OutboxState(
        failed=list(
            session.exec(
                select(OutboxMessage).where(unsent, given_up).order_by(col(OutboxMessage.failed_at).desc()).limit(SHOWN)
            ).all()
        ),
        retrying=list(
            session.exec(
                select(OutboxMessage)
                .where(*retrying)
                .order_by(col(OutboxMessage.next_attempt_at), col(OutboxMessage.id))
                .limit(SHOWN)
            ).all()
        ),
        failed_count=_count(session, unsent, given_up),
        retrying_count=_count(session, *retrying),
        waiting_count=_count(session, unsent, col(OutboxMessage.failed_at).is_(None)),
    )


def _require(principal: Principal | None, action: str) -> None:
    if not can(principal, action):
        raise DomainError("", _("Only the platform administrator manages the outgoing mail."), 403)


def retry_outbox_message(session: Session, principal: Principal, message_id: int) -> OutboxMessage:
    """Send a message again at once (one more attempt when it had them all); in the ledger."""
    _require(principal, "outbox.retry")
    item = session.get(OutboxMessage, message_id)
    if item is None or item.sent_at is not None:
        raise DomainError("", _("This message has already been sent or no longer exists."), 404)
    retry_message(session, item)
    ledger.append(
        session,
        actor_id=principal.id,
        action="outbox.retried",
        subject_kind="outbox_message",
        subject_id=message_id,
        payload={"attempts": item.attempts, "max_attempts": MAX_ATTEMPTS},
    )
    session.commit()
    return item


def retry_all_failed(session: Session, principal: Principal) -> int:
    """Every message given up, due again at once (after an outage that outlasted the retries); in the ledger."""
    _require(principal, "outbox.retry")
    now = utcnow()
    items = session.exec(
        select(OutboxMessage).where(col(OutboxMessage.sent_at).is_(None), col(OutboxMessage.failed_at).is_not(None))
    ).all()
    for item in items:
        retry_message(session, item, now)
    if items:
        ledger.append(
            session,
            actor_id=principal.id,
            action="outbox.retried_all",
            subject_kind="outbox_message",
            subject_id="failed",
            payload={"count": len(items)},
        )
    session.commit()
    return len(items)
