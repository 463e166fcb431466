"""The demo's surveys: Gmina Wierzbno's evaluation of cooperation in 2025, answered by three organisations in January
2026, closed, its results public with the text answers moderated; the support centre's needs assessment, open now;
and the residents' survey the official is still preparing (a draft).

Built through the same actions as the pages, on their own dates (clock_at). Idempotent."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import Session, select

from consult.models import Membership, Organisation, Survey, SurveyAnswer, User, clock_at, utcnow
from consult.permissions import Principal
from consult.surveys import actions, queries
from consult.surveys.answers import parse_answers

ZONE = ZoneInfo("Europe/Warsaw")
CENTRE = "Centrum Wspierania Organizacji Pozarządowych w Wierzbnie"
# (admin's e-mail, organisation, the scale answers in order, the single choices in order, the multiple choices,
# the ranking's places, the long answer)
EVALUATIONS = (
    (
        "klub",
        "Ludowy Klub Sportowy „Orzeł” Wierzbno",
        ("4", "3", "2", "5"),
        ("2", "1"),
        ["1", "3", "5"],
        ("1", "2", "5", "3", "4"),
        "Dotacje na zadania sportowe przychodziły z opóźnieniem: umowy podpisywano w marcu, a sezon zaczyna się "
        "w styczniu. Prosimy o ogłaszanie konkursu jeszcze w grudniu.",
    ),
    (
        "kgw",
        "Koło Gospodyń Wiejskich w Olszance",
        ("5", "4", "4", "5"),
        ("1", "1"),
        ["2", "5", "7"],
        ("3", "1", "2", "5", "4"),
        "Małe granty bardzo nam pomogły. Przydałyby się szkolenia z rozliczania dotacji dla nowych organizacji.",
    ),
    (
        "seniorzy",
        "Stowarzyszenie Seniorów „Złota Jesień”",
        ("3", "3", "4", "4"),
        ("3", "2"),
        ["3", "4"],
        ("2", "1", "3", "4", "5"),
        "Konsultacje programu współpracy odbywały się tylko przez internet. Część naszych członków nie korzysta "
        "z komputera: prosimy też o spotkanie w urzędzie.",
    ),
)


def _principal(session: Session, email: str) -> Principal | None:
    user = session.exec(select(User).where(User.email == email)).first()
    if user is None:
        return None
    roles = session.exec(select(Membership.organisation_id, Membership.role).where(Membership.user_id == user.id))
    return Principal(user=user, roles=dict(roles.all()))


def _organisation(session: Session, name: str) -> Organisation | None:
    return session.exec(select(Organisation).where(Organisation.name == name)).first()


def _exists(session: Session, owner: Organisation, template: str) -> bool:
    query = select(Survey.id).where(Survey.owner_organisation_id == owner.id, Survey.template == template)
    return session.exec(query).first() is not None


def _values(session: Session, survey: Survey, scales, singles, multiple, ranking, text: str) -> dict:
    values: dict = {}
    scales, singles = iter(scales), iter(singles)
    for question in queries.questions_of(session, survey.id):
        name = f"q-{question.id}"
        if question.kind == "scale":
            values[name] = next(scales, "4")
        elif question.kind == "single":
            values[name] = next(singles, "1")
        elif question.kind == "multiple":
            values[f"{name}[]"] = multiple
        elif question.kind == "ranking":
            values |= {f"{name}-{n}": place for n, place in enumerate(ranking, start=1)}
        elif question.kind == "long_text":
            values[name] = text
    return values


def _evaluation(session: Session, domain: str, gmina: Organisation, official: Principal) -> None:
    if _exists(session, gmina, "cooperation_evaluation"):
        return
    start = datetime(2025, 12, 1, 9, 0, tzinfo=ZONE)
    data = actions.SurveyInput(
        owner=f"organisation:{gmina.id}",
        template="cooperation_evaluation",
        title="Ocena współpracy Gminy Wierzbno z organizacjami pozarządowymi w 2025 roku",
        audience="organisations",
        anonymous=True,
        opens_at=start,
        closes_at=datetime(2025, 12, 19, 23, 59, tzinfo=ZONE),
    )
    with clock_at(start - timedelta(days=3)):
        survey = actions.create_survey(session, official, data)
        actions.open_survey(session, official, survey)
    for day, (login, name, scales, singles, multiple, ranking, text) in enumerate(EVALUATIONS):
        who, organisation = _principal(session, f"{login}@{domain}"), _organisation(session, name)
        if who is None or organisation is None:
            continue
        values = _values(session, survey, scales, singles, multiple, ranking, text)
        parsed = parse_answers(queries.questions_of(session, survey.id), values)
        with clock_at(start + timedelta(days=3 + 4 * day, hours=2)):
            actions.submit_response(session, who, survey, parsed, organisation.id)
    with clock_at(datetime(2025, 12, 22, 10, 0, tzinfo=ZONE)):
        texts = session.exec(select(SurveyAnswer).where(SurveyAnswer.survey_id == survey.id, SurveyAnswer.option == 0))
        for answer in list(texts.all()):
            actions.moderate_text(session, official, survey, answer.response_id, answer.question_id, True)
        actions.publish_results(session, official, survey, True)


def _needs(session: Session, domain: str, centre: Organisation, advisor: Principal) -> None:
    if _exists(session, centre, "needs_assessment"):
        return
    now = utcnow().astimezone(ZONE).replace(minute=0, second=0, microsecond=0)
    data = actions.SurveyInput(
        owner=f"organisation:{centre.id}",
        template="needs_assessment",
        title="Diagnoza potrzeb organizacji pozarządowych z gminy Wierzbno",
        audience="organisations",
        opens_at=now - timedelta(days=3),
        closes_at=(now + timedelta(days=18)).replace(hour=23, minute=59),
    )
    with clock_at(now - timedelta(days=4, hours=1)):  # before this year's consultation, created 4 days ago
        survey = actions.create_survey(session, advisor, data)
        actions.open_survey(session, advisor, survey)


def _residents_draft(session: Session, gmina: Organisation, official: Principal) -> None:
    """The residents' survey the official is still preparing: a draft, to open in two weeks."""
    if _exists(session, gmina, "residents_expectations"):
        return
    now = utcnow().astimezone(ZONE).replace(minute=0, second=0, microsecond=0)
    data = actions.SurveyInput(
        owner=f"organisation:{gmina.id}",
        template="residents_expectations",
        audience="link",
        anonymous=True,
        opens_at=now + timedelta(days=14),
        closes_at=(now + timedelta(days=42)).replace(hour=23, minute=59),
    )
    with clock_at(now - timedelta(days=4, minutes=30)):  # before this year's consultation, created 4 days ago
        actions.create_survey(session, official, data)


def load_evaluation(session: Session, domain: str, municipality: str) -> None:
    """Last year's evaluation of cooperation, run in December 2025 (loaded between last year's consultation and
    what followed it, so the ledger's times keep their order)."""
    gmina, official = _organisation(session, municipality), _principal(session, f"urzednik@{domain}")
    if gmina is not None and official is not None:
        _evaluation(session, domain, gmina, official)


def load(session: Session, domain: str, municipality: str) -> None:
    """The support centre's needs assessment, open now, and the residents' survey the official is drafting."""
    gmina, centre = _organisation(session, municipality), _organisation(session, CENTRE)
    official, advisor = _principal(session, f"urzednik@{domain}"), _principal(session, f"doradca@{domain}")
    if centre is not None and advisor is not None and centre.support_centre:
        _needs(session, domain, centre, advisor)
    if gmina is not None and official is not None:
        _residents_draft(session, gmina, official)
