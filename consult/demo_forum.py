"""The demo's forum: the local action group's network of NGOs across Wierzbno and its three neighbours, its
quarterly meeting open for registration (two breakout groups, a few seats left), the September forum, a working
group collecting declarations with its road map, and the room Fundacja „Most” lends (consult.resources.demo).

Built through the same actions as the pages, so the ledger and the outbox hold what they would. Idempotent."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import Session, select

from consult.groups import queries as group_queries
from consult.groups.actions import DeclarationInput, GroupInput, create_group, submit_declaration
from consult.groups.documents import DocumentInput, create_document
from consult.meetings.actions import MeetingInput, create_meeting, publish_meeting
from consult.meetings.queries import breakouts_of
from consult.meetings.registrations import RegistrationInput, register_for_meeting
from consult.models import Meeting, Membership, Network, Organisation, User, WorkingGroup, utcnow
from consult.networks.actions import (
    ApplicationInput,
    DecisionInput,
    NetworkInput,
    apply_to_network,
    create_network,
    decide_application,
)
from consult.permissions import Principal
from consult.resources.demo import load_demo_resources

ZONE = ZoneInfo("Europe/Warsaw")
NETWORK = "Sieć Organizacji Pozarządowych LGD „Dolina Wierzbnicy”"
CHARTER = """## Cel sieci
Sieć łączy organizacje pozarządowe z gmin Wierzbno, Brzezinka, Stare Pole i Lipno Małe działające na obszarze
Lokalnej Grupy Działania „Dolina Wierzbnicy”. Wymieniamy się informacjami, wspólnie planujemy działania
i pozyskujemy środki.

## Zasady
1. Raz w roku, w połowie września, organizujemy Forum Organizacji Pozarządowych.
2. Co kwartał spotykamy się, by planować, omawiać i oceniać wspólne działania. Nowe organizacje przyjmujemy
   na spotkaniach kwartalnych.
3. Każda organizacja członkowska wysyła na spotkanie kwartalne co najmniej jedną osobę.
4. Spotkania goszczą kolejno organizacje członkowskie; gospodarz musi znać liczbę uczestników, dlatego
   prosimy o zgłoszenia w terminie.
"""
ROAD_MAP = """# Mapa drogowa zespołu „Rozwój III sektora”

## Rozdział 1. Diagnoza

§ 1. Zespół zbierze dane o organizacjach działających w gminie i ich potrzebach do końca marca.

§ 2. Wyniki diagnozy zostaną przedstawione na Forum Organizacji Pozarządowych we wrześniu.

## Rozdział 2. Działania

§ 3. Zespół przygotuje cykl szkoleń z pozyskiwania funduszy dla małych organizacji.

§ 4. Zespół zaproponuje zasady udostępniania sal i sprzętu między organizacjami.
"""


def _organisation(session: Session, name: str) -> Organisation | None:
    return session.exec(select(Organisation).where(Organisation.name == name)).first()


def _principal(session: Session, email: str) -> Principal:
    user = session.exec(select(User).where(User.email == email)).one()
    roles = session.exec(select(Membership.organisation_id, Membership.role).where(Membership.user_id == user.id))
    return Principal(user=user, roles=dict(roles.all()))


def _at(days: int, hour: int) -> datetime:
    """`days` from today at `hour`:00, Warsaw time."""
    day = (utcnow().astimezone(ZONE) + timedelta(days=days)).date()
    return datetime.combine(day, time(hour), tzinfo=ZONE)


def load_forum(session: Session, domain: str, municipality: str, neighbours: tuple[str, ...]) -> None:
    """Create the forum's demo once; a second run finds the network and stops."""
    load_demo_resources(session)
    if session.exec(select(Network).where(Network.name == NETWORK)).first() is not None:
        return
    names = (municipality, *neighbours)
    gminas = [found for name in names if (found := _organisation(session, name)) is not None]
    if len(gminas) != len(names):
        return
    coordinator = _principal(session, f"fundacja@{domain}")
    network = create_network(
        session, coordinator, NetworkInput(name=NETWORK, charter=CHARTER, municipalities=[g.id for g in gminas])
    )
    members = {}
    for email in ("fundacja", "klub", "kgw", "osp", "seniorzy"):
        admin = _principal(session, f"{email}@{domain}")
        organisation_id = next(oid for oid, role in admin.roles.items() if role == "admin")
        members[email] = (admin, organisation_id)
        message = "Chcemy współpracować z organizacjami z sąsiednich gmin."
        application = apply_to_network(
            session, admin, network, ApplicationInput(organisation_id=organisation_id, message=message)
        )
        if email != "seniorzy":  # the seniors' application waits for the quarterly meeting
            decide_application(
                session, coordinator, network, application.id, DecisionInput(decision="admit", note="Witamy w sieci!")
            )
    _quarterly_meeting(session, coordinator, network, members)
    _september_forum(session, coordinator, members["fundacja"][1])
    _working_group(session, domain, municipality)


