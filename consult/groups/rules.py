"""Who may do what with a working group: the rules behind `permissions.can(principal, "group.<verb>", obj)`.

The rules read only what they are given: a view or an action loads a `GroupAccess` (the group with the people who
take part in it) or a `Founding` (the organisation and network a new group would belong to) once, and asks.
"""

from __future__ import annotations

from dataclasses import dataclass

from consult.models import GroupDeclaration, Organisation, WorkingGroup
from consult.permissions import Principal, register_rules


@dataclass(frozen=True)
class GroupAccess:
    """A working group with what its rules need, loaded in a fixed number of queries."""

    group: WorkingGroup
    organisation: Organisation  # the organisation that runs it
    members: frozenset[int]  # people who take part: accepted individuals and the people of accepted organisations
    member_organisations: frozenset[int]

    def takes_part(self, user_id: int | None) -> bool:
        return user_id is not None and (user_id == self.group.coordinator_id or user_id in self.members)


@dataclass(frozen=True)
class Founding:
    """A group about to be created: run by `organisation`, for the network `network_id` if one is chosen."""

    organisation: Organisation
    network_id: int | None = None
    coordinates_network: bool = False  # the person creating it coordinates that network


def _runs(principal: Principal, organisation: Organisation) -> bool:
    """An official or admin of a municipality, or an admin of a verified organisation."""
    role = principal.roles.get(organisation.id) if organisation.id is not None else None
    if organisation.kind == "municipality":
        return role in ("official", "admin")
    return role == "admin" and organisation.verified_at is not None


def rules(principal: Principal, action: str, obj: object | None) -> bool:
    if action == "group.create" and isinstance(obj, Founding):
        if obj.network_id is not None:  # a network's group: its coordinators create it, for an organisation of theirs
            return obj.coordinates_network and obj.organisation.id in principal.roles
        return _runs(principal, obj.organisation)
    if action == "group.declare":
        return principal.user.confirmed_at is not None
    if isinstance(obj, GroupAccess):
        coordinator = obj.group.coordinator_id == principal.id
        if action in ("group.decide", "group.see_declarations", "group.document"):
            return coordinator
        if action == "group.edit":  # the coordinator, or the running organisation (to hand the group to another)
            return coordinator or principal.is_admin or _runs(principal, obj.organisation)
        if action == "group.post":
            return obj.takes_part(principal.id)
    if isinstance(obj, GroupDeclaration) and action == "group.withdraw":
        if obj.user_id == principal.id:
            return True
        return obj.organisation_id is not None and principal.roles.get(obj.organisation_id) == "admin"
    return False


# Registered here as well as by actions.py, so that any module asking can("group.…") has the rules loaded.
register_rules("group", rules)
