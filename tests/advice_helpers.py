"""A small world for advice: a support centre with two advisors, an NGO that asks, and everyone else."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session

from consult.advice.actions import AskInput, ask_advice, mark_support_centre
from consult.models import AdviceRequest, Organisation, User
from tests.factories import add_member, make_admin, make_official, make_organisation, make_user, principal


@dataclass
class AdviceWorld:
    centre: Organisation
    advisor: User  # the centre's admin
    colleague: User  # another advisor (a plain member of the centre)
    ngo: Organisation
    ngo_admin: User
    member: User
    other: Organisation
    admin_elsewhere: User
    resident: User
    official: User
    municipality: Organisation
    platform_admin: User


def make_advice_world(db: Session) -> AdviceWorld:
    platform_admin = make_admin(db, email="platform@example.pl")
    advisor = make_user(db, email="doradca@example.pl", display_name="Piotr Doradca")
    centre = make_organisation(db, admin=advisor, name="Centrum Wspierania Organizacji")
    mark_support_centre(db, principal(db, platform_admin), centre, True)
    colleague = make_user(db, email="kolega@example.pl", display_name="Olga Doradczyni")
    add_member(db, centre, colleague)
    ngo_admin = make_user(db, email="ngo.admin@example.pl", display_name="Ewa Nowak")
    ngo = make_organisation(db, admin=ngo_admin, name="Koło Gospodyń Wiejskich")
    member = make_user(db, email="member@example.pl", display_name="Marek Zieliński")
    add_member(db, ngo, member)
    admin_elsewhere = make_user(db, email="admin@elsewhere.pl", display_name="Jan Obok")
    other = make_organisation(db, admin=admin_elsewhere, name="Fundacja Obok")
    official, municipality = make_official(db, email="official@gmina.example.pl")
    resident = make_user(db, email="resident@example.pl", display_name="Zofia Mieszkanka")
    return AdviceWorld(
        centre, advisor, colleague, ngo, ngo_admin, member, other, admin_elsewhere, resident, official, municipality,
        platform_admin,
    )  # fmt: skip


def ask_form(world: AdviceWorld, **overrides) -> dict:
    return {
        "organisation_id": str(world.ngo.id),
        "centre_id": str(world.centre.id),
        "topic": "finance",
        "mode": "online",
        "preferred_time": "wtorki po 16:00",
        "municipality_id": str(world.municipality.id),
        "description": "Jak rozliczyć dotację z gminy w sprawozdaniu finansowym?",
    } | overrides


def make_request(db: Session, world: AdviceWorld, *, by: User | None = None, **overrides) -> AdviceRequest:
    values = ask_form(world) | overrides
    return ask_advice(db, principal(db, by or world.member), AskInput.model_validate(values))
