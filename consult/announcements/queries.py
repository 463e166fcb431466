"""What the announcement pages read (never commit): who may post to which audience, who may read an announcement,
the lists with their filters, the open funding opportunities by deadline, and who is told of a new announcement."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from zoneinfo import ZoneInfo

from sqlalchemy import and_, func, or_
from sqlmodel import Session, col, select

from consult.announcements.rules import OFFICIAL_ROLES, Posting
from consult.me.actions import serves
from consult.models import (
    Announcement,
    AnnouncementField,
    GroupDeclaration,
    Membership,
    Network,
    NetworkCoordinator,
    NetworkMembership,
    NetworkMunicipality,
    Organisation,
    WorkingGroup,
    utcnow,
)
from consult.permissions import Principal

PAGE_SIZE = 20
ZONE = "Europe/Warsaw"


def today(zone: str = ZONE) -> date:
    """The day it is now where the municipalities are: a deadline is that day's end."""
    return utcnow().astimezone(ZoneInfo(zone)).date()


def days_left(deadline: date, on: date | None = None) -> int:
    return (deadline - (on or today())).days


# --- who may post where ----------------------------------------------------------------------


@dataclass(frozen=True)
class AudienceOption:
    value: str  # "everyone", "municipality:12", "network:3", "group:7": the form's value
    kind: str
    target_id: int | None
    name: str


def parse_audience(value: str) -> tuple[str, int | None] | None:
    kind, _, number = value.partition(":")
    if kind == "everyone" and not number:
        return kind, None
    if kind in ("municipality", "network", "group") and number.isdigit() and len(number) < 19:
        return kind, int(number)
    return None


def support_centres_of(session: Session, principal: Principal) -> list[Organisation]:
    if not principal.roles:
        return []
    query = select(Organisation).where(col(Organisation.id).in_(list(principal.roles)), Organisation.support_centre)
    return list(session.exec(query.order_by(Organisation.id)).all())


def audience_options(session: Session, principal: Principal | None) -> list[AudienceOption]:
    """The audiences this person's roles admit, in the form's order."""
    if principal is None:
        return []
    centres = support_centres_of(session, principal)
    options = [AudienceOption("everyone", "everyone", None, "")] if centres else []
    municipalities = select(Organisation).where(Organisation.kind == "municipality").order_by(Organisation.name)
    if not centres:
        own = [o for o, role in principal.roles.items() if role in OFFICIAL_ROLES]
        municipalities = municipalities.where(col(Organisation.id).in_(own))
    for m in session.exec(municipalities):
        options.append(AudienceOption(f"municipality:{m.id}", "municipality", m.id, m.name))
    networks = select(Network).join(NetworkCoordinator, col(NetworkCoordinator.network_id) == Network.id)
    networks = networks.where(NetworkCoordinator.user_id == principal.id).order_by(Network.name)
    options += [AudienceOption(f"network:{n.id}", "network", n.id, n.name) for n in session.exec(networks)]
    groups = select(WorkingGroup).where(WorkingGroup.coordinator_id == principal.id).order_by(WorkingGroup.name)
    options += [AudienceOption(f"group:{g.id}", "group", g.id, g.name) for g in session.exec(groups)]
    return options


def posting_for(session: Session, principal: Principal, kind: str, target_id: int | None) -> Posting | None:
    """What the rules need to judge posting to this audience; None when the audience names nothing that exists."""
    centres = support_centres_of(session, principal)
    centre_id = centres[0].id if centres else None
    if kind == "everyone":
        return Posting(kind, None, centre_id, support_centre=centre_id is not None)
    if kind == "municipality":
        municipality = session.get(Organisation, target_id) if target_id else None
        if municipality is None or municipality.kind != "municipality":
            return None
        if principal.roles.get(municipality.id) in OFFICIAL_ROLES:
            return Posting(kind, municipality.id, municipality.id)
        return Posting(kind, municipality.id, centre_id, support_centre=centre_id is not None)
    if kind == "network":
        if target_id is None or session.get(Network, target_id) is None:
            return None
        coordinates = session.get(NetworkCoordinator, (target_id, principal.id)) is not None
        return Posting(kind, target_id, None, coordinates=coordinates)
    if kind == "group":
        group = session.get(WorkingGroup, target_id) if target_id else None
        if group is None:
            return None
        runner = group.organisation_id if group.organisation_id in principal.roles else None
        return Posting(kind, group.id, runner, coordinates=group.coordinator_id == principal.id)
    return None


