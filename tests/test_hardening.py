"""Classes of exposure closed for every route at once: HEAD never runs a POST handler, pages for one person are never
cached, the development key never signs for others, links and timings tell nothing about accounts."""

from __future__ import annotations

import base64
import json
import re
from pathlib import Path

import pytest
from itsdangerous import URLSafeTimedSerializer
from sqlalchemy import func
from sqlmodel import select
from starlette.routing import Route

from consult.accounts import actions as accounts
from consult.app import create_app
from consult.models import AuthSession, LedgerEvent, LoginAttempt, Membership, OutboxMessage, User
from consult.organisations.actions import InvitationInput, invite_member
from consult.settings import DEVELOPMENT_SECRET, Settings, UnsafeToServe
from tests.factories import PASSWORD, make_organisation, make_user, principal

ROOT = Path(__file__).resolve().parent.parent
WATCHED = (User, AuthSession, LedgerEvent, LoginAttempt, OutboxMessage, Membership)


def routes_accepting(app, method: str) -> list[Route]:
    return [r for r in app.routes if isinstance(r, Route) and r.methods and method in r.methods]


def sample_path(route: Route) -> str:
    """The route's path with every parameter filled in: a number fits every convertor."""
    return re.sub(r"\{[^}]+\}", "1", route.path)


def counts(db) -> dict[str, int]:
    db.rollback()
    return {m.__name__: db.exec(select(func.count()).select_from(m)).one() for m in WATCHED}


def head(client, path: str, data: dict | None = None, **options):
    """HEAD with a form body, as a forged request would send it (no CSRF token: HEAD is never checked for one)."""
    return client.request("HEAD", path, data=data, **options)


def signed_in_name(client) -> bool:
    return 'class="signed-in"' in client.get("/accessibility").text


# --- finding 7: HEAD is GET, never a POST without its CSRF check ---------------------------


def test_head_with_valid_credentials_does_not_log_in(client, db):
    make_user(db, email="ewa.nowak@example.pl")
    response = head(client, "/login", data={"email": "ewa.nowak@example.pl", "password": PASSWORD})
    assert response.status_code == 200 and response.content == b""
    assert not signed_in_name(client)
    assert db.exec(select(AuthSession)).all() == []


def test_head_with_a_registration_creates_no_account(client, db, mailbox):
    form = {"email": "jan@example.pl", "display_name": "Jan", "password": PASSWORD, "password_confirm": PASSWORD}
    assert head(client, "/register", data=form).status_code == 200
    assert db.exec(select(User)).all() == [] and mailbox.messages == []


def test_head_on_a_reset_link_sets_no_password(client, app, db):
    user = make_user(db, email="ewa.nowak@example.pl")
    token = accounts.make_reset_token(db, app.state.settings.secret_key, user)
    db.commit()
    new = "a-new-and-longer-secret"
    assert head(client, f"/password/reset/{token}", data={"password": new, "password_confirm": new}).status_code == 200
    client.login("ewa.nowak@example.pl", PASSWORD)


def test_head_on_an_invitation_does_not_accept_it(client, app, db):
    admin, invited = make_user(db), make_user(db, email="jan@example.pl")
    organisation = make_organisation(db, admin=admin)
    invitation = invite_member(db, principal(db, admin), organisation, InvitationInput(email="jan@example.pl"))
    db.commit()
    token = URLSafeTimedSerializer(app.state.settings.secret_key, salt="consult.invitation").dumps(
        {"inv": invitation.id}
    )
    client.login(invited.email)
    assert head(client, app.url_path_for("organisations:invitation", token=token)).status_code == 200
    db.rollback()
    assert db.exec(select(Membership).where(Membership.user_id == invited.id)).all() == []


def test_head_on_every_route_that_takes_a_post_changes_nothing(client, app, db):
    """Every form route, walked from the router: HEAD answers as GET does, and nothing is written."""
    user = make_user(db, email="ewa.nowak@example.pl")
    client.login(user.email)
    before = counts(db)
    posts = routes_accepting(app, "POST")
    assert len(posts) > 20
    for route in posts:
        path = sample_path(route)
        as_head = head(client, path, data={"email": user.email, "password": PASSWORD}, follow_redirects=False)
        assert as_head.status_code == client.get(path, follow_redirects=False).status_code, route.name
    assert counts(db) == before


