"""The demo's yearly reports: Wierzbno's report for 2025 (the year of last autumn's consultation) published, and the
2026 draft, its tasks and indicators read from the 2026 programme consulted here, a few figures entered.

Loaded last (after advice, surveys and commitments), so the figures count what the other demos made. The 2025 report
is published at the demo's present moment: the ledger's times run in order, and this year's events are already in it.
Idempotent: a report is found by its municipality and year.
"""

from __future__ import annotations

from sqlmodel import Session, select

from consult.models import Membership, Organisation, User
from consult.permissions import Principal
from consult.reports import actions
from consult.reports.entered import Entered
from consult.reports.programme import read_programme

TASKS_2025 = (  # the 2025 programme's priority tasks: the same five areas as the 2026 one consulted here
    "wspierania i upowszechniania kultury fizycznej",
    "kultury, sztuki, ochrony dóbr kultury i dziedzictwa narodowego",
    "działalności na rzecz osób w wieku emerytalnym",
    "działalności na rzecz osób z niepełnosprawnością",
    "ratownictwa i ochrony ludności",
)
INDICATORS = (
    "liczba ogłoszonych konkursów",
    "liczba zawartych umów",
    "wysokość przekazanych dotacji",
    "liczba organizacji uczestniczących w konsultacjach",
)
CONCLUSIONS_2025 = (
    "Program współpracy na rok 2025 został zrealizowany. Gmina ogłosiła trzy otwarte konkursy ofert, a organizacje "
    "złożyły 17 ofert; zawarto 12 umów. Sześć małych grantów pozwoliło szybko wesprzeć inicjatywy sołeckie.\n\n"
    "Konsultacje projektu programu na rok 2026 po raz pierwszy odbyły się na platformie: każda uwaga otrzymała "
    "stanowisko, a uwzględnione zmiany są śledzone jako zobowiązania gminy.\n\n"
    "Na rok 2026 gmina proponuje wcześniejsze ogłaszanie konkursów (do końca stycznia) i comiesięczne dyżury "
    "doradcze centrum wspierania organizacji."
)


def _principal(session: Session, email: str) -> Principal | None:
    user = session.exec(select(User).where(User.email == email)).first()
    if user is None:
        return None
    roles = session.exec(select(Membership.organisation_id, Membership.role).where(Membership.user_id == user.id))
    return Principal(user=user, roles=dict(roles.all()))


def load(session: Session, domain: str, municipality: str) -> None:
    gmina = session.exec(select(Organisation).where(Organisation.name == municipality)).first()
    official = _principal(session, f"urzednik@{domain}")
    if gmina is None or official is None:
        return
    if actions.get_report(session, gmina, 2025) is None:
        report = actions.start_report(session, official, gmina, 2025)
        figures = Entered(
            priority_tasks=list(TASKS_2025),
            indicators=list(INDICATORS),
            counts={"competitions": 3, "offers": 17, "contracts": 12, "small_grants": 6},
            small_grants_amount=4_850_000,
            task_amounts=[15_000_000, 9_000_000, 6_000_000, 5_500_000, 4_000_000],
            indicator_values=[""] * len(INDICATORS),
            conclusions=CONCLUSIONS_2025,
        )
        actions.save_report(session, official, gmina, report, figures)
        actions.review_report(session, official, gmina, report)
        actions.publish_report(session, official, gmina, report)
    if actions.get_report(session, gmina, 2026) is None:
        report = actions.start_report(session, official, gmina, 2026)
        programme = read_programme(session, gmina.id, 2026)
        tasks = programme.priority_tasks or list(TASKS_2025)
        indicators = programme.indicators or list(INDICATORS)
        figures = Entered(
            priority_tasks=tasks,
            indicators=indicators,
            counts={"competitions": 2, "offers": 11, "contracts": None, "small_grants": None},
            task_amounts=[None] * len(tasks),
            indicator_values=[""] * len(indicators),
        )
        actions.save_report(session, official, gmina, report, figures)
