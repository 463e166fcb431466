"""Receipts: proof that a submission (comment, proposal, vote, co-signature) reached the server, and when.

A receipt is the submission's ledger event: the text's SHA-256 from its payload, the server's time, its position in
the chain and the hashes that bind it to the events before it, so anyone can recompute the event's hash.
The event names its actor by user id, so a receipt is shown only to its side: the person who acted, the members of
the organisation it was made for, and platform admins. To anyone else it does not exist (404): a vote's receipt
must not tell a stranger who cast it. The holder may pass the JSON on; it verifies in anyone's hands.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session, col, select

from consult import ledger
from consult.i18n import _
from consult.models import LedgerEvent
from consult.permissions import Principal

RECEIPT_ACTIONS = {
    "comment.submitted": _("Comment submitted"),
    "comment.edited": _("Comment edited"),
    "comment.entered": _("Comment entered by the municipality"),
    "proposal.submitted": _("Proposal submitted"),
    "proposal.entered": _("Proposal entered by the municipality"),
    "vote.cast": _("Vote cast"),
    "cosign.added": _("Co-signature added"),
}


@dataclass(frozen=True)
class Receipt:
    event: LedgerEvent
    body: dict[str, Any]  # exactly what the event's hash covers, after the previous hash

    @property
    def text_sha256(self) -> str | None:
        return self.body["payload"].get("sha256")

    def as_json(self) -> dict[str, Any]:
        return {
            "action": self.event.action,
            "subject": self.body["subject"],
            "received_at": self.body["at"],
            "ledger_seq": self.event.seq,
            "text_sha256": self.text_sha256,
            "event": self.body,
            "prev_hash": self.event.prev_hash,
            "hash": self.event.hash,
            "how_to_verify": "sha256(prev_hash + json.dumps(event, sort_keys=True, separators=(',', ':'), "
            "ensure_ascii=False)) encoded as UTF-8 equals hash",
        }


def may_see(principal: Principal | None, event: LedgerEvent) -> bool:
    if principal is None:
        return False
    organisation = json.loads(event.payload).get("organisation")
    return principal.is_admin or event.actor_id == principal.id or organisation in principal.roles


def receipt(session: Session, seq: int, principal: Principal | None) -> Receipt | None:
    """The receipt of a submission event, for its own side only (see above); None otherwise."""
    event = session.get(LedgerEvent, seq)
    if event is None or event.action not in RECEIPT_ACTIONS or not may_see(principal, event):
        return None
    return Receipt(event, ledger.event_body(event))


RECEIPTS_BY_SUBJECT = {
    "comment": ("comment.submitted", "comment.edited", "comment.entered"),
    "proposal": ("proposal.submitted", "proposal.entered"),
    "vote": ("vote.cast",),
}


def latest_receipt_seq(session: Session, subject_kind: str, subject_id: int | str) -> int | None:
    """The newest submission event of a comment (its last edit), a proposal, or a vote (its last change)."""
    actions = RECEIPTS_BY_SUBJECT.get(subject_kind)
    if actions is None:
        return None
    return session.exec(
        select(LedgerEvent.seq)
        .where(
            LedgerEvent.subject_kind == subject_kind,
            LedgerEvent.subject_id == str(subject_id),
            col(LedgerEvent.action).in_(actions),
        )
        .order_by(col(LedgerEvent.seq).desc())
        .limit(1)
    ).first()


def cosign_receipt_seq(session: Session, subject_kind: str, subject_id: int, organisation_id: int) -> int | None:
    """The event of an organisation's co-signature of a comment or proposal."""
    events = session.exec(
        select(LedgerEvent)
        .where(
            LedgerEvent.subject_kind == subject_kind,
            LedgerEvent.subject_id == str(subject_id),
            LedgerEvent.action == "cosign.added",
        )
        .order_by(col(LedgerEvent.seq).desc())
    ).all()
    return next((e.seq for e in events if json.loads(e.payload).get("organisation") == organisation_id), None)


def recomputed_hash(data: dict[str, Any]) -> str:
    """What a reader of the JSON receipt computes: it equals data["hash"] when the receipt is genuine."""
    return ledger.sha256_hex(data["prev_hash"] + ledger.canonical_json(data["event"]))


def pretty(data: dict[str, Any]) -> str:
    return json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True)
