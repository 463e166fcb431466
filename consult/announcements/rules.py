"""Who may post an announcement to which audience, registered with consult.permissions under "announcement".

Only the author's role admits an audience: a municipality's officials post to their municipality, a network's
coordinators to their network, a working group's coordinator to their group, and the members of a support centre to
everyone or to any municipality. The rules see only the principal and a `Posting` that the actions read from the
database (does this person coordinate the network or group, is the posting organisation a support centre).
"""

from __future__ import annotations

from dataclasses import dataclass

from consult.models import Announcement
from consult.permissions import Principal

OFFICIAL_ROLES = ("official", "admin")


@dataclass(frozen=True)
class Posting:
    """An announcement about to be posted (or changed): its audience and who posts it."""

    audience_kind: str  # everyone | municipality | network | group
    audience_id: int | None
    organisation_id: int | None  # the posting organisation (a municipality, a support centre, a group's runner)
    support_centre: bool = False  # the posting organisation is a support centre
    coordinates: bool = False  # the principal coordinates the network or working group of the audience


def may_post(principal: Principal, posting: Posting) -> bool:
    if principal.user.confirmed_at is None:
        return False
    role = principal.roles.get(posting.organisation_id) if posting.organisation_id is not None else None
    centre = posting.support_centre and role is not None  # any member of a support centre posts for it
    if posting.audience_kind == "everyone":
        return centre
    if posting.audience_kind == "municipality":
        official = posting.organisation_id == posting.audience_id and role in OFFICIAL_ROLES
        return posting.audience_id is not None and (official or centre)
    if posting.audience_kind in ("network", "group"):
        return posting.coordinates and (posting.organisation_id is None or role is not None)
    return False


def rules(principal: Principal, action: str, obj: object | None) -> bool:
    if action == "announcement.post" and isinstance(obj, Posting):
        return may_post(principal, obj)
    if action == "announcement.write":  # may open the form: `obj` says whether any audience admits the person
        return bool(obj) and principal.user.confirmed_at is not None
    if action == "announcement.edit" and isinstance(obj, Announcement):
        return obj.author_id == principal.id
    if action == "announcement.withdraw" and isinstance(obj, Announcement):
        return obj.author_id == principal.id or principal.is_admin
    return False