def _quarterly_meeting(session: Session, coordinator: Principal, network: Network, members: dict) -> Meeting:
    starts_at = _at(12, 17)
    data = MeetingInput(
        title="Spotkanie kwartalne sieci: plan działań na I kwartał",
        kind="quarterly",
        organisation_id=members["fundacja"][1],
        starts_at=starts_at,
        ends_at=starts_at + timedelta(hours=3),
        registration_closes_at=starts_at - timedelta(days=3),
        venue="address",
        venue_address="Sala konferencyjna Fundacji „Most”, ul. Kościuszki 12, Wierzbno",
        capacity=12,
        audience="network",
        network_id=network.id,
        agenda=(
            "1. Przyjęcie nowych organizacji do sieci.\n2. Plan działań na I kwartał.\n"
            "3. Praca w grupach.\n4. Ocena działań minionego kwartału.\n\nGospodarz zapewnia kawę i drobny poczęstunek."
        ),
        breakout_name=["Planowanie działań na 2027 rok", "Pozyskiwanie funduszy"],
        breakout_capacity=["6", "6"],
        breakouts=["", ""],
    )
    meeting = create_meeting(session, coordinator, data)
    publish_meeting(session, coordinator, meeting)
    groups = [b.id for b in breakouts_of(session, meeting.id)]
    for email, count, names, group in (
        ("klub", 3, "Tomasz Wiśniewski\nAnna Kwiatkowska\nPiotr Lis", groups[0]),
        ("kgw", 2, "Halina Zając\nMaria Wójcik", groups[1]),
        ("osp", 2, "Marek Kowalczyk\nJan Malinowski", groups[0]),
    ):
        admin, organisation_id = members[email]
        register_for_meeting(
            session,
            admin,
            meeting,
            RegistrationInput(organisation_id=organisation_id, head_count=count, participants=names, breakout_id=group),
        )
    return meeting


def _september_forum(session: Session, coordinator: Principal, organiser_id: int) -> Meeting:
    today = utcnow().astimezone(ZONE).date()
    year = today.year if today < today.replace(month=9, day=1) else today.year + 1
    starts_at = datetime(year, 9, 15, 10, tzinfo=ZONE)
    data = MeetingInput(
        title=f"Forum Organizacji Pozarządowych Doliny Wierzbnicy {year}",
        kind="forum",
        organisation_id=organiser_id,
        starts_at=starts_at,
        ends_at=starts_at + timedelta(hours=6),
        registration_closes_at=starts_at - timedelta(days=7),
        venue="address",
        venue_address="Gminny Ośrodek Kultury, pl. Wolności 3, Wierzbno",
        capacity=120,
        audience="everyone",
        agenda="Prezentacje organizacji, dyskusja o standardach współpracy i ogłoszenie otwartych konkursów ofert.",
    )
    meeting = create_meeting(session, coordinator, data)
    return publish_meeting(session, coordinator, meeting)


def _working_group(session: Session, domain: str, municipality: str) -> WorkingGroup | None:
    official = _principal(session, f"urzednik@{domain}")
    gmina = _organisation(session, municipality)
    if gmina is None:
        return None
    group = create_group(
        session,
        official,
        GroupInput(
            name="Rozwój III sektora",
            goal=(
                "Zespół wypracuje mapę drogową rozwoju organizacji pozarządowych w gminie: diagnozę potrzeb, "
                "szkolenia i zasady wspólnego korzystania z sal i sprzętu. Pierwsze spotkanie odbędzie się "
                "po terminie przyjmowania deklaracji."
            ),
            organisation_id=gmina.id,
            declarations_close_at=_at(21, 16),
        ),
    )
    access = group_queries.load_access(session, group)
    create_document(session, official, access, DocumentInput(title="Mapa drogowa zespołu", document=ROAD_MAP))
    kgw = _principal(session, f"kgw@{domain}")
    kgw_id = next(oid for oid, role in kgw.roles.items() if role == "admin")
    submit_declaration(
        session,
        kgw,
        group,
        DeclarationInput(
            kind="organisation",
            organisation_id=kgw_id,
            name="Halina Zając",
            contact=f"kgw@{domain}",
            motivation="Chcemy, by małe koła gospodyń miały łatwiejszy dostęp do szkoleń.",
            contribution="Doświadczenie w organizacji warsztatów i pikników.",
        ),
    )
    resident = _principal(session, f"mieszkanka@{domain}")
    submit_declaration(
        session,
        resident,
        group,
        DeclarationInput(
            kind="individual",
            name="Ewa Mazur",
            contact=f"mieszkanka@{domain}",
            motivation="Prowadzę nieformalną grupę rodziców i chcę ją zarejestrować jako stowarzyszenie.",
            contribution="Znam potrzeby młodych rodzin z Olszanki.",
        ),
    )
    return group
