"""Accounts: register and confirm by e-mail, log in (throttled), sessions, a forgotten password, translated forms."""

from __future__ import annotations

import base64
import json
import time
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest
from itsdangerous import TimestampSigner, URLSafeTimedSerializer
from sqlmodel import Session, select

from consult import i18n, ledger
from consult.accounts import actions
from consult.models import AuthSession, LedgerEvent, User
from tests.factories import PASSWORD, make_user

NEW_PASSWORD = "a-new-and-longer-secret"


class Elements(HTMLParser):
    """The elements of a page by id: their attributes and their text."""

    VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}

    def __init__(self, html: str) -> None:
        super().__init__()
        self.by_id: dict[str, dict] = {}
        self.links: list[str] = []  # of the error summary
        self.signed_in: str | None = None
        self._open: list[dict] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        element = {"tag": tag, **{k: v or "" for k, v in attrs}, "text": ""}
        if "id" in element:
            self.by_id[element["id"]] = element
        if tag == "a" and any(e.get("class") == "error-summary" for e in self._open):
            self.links.append(element.get("href", ""))
        if tag not in self.VOID:
            self._open.append(element)

    def handle_endtag(self, tag):
        while self._open:
            element = self._open.pop()
            if element.get("class") == "signed-in":
                self.signed_in = element["text"].strip()
            if element["tag"] == tag:
                break

    def handle_data(self, data):
        for element in self._open:
            element["text"] += data

    def text(self, element_id: str) -> str:
        assert element_id in self.by_id, f"no #{element_id} on the page"
        return " ".join(self.by_id[element_id]["text"].split())

    def value(self, element_id: str) -> str | None:
        return self.by_id[element_id].get("value")


def page(response) -> Elements:
    return Elements(response.text)


def english(client) -> None:
    client.cookies.set("consult_lang", "en")


def translated(message: str, locale: str = "pl", **variables) -> str:
    token = i18n.current_locale.set(locale)
    try:
        return i18n.gettext(message, **variables)
    finally:
        i18n.current_locale.reset(token)


def registration(email: str = "ewa.nowak@example.pl", **overrides) -> dict:
    return {"email": email, "display_name": "Ewa Nowak", "password": PASSWORD, "password_confirm": PASSWORD} | overrides


def old_token(secret: str, purpose: str, payload: dict, age_seconds: int) -> str:
    """A signed link made `age_seconds` ago, as the application would have made it then."""

    class Then(TimestampSigner):
        def get_timestamp(self) -> int:
            return int(time.time()) - age_seconds

    return URLSafeTimedSerializer(secret, salt=f"consult.{purpose}", signer=Then).dumps(payload)


def forged(token: str) -> str:
    """The same link with one character of its signature changed."""
    head, _, signature = token.rpartition(".")
    return f"{head}.{'B' if signature[0] == 'A' else 'A'}{signature[1:]}"


def session_data(client) -> dict:
    """What the signed session cookie holds (signed, not encrypted: the browser can read it, never forge it)."""
    payload = client.cookies["consult_session"].split(".")[0]
    return json.loads(base64.b64decode(payload + "=" * (-len(payload) % 4)))


def signed_in_name(client) -> str | None:
    """The name the header shows when signed in, None when signed out."""
    return page(client.get("/accessibility")).signed_in


# --- registration and confirmation ---------------------------------------------------------


def test_register_confirm_by_mail_then_log_in(client, mailbox, db):
    english(client)
    response = client.submit("/register", registration())
    assert response.status_code == 200
    assert response.template.name == "accounts/check_inbox.html"
    assert "ewa.nowak@example.pl" in response.text

    message = mailbox.last_to("ewa.nowak@example.pl")
    assert message["Subject"] == "Confirm your e-mail address"
    link = mailbox.link_in(message)
    assert link.startswith("http://testserver/confirm/")

    confirmed = client.get(link)
    assert confirmed.template.name == "accounts/login.html"
    assert "Your e-mail address is confirmed" in confirmed.text
    assert db.exec(select(User).where(User.email == "ewa.nowak@example.pl")).one().confirmed_at is not None

    client.login("ewa.nowak@example.pl")
    assert signed_in_name(client) == "Ewa Nowak"


def test_log_in_before_confirming_is_refused_and_keeps_the_email(client, mailbox):
    english(client)
    client.submit("/register", registration())
    response = client.submit("/login", {"email": "ewa.nowak@example.pl", "password": PASSWORD})
    assert response.status_code == 403
    assert response.template.name == "accounts/login.html"
    form = page(response)
    assert "Confirm your e-mail address first" in form.text("field-email-error")
    assert form.value("field-email") == "ewa.nowak@example.pl"
    assert form.value("field-password") is None
    assert signed_in_name(client) is None


