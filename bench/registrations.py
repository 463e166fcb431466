"""Registrations from 50 organisations at once for a meeting with 10 places, over loopback HTTP: is a seat given
twice, or a registration lost?

Builds a published meeting with `--seats` places and `--requests` verified organisations, each with a plain member, in
the database named by the URL (default: a fresh SQLite file; a PostgreSQL database given here has its tables DROPPED
and recreated), serves the real app with uvicorn (2 workers) on 127.0.0.1, logs the members in through the real form,
then releases them at once: each registers its organisation with one person through the real form (CSRF token, 303
answer). It prints

    db=<sqlite|postgresql> seats=<n> requests=<n> confirmed=<n> waitlisted=<n> overbooked=<n> lost=<n>

confirmed, waitlisted: registrations stored in each state; overbooked: confirmed people beyond the places, or a
meeting whose seat count disagrees with its confirmed registrations; lost: requests answered 303 whose organisation
has no registration. Lines beginning with "#" are notes. Run from the project root:

    .venv/bin/python bench/registrations.py [DATABASE_URL] [--seats 10] [--requests 50] [--workers 2] [--keep]

Exit status: 0 nothing overbooked or lost, exactly `seats` confirmed; 1 otherwise, or a request not acknowledged,
the ledger broken or a server failing; 130 interrupted.
"""

from __future__ import annotations

import argparse
import http.client
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script: bench/ is on the path, the project root is not
    sys.path.insert(0, str(ROOT))

from sqlalchemy import func  # noqa: E402
from sqlmodel import Session, SQLModel, select  # noqa: E402

from bench.consultation_page import HOST, new_user, principal, serve  # noqa: E402
from bench.votes import session_of  # noqa: E402
from consult import ledger  # noqa: E402
from consult.db import make_engine  # noqa: E402
from consult.meetings.actions import MeetingInput, create_meeting, publish_meeting  # noqa: E402
from consult.models import Meeting, Membership, Registration, utcnow  # noqa: E402
from consult.organisations.actions import OrganisationInput, create_organisation, verify_organisation  # noqa: E402

REQUEST_TIMEOUT_S = 60.0


@dataclass(frozen=True)
class Built:
    slug: str
    meeting_id: int
    members: list[tuple[str, int]]  # (e-mail, organisation id)


def build(url: str, seats: int, requests: int, *, fresh_schema: bool) -> Built:
    """The meeting and the organisations with their members, through the app's own actions."""
    engine = make_engine(url)
    if fresh_schema:
        SQLModel.metadata.drop_all(engine)
    SQLModel.metadata.create_all(engine)
    try:
        with Session(engine, expire_on_commit=False) as session:
            admin = new_user(session, "admin@bench.example", "Administrator", is_admin=True)
            host = create_organisation(
                session, principal(session, admin), OrganisationInput(name="Lokalna Grupa Działania", kind="ngo")
            )
            starts = utcnow().replace(second=0, microsecond=0) + timedelta(days=14)
            data = MeetingInput(
                title="Spotkanie kwartalne sieci (50 zgłoszeń)",
                kind="quarterly",
                organisation_id=host.id,
                starts_at=starts,
                ends_at=starts + timedelta(hours=3),
                venue_address="Wierzbno, ul. Szkolna 1",
                capacity=seats,
            )
            who = principal(session, admin)
            meeting = create_meeting(session, who, data)
            publish_meeting(session, who, meeting)
            members: list[tuple[str, int]] = []
            for i in range(requests):
                ngo = create_organisation(
                    session, principal(session, admin), OrganisationInput(name=f"Stowarzyszenie nr {i}", kind="ngo")
                )
                verify_organisation(session, principal(session, admin), ngo)
                member = new_user(session, f"zglos{i}@bench.example", f"Osoba zgłaszająca {i}")
                session.add(Membership(organisation_id=ngo.id, user_id=member.id, role="member"))
                session.commit()
                members.append((member.email, ngo.id))
            return Built(meeting.slug, meeting.id, members)
    finally:
        engine.dispose()


def register(port: int, path: str, session: tuple[str, str], organisation_id: int, n: int) -> bool:
    """One registration through the form; True when the server acknowledged it (303 back to the meeting)."""
    cookie, token = session
    form = urlencode(
        {"csrf_token": token, "organisation_id": organisation_id, "head_count": 1, "participants": f"Osoba {n}"}
    )
    headers = {"Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded"}
    conn = http.client.HTTPConnection(HOST, port, timeout=REQUEST_TIMEOUT_S)
    try:
        conn.request("POST", path, body=form, headers=headers)
        response = conn.getresponse()
        response.read()
        return response.status == 303
    except OSError:
        return False
    finally:
        conn.close()


@dataclass(frozen=True)
class Outcome:
    confirmed: int
    waitlisted: int
    overbooked: int
    lost: int
    ledger_ok: bool


