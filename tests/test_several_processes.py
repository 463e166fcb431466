"""Two web processes over one database, as behind a load balancer: `python -m consult serve` twice, on two ports.

What one process accepts is on the other's next page (each keeps its own page cache), a vote through each is one
organisation's one vote, and a session begun on one is signed in on the other. On PostgreSQL (the deployment of
several processes) and on SQLite (several processes of one machine).
"""

from __future__ import annotations

import os
import re
import secrets
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx2
import pytest
from sqlmodel import select

from consult.logs import JsonFormatter
from consult.models import Vote
from consult.server import NoDelayHTTPProtocol, set_nodelay
from tests.conftest import free_port
from tests.factories import PASSWORD, fresh, make_consultation, make_organisation, make_proposal, make_user

ROOT = Path(__file__).resolve().parents[1]
HOST = "consult.example.pl"  # BASE_URL's host, as the proxy passes it on: both processes keep pages for it
CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


@contextmanager
def web_processes(database_url: str, count: int) -> Iterator[list[str]]:
    """`count` processes of `python -m consult serve`, each on its port; their base URLs."""
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "SECRET_KEY": secrets.token_urlsafe(32),  # one key for all, as every process of a deployment has
        "ENVIRONMENT": "production",
        "BASE_URL": f"http://{HOST}",
    }
    ports = [free_port() for _ in range(count)]
    command = [sys.executable, "-m", "consult", "serve", "--host", "127.0.0.1", "--port"]
    processes = [
        subprocess.Popen([*command, str(port)], cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        for port in ports
    ]
    try:
        urls = [f"http://127.0.0.1:{port}" for port in ports]
        for url, process in zip(urls, processes, strict=True):
            wait_until_serving(url, process)
        yield urls
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def wait_until_serving(url: str, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"the web process exited: {process.stderr.read().decode(errors='replace')[-2000:]}")
        try:
            if httpx2.get(f"{url}/accessibility", headers={"Host": HOST}, timeout=2).status_code == 200:
                return
        except httpx2.TransportError:
            pass
        time.sleep(0.1)
    pytest.fail(f"{url} did not answer within 30 s")


def browser(url: str, cookies: dict[str, str] | None = None) -> httpx2.Client:
    """A client of one process with the site's host; the cookies of a session begun on any of them."""
    return httpx2.Client(base_url=url, headers={"Host": HOST}, cookies=cookies, timeout=30)


def log_in(url: str, email: str) -> dict[str, str]:
    with browser(url) as client:
        token = CSRF_RE.search(client.get("/login").text).group(1)
        response = client.post("/login", data={"csrf_token": token, "email": email, "password": PASSWORD})
        assert response.status_code == 303, response.text[:300]
        return dict(client.cookies)


def submit(client: httpx2.Client, path: str, data: dict[str, str]) -> httpx2.Response:
    token = CSRF_RE.search(client.get("/my/organisations").text).group(1)
    return client.post(path, data={"csrf_token": token, **data})


def test_two_processes_share_what_is_posted_voted_and_signed_in(db, database_url):
    consultation = make_consultation(db)
    proposal = make_proposal(db, consultation)
    ewa = make_user(db, email="ewa@example.pl", display_name="Ewa Nowak")
    ngo = make_organisation(db, admin=ewa, name="Stowarzyszenie Bobry", verified=True)
    page = f"/consultations/{consultation.slug}"
    with web_processes(database_url, 2) as (first, second), browser(second) as resident:
        assert "Prosimy o dłuższy termin" not in resident.get(page).text  # the second process keeps this page

        session = log_in(first, ewa.email)
        with browser(second, session) as on_second:
            assert "Ewa Nowak" in on_second.get("/my/organisations").text  # signed in there too
        with browser(first, session) as on_first:
            posted = submit(
                on_first, f"{page}/comments", {"body": "Prosimy o dłuższy termin.", "organisation_id": str(ngo.id)}
            )
            assert posted.status_code == 303
        assert "Prosimy o dłuższy termin" in resident.get(page).text  # on the other process's next page

        vote = f"{page}/proposals/{proposal.id}/vote"
        for url, choice in ((first, "for"), (second, "against")):
            with browser(url, session) as voter:
                assert submit(voter, vote, {"organisation_id": str(ngo.id), "choice": choice}).status_code == 303
    fresh(db)
    assert [(v.organisation_id, v.choice) for v in db.exec(select(Vote)).all()] == [(ngo.id, "against")]


class Transport:
    """What asyncio hands a protocol: here, only the socket."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock

    def get_extra_info(self, name: str):
        return self.sock if name == "socket" else None


def test_a_connection_on_a_socket_made_with_proto_zero_gets_tcp_nodelay():
    """gunicorn, systemd and uvicorn up to 0.54 (--workers) listen with proto 0; asyncio then leaves Nagle on."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM, 0) as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        with socket.create_connection(listener.getsockname()), listener.accept()[0] as accepted:
            assert accepted.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) == 0
            set_nodelay(Transport(accepted))
            assert accepted.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0


def test_serve_runs_web_concurrency_workers_with_that_protocol_and_json_logs(monkeypatch):
    import uvicorn

    from consult.cli import main

    started = {}
    monkeypatch.setenv("WEB_CONCURRENCY", "3")
    monkeypatch.setattr(uvicorn, "run", lambda app, **options: started.update(options, app=app))
    assert main(["serve"]) == 0
    assert started["app"] == "consult.app:app" and started["workers"] == 3
    assert started["http"] is NoDelayHTTPProtocol and started["access_log"] is False
    assert started["log_config"]["formatters"]["json"]["()"] is JsonFormatter
    assert main(["serve", "--workers", "2"]) == 0 and started["workers"] == 2
