"""The hash-chained event log: append in the caller's transaction, verify the whole chain."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC
from typing import Any

from sqlalchemy import text
from sqlmodel import Session, select

from consult.models import LedgerEvent, utcnow

GENESIS_HASH = "0" * 64


def canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def sha256_hex(data: str) -> str:
    return hashlib.sha256(data.encode("utf-8")).hexdigest()


def commitment(salt: str, value: str) -> str:
    """A salted SHA-256 that binds personal data without revealing it."""
    return sha256_hex(salt + value)


def event_body(event: LedgerEvent) -> dict[str, Any]:
    return {
        "seq": event.seq,
        "at": event.at.astimezone(UTC).isoformat(),
        "actor": event.actor_id,
        "action": event.action,
        "subject": {"kind": event.subject_kind, "id": event.subject_id},
        "payload": json.loads(event.payload),
    }


def event_hash(prev_hash: str, event: LedgerEvent) -> str:
    return sha256_hex(prev_hash + canonical_json(event_body(event)))


def _lock_head(session: Session) -> None:
    # SQLite has one writer at a time; PostgreSQL needs a lock so two appends cannot share a head.
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(7215001)"))


def head(session: Session) -> LedgerEvent | None:
    return session.exec(select(LedgerEvent).order_by(LedgerEvent.seq.desc()).limit(1)).first()


def append(
    session: Session,
    *,
    actor_id: int | None,
    action: str,
    subject_kind: str,
    subject_id: int | str,
    payload: dict[str, Any] | None = None,
) -> LedgerEvent:
    """Append one event; the caller commits it together with the change it records."""
    _lock_head(session)
    last = head(session)
    event = LedgerEvent(
        seq=(last.seq + 1) if last else 1,
        at=utcnow(),
        actor_id=actor_id,
        action=action,
        subject_kind=subject_kind,
        subject_id=str(subject_id),
        payload=canonical_json(payload or {}),
        prev_hash=last.hash if last else GENESIS_HASH,
        hash="",
    )
    event.hash = event_hash(event.prev_hash, event)
    session.add(event)
    return event


@dataclass(frozen=True)
class Broken:
    seq: int
    reason: str


def verify(session: Session, batch: int = 1000) -> Broken | None:
    """Recompute the chain from the first event; return the first break, or None when intact."""
    expected_seq, prev = 1, GENESIS_HASH
    while True:
        rows = session.exec(
            select(LedgerEvent)
            .where(LedgerEvent.seq >= expected_seq)
            .order_by(LedgerEvent.seq)
            .limit(batch)
            .execution_options(populate_existing=True)  # the stored rows, not objects cached in the session
        ).all()
        if not rows:
            return None
        for event in rows:
            if event.seq != expected_seq:
                return Broken(expected_seq, f"event {expected_seq} is missing (next is {event.seq})")
            if event.prev_hash != prev:
                return Broken(event.seq, "its previous hash does not match the event before it")
            try:
                recomputed = event_hash(prev, event)
            except (ValueError, TypeError):
                return Broken(event.seq, "its payload is not valid JSON")
            if recomputed != event.hash:
                return Broken(event.seq, "its content does not match its hash")
            prev, expected_seq = event.hash, expected_seq + 1
