"""The demo's announcements: two funding opportunities with deadlines counted from the day the demo is loaded (in
about 10 days and in about 5 weeks), a training by the support centre, a general announcement by the municipality and
an event by the network's coordinator. Idempotent: an announcement already there (by title) is not posted again."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import Session, select

from consult.announcements.actions import AnnouncementInput, post_announcement
from consult.announcements.queries import today
from consult.models import Announcement, Membership, Network, Organisation, User
from consult.notifications.dispatch import settings_for
from consult.permissions import Principal

NETWORK = "Sieć Organizacji Pozarządowych LGD „Dolina Wierzbnicy”"


def _principal(session: Session, email: str) -> Principal | None:
    user = session.exec(select(User).where(User.email == email)).first()
    if user is None:
        return None
    roles = session.exec(select(Membership.organisation_id, Membership.role).where(Membership.user_id == user.id))
    return Principal(user=user, roles=dict(roles.all()))


def _announcements(gmina: Organisation, network: Network | None) -> list[tuple[str, dict]]:
    day = today()
    items = [
        (
            "urzednik",
            {
                "title": "Otwarty konkurs ofert na wspieranie sportu dzieci i młodzieży w 2027 r.",
                "category": "funding",
                "audience": f"municipality:{gmina.id}",
                "body": "Wójt Gminy Wierzbno ogłasza otwarty konkurs ofert na realizację zadań publicznych z zakresu "
                "**wspierania i upowszechniania kultury fizycznej** wśród dzieci i młodzieży.\n\n"
                "- oferty składa się w generatorze ofert lub w sekretariacie urzędu,\n"
                "- wkład własny: co najmniej 10% wartości zadania,\n"
                "- zadania realizowane od 1 marca do 30 listopada 2027 r.",
                "funder": "Gmina Wierzbno",
                "amount_max": 120_000,
                "deadline": day + timedelta(days=35),
                "fields": ["sport", "youth"],
                "link": "https://bip.wierzbno.example/konkurs-sport-2027",
            },
        ),
        (
            "urzednik",
            {
                "title": "Nabór kandydatów do Rady Działalności Pożytku Publicznego Gminy Wierzbno",
                "category": "general",
                "audience": f"municipality:{gmina.id}",
                "body": "Organizacje pozarządowe działające na terenie gminy mogą zgłaszać kandydatów do Rady na "
                "kadencję 2027–2029. Formularz zgłoszenia jest dostępny w urzędzie i na stronie BIP.",
            },
        ),
        (
            "doradca",
            {
                "title": "Szkolenie: jak rozliczyć dotację z gminy",
                "category": "training",
                "audience": "everyone",
                "body": "Centrum Wspierania zaprasza na bezpłatne szkolenie o sprawozdaniu z realizacji zadania "
                "publicznego: koszty kwalifikowane, przesunięcia w budżecie, dokumentowanie wkładu osobowego.\n\n"
                "Zapisy przez stronę spotkań lub telefonicznie w Centrum.",
            },
        ),
    ]
    if network is not None:
        items += [
            (
                "fundacja",
                {
                    "title": "Fundusz Inicjatyw Sąsiedzkich Doliny Wierzbnicy 2027",
                    "category": "funding",
                    "audience": f"network:{network.id}",
                    "body": "Mikrogranty na **inicjatywy sąsiedzkie**: wydarzenia integracyjne, zajęcia dla seniorów, "
                    "działania młodzieży. Wnioski mogą składać także grupy nieformalne z pomocą organizacji z sieci.",
                    "funder": "Fundacja Dolina Wierzbnicy",
                    "amount_min": 2_000,
                    "amount_max": 10_000,
                    "deadline": day + timedelta(days=10),
                    "fields": ["culture", "seniors", "youth"],
                },
            ),
            (
                "fundacja",
                {
                    "title": "Wymiana doświadczeń: jak pozyskać wolontariuszy",
                    "category": "event",
                    "audience": f"network:{network.id}",
                    "body": "Zapraszamy członków sieci na spotkanie przy kawie: każda organizacja opowie w pięć minut, "
                    "jak szuka wolontariuszy i co działa najlepiej.",
                },
            ),
        ]
    return items


def load(session: Session, domain: str, municipality: str) -> None:
    gmina = session.exec(select(Organisation).where(Organisation.name == municipality)).first()
    if gmina is None:
        return
    network = session.exec(select(Network).where(Network.name == NETWORK)).first()
    base = settings_for(session).base_url.rstrip("/")
    for who, values in _announcements(gmina, network):
        if session.exec(select(Announcement.id).where(Announcement.title == values["title"])).first() is not None:
            continue
        author = _principal(session, f"{who}@{domain}")
        if author is None:
            continue
        data = AnnouncementInput.model_validate(values)
        post_announcement(session, author, data, lambda slug: f"{base}/announcements/{slug}")
