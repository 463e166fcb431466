"""No two accepted bookings of a resource overlap, under real concurrency: threads released together, each with its
own database session (the actions) or its own HTTP client against the app served by uvicorn, on SQLite (WAL) and on
PostgreSQL (CONSULT_TEST_DATABASE_URL). Each change takes the resource row's lock before it checks for overlap."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta

import httpx2
import pytest
import uvicorn
from sqlmodel import Session, select

from consult import ledger
from consult.errors import DomainError
from consult.models import Booking, Organisation, Resource, User, utcnow
from consult.permissions import Principal
from consult.resources.bookings import BookingInput, DecisionInput, decide_booking, request_booking
from consult.resources.queries import ZONE
from tests.conftest import free_port
from tests.factories import PASSWORD, fresh, make_booking, make_organisation, make_resource, make_user, principal
from tests.test_votes_concurrency import CSRF_RE, together

N = 24


@dataclass
class Scene:
    """Fundacja Most lends a room (Ewa decides); N organisations, each with its admin, want the same evening."""

    room: Resource
    ewa: User
    borrowers: list[Organisation]
    admins: list[User]


def scene(db, count: int = N) -> Scene:
    ewa = make_user(db, email="ewa@example.pl", display_name="Ewa Nowak")
    room = make_resource(db, make_organisation(db, admin=ewa, name="Fundacja Most"), capacity=50)
    admins = [make_user(db, email=f"admin{i}@example.pl", display_name=f"Osoba {i}") for i in range(count)]
    borrowers = [make_organisation(db, admin=admin, name=f"Stowarzyszenie nr {i}") for i, admin in enumerate(admins)]
    return Scene(room, ewa, borrowers, admins)


def evening(i: int = 0) -> tuple:
    """Overlapping evenings in five days: each starts a few minutes after the one before, all share 18:30-19:00."""
    start = (utcnow() + timedelta(days=5)).replace(hour=16, minute=0, second=0, microsecond=0)
    return start + timedelta(minutes=i), start + timedelta(hours=3)


def stored(db) -> list[Booking]:
    fresh(db)
    return list(db.exec(select(Booking).order_by(Booking.id)).all())


def outcome(work) -> str:
    """What one thread saw: the action's result, or the status of its refusal."""
    try:
        return work()
    except DomainError as error:
        return str(error.status_code)


def accept_in_own_session(engine, who: Principal, booking_id: int) -> str:
    with Session(engine, expire_on_commit=False) as session:
        booking = session.get(Booking, booking_id)
        return outcome(lambda: decide_booking(session, who, booking, DecisionInput(decision="accept"))[0].status)


def request_in_own_session(engine, who: Principal, resource_id: int, organisation_id: int, i: int) -> str:
    starts_at, ends_at = evening(i)
    data = BookingInput(organisation_id=organisation_id, starts_at=starts_at, ends_at=ends_at, head_count=20,
                        purpose="Spotkanie")  # fmt: skip
    with Session(engine, expire_on_commit=False) as session:
        resource = session.get(Resource, resource_id)
        return outcome(lambda: request_booking(session, who, resource, data).status)


def test_simultaneous_acceptances_of_overlapping_requests_leave_exactly_one(app, db):
    world = scene(db)
    requests = [
        make_booking(db, world.room, org, starts_at=evening(i)[0], ends_at=evening(i)[1])
        for i, org in enumerate(world.borrowers)
    ]
    ewa = principal(db, world.ewa)

    answers = together(N, lambda i: accept_in_own_session(app.state.engine, ewa, requests[i].id))

    assert sorted(answers) == ["409"] * (N - 1) + ["accepted"]
    rows = stored(db)
    [winner] = [b for b in rows if b.status == "accepted"]
    assert winner.id == requests[answers.index("accepted")].id
    assert {(b.status, b.superseded_by_id) for b in rows if b.id != winner.id} == {("declined", winner.id)}
    assert ledger.verify(db) is None