# --- finding 11: no page made for one person is kept by a cache ------------------------------


def test_every_page_for_a_signed_in_reader_is_no_store(client, app, db):
    client.login(make_user(db).email)
    gets = routes_accepting(app, "GET")
    assert len(gets) > 30
    for route in gets:
        response = client.get(sample_path(route), follow_redirects=False)
        assert response.headers.get("cache-control") == "no-store", (route.name, response.status_code)


@pytest.mark.parametrize("path", ["/login", "/register", "/password/forgot", "/password/reset/x", "/confirm/x"])
def test_private_pages_are_no_store_for_anyone(client, path):
    assert client.get(path).headers.get("cache-control") == "no-store"


def test_public_pages_and_static_files_stay_cacheable(client, db):
    assert "no-store" not in client.get("/accessibility").headers.get("cache-control", "")
    client.login(make_user(db).email)
    assert "no-store" not in client.get("/static/css/consult.css").headers.get("cache-control", "")


# --- finding 10: the development key never signs for anyone else ------------------------------


@pytest.fixture
def unset_environment(monkeypatch):
    for name in ("ENVIRONMENT", "SECRET_KEY", "BASE_URL"):
        monkeypatch.delenv(name, raising=False)


def test_the_app_refuses_the_development_key_for_a_public_address(unset_environment, database_url):
    with pytest.raises(UnsafeToServe, match="SECRET_KEY"):
        create_app(Settings(database_url=database_url, base_url="https://konsultacje.gmina.pl"))


def test_the_app_runs_with_the_development_key_on_this_machine_only(unset_environment, database_url):
    app = create_app(Settings(database_url=database_url))
    assert app.state.settings.secret_key == DEVELOPMENT_SECRET
    app.state.engine.dispose()


def test_serve_on_every_interface_without_a_secret_exits_saying_why(unset_environment, monkeypatch, capsys):
    import uvicorn

    from consult.cli import main

    monkeypatch.setattr(uvicorn, "run", lambda *a, **k: pytest.fail("started with the development key"))
    with pytest.raises(SystemExit) as refused:
        main(["serve", "--host", "0.0.0.0"])
    assert "SECRET_KEY" in str(refused.value.code) and "0.0.0.0" in str(refused.value.code)


def test_production_refuses_the_development_key_or_a_short_one():
    for weak in (DEVELOPMENT_SECRET, "short-secret"):
        with pytest.raises(ValueError, match="SECRET_KEY"):
            Settings(environment="production", secret_key=weak)


def test_the_procfile_serves_in_production():
    web = next(line for line in (ROOT / "Procfile").read_text().splitlines() if line.startswith("web:"))
    assert "ENVIRONMENT=production" in web


# --- finding 11: links and timings tell nothing about accounts --------------------------------


def test_a_reset_link_carries_neither_the_user_id_nor_the_password_hash(client, mailbox, db):
    user = make_user(db, email="ewa.nowak@example.pl")
    client.submit("/password/forgot", {"email": user.email})
    token = mailbox.link_in(mailbox.last_to(user.email)).rsplit("/", 1)[1]
    encoded = token.split(".")[0]
    payload = json.loads(base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)))
    assert list(payload) == ["t"] and len(payload["t"]) >= 32  # a random id, stored only as its hash
    assert user.password_hash[-16:] not in token
    assert db.exec(select(LoginAttempt).where(LoginAttempt.key.contains(payload["t"]))).all() == []


class CountingHasher:
    """The application's password hasher, counting the verifications it does."""

    def __init__(self, hasher) -> None:
        self.hasher, self.verified = hasher, 0

    def verify(self, hashed: str, password: str) -> bool:
        self.verified += 1
        return self.hasher.verify(hashed, password)

    def __getattr__(self, name):
        return getattr(self.hasher, name)


def test_log_in_with_an_unknown_email_takes_a_password_check_all_the_same(client, db, monkeypatch):
    make_user(db, email="ewa.nowak@example.pl")
    counting = CountingHasher(accounts.hasher)
    monkeypatch.setattr(accounts, "hasher", counting)
    for email in ("ewa.nowak@example.pl", "nobody@example.pl"):
        assert client.submit("/login", {"email": email, "password": "not-the-password"}).status_code == 400
    assert counting.verified == 2
