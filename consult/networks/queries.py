"""What the network pages read: networks, their municipalities, coordinators, members, applications (no commit)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import func
from sqlmodel import Session, col, select

from consult.models import (
    Meeting,
    Membership,
    Network,
    NetworkCoordinator,
    NetworkMembership,
    NetworkMunicipality,
    Organisation,
    User,
)
from consult.networks.rules import NetworkAccess
from consult.permissions import Principal

PAGE_SIZE = 30


@dataclass(frozen=True)
class NetworkRow:
    """A network as the list shows it."""

    network: Network
    municipalities: list[Organisation]
    member_count: int


@dataclass(frozen=True)
class Application:
    """An organisation's application (or membership) with the organisation and who sent it."""

    membership: NetworkMembership
    organisation: Organisation
    applicant: str  # the display name of who applied, "" when their account is gone


@dataclass(frozen=True)
class MemberContact:
    """A member organisation on the members' page: its public contacts and who represents it."""

    organisation: Organisation
    membership: NetworkMembership
    admins: list[str]


def get_network(session: Session, slug: str) -> Network | None:
    return session.exec(select(Network).where(Network.slug == slug)).first()


def coordinator_ids(session: Session, network_id: int) -> list[int]:
    return list(session.exec(select(NetworkCoordinator.user_id).where(NetworkCoordinator.network_id == network_id)))


def member_organisation_ids(session: Session, network_id: int) -> list[int]:
    return list(
        session.exec(
            select(NetworkMembership.organisation_id).where(
                NetworkMembership.network_id == network_id, NetworkMembership.status == "admitted"
            )
        )
    )


def access_of(session: Session, network: Network) -> NetworkAccess:
    assert network.id is not None
    return NetworkAccess(
        network.id,
        frozenset(coordinator_ids(session, network.id)),
        frozenset(member_organisation_ids(session, network.id)),
    )


def municipalities_by_network(session: Session, network_ids: list[int]) -> dict[int, list[Organisation]]:
    found: dict[int, list[Organisation]] = defaultdict(list)
    if not network_ids:
        return found
    rows = session.exec(
        select(NetworkMunicipality.network_id, Organisation)
        .join(Organisation, col(Organisation.id) == NetworkMunicipality.municipality_id)
        .where(col(NetworkMunicipality.network_id).in_(network_ids))
        .order_by(func.lower(Organisation.name))
    ).all()
    for network_id, municipality in rows:
        found[network_id].append(municipality)
    return found


def municipalities_of(session: Session, network_id: int) -> list[Organisation]:
    return municipalities_by_network(session, [network_id])[network_id]


def list_networks(session: Session, page: int = 1) -> tuple[list[NetworkRow], int]:
    """A page of networks by name, each with the municipalities it spans and its number of member organisations."""
    total = session.exec(select(func.count()).select_from(Network)).one()
    networks = list(
        session.exec(
            select(Network)
            .order_by(func.lower(Network.name), Network.id)
            .offset((page - 1) * PAGE_SIZE)
            .limit(PAGE_SIZE)
        )
    )
    ids = [n.id for n in networks]
    counts = dict(
        session.exec(
            select(NetworkMembership.network_id, func.count())
            .where(col(NetworkMembership.network_id).in_(ids), NetworkMembership.status == "admitted")
            .group_by(NetworkMembership.network_id)
        ).all()
    )
    places = municipalities_by_network(session, ids)
    return [NetworkRow(n, places[n.id], counts.get(n.id, 0)) for n in networks], total


def coordinators_of(session: Session, network_id: int) -> list[User]:
    return list(
        session.exec(
            select(User)
            .join(NetworkCoordinator, col(NetworkCoordinator.user_id) == User.id)
            .where(NetworkCoordinator.network_id == network_id)
            .order_by(func.lower(User.display_name), User.id)
        )
    )


def members_of(session: Session, network_id: int) -> list[tuple[Organisation, NetworkMembership]]:
    """The admitted member organisations, by name."""
    rows = session.exec(
        select(Organisation, NetworkMembership)
        .join(NetworkMembership, col(NetworkMembership.organisation_id) == Organisation.id)
        .where(NetworkMembership.network_id == network_id, NetworkMembership.status == "admitted")
        .order_by(func.lower(Organisation.name), Organisation.id)
    ).all()
    return [(o, m) for o, m in rows]


