"""The small world of the resources tests: one organisation lends, another borrows, a resident looks on."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from consult.models import Organisation, User
from consult.resources.queries import ZONE
from tests.factories import add_member, make_organisation, make_user


@dataclass
class Lending:
    """Fundacja Most lends rooms (Ewa is its admin, Marek a member); Klub Sportowy Orzeł borrows (Piotr, its
    admin); Zofia is a resident without an organisation."""

    foundation: Organisation
    ewa: User
    marek: User
    club: Organisation
    piotr: User
    zofia: User


def make_lending(db) -> Lending:
    ewa = make_user(db, email="ewa@example.pl", display_name="Ewa Nowak")
    foundation = make_organisation(db, admin=ewa, name="Fundacja Most", verified=True)
    marek = make_user(db, email="marek@example.pl", display_name="Marek Zieliński")
    add_member(db, foundation, marek)
    piotr = make_user(db, email="piotr@example.pl", display_name="Piotr Lis")
    club = make_organisation(db, admin=piotr, name="Klub Sportowy Orzeł", verified=True)
    zofia = make_user(db, email="zofia@example.pl", display_name="Zofia Mieszkanka")
    return Lending(foundation, ewa, marek, club, piotr, zofia)


def request_form(organisation: Organisation, *, days: int = 10, hours: int = 2, **overrides) -> dict:
    """The request form as a person fills it in: 10:00 Warsaw time `days` from now, for `hours`."""
    start = (datetime.now(ZONE) + timedelta(days=days)).replace(hour=10, minute=0, second=0, microsecond=0)
    return {
        "organisation_id": str(organisation.id),
        "starts_at": start.strftime("%Y-%m-%dT%H:%M"),
        "ends_at": (start + timedelta(hours=hours)).strftime("%Y-%m-%dT%H:%M"),
        "head_count": "12",
        "purpose": "Zebranie członków klubu",
    } | overrides
