"""Load test of the consultation page and a paragraph's thread, against a bare Starlette endpoint.

Builds a consultation of 50 paragraphs with 2,000 comments (a quarter of them replies) in a fresh SQLite file (and,
when CONSULT_TEST_DATABASE_URL is set, in that PostgreSQL database too: its tables are DROPPED and recreated), serves
the real app with uvicorn (2 workers) on 127.0.0.1, loads each case with wrk (32 connections, 10 s) and prints

    case=<name> rps=<n> p50_ms=<n> p99_ms=<n> ratio=<n>      (ratio: rps over the bare endpoint's rps)
    case=<name> service_ms=<n>                                (median of sequential requests over keep-alive)

The PostgreSQL lines begin with "db=postgresql ". Lines beginning with "#" are notes. Run from the project root:

    .venv/bin/python bench/consultation_page.py [--seconds 10] [--connections 32] [--signed-in] [--threadpool]

(--help lists every flag; bench/README.md explains the cases and has the latest figures.) Exit status: 0 done,
1 a case failed (a server did not start, non-2xx answers), 2 wrk is missing, 130 interrupted.
"""

from __future__ import annotations

import argparse
import http.client
import os
import random
import re
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager, suppress
from dataclasses import dataclass, replace
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlencode

from sqlalchemy import Engine
from sqlmodel import Session, SQLModel, select

from consult import models
from consult.accounts.actions import RegisterInput, register_user
from consult.consultations.actions import (
    ConsultationInput,
    create_consultation,
    current_version,
    document_of,
    get_or_create_thread,
    publish_consultation,
)
from consult.db import make_engine
from consult.markdown import render_markdown
from consult.models import Comment, Membership, Organisation, Paragraph, User, utcnow
from consult.organisations.actions import OrganisationInput, create_organisation, verify_organisation
from consult.permissions import Principal

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
SECTIONS, PARAGRAPHS_PER_SECTION = 10, 5  # 50 paragraphs
GENERAL_ROOTS, GENERAL_REPLIES = 200, 200  # the general discussion: its first page shows 20 roots × (1 + 8 replies)
FRAGMENT_ROOTS, FRAGMENT_REPLIES = 20, 20  # the benchmarked paragraph: a thread of 40 comments, all on one page
OTHER_ROOTS, OTHER_REPLIES = 1280, 280  # spread over the other 49 paragraphs
NGOS = 12
BENCH_PASSWORD = "bench-password-2027"  # every user of the throw-away database (--signed-in logs in with it)
START_TIMEOUT_S = 60.0
STOP_TIMEOUT_S = 15.0
DRAIN_TIMEOUT_S = 30.0
WRK_TIMEOUT = "30s"  # a request is measured, not dropped and retried, however slow (see drain)
WORDS_TEXT = (
    "gmina organizacje współpraca program zadania publiczne konkurs ofert dotacja sprawozdanie rada działalność "
    "pożytku publicznego wolontariat mieszkańcy seniorzy młodzież sport kultura edukacja zdrowie ekologia "
    "partnerstwo jawność efektywność pomocniczość suwerenność konsultacje harmonogram budżet środki finansowe "
    "realizacja ocena monitoring wskaźniki zespół komisja opiniowanie inicjatywa lokalna regranting"
)
WORDS = WORDS_TEXT.split()


# --- the data -----------------------------------------------------------------------------------------------


def sentence(rng: random.Random, low: int, high: int) -> str:
    words = [rng.choice(WORDS) for _ in range(rng.randint(low, high))]
    return " ".join(words).capitalize() + "."


def document_markdown(rng: random.Random) -> str:
    lines = ["# Program współpracy Gminy Benchowo z organizacjami pozarządowymi na rok 2027", ""]
    lines += ["Projekt poddany konsultacjom (dane do testu wydajności).", ""]
    for s in range(1, SECTIONS + 1):
        lines += [f"## § {s}. {sentence(rng, 2, 4).rstrip('.')}", ""]
        lines += [f"{u}. {sentence(rng, 18, 30)} {sentence(rng, 8, 16)}" for u in range(1, PARAGRAPHS_PER_SECTION + 1)]
        lines.append("")
    return "\n".join(lines)


