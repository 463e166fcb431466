"""What the forum's front page shows, in a fixed number of queries."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func
from sqlmodel import Session, select

from consult.meetings.queries import upcoming_meetings
from consult.models import Meeting, Network, NetworkMembership, Organisation, Resource, WorkingGroup, utcnow


@dataclass(frozen=True)
class NetworkRow:
    network: Network
    members: int


@dataclass(frozen=True)
class Overview:
    networks: list[NetworkRow]
    open_groups: list[WorkingGroup]  # still collecting declarations, the nearest deadline first
    meetings: list[Meeting]
    rooms: int
    equipment: int
    lenders: int


def overview(session: Session) -> Overview:
    admitted = (
        select(NetworkMembership.network_id, func.count().label("members"))
        .where(NetworkMembership.status == "admitted")
        .group_by(NetworkMembership.network_id)
        .subquery()
    )
    networks = session.exec(
        select(Network, func.coalesce(admitted.c.members, 0))
        .outerjoin(admitted, admitted.c.network_id == Network.id)
        .order_by(Network.name)
    ).all()
    open_groups = session.exec(
        select(WorkingGroup)
        .where(WorkingGroup.declarations_close_at > utcnow())
        .order_by(WorkingGroup.declarations_close_at, WorkingGroup.id)
    ).all()
    offered = dict(
        session.exec(select(Resource.kind, func.count()).where(Resource.active.is_(True)).group_by(Resource.kind)).all()
    )
    lenders = session.exec(
        select(func.count(func.distinct(Resource.organisation_id)))
        .join(Organisation, Organisation.id == Resource.organisation_id)
        .where(Resource.active.is_(True))
    ).one()
    return Overview(
        networks=[NetworkRow(network, members) for network, members in networks],
        open_groups=list(open_groups),
        meetings=upcoming_meetings(session, limit=8),
        rooms=offered.get("room", 0),
        equipment=offered.get("equipment", 0),
        lenders=lenders,
    )