def test_register_with_a_taken_email_looks_the_same_and_only_its_owner_is_told(client, mailbox, db):
    make_user(db, email="ewa.nowak@example.pl")
    english(client)
    fresh = client.submit("/register", registration("jan.kowal@example.pl"))
    taken = client.submit("/register", registration("Ewa.Nowak@Example.PL"))
    assert taken.status_code == fresh.status_code == 200
    assert taken.template.name == fresh.template.name == "accounts/check_inbox.html"
    assert taken.text.replace("ewa.nowak@example.pl", "X") == fresh.text.replace("jan.kowal@example.pl", "X")
    assert PASSWORD not in taken.text
    told = mailbox.last_to("ewa.nowak@example.pl")
    assert told["Subject"] == "You already have an account"
    assert "http://testserver/login" in told.get_content() and "/password/forgot" in told.get_content()
    assert len(db.exec(select(User)).all()) == 2


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"password": "short1", "password_confirm": "short1"}, "password", "Use at least 10 characters"),
        ({"password": "password123", "password_confirm": "password123"}, "password", "too easy to guess"),
        ({"password_confirm": "something-else-entirely"}, "password_confirm", "The passwords do not match."),
        ({"email": "ewa.nowak(at)example"}, "email", "Enter a valid e-mail address"),
    ],
    ids=["too-short", "common", "not-matching", "invalid-email"],
)
def test_register_with_bad_input_is_refused_beside_the_field(client, mailbox, db, overrides, field, message):
    english(client)
    response = client.submit("/register", registration(**overrides))
    assert response.status_code == 422
    assert response.template.name == "accounts/register.html"
    form = page(response)
    assert message in form.text(f"field-{field}-error")
    assert f"#field-{field}" in form.links
    assert form.by_id[f"field-{field}"].get("aria-invalid") == "true"
    assert form.value("field-display_name") == "Ewa Nowak"
    assert form.value("field-password") is None
    assert db.exec(select(User)).all() == []
    assert mailbox.messages == []


# --- logging in, throttled -------------------------------------------------------------------


def test_log_in_with_a_wrong_password_is_refused(client, db):
    make_user(db, email="ewa.nowak@example.pl")
    english(client)
    response = client.submit("/login", {"email": "ewa.nowak@example.pl", "password": "not-the-password"})
    assert response.status_code == 400
    form = page(response)
    assert form.text("field-password-error").endswith("The e-mail address or password is not correct.")
    assert "#field-password" in form.links
    assert form.value("field-email") == "ewa.nowak@example.pl"
    assert signed_in_name(client) is None


def test_log_in_after_too_many_failures_from_one_address_waits_there(client, app, db):
    make_user(db, email="ewa.nowak@example.pl")
    english(client)
    failures = app.state.settings.login_max_failures
    assert failures == 5
    for _ in range(failures):
        wrong = client.submit("/login", {"email": "Ewa.Nowak@example.pl", "password": "not-the-password"})
        assert wrong.status_code == 400
    response = client.submit("/login", {"email": "ewa.nowak@example.pl", "password": PASSWORD})
    assert response.status_code == 429
    assert "Too many failed attempts. Try again in 2 s." in response.text
    assert page(response).value("field-email") == "ewa.nowak@example.pl"
    assert signed_in_name(client) is None


def test_log_in_success_clears_the_failure_count(client, app, db):
    make_user(db, email="ewa.nowak@example.pl")
    wrong = {"email": "ewa.nowak@example.pl", "password": "not-the-password"}
    almost = app.state.settings.login_max_failures - 1
    for _ in range(almost):
        assert client.submit("/login", wrong).status_code == 400
    client.login("ewa.nowak@example.pl")
    client.submit("/logout")
    for _ in range(almost):
        assert client.submit("/login", wrong).status_code == 400
    client.login("ewa.nowak@example.pl")  # 8 failures in all, but never 5 in a row


# --- the session -----------------------------------------------------------------------------


def session_cookie(response) -> str:
    cookies = [c for c in response.headers.get_list("set-cookie") if c.startswith("consult_session=")]
    assert cookies, "no session cookie set"
    return cookies[0].lower()


def test_session_cookie_is_httponly_and_samesite_lax(client):
    cookie = session_cookie(client.get("/accessibility"))
    assert "; httponly" in cookie
    assert "; samesite=lax" in cookie
    assert "; secure" not in cookie  # BASE_URL is http in tests: a Secure cookie would never come back


def test_session_cookie_is_secure_when_the_site_is_https(database_url):
    from starlette.testclient import TestClient

    from consult.app import create_app
    from consult.settings import Settings

    settings = Settings(
        environment="test",
        database_url=database_url,
        secret_key="test-secret-key",
        base_url="https://consult.example.pl",
    )
    app = create_app(settings)
    try:
        with TestClient(app, base_url="https://consult.example.pl") as https_client:
            cookie = session_cookie(https_client.get("/accessibility"))
    finally:
        app.state.engine.dispose()
    assert "; secure" in cookie and "; httponly" in cookie and "; samesite=lax" in cookie