def comment_body(rng: random.Random, n: int) -> str:
    body = f"{sentence(rng, 12, 30)} **{sentence(rng, 3, 6)}** {sentence(rng, 10, 20)}"
    if n % 4 == 0:
        body += f"\n\n- {sentence(rng, 4, 8)}\n- {sentence(rng, 4, 8)}"
    if n % 7 == 0:
        body += f"\n\n{sentence(rng, 15, 40)}"
    return body


def principal(session: Session, user: User) -> Principal:
    rows = session.exec(select(Membership.organisation_id, Membership.role).where(Membership.user_id == user.id))
    return Principal(user=user, roles=dict(rows.all()))


def new_user(session: Session, email: str, name: str, is_admin: bool = False) -> User:
    password = BENCH_PASSWORD
    data = RegisterInput(email=email, display_name=name, password=password, password_confirm=password)
    user = register_user(session, data, is_admin=is_admin)
    user.confirmed_at = utcnow()
    session.add(user)
    session.commit()
    return user


@dataclass
class Plan:
    """A comment to insert: its thread, its parent plan (None for a root) and its place in time."""

    thread_id: int
    parent: Plan | None
    n: int
    paragraph: Paragraph | None
    comment: Comment | None = None

    @property
    def depth(self) -> int:
        return 0 if self.parent is None else self.parent.depth + 1

    @property
    def root(self) -> Plan:
        return self if self.parent is None else self.parent.root


@dataclass(frozen=True)
class Built:
    slug: str
    fragment_key: str
    fragment_label: str
    comments: int
    replies: int


def _replies_to(roots: list[Plan], per_root: list[int], plans: list[Plan], shape: str) -> None:
    """Adds per_root[i] replies under roots[i]: a deep chain for the first, then threads three levels deep."""
    for index, (root, count) in enumerate(zip(roots, per_root, strict=False)):
        previous = root
        for j in range(count):
            chain = shape == "general" and index == 0  # one chain eight deep: the page flattens it past four levels
            parent = previous if chain or j % 3 else root
            previous = Plan(root.thread_id, parent, len(plans), root.paragraph)
            plans.append(previous)


