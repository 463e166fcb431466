"""What the meetings tests share: the form as a browser sends it, networks and working groups as their tables hold
them (their own features build the screens), a meeting moved into the past as the clock would move it."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from slugify import slugify
from sqlmodel import Session

from consult.models import (
    Booking,
    GroupDeclaration,
    Meeting,
    Network,
    NetworkCoordinator,
    NetworkMembership,
    NetworkMunicipality,
    Organisation,
    Resource,
    User,
    WorkingGroup,
    utcnow,
)

WARSAW = ZoneInfo("Europe/Warsaw")


def local(moment: datetime) -> str:
    """A time as a datetime-local field holds it (Warsaw)."""
    return moment.astimezone(WARSAW).strftime("%Y-%m-%dT%H:%M")


def meeting_form(organisation: Organisation, **overrides) -> dict:
    """The meeting form filled in: a quarterly meeting in three weeks, 10:00-13:00 Warsaw time, at an address."""
    day = (datetime.now(WARSAW) + timedelta(days=21)).date()
    return {
        "title": "Spotkanie kwartalne sieci, jesień",
        "kind": "quarterly",
        "organisation_id": str(organisation.id),
        "starts_at": f"{day.isoformat()}T10:00",
        "ends_at": f"{day.isoformat()}T13:00",
        "registration_closes_at": "",
        "venue": "address",
        "venue_address": "Wierzbno, ul. Szkolna 1, świetlica",
        "booking_id": "",
        "online_url": "",
        "capacity": "30",
        "audience": "everyone",
        "municipality_id": "",
        "network_id": "",
        "group_id": "",
        "agenda": "- Powitanie\n- Plan na kwartał",
        "breakout_name[]": ["", ""],
        "breakout_capacity[]": ["", ""],
        "breakouts[]": ["", ""],
        **overrides,
    }


def held(db: Session, meeting: Meeting, hours_ago: float = 3, lasts: float = 2) -> Meeting:
    """The meeting took place: it started `hours_ago` hours ago (as time passing would have it)."""
    meeting.starts_at = utcnow() - timedelta(hours=hours_ago)
    meeting.ends_at = meeting.starts_at + timedelta(hours=lasts)
    meeting.registration_closes_at = None
    db.add(meeting)
    db.commit()
    return meeting


def make_network(
    db: Session, *, name: str = "Sieć organizacji LGD", coordinators: list[User] = (), members=(), spans=()
) -> Network:
    """A network with coordinators, member organisations as (organisation, status), and municipalities spanned."""
    network = Network(slug=slugify(name), name=name)
    db.add(network)
    db.flush()
    db.add_all([NetworkCoordinator(network_id=network.id, user_id=u.id) for u in coordinators])
    db.add_all([NetworkMembership(network_id=network.id, organisation_id=o.id, status=status) for o, status in members])
    db.add_all([NetworkMunicipality(network_id=network.id, municipality_id=m.id) for m in spans])
    db.commit()
    return network


def make_group(
    db: Session, *, runner: Organisation, coordinator: User | None = None, declarations=(), name="Rozwój III sektora"
) -> WorkingGroup:
    """A working group with declarations as (organisation or None, user or None, status)."""
    group = WorkingGroup(
        slug=slugify(name),
        name=name,
        organisation_id=runner.id,
        coordinator_id=coordinator.id if coordinator else None,
        declarations_close_at=utcnow() - timedelta(days=1),
    )
    db.add(group)
    db.flush()
    for organisation, user, status in declarations:
        db.add(
            GroupDeclaration(
                group_id=group.id,
                kind="organisation" if organisation else "individual",
                organisation_id=organisation.id if organisation else None,
                user_id=user.id if user else None,
                name="Jan Deklarujący",
                contact="jan@example.pl",
                status=status,
            )
        )
    db.commit()
    return group


def make_booking(
    db: Session,
    *,
    owner: Organisation,
    borrower: Organisation,
    starts: datetime,
    hours: float = 6,
    status: str = "accepted",
    capacity: int | None = 25,
) -> tuple[Booking, Resource]:
    """A room `owner` lends, booked by `borrower` for `hours` from `starts`."""
    room = Resource(
        organisation_id=owner.id,
        kind="room",
        name="Sala konferencyjna",
        address="Wierzbno, Rynek 5",
        capacity=capacity,
        step_free=True,
        hearing_loop=True,
    )
    db.add(room)
    db.flush()
    booking = Booking(
        resource_id=room.id,
        organisation_id=borrower.id,
        starts_at=starts,
        ends_at=starts + timedelta(hours=hours),
        status=status,
    )
    db.add(booking)
    db.commit()
    return booking, room


def error(html, name: str) -> str:
    """The message beside a form field, without the "Error:" a screen reader hears first."""
    from tests.test_comments import error_of

    return error_of(html, name).removeprefix("Error:").strip()


def typed(response, name: str) -> str:
    """What a textarea of the page holds, as typed (line breaks kept)."""
    import html
    import re

    found = re.search(rf'<textarea[^>]*name="{re.escape(name)}"[^>]*>(.*?)</textarea>', response.text, re.S)
    assert found, f"no textarea {name}"
    return html.unescape(found.group(1))