def server_sessions(db, user: User) -> list[str]:
    db.commit()  # end the previous read: see what the application has written since
    return db.exec(select(AuthSession.id).where(AuthSession.user_id == user.id)).all()


def test_log_in_starts_a_new_server_session_and_csrf_token(client, db):
    user = make_user(db, email="ewa.nowak@example.pl")
    token_before = client.csrf_token()
    assert "sid" not in session_data(client)

    client.login("ewa.nowak@example.pl")
    first = session_data(client)["sid"]
    assert server_sessions(db, user) == [first]
    assert client.csrf_token() != token_before

    token_between = client.csrf_token()
    client.login("ewa.nowak@example.pl")
    second = session_data(client)["sid"]
    assert second != first
    assert client.csrf_token() != token_between
    # Logging in again replaces the session: the old id no longer opens anything.
    assert server_sessions(db, user) == [second]


def test_log_out_ends_the_server_session(client, other_client, db):
    user = make_user(db, email="ewa.nowak@example.pl", display_name="Ewa Nowak")
    client.login("ewa.nowak@example.pl")
    stolen = client.cookies["consult_session"]
    other_client.cookies.set("consult_session", stolen)
    assert signed_in_name(other_client) == "Ewa Nowak"

    response = client.submit("/logout")
    assert response.template.name == "pages/home.html"
    assert signed_in_name(client) is None
    assert server_sessions(db, user) == []

    other_client.cookies.set("consult_session", stolen)
    assert signed_in_name(other_client) is None
    refused = other_client.get("/my/organisations", follow_redirects=False)
    assert refused.status_code == 303
    assert urlsplit(refused.headers["location"]).path == "/login"


# --- a forgotten password --------------------------------------------------------------------


def ask_for_reset(client, mailbox, email: str = "ewa.nowak@example.pl") -> str:
    response = client.submit("/password/forgot", {"email": email})
    assert response.template.name == "accounts/check_inbox.html"
    return mailbox.link_in(mailbox.last_to(email))


def test_reset_password_by_mail_link(client, mailbox, db):
    make_user(db, email="ewa.nowak@example.pl")
    english(client)
    link = ask_for_reset(client, mailbox)
    assert mailbox.last_to("ewa.nowak@example.pl")["Subject"] == "Set a new password"
    assert link.startswith("http://testserver/password/reset/")

    form = client.get(link)
    assert form.status_code == 200 and form.template.name == "accounts/reset.html"
    done = client.submit(link, {"password": NEW_PASSWORD, "password_confirm": NEW_PASSWORD})
    assert done.template.name == "accounts/login.html"
    assert "Your new password is set" in done.text

    old = client.submit("/login", {"email": "ewa.nowak@example.pl", "password": PASSWORD})
    assert old.status_code == 400
    client.login("ewa.nowak@example.pl", NEW_PASSWORD)


def test_reset_link_works_only_once(client, mailbox, db):
    make_user(db, email="ewa.nowak@example.pl")
    english(client)
    link = ask_for_reset(client, mailbox)
    client.submit(link, {"password": NEW_PASSWORD, "password_confirm": NEW_PASSWORD})

    again = client.get(link)
    assert again.status_code == 400
    assert again.template.name == "accounts/link_problem.html"
    assert "already been used" in again.text
    reused = client.submit(link, {"password": "yet-another-secret-1", "password_confirm": "yet-another-secret-1"})
    assert reused.status_code == 400
    client.login("ewa.nowak@example.pl", NEW_PASSWORD)


def test_reset_with_mismatched_passwords_is_refused_and_the_link_still_works(client, mailbox, db):
    make_user(db, email="ewa.nowak@example.pl")
    english(client)
    link = ask_for_reset(client, mailbox)
    response = client.submit(link, {"password": NEW_PASSWORD, "password_confirm": "something-else-entirely"})
    assert response.status_code == 422
    assert "The passwords do not match." in page(response).text("field-password_confirm-error")
    client.login("ewa.nowak@example.pl", PASSWORD)
    assert client.get(link).status_code == 200


def test_reset_link_past_its_time_is_refused_as_expired(client, app, db):
    user = make_user(db, email="ewa.nowak@example.pl")
    english(client)
    age = int(actions.RESET_MAX_AGE.total_seconds()) + 60
    with Session(app.state.engine) as session:
        token = actions.make_reset_token(session, app.state.settings.secret_key, user)
        session.commit()
    payload = URLSafeTimedSerializer(app.state.settings.secret_key, salt="consult.reset").loads(token)
    token = old_token(app.state.settings.secret_key, "reset", payload, age)
    for response in (
        client.get(f"/password/reset/{token}"),
        client.submit(f"/password/reset/{token}", {"password": NEW_PASSWORD, "password_confirm": NEW_PASSWORD}),
    ):
        assert response.status_code == 400
        assert response.template.name == "accounts/link_problem.html"
        assert "This link has expired." in response.text
    client.login("ewa.nowak@example.pl", PASSWORD)


