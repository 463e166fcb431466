"""Who may offer, edit, request, decide and cancel: the resources feature's rules, asked through permissions.can.

Actions with the prefix "resource" take a Resource (or, to add one, the Organisation that lends it); those with the
prefix "booking" take a Booking seen with its resource (`BookingSides`), or a `Borrowing` to request one.
"""

from __future__ import annotations

from dataclasses import dataclass

from consult.models import Booking, Organisation, Resource
from consult.permissions import Principal


@dataclass(frozen=True)
class BookingSides:
    """A booking with the two organisations it concerns: the owner of the resource and the borrower."""

    booking: Booking
    owner_id: int

    @property
    def borrower_id(self) -> int:
        return self.booking.organisation_id


@dataclass(frozen=True)
class Borrowing:
    """A request to borrow this resource, made in the name of this organisation (None: not chosen yet)."""

    resource: Resource
    organisation_id: int | None = None


def manages(principal: Principal, organisation_id: int) -> bool:
    """The organisation's admins (a municipality's officials too: only a municipality has officials) manage what it
    lends and decide on the requests for it."""
    return principal.roles.get(organisation_id) in ("admin", "official")


def rules(principal: Principal, action: str, obj: object | None) -> bool:
    if action == "resource.create" and isinstance(obj, Organisation):
        return principal.is_admin or manages(principal, obj.id)
    if action == "resource.edit" and isinstance(obj, Resource):  # edit, deactivate, delete
        return principal.is_admin or manages(principal, obj.organisation_id)
    if action == "booking.list" and isinstance(obj, Organisation):  # its requests, both ways
        return principal.is_admin or obj.id in principal.roles
    if action == "booking.request" and isinstance(obj, Borrowing):
        # A member of an organisation other than the owner, acting for it (for that one, when it is chosen).
        owner = obj.resource.organisation_id
        if obj.organisation_id is not None:
            return obj.organisation_id != owner and obj.organisation_id in principal.roles
        return any(organisation_id != owner for organisation_id in principal.roles)
    if isinstance(obj, BookingSides):
        owner = manages(principal, obj.owner_id)
        if action == "booking.decide":
            return owner
        if action == "booking.cancel":  # the owner's managers, or the borrower's admins and the person who asked
            borrower_role = principal.roles.get(obj.borrower_id)
            asked = obj.booking.requested_by_id == principal.id and borrower_role is not None
            return owner or borrower_role == "admin" or asked
        if action == "booking.view":  # both organisations' members, and the platform's admins
            return principal.is_admin or obj.owner_id in principal.roles or obj.borrower_id in principal.roles
    return False