# --- who may read ------------------------------------------------------------------------------


def readable_group_ids(session: Session, principal: Principal | None) -> set[int]:
    """Working groups whose announcements this person reads: those they coordinate or take part in."""
    if principal is None:
        return set()
    if principal.is_admin:
        return set(session.exec(select(WorkingGroup.id)))
    coordinated = set(session.exec(select(WorkingGroup.id).where(WorkingGroup.coordinator_id == principal.id)))
    member = or_(
        col(GroupDeclaration.organisation_id).in_(list(principal.roles) or [0]),
        and_(col(GroupDeclaration.organisation_id).is_(None), GroupDeclaration.user_id == principal.id),
    )
    accepted = select(GroupDeclaration.group_id).where(GroupDeclaration.status == "accepted", member)
    return coordinated | set(session.exec(accepted))


def may_read(session: Session, principal: Principal | None, announcement: Announcement) -> bool:
    """Announcements are public, except a working group's: its members, its coordinator and the author read them."""
    if announcement.audience_kind != "group":
        return True
    if principal is not None and announcement.author_id == principal.id:
        return True
    return announcement.audience_id in readable_group_ids(session, principal)


def _visible(query, session: Session, principal: Principal | None):
    groups = readable_group_ids(session, principal)
    public = Announcement.audience_kind != "group"
    mine = and_(Announcement.audience_kind == "group", col(Announcement.audience_id).in_(sorted(groups)))
    return query.where(
        col(Announcement.published_at).is_not(None),
        col(Announcement.withdrawn_at).is_(None),
        or_(public, mine) if groups else public,
    )


# --- lists -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Filter:
    category: str = ""
    municipality: Organisation | None = None
    network: Network | None = None
    field: str = ""
    page: int = 1


def _filtered(query, f: Filter):
    if f.category:
        query = query.where(Announcement.category == f.category)
    if f.municipality is not None:
        m = f.municipality.id
        spanning = select(NetworkMunicipality.network_id).where(NetworkMunicipality.municipality_id == m)
        query = query.where(
            or_(
                and_(Announcement.audience_kind == "municipality", Announcement.audience_id == m),
                Announcement.organisation_id == m,
                and_(Announcement.audience_kind == "network", col(Announcement.audience_id).in_(spanning)),
            )
        )
    if f.network is not None:
        query = query.where(Announcement.audience_kind == "network", Announcement.audience_id == f.network.id)
    if f.field:
        tagged = select(AnnouncementField.announcement_id).where(AnnouncementField.field == f.field)
        query = query.where(col(Announcement.id).in_(tagged))
    return query


def list_announcements(
    session: Session, principal: Principal | None, f: Filter, limit: int = PAGE_SIZE
) -> tuple[list[Announcement], int]:
    """Newest first, one page, and how many in all."""
    query = _filtered(_visible(select(Announcement), session, principal), f)
    total = session.exec(select(func.count()).select_from(query.subquery())).one()
    query = query.order_by(col(Announcement.published_at).desc(), col(Announcement.id).desc())
    rows = session.exec(query.offset((f.page - 1) * limit).limit(limit)).all()
    return list(rows), total


def opportunities(
    session: Session, principal: Principal | None, f: Filter, *, closed: bool = False, limit: int = 100
) -> tuple[list[Announcement], int]:
    """Funding opportunities: open ones (the deadline is today or later) soonest first, or closed ones latest first."""
    query = _filtered(_visible(select(Announcement), session, principal), f)
    query = query.where(Announcement.category == "funding")
    day = today()
    if closed:
        query = query.where(col(Announcement.deadline) < day).order_by(col(Announcement.deadline).desc())
    else:
        query = query.where(col(Announcement.deadline) >= day).order_by(col(Announcement.deadline))
    total = session.exec(select(func.count()).select_from(query.subquery())).one()
    rows = session.exec(query.order_by(col(Announcement.id)).offset((f.page - 1) * limit).limit(limit)).all()
    return list(rows), total