def test_reset_link_changed_by_one_character_is_refused(client, app, db):
    user = make_user(db, email="ewa.nowak@example.pl")
    english(client)
    token = actions.make_reset_token(db, app.state.settings.secret_key, user)
    db.commit()
    assert client.get(f"/password/reset/{token}").status_code == 200
    response = client.get(f"/password/reset/{forged(token)}")
    assert response.status_code == 400
    assert response.template.name == "accounts/link_problem.html"
    assert "This link is not valid." in response.text


def test_forgot_password_for_an_unknown_address_looks_the_same_and_sends_nothing(client, mailbox, db):
    make_user(db, email="ewa.nowak@example.pl")
    known = client.submit("/password/forgot", {"email": "ewa.nowak@example.pl"})
    unknown = client.submit("/password/forgot", {"email": "nobody@example.pl"})
    assert unknown.status_code == known.status_code == 200
    assert unknown.template.name == known.template.name == "accounts/check_inbox.html"
    assert unknown.context["reset"] is True
    assert unknown.text.replace("nobody@example.pl", "X") == known.text.replace("ewa.nowak@example.pl", "X")
    assert [m["To"] for m in mailbox.messages] == ["ewa.nowak@example.pl"]


def test_reset_logs_out_every_other_session(client, other_client, mailbox, db):
    user = make_user(db, email="ewa.nowak@example.pl", display_name="Ewa Nowak")
    other_client.login("ewa.nowak@example.pl")
    assert signed_in_name(other_client) == "Ewa Nowak"

    link = ask_for_reset(client, mailbox)
    client.submit(link, {"password": NEW_PASSWORD, "password_confirm": NEW_PASSWORD})
    assert signed_in_name(other_client) is None
    assert server_sessions(db, user) == []


# --- confirmation links that do not work -----------------------------------------------------


@pytest.mark.parametrize(("problem", "message"), [("expired", "This link has expired."), ("forged", "not valid")])
def test_confirm_link_expired_or_forged_is_refused(client, app, db, problem, message):
    user = make_user(db, email="ewa.nowak@example.pl", confirmed=False)
    english(client)
    secret = app.state.settings.secret_key
    if problem == "expired":
        age = int(actions.CONFIRM_MAX_AGE.total_seconds()) + 60
        token = old_token(secret, "confirm", {"uid": user.id, "email": user.email}, age)
    else:
        token = forged(actions.make_confirm_token(secret, user))
    response = client.get(f"/confirm/{token}")
    assert response.status_code == 400
    assert response.template.name == "accounts/link_problem.html"
    assert message in response.text
    db.refresh(user)
    assert user.confirmed_at is None


# --- the ledger ------------------------------------------------------------------------------


def test_registration_and_confirmation_enter_the_ledger_without_the_email(client, mailbox, db):
    client.submit("/register", registration())
    client.get(mailbox.link_in(mailbox.last_to("ewa.nowak@example.pl")))
    user = db.exec(select(User).where(User.email == "ewa.nowak@example.pl")).one()
    events = db.exec(select(LedgerEvent).where(LedgerEvent.subject_id == str(user.id))).all()
    assert [e.action for e in events] == ["user.registered", "user.confirmed"]
    assert all(e.actor_id == user.id and e.subject_kind == "user" for e in events)
    registered = json.loads(events[0].payload)
    assert registered["email"] == ledger.commitment(user.personal_salt, user.email)
    for event in events:
        assert "ewa.nowak" not in event.payload and "Ewa Nowak" not in event.payload
    assert ledger.verify(db) is None


# --- in the reader's language ----------------------------------------------------------------

MISMATCH = "The passwords do not match."


def test_refused_registration_comes_back_in_english(client, db):
    english(client)
    response = client.submit("/register", registration(password_confirm="something-else-entirely"))
    assert response.status_code == 422
    assert page(response).text("field-password_confirm-error").endswith(MISMATCH)
    assert '<html lang="en">' in response.text


def test_refused_registration_comes_back_in_polish_by_default(client, db):
    polish = translated(MISMATCH, "pl")
    assert polish != MISMATCH, "the Polish catalogue has no translation of this message yet"
    response = client.submit("/register", registration(password_confirm="something-else-entirely"))
    assert response.status_code == 422
    message = page(response).text("field-password_confirm-error")
    assert message.endswith(polish)
    assert MISMATCH not in response.text
    assert '<html lang="pl">' in response.text