def test_requests_racing_an_acceptance_never_stay_beside_it(app, db):
    world = scene(db)
    first = make_booking(db, world.room, world.borrowers[0], starts_at=evening()[0], ends_at=evening()[1])
    ewa = principal(db, world.ewa)
    people = [principal(db, admin) for admin in world.admins]

    def work(i: int) -> str:
        if i == 0:
            return accept_in_own_session(app.state.engine, ewa, first.id)
        return request_in_own_session(app.state.engine, people[i], world.room.id, world.borrowers[i].id, i)

    answers = together(N, work)

    assert answers[0] == "accepted"
    assert set(answers[1:]) <= {"requested", "409"}
    rows = stored(db)
    assert [b.id for b in rows if b.status == "accepted"] == [first.id]
    later = [b for b in rows if b.id != first.id]
    assert len(later) == answers.count("requested")  # each one stored was stored before the acceptance...
    assert {(b.status, b.superseded_by_id) for b in later} <= {("declined", first.id)}  # ...and declined by it
    assert answers.count("409") + len(later) == N - 1
    assert ledger.verify(db) is None


def test_simultaneous_requests_after_an_acceptance_are_all_refused(app, db):
    world = scene(db)
    taken = make_booking(
        db, world.room, world.borrowers[0], accepted=True, starts_at=evening()[0], ends_at=evening()[1]
    )
    people = [principal(db, admin) for admin in world.admins]

    answers = together(
        N - 1,
        lambda i: request_in_own_session(app.state.engine, people[i + 1], world.room.id, world.borrowers[i + 1].id, i),
    )

    assert answers == ["409"] * (N - 1)
    assert [b.id for b in stored(db)] == [taken.id]


# --- over HTTP, against the app served by uvicorn -------------------------------------------------------------


@pytest.fixture
def live_url(app):
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, name="live-server", daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "the live server did not start"
        time.sleep(0.01)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


def logged_in(base_url: str, email: str) -> tuple[dict[str, str], str]:
    with httpx2.Client(base_url=base_url, timeout=30) as client:
        token = CSRF_RE.search(client.get("/login").text).group(1)
        response = client.post("/login", data={"csrf_token": token, "email": email, "password": PASSWORD})
        assert response.status_code == 303, response.text[:300]
        token = CSRF_RE.search(client.get("/my/organisations").text).group(1)
        return dict(client.cookies), token


def post(base_url: str, session: tuple[dict[str, str], str], path: str, data: dict) -> int:
    cookies, token = session
    with httpx2.Client(base_url=base_url, cookies=cookies, timeout=60) as client:
        return client.post(path, data={"csrf_token": token, **data}).status_code


def test_simultaneous_acceptances_over_http_answer_one_303_and_409_to_the_others(db, live_url):
    world = scene(db, 12)
    requests = [
        make_booking(db, world.room, org, starts_at=evening(i)[0], ends_at=evening(i)[1])
        for i, org in enumerate(world.borrowers)
    ]
    ewa = logged_in(live_url, world.ewa.email)

    answers = together(
        12, lambda i: post(live_url, ewa, f"/resources/bookings/{requests[i].id}/decision", {"decision": "accept"})
    )

    assert sorted(answers) == [303] + [409] * 11
    assert [b.status for b in stored(db)].count("accepted") == 1
    assert ledger.verify(db) is None


def test_simultaneous_http_requests_for_a_taken_evening_are_all_refused_409(db, live_url):
    world = scene(db, 9)
    make_booking(db, world.room, world.borrowers[0], accepted=True, starts_at=evening()[0], ends_at=evening()[1])
    with ThreadPoolExecutor(max_workers=4) as pool:
        sessions = list(pool.map(lambda admin: logged_in(live_url, admin.email), world.admins[1:]))
    starts_at, ends_at = (moment.astimezone(ZONE).strftime("%Y-%m-%dT%H:%M") for moment in evening(5))

    def ask(i: int) -> int:
        form = {"organisation_id": str(world.borrowers[i + 1].id), "starts_at": starts_at, "ends_at": ends_at,
                "head_count": "10", "purpose": "Spotkanie"}  # fmt: skip
        return post(live_url, sessions[i], f"/resources/{world.room.id}/bookings", form)

    assert together(8, ask) == [409] * 8
    assert len(stored(db)) == 1
