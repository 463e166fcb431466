"""Structured logs: an access line per request and every error, each with the request id the response carries."""

from __future__ import annotations

import json
import logging

import pytest
from starlette.routing import Route

from consult.app import create_app
from consult.logs import JsonFormatter
from tests.conftest import Client
from tests.factories import make_user


def lines(caplog, logger: str) -> list[dict]:
    formatter = JsonFormatter()
    return [json.loads(formatter.format(r)) for r in caplog.records if r.name == logger]


async def boom(request):
    raise RuntimeError("the disk is on fire")


def test_a_server_error_is_logged_with_its_traceback_and_the_request_id_the_reader_sees(app, caplog):
    app.router.routes.append(Route("/boom", boom))
    caplog.set_level(logging.INFO, logger="consult")
    with Client(app, raise_server_exceptions=False) as client:
        response = client.get("/boom")
    assert response.status_code == 500
    rid = response.headers["X-Request-ID"]
    [error] = lines(caplog, "consult.error")
    assert error["request_id"] == rid and error["level"] == "error"
    assert "RuntimeError: the disk is on fire" in error["traceback"]
    [access] = lines(caplog, "consult.access")
    assert access["request_id"] == rid and access["status"] == 500 and access["path"] == "/boom"


def test_the_access_line_names_the_user_by_id_only_and_no_token_or_query(client, db, caplog):
    user = make_user(db, email="ewa.nowak@example.pl", display_name="Ewa Nowak")
    client.login(user.email)
    caplog.set_level(logging.INFO, logger="consult")
    caplog.clear()
    client.get("/consultations?q=ewa.nowak@example.pl")
    client.get("/password/reset/sekretny-token-123")
    found = lines(caplog, "consult.access")
    assert [line["path"] for line in found] == ["/consultations", "/password/reset/{token}"]
    assert all(line["user_id"] == user.id and line["method"] == "GET" for line in found)
    assert all(isinstance(line["duration_ms"], float) and line["request_id"] for line in found)
    text = "\n".join(json.dumps(line) for line in found)
    assert "ewa.nowak" not in text and "Ewa Nowak" not in text and "sekretny" not in text and "?" not in text


@pytest.mark.parametrize(("peer", "believed"), [("127.0.0.1", True), ("203.0.113.9", False)])
def test_an_incoming_request_id_is_believed_from_a_trusted_proxy_only(settings, peer, believed):
    app = create_app(settings.model_copy(update={"trusted_proxies": "127.0.0.1"}))
    with Client(app, client=(peer, 40000)) as client:
        given = client.get("/accessibility", headers={"X-Request-ID": "lb-4f2a9c"}).headers["X-Request-ID"]
        forged = client.get("/accessibility", headers={"X-Request-ID": "a b\nc"}).headers["X-Request-ID"]
    app.state.engine.dispose()
    assert (given == "lb-4f2a9c") is believed
    assert forged != "a b\nc" and len(forged) == 16


def test_every_response_carries_a_new_request_id(client):
    first, second = client.get("/accessibility"), client.get("/accessibility")
    assert first.headers["X-Request-ID"] != second.headers["X-Request-ID"]