def build(url: str, *, fresh_schema: bool) -> Built:
    """A published, open consultation of 50 paragraphs with 2,000 comments, through the app's models and actions."""
    rng = random.Random(2027)
    engine: Engine = make_engine(url)
    if fresh_schema:
        SQLModel.metadata.drop_all(engine)
    SQLModel.metadata.create_all(engine)
    assert models.Comment is Comment  # the tables are registered
    try:
        with Session(engine, expire_on_commit=False) as session:
            admin = new_user(session, "admin@bench.example", "Administrator", is_admin=True)
            official = new_user(session, "urzednik@bench.example", "Katarzyna Nowak")
            municipality = create_organisation(
                session, principal(session, admin), OrganisationInput(name="Gmina Benchowo", kind="municipality")
            )
            session.add(Membership(organisation_id=municipality.id, user_id=official.id, role="official"))
            session.commit()
            verify_organisation(session, principal(session, admin), municipality)
            speakers: list[tuple[User, Organisation]] = []
            for i in range(NGOS):
                member = new_user(session, f"ngo{i}@bench.example", f"Osoba {i} {rng.choice(WORDS).capitalize()}")
                ngo = create_organisation(
                    session,
                    principal(session, member),
                    OrganisationInput(name=f"Stowarzyszenie {rng.choice(WORDS).capitalize()} nr {i}", kind="ngo"),
                )
                verify_organisation(session, principal(session, admin), ngo)
                speakers.append((member, ngo))

            now = utcnow()
            data = ConsultationInput(
                organisation_id=municipality.id,
                title="Program współpracy na rok 2027 (test wydajności)",
                slug="benchmark-2027",
                summary="Projekt programu współpracy z organizacjami pozarządowymi: 50 ustępów, 2000 uwag.",
                responsible_unit="Referat Promocji",
                contact_person="Katarzyna Nowak",
                opens_at=now - timedelta(days=7),
                closes_at=now + timedelta(days=14),
                document=document_markdown(rng),
            )
            consultation = create_consultation(session, principal(session, official), data)
            publish_consultation(session, principal(session, official), consultation)
            paragraphs = [
                p for _s, ps in document_of(session, current_version(session, consultation)).sections for p in ps
            ]
            assert len(paragraphs) == SECTIONS * PARAGRAPHS_PER_SECTION, len(paragraphs)
            general = get_or_create_thread(session, consultation, None)
            threads = {p.key: get_or_create_thread(session, consultation, p.key) for p in paragraphs}
            session.commit()

            target = paragraphs[len(paragraphs) // 2]  # § 6 ust. 1
            others = [p for p in paragraphs if p is not target]
            plans: list[Plan] = []

            def roots(thread_id: int, paragraph: Paragraph | None, count: int) -> list[Plan]:
                made = [Plan(thread_id, None, len(plans) + i, paragraph) for i in range(count)]
                plans.extend(made)
                return made

            general_roots = roots(general.id, None, GENERAL_ROOTS)
            first = [8] * 20 + [1] * (GENERAL_REPLIES - 160)
            _replies_to(general_roots, first, plans, "general")
            target_roots = roots(threads[target.key].id, target, FRAGMENT_ROOTS)
            _replies_to(target_roots, [2] * (FRAGMENT_REPLIES // 2), plans, "paragraph")
            per_paragraph, extra = divmod(OTHER_ROOTS, len(others))
            replies_per, replies_extra = divmod(OTHER_REPLIES, len(others))
            for i, p in enumerate(others):
                made = roots(threads[p.key].id, p, per_paragraph + (1 if i < extra else 0))
                _replies_to(made, [1] * (replies_per + (1 if i < replies_extra else 0)), plans, "paragraph")

            _insert(session, plans, speakers, rng, now - timedelta(days=7))
            total = len(plans)
            replies = sum(1 for p in plans if p.parent is not None)
            assert (total, replies) == (2000, 500), (total, replies)
            return Built(consultation.slug, target.key, target.label, total, replies)
    finally:
        engine.dispose()


def _insert(session: Session, plans: list[Plan], speakers, rng: random.Random, start) -> None:
    """Bulk insert, one add_all per depth so each reply knows its parent's id; root_id, reply_count as the engine."""
    order = sorted(plans, key=lambda p: p.n)
    for position, plan in enumerate(order):  # replies come after their parents in time
        plan.n = position
    by_depth: dict[int, list[Plan]] = {}
    for plan in order:
        by_depth.setdefault(plan.depth, []).append(plan)
    reply_counts: dict[int, int] = {}
    for plan in order:
        if plan.parent is not None:
            reply_counts[id(plan.root)] = reply_counts.get(id(plan.root), 0) + 1
    for depth in sorted(by_depth):
        batch = []
        for plan in by_depth[depth]:
            author, organisation = speakers[rng.randrange(len(speakers))]
            body = comment_body(rng, plan.n)
            comment = Comment(
                thread_id=plan.thread_id,
                parent_id=plan.parent.comment.id if plan.parent else None,
                root_id=plan.root.comment.id if plan.parent else None,
                depth=depth,
                author_id=author.id,
                organisation_id=organisation.id,
                body=body,
                body_html=render_markdown(body),
                reply_count=reply_counts.get(id(plan), 0) if plan.parent is None else 0,
                created_at=start + timedelta(minutes=3 * plan.n + rng.random()),
            )
            if plan.parent is None and plan.paragraph is not None:
                comment.current_wording = plan.paragraph.text
                comment.proposed_wording = plan.paragraph.text.replace(".", ", z zastrzeżeniem konsultacji.", 1)
                comment.justification = sentence(rng, 10, 25)
            if plan.n % 53 == 0:
                comment.status, comment.moderated_at = "withdrawn", comment.created_at
            plan.comment = comment
            batch.append(comment)
        session.add_all(batch)
        session.flush()
        if depth == 0:
            for comment in batch:
                comment.root_id = comment.id
            session.flush()
    session.commit()


# --- servers and load ----------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def get(port: int, path: str, headers: dict[str, str] | None = None, timeout: float = 10.0) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection(HOST, port, timeout=timeout)
    try:
        conn.request("GET", path, headers=headers or {})
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


@contextmanager
def serve(module: str, env: dict[str, str], probe: str, workers: int, stock: bool):
    """uvicorn `module` with N workers on 127.0.0.1, ready when `probe` answers 200; terminated on leaving.

    Through bench/serve.py (uvicorn's own command line, TCP_NODELAY kept) unless `stock`: see that module.
    """
    port = free_port()
    launcher = ["-m", "uvicorn"] if stock else [str(ROOT / "bench" / "serve.py")]
    command = [sys.executable, *launcher, module, "--host", HOST, "--port", str(port)]
    command += ["--workers", str(workers), "--no-access-log", "--log-level", "warning"]
    log = tempfile.TemporaryFile()  # noqa: SIM115  (closed in the finally below, after the server stops)
    proc = subprocess.Popen(
        command,
        cwd=ROOT,
        # BASE_URL at this port: the page cache keeps only pages asked for at the site's own address
        env={**os.environ, "PYTHONPATH": str(ROOT), "BASE_URL": f"http://{HOST}:{port}", **env},
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its own process group: the workers are stopped with it
    )
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            if proc.poll() is not None:
                log.seek(0)
                raise RuntimeError(f"{module} exited with {proc.returncode}:\n{log.read().decode(errors='replace')}")
            try:
                if get(port, probe, timeout=5.0)[0] == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"{module} did not answer {probe} within {START_TIMEOUT_S:.0f} s")
            time.sleep(0.2)
        yield port
    finally:
        stop(proc)
        log.close()


def stop(proc: subprocess.Popen) -> None:
    """SIGTERM to uvicorn's supervisor (it stops its workers), then SIGKILL to whatever of its group is left.

    The supervisor is not reaped before the group is signalled, so its pid (the group's id) cannot have been reused.
    """
    if proc.returncode is not None:  # exited and reaped already (it failed to start): nothing of it runs
        return
    proc.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + STOP_TIMEOUT_S
    while time.monotonic() < deadline:
        if os.waitid(os.P_PID, proc.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is not None:
            break
        time.sleep(0.05)
    with suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(STOP_TIMEOUT_S)


@dataclass(frozen=True)
class Load:
    rps: float
    p50_ms: float
    p99_ms: float
    requests: int
    bad: int  # non-2xx/3xx answers and socket errors


UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0, "h": 3_600_000.0}


def _ms(text: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m|h)", text)
    if not match:
        raise ValueError(f"unexpected wrk duration {text!r}")
    return float(match.group(1)) * UNITS_MS[match.group(2)]


def parse_wrk(output: str) -> Load:
    rps = re.search(r"^Requests/sec:\s+([\d.]+)", output, re.M)
    p50 = re.search(r"^\s+50%\s+(\S+)", output, re.M)
    p99 = re.search(r"^\s+99%\s+(\S+)", output, re.M)
    total = re.search(r"^\s+(\d+) requests in", output, re.M)
    if not (rps and p50 and p99 and total):
        raise RuntimeError("cannot read wrk's output:\n" + output)
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    n_bad = (int(bad.group(1)) if bad else 0) + (sum(int(g) for g in errors.groups()) if errors else 0)
    return Load(float(rps.group(1)), _ms(p50.group(1)), _ms(p99.group(1)), int(total.group(1)), n_bad)


def wrk(port: int, path: str, seconds: float, connections: int, threads: int, headers: dict[str, str]) -> Load:
    command = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{max(int(round(seconds)), 1)}s", "--timeout", WRK_TIMEOUT]
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    command += ["--latency", f"http://{HOST}:{port}{path}"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 60, check=True)
    return parse_wrk(done.stdout)


HX = {"HX-Request": "true"}


@dataclass(frozen=True)
class Case:
    name: str
    module: str
    path: str
    headers: dict[str, str]
    member: bool = False  # signed in as a member of a verified organisation (--signed-in)


MEMBER_EMAIL = "ngo1@bench.example"
CSRF_RE = re.compile(rb'name="csrf_token" value="([^"]+)"')
COOKIE_RE = re.compile(r"(consult_session=[^;]+)")


def login(port: int, email: str = MEMBER_EMAIL) -> str:
    """Logs in through the real form; returns the Cookie header of the signed-in session."""
    conn = http.client.HTTPConnection(HOST, port, timeout=10.0)
    try:
        conn.request("GET", "/login")
        response = conn.getresponse()
        token, cookie = CSRF_RE.search(response.read()), COOKIE_RE.search(response.getheader("set-cookie") or "")
        if not (token and cookie):
            raise RuntimeError("the login form has no CSRF token or session cookie")
        form = urlencode({"csrf_token": token.group(1).decode(), "email": email, "password": BENCH_PASSWORD})
        headers = {"Cookie": cookie.group(1), "Content-Type": "application/x-www-form-urlencoded"}
        conn.request("POST", "/login", body=form, headers=headers)
        response = conn.getresponse()
        response.read()
        cookie = COOKIE_RE.search(response.getheader("set-cookie") or "")
        if response.status != 303 or not cookie:
            raise RuntimeError(f"logging in as {email} answered {response.status}")
        # Follow the redirect as a browser does: it shows the "you are logged in" banner once and the session cookie
        # it sets has the banner taken out. Reusing the log-in answer's cookie would show the banner on every request.
        conn.request("GET", response.getheader("location") or "/", headers={"Cookie": cookie.group(1)})
        response = conn.getresponse()
        response.read()
        cookie = COOKIE_RE.search(response.getheader("set-cookie") or "") or cookie
        return cookie.group(1)
    finally:
        conn.close()


def drain(port: int, case: Case, alone_ms: float) -> None:
    """Wait (30 s at most) until the workers have worked off what wrk left queued: requests are fast again.

    wrk stops with up to --connections requests still queued in the workers; measuring the next case at once would
    charge it with them. Three fast answers in a row, each on a new connection (the kernel spreads those over the
    workers), say the queue is empty.
    """
    limit_s = max(3 * alone_ms / 1000, 0.05)
    deadline = time.monotonic() + DRAIN_TIMEOUT_S
    fast = 0
    while fast < 3 and time.monotonic() < deadline:
        began = time.perf_counter()
        get(port, case.path, case.headers, timeout=DRAIN_TIMEOUT_S)
        fast = fast + 1 if time.perf_counter() - began < limit_s else 0


def service_ms(port: int, path: str, headers: dict[str, str], requests: int) -> float:
    """Median time of one request at a time over one keep-alive connection (no cookies, like wrk)."""
    conn = http.client.HTTPConnection(HOST, port, timeout=10.0)
    times = []
    try:
        for i in range(requests + requests // 10):  # the first tenth warms up and is not counted
            began = time.perf_counter()
            conn.request("GET", path, headers=headers)
            response = conn.getresponse()
            response.read()
            elapsed = time.perf_counter() - began
            if response.status != 200:
                raise RuntimeError(f"GET {path} answered {response.status}")
            if i >= requests // 10:
                times.append(elapsed)
    finally:
        conn.close()
    return statistics.median(times) * 1000


# --- the run -------------------------------------------------------------------------------------------------


def check_responses(port: int, built: Built, page: str, fragment: str, prefix: str) -> None:
    """The page and the fragment answer 200 and show what the bench means to measure."""
    status, body = get(port, page)
    shown = body.count(b'<article class="comment ')
    if status != 200 or shown < 150:
        raise RuntimeError(f"the page answered {status} with {shown} comments")
    print(f"# {prefix}page: {len(body) // 1024} KB, {shown} comments shown of {built.comments}", flush=True)
    status, body = get(port, fragment, HX)
    shown = body.count(b'<article class="comment ')
    if status != 200 or shown != 40 or b"<html" in body:
        raise RuntimeError(f"the fragment answered {status} with {shown} comments (expected 40, no <html>)")
    print(f"# {prefix}fragment ({built.fragment_label}): {len(body) // 1024} KB, {shown} comments", flush=True)


def run_set(url: str, label: str, args: argparse.Namespace) -> bool:
    prefix = f"db={label} " if label != "sqlite" else ""
    began = time.monotonic()
    built = build(url, fresh_schema=label != "sqlite")
    print(f"# {prefix}built {built.comments} comments ({built.replies} replies) in {time.monotonic() - began:.1f} s")
    page = f"/consultations/{built.slug}"
    fragment = f"{page}/paragraphs/{built.fragment_key}"
    env = {"DATABASE_URL": url, "SECRET_KEY": secrets.token_urlsafe(32), "ENVIRONMENT": "production"}
    env["BENCH_THREADPOOL_SIZE"] = str(args.threadpool_size)  # read by bench/threadpool_app.py only
    cases = [Case("bare", "bench.bare_app:app", "/", {}), Case("page", "consult.app:app", page, {})]
    cases.append(Case("fragment", "consult.app:app", fragment, HX))
    if args.signed_in:
        cases.append(Case("page_member", "consult.app:app", page, {}, member=True))
        cases.append(Case("fragment_member", "consult.app:app", fragment, HX, member=True))
    if args.threadpool:
        cases.append(Case("page_threadpool", "bench.threadpool_app:app", page, {}))
        cases.append(Case("fragment_threadpool", "bench.threadpool_app:app", fragment, HX))
    bare_rps = None
    ok = True
    service: list[tuple[str, float]] = []
    for module in dict.fromkeys(c.module for c in cases):  # one server at a time: they share two cores
        mine = [c for c in cases if c.module == module]
        with serve(module, env, mine[0].path, args.workers, args.stock_uvicorn) as port:
            if module != "bench.bare_app:app":
                check_responses(port, built, page, fragment, prefix)
            if any(c.member for c in mine):
                cookie = {"Cookie": login(port)}
                mine = [replace(c, headers={**c.headers, **cookie}) if c.member else c for c in mine]
            alone = {}  # one request at a time first, on an idle server
            for case in mine:
                alone[case.name] = service_ms(port, case.path, case.headers, max(args.requests, 20))
                if args.requests:
                    service.append((case.name, alone[case.name]))
            for case in mine:
                wrk(port, case.path, args.warmup, args.connections, args.threads, case.headers)  # warm both workers
                drain(port, case, alone[case.name])
                load = wrk(port, case.path, args.seconds, args.connections, args.threads, case.headers)
                drain(port, case, alone[case.name])
                if case.name == "bare":
                    bare_rps = load.rps
                ratio = load.rps / bare_rps if bare_rps else float("nan")
                print(
                    f"{prefix}case={case.name} rps={load.rps:.1f} p50_ms={load.p50_ms:.2f} "
                    f"p99_ms={load.p99_ms:.2f} ratio={ratio:.4f}",
                    flush=True,
                )
                if load.bad:
                    print(f"# {prefix}case={case.name}: {load.bad} of {load.requests} requests failed", flush=True)
                    ok = False
    for name, ms in service:
        print(f"{prefix}case={name} service_ms={ms:.2f}", flush=True)
    print(f"# {prefix}load average after the set: {' '.join(f'{x:.2f}' for x in os.getloadavg())}", flush=True)
    return ok


def _interrupted(signum, frame) -> None:
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=10.0, help="duration of each wrk run (default 10)")
    parser.add_argument("--connections", type=int, default=32, help="wrk connections (default 32)")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads (default 2)")
    parser.add_argument("--workers", type=int, default=2, help="uvicorn workers (default 2)")
    parser.add_argument("--warmup", type=float, default=2.0, help="seconds of wrk before each measured run")
    parser.add_argument("--requests", type=int, default=200, help="sequential requests for service_ms (0: skip)")
    parser.add_argument(
        "--threadpool", action="store_true", help="also page_threadpool/fragment_threadpool (handlers in threads)"
    )
    parser.add_argument(
        "--stock-uvicorn",
        action="store_true",
        help="serve with `python -m uvicorn` as is (its --workers path loses TCP_NODELAY: ~40 ms a request)",
    )
    parser.add_argument(
        "--threadpool-size", type=int, default=40, help="threads per worker for the *_threadpool cases (default 40)"
    )
    parser.add_argument(
        "--signed-in", action="store_true", help="also page_member/fragment_member (signed in as an NGO's member)"
    )
    parser.add_argument("--sqlite-only", action="store_true", help="ignore CONSULT_TEST_DATABASE_URL")
    parser.add_argument("--keep", action="store_true", help="keep the SQLite file and print its path")
    args = parser.parse_args(argv)
    signal.signal(signal.SIGINT, signal.default_int_handler)  # Ctrl-C stops the servers, even when started with & ...
    signal.signal(signal.SIGTERM, _interrupted)  # ... and so does kill
    if shutil.which("wrk") is None:
        print("wrk is missing: install Debian's package (apt-get install -y wrk), then run again.", file=sys.stderr)
        return 2
    args.seconds = max(args.seconds, 1.0)
    args.warmup = max(args.warmup, 1.0)
    if args.connections < 1 or args.threads < 1 or args.threads > args.connections or args.workers < 1:
        parser.error("need connections >= threads >= 1 and workers >= 1")

    directory = Path(tempfile.mkdtemp(prefix="consult-bench-"))
    ok = True
    try:
        print(
            f"# {os.cpu_count()} CPUs; wrk -t{args.threads} -c{args.connections} -d{args.seconds:.0f}s; "
            f"uvicorn --workers {args.workers}{' (stock)' if args.stock_uvicorn else ''}; "
            f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}",
            flush=True,
        )
        ok &= run_set(f"sqlite:///{directory / 'bench.db'}", "sqlite", args)
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
            print(f"# kept {directory / 'bench.db'}")
        else:
            shutil.rmtree(directory, ignore_errors=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