def count(url: str, built: Built, seats: int, acknowledged: set[int]) -> Outcome:
    """What the database holds after the run, against what the server acknowledged."""
    engine = make_engine(url)
    try:
        with Session(engine) as session:
            rows = session.exec(
                select(Registration.organisation_id, Registration.status, Registration.head_count).where(
                    Registration.meeting_id == built.meeting_id, Registration.status != "cancelled"
                )
            ).all()
            taken = session.exec(select(Meeting.seats_taken).where(Meeting.id == built.meeting_id)).one()
            per_organisation = dict(
                session.exec(
                    select(Registration.organisation_id, func.count())
                    .where(Registration.meeting_id == built.meeting_id, Registration.status != "cancelled")
                    .group_by(Registration.organisation_id)
                ).all()
            )
            ledger_ok = ledger.verify(session) is None
    finally:
        engine.dispose()
    people = sum(head for _org, status, head in rows if status == "confirmed")
    overbooked = max(people - seats, 0) + abs(taken - people)
    lost = sum(1 for org in acknowledged if per_organisation.get(org, 0) == 0)
    lost += sum(n - 1 for n in per_organisation.values())  # a registration stored twice loses the rule it broke
    confirmed = sum(1 for _o, status, _h in rows if status == "confirmed")
    waitlisted = sum(1 for _o, status, _h in rows if status == "waitlisted")
    return Outcome(confirmed, waitlisted, overbooked, lost, ledger_ok)


def label_of(url: str) -> str:
    return "sqlite" if url.startswith("sqlite") else "postgresql"


def run(url: str, args: argparse.Namespace) -> bool:
    label = label_of(url)
    began = time.monotonic()
    built = build(url, args.seats, args.requests, fresh_schema=label != "sqlite")
    print(f"# db={label} built {len(built.members)} organisations in {time.monotonic() - began:.1f} s", flush=True)
    env = {"DATABASE_URL": url, "SECRET_KEY": secrets.token_urlsafe(32), "ENVIRONMENT": "production"}
    path = f"/meetings/{built.slug}/register"
    n = len(built.members)
    with serve("consult.app:app", env, f"/meetings/{built.slug}", args.workers, False) as port:
        # One at a time: logging in is not what is measured (and concurrent log-ins can meet SQLite's write lock).
        sessions = [session_of(port, email) for email, _org in built.members]
        barrier = threading.Barrier(n)

        def organisation(i: int) -> bool:
            barrier.wait(timeout=60)
            return register(port, path, sessions[i], built.members[i][1], i)

        started = time.perf_counter()
        with ThreadPoolExecutor(max_workers=n) as pool:
            answers = list(pool.map(organisation, range(n)))
        elapsed = time.perf_counter() - started
    acknowledged = {built.members[i][1] for i, ok in enumerate(answers) if ok}
    outcome = count(url, built, args.seats, acknowledged)
    print(
        f"db={label} seats={args.seats} requests={n} confirmed={outcome.confirmed} waitlisted={outcome.waitlisted} "
        f"overbooked={outcome.overbooked} lost={outcome.lost}",
        flush=True,
    )
    print(
        f"# db={label} {n} registrations sent in {elapsed:.2f} s by {n} threads, {len(acknowledged)} acknowledged; "
        f"ledger chain {'intact' if outcome.ledger_ok else 'BROKEN'}; load average "
        f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}",
        flush=True,
    )
    expected = min(args.seats, n)
    return (
        outcome.overbooked == 0
        and outcome.lost == 0
        and outcome.confirmed == expected
        and outcome.confirmed + outcome.waitlisted == n
        and len(acknowledged) == n
        and outcome.ledger_ok
    )


def _interrupted(signum, frame) -> None:
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("database_url", nargs="?", default="", help="default: a fresh SQLite file")
    parser.add_argument("--seats", type=int, default=10, help="places of the meeting (default 10)")
    parser.add_argument("--requests", type=int, default=50, help="organisations registering at once (default 50)")
    parser.add_argument("--workers", type=int, default=2, help="uvicorn workers (default 2)")
    parser.add_argument("--keep", action="store_true", help="keep the SQLite file and print its path")
    args = parser.parse_args(argv)
    if args.seats < 1 or args.requests < 1 or args.workers < 1:
        parser.error("need at least one seat, one request and one worker")
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, _interrupted)
    directory = Path(tempfile.mkdtemp(prefix="consult-registrations-"))
    url = args.database_url or f"sqlite:///{directory / 'registrations.db'}"
    try:
        print(f"# {os.cpu_count()} CPUs; uvicorn --workers {args.workers}; {args.requests} organisations")
        ok = run(url, args)
    except KeyboardInterrupt:
        print("# interrupted", file=sys.stderr)
        return 130
    except (RuntimeError, subprocess.SubprocessError) as error:
        print(f"# failed: {error}", file=sys.stderr)
        return 1
    finally:
        if args.keep and not args.database_url:
            print(f"# kept {directory / 'registrations.db'}")
        else:
            shutil.rmtree(directory, ignore_errors=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
