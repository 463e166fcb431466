"""The last seats under real concurrency: 50 organisations register one person each at the same instant for a meeting
with 10 places, each thread with its own database session (the action) or its own HTTP client against the app served
by uvicorn; on SQLite (WAL) and on PostgreSQL (CONSULT_TEST_DATABASE_URL). The conditional UPDATE on the meeting's
row holds the seats: exactly 10 are confirmed and 40 wait, in order; cancelling promotes exactly the first in line."""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import httpx2
from sqlmodel import Session, select

from consult import ledger
from consult.meetings.registrations import RegistrationInput, cancel_registration, register_for_meeting
from consult.models import Meeting, Membership, Organisation, Registration, User, utcnow
from consult.permissions import Principal
from tests.factories import fresh, ledger_events, make_meeting, make_user, principal
from tests.test_votes_concurrency import live_url, logged_in, together  # noqa: F401  (live_url is a fixture)

N = 50
SEATS = 10
CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


@dataclass
class Crowd:
    meeting: Meeting
    organisations: list[Organisation]
    users: list[User]  # users[i] is a plain member of organisations[i]


def crowd(db, count: int = N, seats: int = SEATS) -> Crowd:
    """A published meeting with `seats` places, and `count` NGOs, each with one member who registers it."""
    meeting = make_meeting(db, capacity=seats, title="Spotkanie kwartalne sieci (50 zgłoszeń)")
    organisations, users = [], []
    for i in range(count):
        user = make_user(db, email=f"zglaszajacy{i}@example.pl", display_name=f"Osoba {i}")
        organisation = Organisation(slug=f"ngo-{i}", name=f"Stowarzyszenie nr {i}", kind="ngo", verified_at=utcnow())
        db.add(organisation)
        db.flush()
        db.add(Membership(organisation_id=organisation.id, user_id=user.id, role="member"))
        organisations.append(organisation)
        users.append(user)
    db.commit()
    return Crowd(meeting, organisations, users)


def register_in_own_session(engine, who: Principal, meeting_id: int, organisation_id: int) -> str:
    with Session(engine, expire_on_commit=False) as session:
        meeting = session.get(Meeting, meeting_id)
        data = RegistrationInput(organisation_id=organisation_id, head_count=1, participants="Jedna osoba")
        return register_for_meeting(session, who, meeting, data).status


def cancel_in_own_session(engine, who: Principal, registration_id: int) -> list[int]:
    with Session(engine, expire_on_commit=False) as session:
        registration = session.get(Registration, registration_id)
        return [r.id for r in cancel_registration(session, who, registration)]


def line(db, meeting: Meeting) -> tuple[list[Registration], list[Registration]]:
    """The confirmed registrations, and those waiting in their order."""
    fresh(db)
    rows = db.exec(
        select(Registration)
        .where(Registration.meeting_id == meeting.id, Registration.status != "cancelled")
        .order_by(Registration.queued_at, Registration.id)
    ).all()
    return [r for r in rows if r.status == "confirmed"], [r for r in rows if r.status == "waitlisted"]


def seats_taken(db, meeting: Meeting) -> int:
    fresh(db)
    return db.get(Meeting, meeting.id).seats_taken


def everyone_at_once(app, db, world: Crowd) -> list[str]:
    people = [principal(db, user) for user in world.users]
    return together(
        N,
        lambda i: register_in_own_session(app.state.engine, people[i], world.meeting.id, world.organisations[i].id),
    )


def test_fifty_registrations_at_once_for_ten_seats_confirm_ten_and_wait_list_forty(app, db):
    world = crowd(db)

    statuses = everyone_at_once(app, db, world)

    assert statuses.count("confirmed") == SEATS and statuses.count("waitlisted") == N - SEATS
    confirmed, waiting = line(db, world.meeting)
    assert len(confirmed) == SEATS and len(waiting) == N - SEATS
    assert seats_taken(db, world.meeting) == SEATS
    assert len({r.organisation_id for r in confirmed + waiting}) == N  # nobody lost, nobody twice
    assert len(ledger_events(db, "registration.created")) == N
    assert ledger.verify(db) is None


def test_cancelling_one_promotes_exactly_the_first_in_line(app, db):
    world = crowd(db)
    everyone_at_once(app, db, world)
    confirmed, waiting = line(db, world.meeting)
    leaving = confirmed[3]
    who = principal(db, db.get(User, leaving.registered_by_id))

    promoted = cancel_in_own_session(app.state.engine, who, leaving.id)

    assert promoted == [waiting[0].id]
    after_confirmed, after_waiting = line(db, world.meeting)
    assert waiting[0].id in {r.id for r in after_confirmed} and len(after_confirmed) == SEATS
    assert [r.id for r in after_waiting] == [r.id for r in waiting[1:]]
    assert seats_taken(db, world.meeting) == SEATS
    assert ledger.verify(db) is None


def test_five_cancellations_at_once_promote_the_first_five_in_line(app, db):
    world = crowd(db)
    everyone_at_once(app, db, world)
    confirmed, waiting = line(db, world.meeting)
    leaving = confirmed[:5]
    people = [principal(db, db.get(User, r.registered_by_id)) for r in leaving]

    promoted = together(5, lambda i: cancel_in_own_session(app.state.engine, people[i], leaving[i].id))

    assert sorted(sum(promoted, [])) == sorted(r.id for r in waiting[:5])
    after_confirmed, after_waiting = line(db, world.meeting)
    assert len(after_confirmed) == SEATS and [r.id for r in after_waiting] == [r.id for r in waiting[5:]]
    assert seats_taken(db, world.meeting) == SEATS
    assert len(ledger_events(db, "registration.promoted")) == 5
    assert ledger.verify(db) is None


def test_fifty_registrations_over_http_at_once(db, live_url):  # noqa: F811
    world = crowd(db)
    with ThreadPoolExecutor(max_workers=8) as pool:  # logging in is not what is measured
        sessions = list(pool.map(lambda user: logged_in(live_url, user.email), world.users))

    def post(i: int) -> int:
        cookies, token = sessions[i]
        data = {
            "csrf_token": token,
            "organisation_id": str(world.organisations[i].id),
            "head_count": "1",
            "participants": f"Osoba {i}",
        }
        with httpx2.Client(base_url=live_url, cookies=cookies, timeout=60) as client:
            return client.post(f"/meetings/{world.meeting.slug}/register", data=data).status_code

    answers = together(N, post)

    assert answers == [303] * N
    confirmed, waiting = line(db, world.meeting)
    assert (len(confirmed), len(waiting)) == (SEATS, N - SEATS)
    assert seats_taken(db, world.meeting) == SEATS
    assert ledger.verify(db) is None
