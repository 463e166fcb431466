"""Who may do what with meetings, registered with consult.permissions under the prefix "meeting".

The rules see only the principal and the object; what they need from the database (does this person coordinate the
meeting's network or working group, does the audience admit this organisation) is read by consult.meetings.queries
into the small objects below.
"""

from __future__ import annotations

from dataclasses import dataclass

from consult.models import Organisation, Registration
from consult.permissions import Principal

ORGANISER_ROLES = ("admin", "official")


@dataclass(frozen=True)
class Organising:
    """A meeting's organiser (an organisation), and whether the principal coordinates the meeting's network or working
    group (a network's coordinators run its meetings, a working group's coordinator the group's)."""

    organisation_id: int
    coordinates: bool = False


@dataclass(frozen=True)
class Candidate:
    """Who would register: an organisation, or None for the person themself; `admitted`: the audience admits them."""

    organisation_id: int | None
    admitted: bool


def rules(principal: Principal, action: str, obj: object | None) -> bool:
    if action == "meeting.organise" and isinstance(obj, Organising):
        return principal.is_admin or obj.coordinates or principal.roles.get(obj.organisation_id) in ORGANISER_ROLES
    if action == "meeting.plan":  # may open the form at all: acts for an organisation, or coordinates something
        return principal.is_admin or bool(principal.roles) or bool(obj)
    if action == "meeting.register" and isinstance(obj, Candidate):
        if not obj.admitted or principal.user.confirmed_at is None:
            return False
        return obj.organisation_id is None or obj.organisation_id in principal.roles  # any member of it
    if action == "meeting.change_registration" and isinstance(obj, Registration):
        if obj.organisation_id is None:
            return obj.registered_by_id == principal.id
        return obj.organisation_id in principal.roles
    if action == "meeting.enter_point" and isinstance(obj, Organisation):  # the consultation's municipality
        return obj.kind == "municipality" and (principal.is_admin or principal.roles.get(obj.id) in ORGANISER_ROLES)
    return False