def get_announcement(session: Session, slug: str) -> Announcement | None:
    return session.exec(select(Announcement).where(Announcement.slug == slug)).first()


def fields_of(session: Session, ids: list[int]) -> dict[int, list[str]]:
    found: dict[int, list[str]] = {i: [] for i in ids}
    if ids:
        query = select(AnnouncementField).where(col(AnnouncementField.announcement_id).in_(ids))
        for row in session.exec(query.order_by(AnnouncementField.field)):
            found[row.announcement_id].append(row.field)
    return found


@dataclass(frozen=True)
class Names:
    """The names a list of announcements shows: who posted each, and its audience."""

    organisations: dict[int, str]
    networks: dict[int, str]
    groups: dict[int, str]

    def poster(self, a: Announcement) -> str:
        return self.organisations.get(a.organisation_id or 0, "")

    def audience(self, a: Announcement) -> str:
        table = {"municipality": self.organisations, "network": self.networks, "group": self.groups}
        return table.get(a.audience_kind, {}).get(a.audience_id or 0, "")


def names_for(session: Session, announcements: list[Announcement]) -> Names:
    def wanted(kind: str) -> set[int]:
        return {a.audience_id for a in announcements if a.audience_kind == kind and a.audience_id}

    org_ids = {a.organisation_id for a in announcements if a.organisation_id} | wanted("municipality")

    def named(table, ids: set[int]) -> dict[int, str]:
        if not ids:
            return {}
        return dict(session.exec(select(table.id, table.name).where(col(table.id).in_(sorted(ids)))).all())

    return Names(named(Organisation, org_ids), named(Network, wanted("network")), named(WorkingGroup, wanted("group")))


def municipalities(session: Session) -> list[Organisation]:
    query = select(Organisation).where(Organisation.kind == "municipality").order_by(Organisation.name)
    return list(session.exec(query))


def networks(session: Session) -> list[Network]:
    return list(session.exec(select(Network).order_by(Network.name)))


def by_slug(session: Session, table, slug: str):
    return session.exec(select(table).where(table.slug == slug)).first() if slug else None


# --- who is told -----------------------------------------------------------------------------------


def _members_of(session: Session, organisation_ids) -> set[int]:
    ids = sorted(set(organisation_ids))
    if not ids:
        return set()
    return set(session.exec(select(Membership.user_id).where(col(Membership.organisation_id).in_(ids))))


def audience_people(session: Session, announcement: Announcement) -> set[int]:
    """The people an announcement is mailed to (their settings then decide how): everyone means the people of every
    organisation that is not a municipality; a municipality's audience, the people of organisations whose area served
    names it; a network's, the people of its admitted members and its coordinators; a group's, those who take part."""
    kind, target = announcement.audience_kind, announcement.audience_id
    if kind == "everyone":
        others = select(Organisation.id).where(Organisation.kind != "municipality")
        people = _members_of(session, session.exec(others))
    elif kind == "municipality":
        municipality = session.get(Organisation, target)
        rows = session.exec(
            select(Organisation.id, Organisation.area_served).where(
                Organisation.kind != "municipality", Organisation.area_served != ""
            )
        )
        people = _members_of(session, [i for i, area in rows if municipality and serves(area, municipality)])
    elif kind == "network":
        admitted = select(NetworkMembership.organisation_id).where(
            NetworkMembership.network_id == target, NetworkMembership.status == "admitted"
        )
        people = _members_of(session, session.exec(admitted))
        people |= set(session.exec(select(NetworkCoordinator.user_id).where(NetworkCoordinator.network_id == target)))
    else:
        from consult.groups.queries import load_access

        group = session.get(WorkingGroup, target)
        if group is None:
            return set()
        access = load_access(session, group)
        people = set(access.members) | ({group.coordinator_id} if group.coordinator_id else set())
    return people - {announcement.author_id}
