"""The demo's advice: the rural women's circle (KGW) asked the support centre about finance and accounting, was
answered, closed and rated it; the seniors' association's request about volunteers waits in the queue.
Idempotent: each request is found by its organisation and topic."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import Session, select

from consult.advice.actions import (
    AskInput,
    MessageInput,
    RatingInput,
    ask_advice,
    close_request,
    post_message,
    rate_request,
    take_request,
)
from consult.models import AdviceRequest, Membership, Organisation, User, clock_at, utcnow
from consult.permissions import Principal

CENTRE = "Centrum Wspierania Organizacji Pozarządowych w Wierzbnie"
CIRCLE = "Koło Gospodyń Wiejskich w Olszance"
SENIORS = "Stowarzyszenie Seniorów „Złota Jesień”"


def _principal(session: Session, email: str) -> Principal | None:
    user = session.exec(select(User).where(User.email == email)).first()
    if user is None:
        return None
    roles = session.exec(select(Membership.organisation_id, Membership.role).where(Membership.user_id == user.id))
    return Principal(user=user, roles=dict(roles.all()))


def _organisation(session: Session, name: str) -> Organisation | None:
    return session.exec(select(Organisation).where(Organisation.name == name)).first()


def _asked(session: Session, organisation: Organisation, topic: str) -> bool:
    query = select(AdviceRequest.id).where(
        AdviceRequest.organisation_id == organisation.id, AdviceRequest.topic == topic
    )
    return session.exec(query).first() is not None


def load_answered(session: Session, domain: str, municipality: str) -> None:
    """The circle's request, answered, closed and rated a fortnight ago (loaded before this year's consultation,
    so the ledger's times keep their order)."""
    _load(session, domain, municipality, answered=True)


def load(session: Session, domain: str, municipality: str) -> None:
    """The seniors' request, asked now and waiting for an advisor."""
    _load(session, domain, municipality, answered=False)


def _load(session: Session, domain: str, municipality: str, *, answered: bool) -> None:
    centre, circle, seniors = (_organisation(session, n) for n in (CENTRE, CIRCLE, SENIORS))
    advisor = _principal(session, f"doradca@{domain}")
    gmina = _organisation(session, municipality)
    if centre is None or advisor is None or not centre.support_centre:
        return
    gmina_id = gmina.id if gmina else None
    now = utcnow()
    kgw = _principal(session, f"kgw@{domain}")
    if answered and circle is not None and kgw is not None and not _asked(session, circle, "finance"):
        asked_at = now - timedelta(days=18, hours=3)
        data = {
            "organisation_id": circle.id, "centre_id": centre.id, "topic": "finance", "mode": "on_site",
            "preferred_time": "czwartek po południu, najlepiej po 15:00", "municipality_id": gmina_id,
            "description": "Dostaliśmy pierwszą dotację z gminy (4 500 zł na warsztaty rękodzieła). Jak prowadzić "
            "ewidencję wydatków i co zachować na potrzeby sprawozdania? Nie mamy księgowej.",
        }  # fmt: skip
        with clock_at(asked_at):
            advice = ask_advice(session, kgw, AskInput.model_validate(data))
        with clock_at(asked_at + timedelta(hours=20)):
            take_request(session, advisor, advice)
        with clock_at(asked_at + timedelta(hours=26)):
            post_message(session, advisor, advice, MessageInput(body=(
                "Dzień dobry, dziękuję za pytanie. W skrócie:\n\n"
                "1. Każdą fakturę opiszcie na odwrocie: numer umowy z gminą, pozycja kosztorysu, kwota z dotacji.\n"
                "2. Prowadźcie zestawienie wydatków w arkuszu według pozycji kosztorysu.\n"
                "3. Listy obecności z warsztatów i zdjęcia zachowajcie razem z fakturami przez 5 lat.\n\n"
                "Zapraszam na spotkanie w czwartek o 15:30 w Centrum (ul. Szkolna 3): przejdziemy razem "
                "przez pierwsze faktury."
            )))  # fmt: skip
        with clock_at(asked_at + timedelta(days=2)):
            post_message(session, kgw, advice, MessageInput(body="Dziękujemy! Będziemy w czwartek z fakturami."))
        with clock_at(asked_at + timedelta(days=6)):
            close_request(session, advisor, advice)
        with clock_at(asked_at + timedelta(days=7)):
            rate_request(session, kgw, advice, RatingInput(rating=5, comment="Konkretnie i cierpliwie. Dziękujemy!"))
    elder = _principal(session, f"seniorzy@{domain}")
    if not answered and seniors is not None and elder is not None and not _asked(session, seniors, "volunteering"):
        data = {
            "organisation_id": seniors.id, "centre_id": centre.id, "topic": "volunteering", "mode": "online",
            "preferred_time": "rano, w dni powszednie", "municipality_id": gmina_id,
            "description": "Chcemy zaprosić młodzież z liceum jako wolontariuszy do pomocy sąsiedzkiej. Czy "
            "potrzebujemy porozumień na piśmie i ubezpieczenia, skoro pomoc potrwa dwa tygodnie?",
        }  # fmt: skip
        ask_advice(session, elder, AskInput.model_validate(data))
