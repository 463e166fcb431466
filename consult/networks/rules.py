"""Who may do what in a network: found one, coordinate it, apply to it, and read what is for its members only."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from consult.models import Organisation
from consult.permissions import Principal


@dataclass(frozen=True)
class NetworkAccess:
    """What the rules need to know of a network: its coordinators and its admitted member organisations."""

    network_id: int
    coordinator_ids: frozenset[int]
    member_organisation_ids: frozenset[int]


def may_found(organisation: Organisation, role: str) -> bool:
    """An official of a municipality, or an admin of a verified organisation."""
    if organisation.kind == "municipality" and role in ("official", "admin"):
        return True
    return role == "admin" and organisation.verified_at is not None


def rules(principal: Principal, action: str, obj: object | None) -> bool:
    confirmed = principal.user.confirmed_at is not None
    if action == "network.create":  # obj: the person's organisations with their roles
        organisations: Iterable[tuple[Organisation, str]] = obj or ()  # type: ignore[assignment]
        return confirmed and (principal.is_admin or any(may_found(o, role) for o, role in organisations))
    if isinstance(obj, NetworkAccess):
        coordinator = principal.id in obj.coordinator_ids
        if action in ("network.edit", "network.manage_coordinators"):
            return coordinator or principal.is_admin  # a platform admin can restore a network left without anyone
        if action in ("network.decide", "network.attendance"):
            return coordinator
        if action in ("network.read_members", "network.post"):  # the members' discussion and page
            return coordinator or not obj.member_organisation_ids.isdisjoint(principal.roles)
    if isinstance(obj, Organisation) and action in ("network.apply", "network.leave"):
        return confirmed and principal.roles.get(obj.id) == "admin"
    return False
