"""Votes from 50 organisations at once over loopback HTTP: is any vote lost or doubled?

Builds an open consultation with one proposal and 50 verified organisations, each with a member its admin designated
to vote, in a fresh SQLite file (and, when CONSULT_TEST_DATABASE_URL is set, in that PostgreSQL database too: its
tables are DROPPED and recreated), serves the real app with uvicorn (2 workers) on 127.0.0.1, logs the 50 voters in
through the real form, then releases them at once: each casts its organisation's vote and changes it straight after
(for → against, against → abstain, abstain → for), through the real vote form (CSRF token, 303 answer). It prints

    db=<name> votes_per_s=<n> acknowledged=<n> stored=<n> lost=<n> doubled=<n>

acknowledged: vote requests answered 303; stored: vote rows of the proposal; lost: organisations whose last
acknowledged choice is not the one stored; doubled: rows beyond one per organisation. Lines beginning with "#" are
notes. Run from the project root:

    .venv/bin/python bench/votes.py [--organisations 50] [--workers 2] [--sqlite-only] [--keep]

Exit status: 0 nothing lost or doubled; 1 something lost or doubled, a request not acknowledged, the ledger broken or
a server failing; 130 interrupted.
"""

from __future__ import annotations

import argparse
import http.client
import os
import re
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

from bench.consultation_page import HOST, login, new_user, principal, serve  # noqa: E402
from consult import ledger  # noqa: E402
from consult.consultations.actions import ConsultationInput, create_consultation, publish_consultation  # noqa: E402
from consult.db import make_engine  # noqa: E402
from consult.models import LedgerEvent, Membership, Vote, utcnow  # noqa: E402
from consult.organisations.actions import OrganisationInput, create_organisation, verify_organisation  # noqa: E402
from consult.organisations.voting import set_voting  # noqa: E402
from consult.proposals.actions import ProposalInput, submit_proposal  # noqa: E402

CHOICES = ("for", "against", "abstain")
CSRF_RE = re.compile(rb'name="csrf_token" value="([^"]+)"')
COOKIE_RE = re.compile(r"(consult_session=[^;]+)")
DOCUMENT = "# Program współpracy na rok 2027\n\n## § 1. Priorytety\n\n1. Sport.\n2. Kultura.\n3. Seniorzy.\n"
REQUEST_TIMEOUT_S = 60.0


@dataclass(frozen=True)
class Built:
    slug: str
    proposal_id: int
    voters: list[tuple[str, int]]  # (e-mail, organisation id)


def build(url: str, organisations: int, *, fresh_schema: bool) -> Built:
    """The consultation, its proposal and the organisations with their voters, through the app's own actions."""
    engine = make_engine(url)
    if fresh_schema:
        SQLModel.metadata.drop_all(engine)
    SQLModel.metadata.create_all(engine)
    try:
        with Session(engine, expire_on_commit=False) as session:
            admin = new_user(session, "admin@bench.example", "Administrator", is_admin=True)
            official = new_user(session, "urzednik@bench.example", "Katarzyna Nowak")
            municipality = create_organisation(
                session, principal(session, admin), OrganisationInput(name="Gmina Benchowo", kind="municipality")
            )
            session.add(Membership(organisation_id=municipality.id, user_id=official.id, role="official"))
            session.commit()
            now = utcnow()
            data = ConsultationInput(
                organisation_id=municipality.id,
                title="Program współpracy na rok 2027 (głosowanie)",
                slug="glosowanie-2027",
                summary="Propozycja i 50 organizacji, które głosują jednocześnie.",
                responsible_unit="Referat Promocji",
                contact_person="Katarzyna Nowak",
                opens_at=now - timedelta(days=1),
                closes_at=now + timedelta(days=20),
                document=DOCUMENT,
            )
            consultation = create_consultation(session, principal(session, official), data)
            publish_consultation(session, principal(session, official), consultation)
            voters: list[tuple[str, int]] = []
            for i in range(organisations):
                ngo = create_organisation(
                    session, principal(session, admin), OrganisationInput(name=f"Stowarzyszenie nr {i}", kind="ngo")
                )
                verify_organisation(session, principal(session, admin), ngo)
                voter = new_user(session, f"glos{i}@bench.example", f"Osoba głosująca {i}")
                membership = Membership(organisation_id=ngo.id, user_id=voter.id, role="member")
                session.add(membership)
                session.commit()
                set_voting(session, principal(session, admin), ngo, membership.id, True)
                voters.append((voter.email, ngo.id))
            proposal = submit_proposal(
                session,
                principal(session, admin),
                consultation,
                ProposalInput(title="Sport seniorów", body="Dopisać sport seniorów.", organisation_id=voters[0][1]),
            )
            return Built(consultation.slug, proposal.id, voters)
    finally:
        engine.dispose()


def session_of(port: int, email: str) -> tuple[str, str]:
    """A voter's signed-in session: its Cookie header and its CSRF token (made anew at log-in)."""
    cookie = login(port, email)
    conn = http.client.HTTPConnection(HOST, port, timeout=REQUEST_TIMEOUT_S)
    try:
        conn.request("GET", "/my/organisations", headers={"Cookie": cookie})
        response = conn.getresponse()
        token = CSRF_RE.search(response.read())
        renewed = COOKIE_RE.search(response.getheader("set-cookie") or "")
        if response.status != 200 or not token:
            raise RuntimeError(f"{email}: /my/organisations answered {response.status} without a CSRF token")
        return (renewed.group(1) if renewed else cookie), token.group(1).decode()
    finally:
        conn.close()


