"""Hostile input into every form field, path parameter and query parameter of every route: never a 500, and nothing
written when the input is refused.

The routes come from the router and the field names from every input model of the application, so a new route or
a new field is fuzzed without being named here.
"""

from __future__ import annotations

import importlib
import io
import pkgutil
import zipfile
from contextlib import ExitStack
from urllib.parse import quote

import pytest
from pydantic import BaseModel
from sqlmodel import func, select

import consult
from consult.models import LedgerEvent
from tests.conftest import Client
from tests.world import build_world, every_route, path_of

HUGE = str(2**64)
INVALID_UTF8 = "%FF%FE%C0%AF"  # sent as these bytes, not as text
FORM = {"content-type": "application/x-www-form-urlencoded"}
HOSTILE_FIELDS = [
    "9" * 40,  # beyond any integer column
    HUGE,
    "-" + HUGE,
    "1e309",
    "0001-01-01",  # a date out of range, and as a local time
    "9999-12-31T23:59",
    "0000-00-00",
    "line\nbreak\r\nBcc: victim@example.com",  # control characters: header injection
    "nul\x00byte",
    "\x1b[31m\u202eevil\u200b",
    INVALID_UTF8,
    "Zażółć gęślą jaźń " * 2000,  # longer than any field
    "",
]
HOSTILE_PATHS = ["9" * 19, HUGE, "99999999999999999", "0", "%00", "%FF%FE", "a" * 3000, "..%2F..%2Fetc", "%E2%80%AE"]
QUERY_NAMES = ("page", "q", "sort", "status", "municipality", "kind", "field", "area", "verified", "from", "to", "next")
HOSTILE_QUERIES = [HUGE, "9" * 40, "-1", "%00", "%FF", "0001-01-01", "\u202e" * 500]
EXTRA_FIELDS = ("decision", "action", "role", "choice", "refs", "answer_id", "channel", "received_at", "position")
# the yearly report's form: a field per priority task and per indicator, parsed without an input model
EXTRA_FIELDS += ("year", "competitions", "offers", "contracts", "small_grants", "small_grants_amount", "task_amount_0",
                 "indicator_value_0", "priority_tasks", "indicators", "conclusions")  # fmt: skip


def field_names() -> set[str]:
    """Every field of every input model in the application's feature packages."""
    names = set(EXTRA_FIELDS)
    for module in pkgutil.walk_packages(consult.__path__, "consult."):
        if module.name.endswith((".actions", ".votes", ".versions", ".invitations", ".contributions", ".bookings")):
            for value in vars(importlib.import_module(module.name)).values():
                if isinstance(value, type) and issubclass(value, BaseModel) and value.__module__.startswith("consult"):
                    names.update(value.model_fields)
    return names


def ledger_size(db) -> int:
    db.rollback()
    return db.exec(select(func.count()).select_from(LedgerEvent)).one()


class Fuzzer:
    def __init__(self, db) -> None:
        self.db = db
        self.requests = 0
        self.failures: list[str] = []

    def send(self, client: Client, method: str, url: str, what: str, **kwargs) -> None:
        before = ledger_size(self.db)
        response = client.request(method, url, follow_redirects=False, **kwargs)
        self.requests += 1
        if response.status_code >= 500:
            self.failures.append(f"{response.status_code} {method} {url[:120]} ({what})")
        elif response.status_code >= 400 and ledger_size(self.db) != before:
            self.failures.append(f"refused with {response.status_code} but written: {method} {url[:120]} ({what})")


def docx_bomb() -> bytes:
    """A .docx that is 50 kB packed and 50 MB unpacked."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", b"<w:document>" + b"a" * 50_000_000 + b"</w:document>")
    return out.getvalue()


@pytest.mark.timeout(1200)  # walks every route: grows with the application, slow on a loaded machine
def test_no_hostile_input_gives_a_500_or_a_write_it_refuses(app, db, settings, mailbox):
    world = build_world(db, settings)
    fuzzer = Fuzzer(db)
    routes = [r for r in every_route(app.routes) if r.name not in ("static", "accounts:logout")]
    names = sorted(field_names())
    bomb = docx_bomb()
    with ExitStack() as stack:
        clients = {}
        for role in ("visitor", "ngo_admin", "official"):
            client = stack.enter_context(Client(app, base_url="http://testserver", raise_server_exceptions=False))
            if role != "visitor":
                client.login(world.users[role].email)
            clients[role] = client
        tokens = {role: client.csrf_token() for role, client in clients.items()}

        for route in routes:  # every form field of every form route, as the two roles that get furthest
            if "POST" not in (route.methods or ()):
                continue
            url = path_of(world, route)
            for role in ("ngo_admin", "official"):
                for value in HOSTILE_FIELDS:
                    encoded = value if value == INVALID_UTF8 else quote(value)
                    body = "&".join([f"csrf_token={tokens[role]}", *(f"{n}={encoded}" for n in names)])
                    what = f"{role} fields={value[:20]!r}"
                    fuzzer.send(clients[role], "POST", url, what, content=body.encode(), headers=FORM)
                files = {"docx": ("bomb.docx", bomb), "file": ("bomb.docx", bomb)}
                fuzzer.send(
                    clients[role], "POST", url, f"{role} zip bomb", data={"csrf_token": tokens[role]}, files=files
                )

        for route in routes:  # every path parameter, with the route's own methods
            for name in route.param_convertors:
                for value in HOSTILE_PATHS:
                    url = path_of(world, route, **{name: "\x00"}).replace("\x00", value)
                    for method in sorted((route.methods or set()) - {"HEAD"}) + ["HEAD"]:
                        data = {"csrf_token": tokens["ngo_admin"]} if method == "POST" else None
                        fuzzer.send(clients["ngo_admin"], method, url, f"{name}={value[:20]}", data=data)

        for route in routes:  # every query parameter a list or page reads, for readers with and without an account
            if "GET" not in (route.methods or ()):
                continue
            url = path_of(world, route)
            for value in HOSTILE_QUERIES:
                query = "&".join(f"{n}={value if value.startswith('%') else quote(value)}" for n in QUERY_NAMES)
                for role in ("visitor", "official"):
                    fuzzer.send(clients[role], "GET", f"{url}?{query}", f"{role} query={value[:20]}")

    print(f"fuzz: {fuzzer.requests} requests")
    assert fuzzer.failures == []
    assert fuzzer.requests > 1500
