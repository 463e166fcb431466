"""One advisor takes a request and one rating stays, under real concurrency: threads released together, each with its
own database session, on SQLite (WAL) and on PostgreSQL (CONSULT_TEST_DATABASE_URL)."""

from __future__ import annotations

from sqlmodel import Session

from consult import ledger
from consult.advice.actions import MessageInput, RatingInput, close_request, post_message, rate_request, take_request
from consult.errors import DomainError
from consult.models import AdviceRequest
from tests.advice_helpers import make_advice_world, make_request
from tests.factories import add_member, fresh, ledger_events, make_user, principal
from tests.test_votes_concurrency import together

N = 8


def attempt(engine, who, advice_id: int, act) -> str:
    with Session(engine, expire_on_commit=False) as session:
        advice = session.get(AdviceRequest, advice_id)
        try:
            act(session, who, advice)
        except DomainError as error:
            return str(error.status_code)
        return "ok"


def test_advisors_taking_a_request_at_once_leave_it_with_exactly_one(app, db):
    world = make_advice_world(db)
    advisors = [world.advisor, world.colleague]
    for i in range(N - 2):
        advisors.append(make_user(db, email=f"doradca{i}@example.pl"))
        add_member(db, world.centre, advisors[-1])
    people = [principal(db, a) for a in advisors]
    advice = make_request(db, world)

    answers = together(N, lambda i: attempt(app.state.engine, people[i], advice.id, take_request))

    assert sorted(answers) == ["409"] * (N - 1) + ["ok"]
    fresh(db)
    taken = db.get(AdviceRequest, advice.id)
    assert taken.status == "taken" and taken.advisor_id == advisors[answers.index("ok")].id
    assert len(ledger_events(db, "advice.taken")) == 1
    assert ledger.verify(db) is None


def test_two_members_rating_at_once_leave_one_rating(app, db):
    world = make_advice_world(db)
    advice = make_request(db, world)
    take_request(db, principal(db, world.advisor), advice)
    post_message(db, principal(db, world.advisor), advice, MessageInput(body="Odpowiedź"))
    close_request(db, principal(db, world.advisor), advice)
    people = [principal(db, world.member), principal(db, world.ngo_admin)]

    def rate(i: int) -> str:
        return attempt(app.state.engine, people[i], advice.id,
                       lambda s, who, a: rate_request(s, who, a, RatingInput(rating=i + 3)))  # fmt: skip

    answers = together(2, rate)

    assert sorted(answers) == ["409", "ok"]
    fresh(db)
    assert db.get(AdviceRequest, advice.id).rating == 3 + answers.index("ok")
    assert len(ledger_events(db, "advice.rated")) == 1
