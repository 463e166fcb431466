"""Who may ask, take, answer, close and rate: the advice feature's rules, asked through permissions.can.

An advice request has two sides: the organisation that asked (any of its members) and the support centre it asked
(its members, of any role, are its advisors). Nobody else reads it, not even the platform's admins.
"""

from __future__ import annotations

from consult.models import AdviceRequest, Organisation
from consult.permissions import Principal, register_rules

ASKING_KINDS = ("ngo", "other")  # any member asks for these; an informal group asks through its leader (its admin)


def may_ask_for(principal: Principal, organisation: Organisation) -> bool:
    """A member of an NGO (or another organisation), or the leader of an informal group, asking in its name."""
    role = principal.roles.get(organisation.id)
    if role is None or organisation.kind == "municipality":
        return False
    return organisation.kind in ASKING_KINDS or (organisation.kind == "informal" and role == "admin")


def is_advisor(principal: Principal, request: AdviceRequest) -> bool:
    return request.centre_id in principal.roles


def is_requester(principal: Principal, request: AdviceRequest) -> bool:
    return request.organisation_id in principal.roles


def rules(principal: Principal, action: str, obj: object | None) -> bool:
    if action == "advice.mark_centre":
        return principal.is_admin
    if isinstance(obj, Organisation):
        if action == "advice.ask":
            return may_ask_for(principal, obj)
        if action == "advice.queue":  # the centre's queue: its advisors
            return obj.support_centre and obj.id in principal.roles
    if not isinstance(obj, AdviceRequest):
        return False
    advisor, requester = is_advisor(principal, obj), is_requester(principal, obj)
    if action == "advice.view":
        return advisor or requester
    if action == "advice.take":
        return advisor and obj.status == "new"
    if action == "advice.answer":  # the advisor who took it
        return advisor and obj.advisor_id == principal.id and obj.status in ("taken", "answered")
    if action == "advice.follow_up":  # the requesting organisation adds to its request while it is open
        return requester and obj.status != "closed"
    if action == "advice.close":
        return obj.status != "closed" and ((advisor and obj.advisor_id == principal.id) or requester)
    if action == "advice.rate":
        return requester and obj.status == "closed" and obj.rating is None
    return False


register_rules("advice", rules)
