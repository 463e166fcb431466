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
from consult.i18n import _, format_when, gettext
from consult.mail import queue_mail
from consult.models import (
    Comment,
    CommentRevision,
    Consultation,
    DocumentVersion,
    LedgerEvent,
    Organisation,
    Paragraph,
    Proposal,
    Thread,
    User,
    Vote,
)
from consult.permissions import Principal
from consult.proposals.votes import CHOICE_LABELS
from consult.throttle import check_rate

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


# --- what a receipt is for, in words a volunteer can read and print ----------------------------


@dataclass(frozen=True)
class Submission:
    """The consultation, the part of the document, the organisation and the text a receipt's hash stands for."""

    consultation: Consultation | None
    part: str | None  # the paragraph's label; None: the whole document
    organisation: str  # its name; "" when made in one's own name
    texts: list[tuple[str, str]]  # (label, text) as submitted, labels untranslated
    matches: bool | None  # the texts shown hash to the receipt's SHA-256; None when it holds no text hash
    comment_id: int | None = None  # where the contribution is shown
    proposal_id: int | None = None


def _label(session: Session, consultation: Consultation | None, key: str | None) -> str | None:
    """The paragraph's label in the consultation's current text (its key is stable across versions)."""
    if consultation is None or not key:
        return None
    label = session.exec(
        select(Paragraph.label)
        .join(DocumentVersion, col(Paragraph.version_id) == DocumentVersion.id)
        .where(DocumentVersion.consultation_id == consultation.id, Paragraph.key == key)
        .order_by(col(DocumentVersion.number).desc())
        .limit(1)
    ).first()
    return label or key


def _comment_texts(session: Session, comment: Comment, revision: int) -> list[str]:
    """The comment's four texts at that revision: its own fields, or the revision kept when it was edited."""
    if revision != comment.revision:
        kept = session.exec(
            select(CommentRevision).where(
                CommentRevision.comment_id == comment.id, CommentRevision.revision == revision
            )
        ).first()
        if kept is not None:
            return [kept.body, kept.current_wording, kept.proposed_wording, kept.justification]
    return [comment.body, comment.current_wording, comment.proposed_wording, comment.justification]


def _of_comment(session: Session, found: Receipt, comment_id: int) -> Submission | None:
    comment = session.get(Comment, comment_id)
    if comment is None:
        return None
    thread = session.get(Thread, comment.thread_id)
    consultation = session.get(Consultation, thread.consultation_id) if thread and thread.consultation_id else None
    key = thread.owner_id.split(":", 1)[1] if thread and thread.owner_kind == "paragraph" else None
    body, current, proposed, justification = _comment_texts(session, comment, found.body["payload"].get("revision", 1))
    texts = [(_("Current wording"), current), (_("Proposed wording or the content of the comment"), body)]
    texts.append((_("Justification"), justification))
    digest = ledger.sha256_hex(ledger.canonical_json([body, current, proposed, justification]))
    if proposed:
        texts.insert(2, (_("Proposed wording"), proposed))
    return Submission(
        consultation,
        _label(session, consultation, key),
        _organisation_name(session, comment.organisation_id),
        [(label, text) for label, text in texts if text],
        found.text_sha256 == digest if found.text_sha256 else None,
        comment_id=comment.id,
    )


def _of_proposal(session: Session, found: Receipt, proposal_id: int, choice: str = "") -> Submission | None:
    proposal = session.get(Proposal, proposal_id)
    if proposal is None:
        return None
    texts = [(_("Proposal"), proposal.title), (_("Content"), proposal.body)]
    if choice:
        texts = [(_("Proposal"), proposal.title), (_("Vote"), CHOICE_LABELS.get(choice, choice))]
    digest = ledger.sha256_hex(ledger.canonical_json([proposal.title, proposal.body]))
    organisation = found.body["payload"].get("organisation", proposal.organisation_id)
    return Submission(
        session.get(Consultation, proposal.consultation_id),
        _label(session, session.get(Consultation, proposal.consultation_id), proposal.paragraph_key),
        _organisation_name(session, organisation),
        texts,
        found.text_sha256 == digest if found.text_sha256 else None,
        proposal_id=proposal.id,
    )


def _organisation_name(session: Session, organisation_id: int | None) -> str:
    organisation = session.get(Organisation, organisation_id) if organisation_id else None
    return organisation.name if organisation else ""


def submission(session: Session, found: Receipt) -> Submission | None:
    """What the receipt is for, from the rows it names (None when they are gone: the proof still stands)."""
    kind, subject = found.event.subject_kind, int(found.event.subject_id)
    if kind == "comment":
        return _of_comment(session, found, subject)
    if kind == "proposal":
        return _of_proposal(session, found, subject)
    if kind == "vote":
        vote = session.get(Vote, subject)
        payload = found.body["payload"]
        proposal_id = vote.proposal_id if vote else payload.get("proposal")
        return _of_proposal(session, found, proposal_id, choice=payload.get("choice", "?")) if proposal_id else None
    return None


def queue_receipt_mail(session: Session, user: User, seq: int, receipt_url: str, time_zone: str) -> bool:
    """A confirmation to the author of a comment or proposal with what the receipt says (in the caller's
    transaction). True when queued; refused (DomainError, 429) past `receipt.mail`'s limit."""
    found = receipt(session, seq, Principal(user=user, roles={}))
    shown = submission(session, found) if found else None
    if found is None or shown is None or user.confirmed_at is None:
        return False
    check_rate(session, "receipt.mail", f"user:{user.id}")
    lines = [gettext(RECEIPT_ACTIONS[found.event.action]), ""]
    if shown.consultation is not None:
        lines.append(gettext("Consultation: %(title)s", title=shown.consultation.title))
    lines.append(gettext("Part of the document: %(part)s", part=shown.part or gettext("Whole document")))
    if shown.organisation:
        lines.append(gettext("On behalf of: %(name)s", name=shown.organisation))
    lines.append(gettext("Received: %(when)s", when=format_when(found.event.at, time_zone)))
    for label, text in shown.texts:
        lines += ["", gettext(label) + ":", text]
    lines += ["", gettext("Position in the ledger: %(seq)s", seq=found.event.seq)]
    if found.text_sha256:
        lines.append(gettext("SHA-256 of the text: %(hash)s", hash=found.text_sha256))
    lines += [gettext("Hash of the ledger event: %(hash)s", hash=found.event.hash), "", receipt_url]
    subject = gettext("Receipt no. %(seq)s", seq=found.event.seq)
    if shown.consultation is not None:
        subject = f"{subject}: {shown.consultation.title}"
    queue_mail(session, user.email, subject, "\n".join(lines))
    return True
