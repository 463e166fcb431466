"""Whether a reader is offered the proposal form, or told why not: nobody is shown a form they may not use."""

from __future__ import annotations

from dataclasses import dataclass

from starlette.requests import Request

from consult.comments.views import speaker_options
from consult.i18n import _
from consult.models import Consultation, Organisation
from consult.permissions import can
from consult.proposals.actions import gate_of

HOST_DOES_NOT_PROPOSE = _("The municipality that consults answers proposals: it does not make them.")
ORGANISATIONS_ONLY = _("Only members of verified organisations submit proposals in this consultation.")


@dataclass(frozen=True)
class Offer:
    """The proposal form for this reader now: offered (may), to log in for (login), or refused with why (a msgid)."""

    may: bool = False
    login: bool = False
    why: str = ""
    join: bool = False  # whether "Your organisations" would help (a resident, a member of an unverified one)


def proposal_offer(request: Request, consultation: Consultation, municipality: Organisation) -> Offer:
    gate = gate_of(request.state.db, consultation)
    if not gate.open:
        return Offer(why=gate.closed_message)
    user = request.state.user
    if user is None:
        return Offer(login=True)
    if gate.allow_individuals or speaker_options(request, gate):
        return Offer(may=True)
    if can(user, "consultation.manage", municipality):
        return Offer(why=HOST_DOES_NOT_PROPOSE)
    return Offer(why=ORGANISATIONS_ONLY, join=True)
