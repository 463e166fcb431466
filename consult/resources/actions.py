"""Rooms and equipment an organisation lends: the input model, the queries of the lists, and the actions that add,
edit, deactivate and delete them. Bookings are in `bookings.py`; what other features read is in `queries.py`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, Field, ValidationInfo, field_validator
from sqlalchemy import exists, func, or_, update
from sqlmodel import Session, col, select

from consult import ledger, permissions
from consult.errors import DomainError
from consult.forms import invalid
from consult.i18n import _
from consult.models import Booking, Organisation, Resource
from consult.permissions import Principal
from consult.resources.rules import rules

permissions.register_rules("resource", rules)
permissions.register_rules("booking", rules)

PAGE_SIZE = 20
MAX_CAPACITY = 10_000
KIND_LABELS = {"room": _("Room"), "equipment": _("Equipment")}


class ResourceInput(BaseModel):
    """A room (with its address, capacity and accessibility) or a piece of equipment."""

    kind: Literal["room", "equipment"]
    name: str = Field(min_length=2, max_length=200)
    address: str = Field(default="", max_length=300, validate_default=True)
    capacity: int | None = Field(default=None, validate_default=True)
    step_free: bool = False
    hearing_loop: bool = False
    equipment: str = Field(default="", max_length=500)
    description: str = Field(default="", max_length=5000)

    @field_validator("capacity", mode="before")
    @classmethod
    def _blank_is_none(cls, value: object) -> object:
        return None if value == "" else value

    @field_validator("address")
    @classmethod
    def _room_has_address(cls, value: str, info: ValidationInfo) -> str:
        if info.data.get("kind") == "room" and not value:
            raise invalid(_("Give the room's address: where the people who book it should come."))
        return value

    @field_validator("capacity")
    @classmethod
    def _room_has_capacity(cls, value: int | None, info: ValidationInfo) -> int | None:
        if info.data.get("kind") != "room":
            return None
        if value is None:
            raise invalid(_("Give how many people the room holds."))
        if not 1 <= value <= MAX_CAPACITY:
            raise invalid(_("Enter a number of people between 1 and 10,000."))
        return value

    def stored(self) -> dict:
        """The values a Resource keeps: a piece of equipment has no capacity nor accessibility of its own."""
        values = self.model_dump()
        if self.kind == "equipment":
            values |= {"capacity": None, "step_free": False, "hearing_loop": False, "equipment": ""}
        return values


# --- queries --------------------------------------------------------------------------------


@dataclass
class ResourceFilter:
    kind: str = ""
    step_free: bool = False
    hearing_loop: bool = False
    min_capacity: int | None = None
    q: str = ""
    page: int = 1

    @property
    def params(self) -> dict[str, str]:
        """The filter as query parameters (for the pagination's links)."""
        values = {"kind": self.kind, "q": self.q, "min_capacity": str(self.min_capacity or "")}
        values |= {"step_free": "1" if self.step_free else "", "hearing_loop": "1" if self.hearing_loop else ""}
        return {k: v for k, v in values.items() if v}


def get_resource(session: Session, resource_id: int) -> Resource | None:
    return session.get(Resource, resource_id)


def list_resources(session: Session, f: ResourceFilter) -> tuple[list[tuple[Resource, Organisation]], int]:
    """What is on offer now (active), matching the filter, by name: a page of rows with their owners, and the count."""
    query = (
        select(Resource, Organisation)
        .join(Organisation, col(Organisation.id) == Resource.organisation_id)
        .where(col(Resource.active).is_(True))
    )
    if f.kind in KIND_LABELS:
        query = query.where(Resource.kind == f.kind)
    if f.step_free:
        query = query.where(col(Resource.step_free).is_(True))
    if f.hearing_loop:
        query = query.where(col(Resource.hearing_loop).is_(True))
    if f.min_capacity:
        query = query.where(Resource.kind == "room", col(Resource.capacity) >= f.min_capacity)
    if f.q:
        term = f"%{f.q.lower()}%"
        query = query.where(
            or_(
                func.lower(Resource.name).like(term),
                func.lower(Resource.address).like(term),
                func.lower(Organisation.name).like(term),
            )
        )
    total = session.exec(select(func.count()).select_from(query.subquery())).one()
    rows = session.exec(
        query.order_by(col(Resource.name), col(Resource.id)).offset((f.page - 1) * PAGE_SIZE).limit(PAGE_SIZE)
    ).all()
    return [(resource, owner) for resource, owner in rows], total


def resources_of(session: Session, organisation: Organisation, *, with_inactive: bool = False) -> list[Resource]:
    """An organisation's offer, rooms first; what it no longer lends only for those who manage it."""
    query = select(Resource).where(Resource.organisation_id == organisation.id)
    if not with_inactive:
        query = query.where(col(Resource.active).is_(True))
    return list(session.exec(query.order_by(col(Resource.kind).desc(), col(Resource.name), col(Resource.id))).all())


def has_bookings(session: Session, resource_id: int) -> bool:
    return session.exec(select(exists().where(Booking.resource_id == resource_id))).one()


# --- the lock every booking change takes ------------------------------------------------------


def lock_resource(session: Session, resource_id: int) -> None:
    """Take the resource row's lock for the rest of the transaction: bookings of one resource change one at a time.

    The UPDATE is the transaction's first statement (the caller commits what it read before): on PostgreSQL it holds
    the row lock until the commit, so a second request waits and then reads what the first one stored; on SQLite it
    takes the database's write lock, waiting for it (busy_timeout) rather than failing on a stale snapshot.
    """
    session.exec(update(Resource).where(col(Resource.id) == resource_id).values(lock_version=Resource.lock_version + 1))


# --- actions --------------------------------------------------------------------------------


def _require(principal: Principal | None, action: str, obj: object) -> Principal:
    if principal is None or not permissions.can(principal, action, obj):
        raise DomainError("", _("Only the organisation's admins can manage the rooms and equipment it lends."), 403)
    return principal


def create_resource(
    session: Session, principal: Principal | None, organisation: Organisation, data: ResourceInput
) -> Resource:
    principal = _require(principal, "resource.create", organisation)
    resource = Resource(organisation_id=organisation.id, **data.stored())
    session.add(resource)
    session.flush()
    ledger.append(
        session,
        actor_id=principal.id,
        action="resource.created",
        subject_kind="resource",
        subject_id=resource.id,
        payload={"organisation": organisation.id, "kind": resource.kind, "name": resource.name},
    )
    session.commit()
    return resource


def update_resource(session: Session, principal: Principal | None, resource: Resource, data: ResourceInput) -> Resource:
    """Save the edited description; a room stays a room once it has bookings (they were made for a room)."""
    principal = _require(principal, "resource.edit", resource)
    if data.kind != resource.kind and has_bookings(session, resource.id):
        raise DomainError("kind", _("This resource has bookings: it cannot change from a room to equipment."), 409)
    values = data.stored()
    changed = sorted(name for name, value in values.items() if getattr(resource, name) != value)
    for name, value in values.items():
        setattr(resource, name, value)
    session.add(resource)
    ledger.append(
        session,
        actor_id=principal.id,
        action="resource.updated",
        subject_kind="resource",
        subject_id=resource.id,
        payload={"changed": changed},
    )
    session.commit()
    return resource


def set_resource_active(session: Session, principal: Principal | None, resource: Resource, active: bool) -> Resource:
    """Deactivate (no new requests; what is booked stays booked) or offer again."""
    principal = _require(principal, "resource.edit", resource)
    if resource.active == active:
        return resource
    resource.active = active
    session.add(resource)
    ledger.append(
        session,
        actor_id=principal.id,
        action="resource.reactivated" if active else "resource.deactivated",
        subject_kind="resource",
        subject_id=resource.id,
        payload={},
    )
    session.commit()
    return resource


def delete_resource(session: Session, principal: Principal | None, resource: Resource) -> None:
    """Delete a resource nobody ever asked for; one with bookings is deactivated instead, keeping its history."""
    principal = _require(principal, "resource.edit", resource)
    resource_id, organisation_id = resource.id, resource.organisation_id
    session.commit()  # what was read above ends here: the lock is the first statement of the deleting transaction
    lock_resource(session, resource_id)
    if has_bookings(session, resource_id):
        session.rollback()
        raise DomainError(
            "", _("This resource has bookings, so it stays in their history: deactivate it instead."), 409
        )
    session.delete(session.get(Resource, resource_id))
    ledger.append(
        session,
        actor_id=principal.id,
        action="resource.deleted",
        subject_kind="resource",
        subject_id=resource_id,
        payload={"organisation": organisation_id},
    )
    session.commit()
