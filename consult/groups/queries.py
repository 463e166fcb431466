"""What the working groups' pages show, in a fixed number of queries per page (never commits)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import case, func
from sqlmodel import Session, col, select

from consult.groups.rules import Founding, GroupAccess
from consult.models import (
    GroupDeclaration,
    Membership,
    Network,
    NetworkCoordinator,
    Organisation,
    User,
    WorkingGroup,
    utcnow,
)
from consult.permissions import Principal, can


@dataclass(frozen=True)
class GroupRow:
    group: WorkingGroup
    organisation: str  # who runs it
    coordinator: str
    members: int
    open: bool  # still taking declarations


@dataclass(frozen=True)
class Member:
    """An accepted declaration as the group's page shows it: an organisation with its representative, or a person."""

    declaration: GroupDeclaration
    organisation: Organisation | None


@dataclass(frozen=True)
class DeclarationRow:
    declaration: GroupDeclaration
    organisation: Organisation | None
    declarant: str  # the account that sent it


def is_open(group: WorkingGroup, now: datetime | None = None) -> bool:
    """Declarations are taken until the deadline, on the server's clock."""
    return (now or utcnow()) < group.declarations_close_at


def _accepted_counts():
    return (
        select(GroupDeclaration.group_id, func.count().label("members"))
        .where(GroupDeclaration.status == "accepted")
        .group_by(GroupDeclaration.group_id)
        .subquery()
    )


def list_groups(session: Session, now: datetime | None = None) -> list[GroupRow]:
    """Every group: those still taking declarations first (the nearest deadline first), then the others."""
    now = now or utcnow()
    counts = _accepted_counts()
    closed = case((col(WorkingGroup.declarations_close_at) <= now, 1), else_=0)
    rows = session.exec(
        select(WorkingGroup, Organisation.name, User.display_name, func.coalesce(counts.c.members, 0))
        .join(Organisation, col(Organisation.id) == WorkingGroup.organisation_id)
        .outerjoin(User, col(User.id) == WorkingGroup.coordinator_id)
        .outerjoin(counts, counts.c.group_id == WorkingGroup.id)
        .order_by(closed, col(WorkingGroup.declarations_close_at), col(WorkingGroup.id))
    ).all()
    return [GroupRow(g, org, who or "", members, is_open(g, now)) for g, org, who, members in rows]


def load_access(session: Session, group: WorkingGroup) -> GroupAccess:
    """The group with the people who take part in it, in two queries."""
    accepted = session.exec(
        select(GroupDeclaration.user_id, GroupDeclaration.organisation_id).where(
            GroupDeclaration.group_id == group.id, GroupDeclaration.status == "accepted"
        )
    ).all()
    organisations = frozenset(o for _u, o in accepted if o is not None)
    people = {u for u, _o in accepted if u is not None}
    if organisations:
        people |= set(
            session.exec(select(Membership.user_id).where(col(Membership.organisation_id).in_(organisations))).all()
        )
    organisation = session.get(Organisation, group.organisation_id)
    assert organisation is not None
    return GroupAccess(group, organisation, frozenset(people), organisations)


def get_group(session: Session, slug: str) -> GroupAccess | None:
    group = session.exec(select(WorkingGroup).where(WorkingGroup.slug == slug)).first()
    return load_access(session, group) if group is not None else None


def members_of(session: Session, group: WorkingGroup) -> list[Member]:
    """Accepted declarations: organisations first, by name, then individuals, by name."""
    rows = session.exec(
        select(GroupDeclaration, Organisation)
        .outerjoin(Organisation, col(Organisation.id) == GroupDeclaration.organisation_id)
        .where(GroupDeclaration.group_id == group.id, GroupDeclaration.status == "accepted")
        .order_by(
            col(GroupDeclaration.organisation_id).is_(None),
            func.lower(func.coalesce(Organisation.name, GroupDeclaration.name)),
        )
    ).all()
    return [Member(d, o) for d, o in rows]


def declarations_of(session: Session, group: WorkingGroup) -> list[DeclarationRow]:
    """Every declaration for the coordinator: the pending ones first, each group oldest first."""
    pending_first = case((GroupDeclaration.status == "pending", 0), else_=1)
    rows = session.exec(
        select(GroupDeclaration, Organisation, User.display_name)
        .outerjoin(Organisation, col(Organisation.id) == GroupDeclaration.organisation_id)
        .outerjoin(User, col(User.id) == GroupDeclaration.user_id)
        .where(GroupDeclaration.group_id == group.id)
        .order_by(pending_first, col(GroupDeclaration.created_at), col(GroupDeclaration.id))
    ).all()
    return [DeclarationRow(d, o, who or "") for d, o, who in rows]


def my_declarations(session: Session, group: WorkingGroup, principal: Principal | None) -> list[DeclarationRow]:
    """The declarations this person sent, or may withdraw for their organisation, newest first."""
    if principal is None:
        return []
    admin_of = [o for o, role in principal.roles.items() if role == "admin"]
    rows = session.exec(
        select(GroupDeclaration, Organisation)
        .outerjoin(Organisation, col(Organisation.id) == GroupDeclaration.organisation_id)
        .where(
            GroupDeclaration.group_id == group.id,
            (GroupDeclaration.user_id == principal.id) | col(GroupDeclaration.organisation_id).in_(admin_of),
        )
        .order_by(col(GroupDeclaration.created_at).desc(), col(GroupDeclaration.id).desc())
    ).all()
    return [DeclarationRow(d, o, "") for d, o in rows]


def pending_count(session: Session, group: WorkingGroup) -> int:
    return session.exec(
        select(func.count())
        .select_from(GroupDeclaration)
        .where(GroupDeclaration.group_id == group.id, GroupDeclaration.status == "pending")
    ).one()


def founding_choices(session: Session, principal: Principal) -> tuple[list[Organisation], list[Network]]:
    """The organisations this person may run a group for, and the networks they coordinate."""
    networks = list(
        session.exec(
            select(Network)
            .join(NetworkCoordinator, col(NetworkCoordinator.network_id) == Network.id)
            .where(NetworkCoordinator.user_id == principal.id)
            .order_by(Network.name)
        ).all()
    )
    organisations = session.exec(
        select(Organisation).where(col(Organisation.id).in_(list(principal.roles))).order_by(Organisation.name)
    ).all()
    runs = [o for o in organisations if can(principal, "group.create", Founding(o))]
    return (list(organisations) if networks else runs), networks


def coordinates(session: Session, principal: Principal, network_id: int) -> bool:
    return (
        session.exec(
            select(NetworkCoordinator.user_id).where(
                NetworkCoordinator.network_id == network_id, NetworkCoordinator.user_id == principal.id
            )
        ).first()
        is not None
    )


def live_organisations(session: Session, group: WorkingGroup) -> set[int]:
    """The organisations with a declaration to this group pending or accepted: they cannot declare again."""
    return set(
        session.exec(
            select(GroupDeclaration.organisation_id).where(
                GroupDeclaration.group_id == group.id,
                col(GroupDeclaration.status).in_(("pending", "accepted")),
                col(GroupDeclaration.organisation_id).is_not(None),
            )
        ).all()
    )