def applications_of(session: Session, network_id: int, status: str = "pending", limit: int = 100) -> list[Application]:
    """Applications in one state: pending ones oldest first (in the order they came), decided ones newest first."""
    order = (
        (col(NetworkMembership.applied_at), col(NetworkMembership.id))
        if status == "pending"
        else (col(NetworkMembership.decided_at).desc(), col(NetworkMembership.id).desc())
    )
    rows = session.exec(
        select(NetworkMembership, Organisation, User.display_name)
        .join(Organisation, col(Organisation.id) == NetworkMembership.organisation_id)
        .outerjoin(User, col(User.id) == NetworkMembership.applied_by_id)
        .where(NetworkMembership.network_id == network_id, NetworkMembership.status == status)
        .order_by(*order)
        .limit(limit)
    ).all()
    return [Application(m, o, name or "") for m, o, name in rows]


def count_pending(session: Session, network_id: int) -> int:
    return session.exec(
        select(func.count())
        .select_from(NetworkMembership)
        .where(NetworkMembership.network_id == network_id, NetworkMembership.status == "pending")
    ).one()


def own_organisations(
    session: Session, network_id: int, principal: Principal | None
) -> list[tuple[Organisation, NetworkMembership | None]]:
    """The organisations the person is an admin of, each with its application to the network (None: never applied)."""
    if principal is None:
        return []
    rows = session.exec(
        select(Organisation, NetworkMembership)
        .join(Membership, col(Membership.organisation_id) == Organisation.id)
        .outerjoin(
            NetworkMembership,
            (col(NetworkMembership.organisation_id) == Organisation.id) & (NetworkMembership.network_id == network_id),
        )
        .where(Membership.user_id == principal.id, Membership.role == "admin")
        .order_by(func.lower(Organisation.name), Organisation.id)
    ).all()
    return [(o, m) for o, m in rows]


def networks_of_organisation(session: Session, organisation_id: int) -> list[Network]:
    """The networks the organisation is an admitted member of ("Networks it belongs to" on its profile)."""
    return list(
        session.exec(
            select(Network)
            .join(NetworkMembership, col(NetworkMembership.network_id) == Network.id)
            .where(NetworkMembership.organisation_id == organisation_id, NetworkMembership.status == "admitted")
            .order_by(func.lower(Network.name), Network.id)
        )
    )


def networks_spanning(session: Session, municipality_id: int) -> list[Network]:
    return list(
        session.exec(
            select(Network)
            .join(NetworkMunicipality, col(NetworkMunicipality.network_id) == Network.id)
            .where(NetworkMunicipality.municipality_id == municipality_id)
            .order_by(func.lower(Network.name), Network.id)
        )
    )


def municipality_choices(session: Session) -> list[Organisation]:
    """The municipalities a network may span: every municipality organisation, by name."""
    return list(
        session.exec(
            select(Organisation)
            .where(Organisation.kind == "municipality")
            .order_by(func.lower(Organisation.name), Organisation.id)
        )
    )


def meetings_of(session: Session, network_id: int, limit: int = 50) -> list[Meeting]:
    """The network's meetings, newest first (where an admission may have been decided), cancelled ones left out."""
    return list(
        session.exec(
            select(Meeting)
            .where(Meeting.network_id == network_id, col(Meeting.cancelled_at).is_(None))
            .order_by(col(Meeting.starts_at).desc(), col(Meeting.id).desc())
            .limit(limit)
        )
    )


def member_contacts(session: Session, network_id: int) -> list[MemberContact]:
    """Each member organisation with its contacts and the names of its admins, for the members-only page."""
    members = members_of(session, network_id)
    admins: dict[int, list[str]] = defaultdict(list)
    if members:
        rows = session.exec(
            select(Membership.organisation_id, User.display_name)
            .join(User, col(User.id) == Membership.user_id)
            .where(col(Membership.organisation_id).in_([o.id for o, _m in members]), Membership.role == "admin")
            .order_by(func.lower(User.display_name))
        ).all()
        for organisation_id, name in rows:
            admins[organisation_id].append(name)
    return [MemberContact(o, m, admins[o.id]) for o, m in members]


def admin_emails(session: Session, organisation_id: int) -> list[str]:
    """Where to tell an organisation of a decision: its admins' addresses."""
    return list(
        session.exec(
            select(User.email)
            .join(Membership, col(Membership.user_id) == User.id)
            .where(Membership.organisation_id == organisation_id, Membership.role == "admin")
            .order_by(User.id)
        )
    )
