"""The demo's commitments: what became of last year's accepted contributions, each at its own stage, a year on.

Through the real action (history, ledger), each change on its own date of this year: the amount of § 9 in force
with the budget resolution, the seniors' programme of § 6 done, the small grants dropped with the reason, the social
media of § 8 still planned. This year's draft (program-wspolpracy-2027) shows them to the official beside § 6, § 8
and § 9, and the proposal on the whole document above the text.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlmodel import Session, select

from consult.commitments.actions import CommitmentInput, backfill_commitments, change_commitment
from consult.demo_last_year import SLUG
from consult.models import Commitment, CommitmentChange, Consultation, Membership, Organisation, User, clock_at
from consult.permissions import Principal

UNIT = "Referat Promocji i Współpracy z Organizacjami Pozarządowymi"
# (paragraph label, "" for the whole document): the changes in order, each (when, status, responsible, date, reason)
PLAN = {
    "§ 9 ust. 1": [
        (datetime(2025, 12, 30, 10, tzinfo=UTC), "in_force", "Skarbnik Gminy", date(2026, 1, 1), ""),
    ],
    "§ 6 ust. 1 pkt 3": [
        (datetime(2026, 2, 2, 9, tzinfo=UTC), "in_force", UNIT, date(2026, 6, 30), ""),
        (datetime(2026, 7, 6, 9, tzinfo=UTC), "done", UNIT, date(2026, 7, 3), ""),
    ],
    "": [
        (
            datetime(2026, 3, 16, 11, tzinfo=UTC),
            "dropped",
            "Wójt Gminy",
            date(2026, 3, 16),
            "Rada Gminy nie zabezpieczyła w budżecie na 2026 r. środków na małe granty (art. 19a ustawy). "
            "Propozycja wraca w projekcie programu na rok 2027.",
        ),
    ],
    "§ 8 ust. 2": [
        (datetime(2026, 1, 12, 9, tzinfo=UTC), "planned", UNIT, date(2027, 1, 31), ""),
    ],
}


def load(session: Session, domain: str, municipality: str) -> None:
    consultation = session.exec(select(Consultation).where(Consultation.slug == SLUG)).first()
    if consultation is None:
        return
    backfill_commitments(session, consultation)  # made when the record was published; this only makes sure
    official = session.exec(select(User).where(User.email == f"urzednik@{domain}")).first()
    gmina = session.exec(select(Organisation).where(Organisation.name == municipality)).first()
    if official is None or gmina is None:
        return
    roles = dict(
        session.exec(select(Membership.organisation_id, Membership.role).where(Membership.user_id == official.id)).all()
    )
    who = Principal(user=official, roles=roles)
    steps = []
    for commitment in session.exec(select(Commitment).where(Commitment.consultation_id == consultation.id)).all():
        changed = session.exec(select(CommitmentChange.id).where(CommitmentChange.commitment_id == commitment.id))
        if changed.first() is not None:  # loaded before
            continue
        steps += [(step[0], commitment.id, commitment, step) for step in PLAN.get(commitment.paragraph_label, [])]
    for when, _id, commitment, (_when, status, responsible, due_on, reason) in sorted(steps, key=lambda s: s[:2]):
        data = CommitmentInput(status=status, responsible=responsible, due_on=due_on, reason=reason)
        with clock_at(when):  # in the order they happened: the ledger's times never go back
            change_commitment(session, who, commitment, data)