def cast(port: int, path: str, session: tuple[str, str], organisation_id: int, choice: str) -> bool:
    """One vote through the form; True when the server acknowledged it (303 back to the proposal)."""
    cookie, token = session
    form = urlencode({"csrf_token": token, "organisation_id": organisation_id, "choice": choice})
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
    stored: int
    lost: int
    doubled: int
    events: int
    ledger_ok: bool


def count(url: str, built: Built, last_acknowledged: dict[int, str]) -> Outcome:
    """What the database holds after the run, against what the server acknowledged."""
    engine = make_engine(url)
    try:
        with Session(engine) as session:
            rows = session.exec(
                select(Vote.organisation_id, Vote.choice).where(Vote.proposal_id == built.proposal_id)
            ).all()
            per_organisation = dict(
                session.exec(
                    select(Vote.organisation_id, func.count())
                    .where(Vote.proposal_id == built.proposal_id)
                    .group_by(Vote.organisation_id)
                ).all()
            )
            events = session.exec(
                select(func.count()).select_from(LedgerEvent).where(LedgerEvent.action == "vote.cast")
            ).one()
            ledger_ok = ledger.verify(session) is None
    finally:
        engine.dispose()
    kept = dict(rows)
    lost = sum(1 for org, choice in last_acknowledged.items() if kept.get(org) != choice)
    doubled = sum(n - 1 for n in per_organisation.values())
    return Outcome(len(rows), lost, doubled, events, ledger_ok)


def run_set(url: str, label: str, args: argparse.Namespace) -> bool:
    began = time.monotonic()
    built = build(url, args.organisations, fresh_schema=label != "sqlite")
    print(f"# db={label} built {len(built.voters)} organisations in {time.monotonic() - began:.1f} s", flush=True)
    env = {"DATABASE_URL": url, "SECRET_KEY": secrets.token_urlsafe(32), "ENVIRONMENT": "production"}
    path = f"/consultations/{built.slug}/proposals/{built.proposal_id}/vote"
    n = len(built.voters)
    answers: list[tuple[bool, bool]] = [(False, False)] * n
    with serve("consult.app:app", env, f"/consultations/{built.slug}/proposals", args.workers, False) as port:
        # One at a time: logging in is not what is measured (and concurrent log-ins can meet SQLite's write lock).
        sessions = [session_of(port, email) for email, _org in built.voters]
        barrier = threading.Barrier(n)

        def organisation(i: int) -> tuple[bool, bool]:
            org_id = built.voters[i][1]
            barrier.wait(timeout=60)
            first = cast(port, path, sessions[i], org_id, CHOICES[i % 3])
            return first, cast(port, path, sessions[i], org_id, CHOICES[(i + 1) % 3])

        started = time.perf_counter()
        with ThreadPoolExecutor(max_workers=n) as pool:
            answers = list(pool.map(organisation, range(n)))
        elapsed = time.perf_counter() - started
    last_acknowledged = {}
    for i, (first, second) in enumerate(answers):
        if first or second:
            last_acknowledged[built.voters[i][1]] = CHOICES[(i + 1) % 3] if second else CHOICES[i % 3]
    acknowledged = sum(first + second for first, second in answers)
    outcome = count(url, built, last_acknowledged)
    print(
        f"db={label} votes_per_s={acknowledged / elapsed:.1f} acknowledged={acknowledged} stored={outcome.stored} "
        f"lost={outcome.lost} doubled={outcome.doubled}",
        flush=True,
    )
    print(
        f"# db={label} {2 * n} votes sent in {elapsed:.2f} s by {n} threads; ledger: {outcome.events} vote.cast "
        f"events, chain {'intact' if outcome.ledger_ok else 'BROKEN'}; load average "
        f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}",
        flush=True,
    )
    if acknowledged < 2 * n:
        print(f"# db={label}: {2 * n - acknowledged} of {2 * n} votes were not acknowledged", flush=True)
    return outcome.lost == 0 and outcome.doubled == 0 and acknowledged == 2 * n and outcome.ledger_ok


def _interrupted(signum, frame) -> None:
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--organisations", type=int, default=50, help="organisations voting at once (default 50)")
    parser.add_argument("--workers", type=int, default=2, help="uvicorn workers (default 2)")
    parser.add_argument("--sqlite-only", action="store_true", help="ignore CONSULT_TEST_DATABASE_URL")
    parser.add_argument("--keep", action="store_true", help="keep the SQLite file and print its path")
    args = parser.parse_args(argv)
    if args.organisations < 1 or args.workers < 1:
        parser.error("need at least one organisation and one worker")
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, _interrupted)
    directory = Path(tempfile.mkdtemp(prefix="consult-votes-"))
    ok = True
    try:
        print(f"# {os.cpu_count()} CPUs; uvicorn --workers {args.workers}; {args.organisations} organisations")
        ok &= run_set(f"sqlite:///{directory / 'votes.db'}", "sqlite", args)
        pg_url = os.environ.get("CONSULT_TEST_DATABASE_URL", "")
        if pg_url and not args.sqlite_only:
            ok &= run_set(pg_url, "postgresql", args)
    except KeyboardInterrupt:
        print("# interrupted", file=sys.stderr)
        return 130
    except (RuntimeError, subprocess.SubprocessError) as error:
        print(f"# failed: {error}", file=sys.stderr)
        return 1
    finally:
        if args.keep:
            print(f"# kept {directory / 'votes.db'}")
        else:
            shutil.rmtree(directory, ignore_errors=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
