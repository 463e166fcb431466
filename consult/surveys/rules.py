"""Who may do what with surveys, registered with consult.permissions under the prefix "survey".

The rules see only the principal and small objects that consult.surveys.queries reads from the database."""

from __future__ import annotations

from dataclasses import dataclass

from consult.permissions import Principal, register_rules

MANAGING_ROLES = ("official", "admin")


@dataclass(frozen=True)
class Owning:
    """A survey's owner: a municipality or a support centre (organisation_id), or a network; `coordinates`: the
    principal coordinates that network."""

    organisation_id: int | None
    support_centre: bool = False
    coordinates: bool = False


@dataclass(frozen=True)
class Answering:
    """Who would answer: an organisation (`speaks`: its admin or a member designated to vote for it), or None for the
    person themself; `window`: the survey is open now."""

    organisation_id: int | None
    speaks: bool = False


def rules(principal: Principal, action: str, obj: object | None) -> bool:
    if action == "survey.create":  # obj: the owners this person may build a survey for
        return principal.is_admin or bool(obj)
    if action == "survey.manage" and isinstance(obj, Owning):
        if principal.is_admin or obj.coordinates:
            return True
        if obj.organisation_id is None:
            return False
        role = principal.roles.get(obj.organisation_id)
        return role is not None if obj.support_centre else role in MANAGING_ROLES
    if action == "survey.answer" and isinstance(obj, Answering):
        if principal.user.confirmed_at is None:
            return False
        return obj.organisation_id is None or (obj.organisation_id in principal.roles and obj.speaks)
    return False


register_rules("survey", rules)
