"""One vote per organisation under real concurrency: 50 threads cast at once, each with its own database session (the
action) or its own HTTP client against the app served by uvicorn; on SQLite (WAL) and on PostgreSQL
(CONSULT_TEST_DATABASE_URL). The unique constraint and the upsert keep one row per organisation, and the ledger's
chain stays whole."""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import httpx2
import pytest
import uvicorn
from sqlmodel import Session, select

from consult import ledger
from consult.models import Consultation, LedgerEvent, Membership, Organisation, Proposal, User, Vote, utcnow
from consult.permissions import Principal
from consult.proposals.votes import cast_vote
from tests.conftest import free_port
from tests.factories import PASSWORD, fresh, make_consultation, make_proposal, make_user, principal

N = 50
CHOICES = ("for", "against", "abstain")
CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


@dataclass
class Voters:
    consultation: Consultation
    proposal: Proposal
    organisations: list[Organisation]
    users: list[User]  # users[i] is the designated voter of organisations[i]


def voters(db, count: int) -> Voters:
    """An open consultation with one proposal; `count` verified NGOs, each with a member designated to vote."""
    consultation = make_consultation(db)
    proposal = make_proposal(db, consultation)
    organisations, users = [], []
    for i in range(count):
        user = make_user(db, email=f"glosujacy{i}@example.pl", display_name=f"Osoba {i}")
        organisation = Organisation(slug=f"ngo-{i}", name=f"Stowarzyszenie nr {i}", kind="ngo", verified_at=utcnow())
        db.add(organisation)
        db.flush()
        db.add(Membership(organisation_id=organisation.id, user_id=user.id, role="member", votes=True))
        organisations.append(organisation)
        users.append(user)
    db.commit()
    return Voters(consultation, proposal, organisations, users)


def together(count: int, work: Callable[[int], object]) -> list[object]:
    """Run work(0..count-1) in `count` threads released at the same moment; their results (errors raise)."""
    barrier = threading.Barrier(count)

    def run(i: int) -> object:
        barrier.wait(timeout=60)
        return work(i)

    with ThreadPoolExecutor(max_workers=count) as pool:
        futures = [pool.submit(run, i) for i in range(count)]
        return [f.result(timeout=120) for f in futures]


def votes_stored(db) -> list[tuple[int, int, str]]:
    fresh(db)
    return list(db.exec(select(Vote.proposal_id, Vote.organisation_id, Vote.choice)).all())


def vote_events(db) -> list[dict]:
    fresh(db)
    rows = db.exec(select(LedgerEvent).where(LedgerEvent.action == "vote.cast").order_by(LedgerEvent.seq)).all()
    return [json.loads(e.payload) for e in rows]


# --- each thread with its own session, calling the action -------------------------------------------------


def cast_in_own_session(engine, who: Principal, proposal: Proposal, organisation_id: int, choice: str) -> int:
    with Session(engine, expire_on_commit=False) as session:
        return cast_vote(session, who, proposal, organisation_id, choice).id


def test_fifty_concurrent_votes_for_one_organisation_leave_one_row(app, db):
    world = voters(db, 1)
    organisation, who = world.organisations[0], principal(db, world.users[0])

    ids = together(
        N, lambda i: cast_in_own_session(app.state.engine, who, world.proposal, organisation.id, CHOICES[i % 3])
    )

    [(proposal_id, organisation_id, choice)] = votes_stored(db)
    assert (proposal_id, organisation_id) == (world.proposal.id, organisation.id)
    assert set(ids) == {db.exec(select(Vote.id)).one()}
    events = vote_events(db)
    assert len(events) == N and events[-1]["choice"] == choice  # the last in the ledger is the one kept
    assert ledger.verify(db) is None


def test_fifty_organisations_voting_at_once_leave_fifty_rows(app, db):
    world = voters(db, N)
    people = [principal(db, user) for user in world.users]

    together(
        N,
        lambda i: cast_in_own_session(
            app.state.engine, people[i], world.proposal, world.organisations[i].id, CHOICES[i % 3]
        ),
    )

    rows = votes_stored(db)
    assert sorted(rows) == sorted((world.proposal.id, o.id, CHOICES[i % 3]) for i, o in enumerate(world.organisations))
    assert len(vote_events(db)) == N
    assert ledger.verify(db) is None


# --- each thread with its own HTTP client, against the app served by uvicorn --------------------------------


@pytest.fixture
def live_url(app):
    """The test's app (same database) served by uvicorn on a free port of 127.0.0.1."""
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
    """Logs in through the real form; the session's cookies and its CSRF token."""
    with httpx2.Client(base_url=base_url, timeout=30) as client:
        token = CSRF_RE.search(client.get("/login").text).group(1)
        response = client.post("/login", data={"csrf_token": token, "email": email, "password": PASSWORD})
        assert response.status_code == 303, response.text[:300]
        token = CSRF_RE.search(client.get("/my/organisations").text).group(1)
        return dict(client.cookies), token


def post_vote(base_url: str, session: tuple[dict[str, str], str], world: Voters, organisation_id: int, choice: str):
    cookies, token = session
    path = f"/consultations/{world.consultation.slug}/proposals/{world.proposal.id}/vote"
    with httpx2.Client(base_url=base_url, cookies=cookies, timeout=60) as client:
        data = {"csrf_token": token, "organisation_id": str(organisation_id), "choice": choice}
        return client.post(path, data=data).status_code


def test_fifty_concurrent_http_votes_for_one_organisation_leave_one_row(db, live_url):
    world = voters(db, 1)
    session = logged_in(live_url, world.users[0].email)

    answers = together(N, lambda i: post_vote(live_url, session, world, world.organisations[0].id, CHOICES[i % 3]))

    assert answers == [303] * N
    [(_proposal, organisation_id, choice)] = votes_stored(db)
    assert organisation_id == world.organisations[0].id
    events = vote_events(db)
    assert len(events) == N and events[-1]["choice"] == choice
    assert ledger.verify(db) is None


def test_fifty_organisations_voting_over_http_at_once_leave_fifty_rows(db, live_url):
    world = voters(db, N)
    with ThreadPoolExecutor(max_workers=8) as pool:  # logging in is not what is measured
        sessions = list(pool.map(lambda user: logged_in(live_url, user.email), world.users))

    answers = together(
        N, lambda i: post_vote(live_url, sessions[i], world, world.organisations[i].id, CHOICES[(i + 1) % 3])
    )

    assert answers == [303] * N
    rows = votes_stored(db)
    expected = [(world.proposal.id, o.id, CHOICES[(i + 1) % 3]) for i, o in enumerate(world.organisations)]
    assert sorted(rows) == sorted(expected)
    assert len(vote_events(db)) == N
    assert ledger.verify(db) is None
