"""Which meetings are coming up for an organisation, a network, a working group or a municipality: the list that
every forum page shows and every calendar feed serves."""

from __future__ import annotations

from sqlalchemy import or_
from sqlmodel import Session, select

from consult.models import Meeting, NetworkMunicipality, utcnow


def upcoming_meetings(
    session: Session,
    *,
    organisation_id: int | None = None,
    network_id: int | None = None,
    group_id: int | None = None,
    municipality_id: int | None = None,
    limit: int | None = 20,
) -> list[Meeting]:
    """Published meetings that have not ended, soonest first, narrowed by whichever owner is given.

    A municipality's meetings are those it organises, those for its organisations, and those of networks spanning it.
    """
    query = select(Meeting).where(
        Meeting.published_at.is_not(None), Meeting.cancelled_at.is_(None), Meeting.ends_at >= utcnow()
    )
    if organisation_id is not None:
        query = query.where(Meeting.organisation_id == organisation_id)
    if network_id is not None:
        query = query.where(Meeting.network_id == network_id)
    if group_id is not None:
        query = query.where(Meeting.group_id == group_id)
    if municipality_id is not None:
        spanning = select(NetworkMunicipality.network_id).where(NetworkMunicipality.municipality_id == municipality_id)
        query = query.where(
            or_(
                Meeting.organisation_id == municipality_id,
                Meeting.municipality_id == municipality_id,
                Meeting.network_id.in_(spanning),
            )
        )
    query = query.order_by(Meeting.starts_at, Meeting.id)
    if limit is not None:
        query = query.limit(limit)
    return list(session.exec(query).all())
