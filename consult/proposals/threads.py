"""A proposal's discussion: a comment thread owned by the proposal, resolved for the comment engine."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime

from sqlmodel import Session, select

from consult.comments.owners import ThreadContext, register
from consult.consultations.actions import gate_for, is_frozen
from consult.i18n import _, gettext
from consult.models import Consultation, Organisation, Proposal, Thread


def thread_of(session: Session, proposal: Proposal) -> Thread | None:
    return session.exec(
        select(Thread).where(Thread.owner_kind == "proposal", Thread.owner_id == str(proposal.id))
    ).first()


def thread_context(
    session: Session,
    consultation: Consultation,
    municipality: Organisation,
    proposal: Proposal,
    thread: Thread | None,
    url_for: Callable[..., str],
    now: datetime | None = None,
) -> ThreadContext:
    """The consultation's rules for comments; a withdrawn proposal's discussion is closed."""
    gate = gate_for(consultation, municipality, now, frozen=is_frozen(session, consultation))
    if proposal.status == "hidden":
        closed = _("This proposal was hidden by the moderators: its discussion is closed.")
        gate = replace(gate, open=False, closed_message=closed)
    elif proposal.status != "visible":
        gate = replace(gate, open=False, closed_message=_("This proposal was withdrawn: its discussion is closed."))
    return ThreadContext(
        thread=thread,
        gate=gate,
        scope=f"proposal-{proposal.id}",
        page_url=str(url_for("proposals:detail", slug=consultation.slug, proposal_id=proposal.id)),
        post_url=str(url_for("proposals:comment", slug=consultation.slug, proposal_id=proposal.id)),
        title=gettext("Comments on the proposal"),
        owner=consultation,
        extra={
            "municipality": municipality,
            "paragraph": None,
            "proposal": proposal,
            "form_title": gettext("Comment on the proposal"),
        },
    )


def _resolve(session: Session, thread: Thread, url_for, now: datetime | None = None) -> ThreadContext:
    proposal = session.get(Proposal, int(thread.owner_id))
    consultation = session.get(Consultation, thread.consultation_id)
    assert proposal is not None and consultation is not None
    municipality = session.get(Organisation, consultation.organisation_id)
    return thread_context(session, consultation, municipality, proposal, thread, url_for, now)


register("proposal", _resolve)
