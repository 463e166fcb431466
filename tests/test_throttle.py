"""Throttles an attacker cannot turn against the owner: the log-in pause, the rate limit of every action that sends
mail or creates something, and the client address, believed from X-Forwarded-For only through a trusted proxy."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from sqlmodel import select, update

from consult import throttle
from consult.accounts import actions as accounts
from consult.app import create_app
from consult.forms import DomainError
from consult.models import Consultation, LoginAttempt, Organisation, Proposal, User
from consult.organisations.actions import InvitationInput, invite_member
from consult.proposals.votes import cast_vote
from consult.settings import Settings
from tests.conftest import Client
from tests.factories import (
    PASSWORD,
    make_consultation,
    make_organisation,
    make_proposal,
    make_user,
    principal,
)

ATTACKER = ("203.0.113.66", 40000)
WRONG = {"email": "ewa.nowak@example.pl", "password": "not-the-password"}
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def attacker(app):
    """A browser at another address than the owner's."""
    with Client(app, base_url="http://testserver", client=ATTACKER) as c:
        c.cookies.set("consult_lang", "en")
        yield c


def backdate_failures(db, seconds: int) -> None:
    """As if the failures so far had happened `seconds` earlier."""
    rows = db.exec(select(LoginAttempt)).all()
    for row in rows:
        db.exec(update(LoginAttempt).where(LoginAttempt.id == row.id).values(at=row.at - timedelta(seconds=seconds)))
    db.commit()


# --- finding 6: the log-in throttle ---------------------------------------------------------


def test_an_attacker_elsewhere_cannot_lock_the_owner_out(client, attacker, db):
    make_user(db, email="ewa.nowak@example.pl")
    for _ in range(12):
        assert attacker.submit("/login", WRONG).status_code in (400, 429)
    assert attacker.submit("/login", WRONG).status_code == 429  # the guesser waits…
    client.login("ewa.nowak@example.pl", PASSWORD)  # …the owner, at her own address, does not


def test_the_pause_after_failures_doubles_and_then_lets_one_try_through(attacker, app, db):
    make_user(db, email="ewa.nowak@example.pl")
    free = app.state.settings.login_max_failures
    for _ in range(free):
        assert attacker.submit("/login", WRONG).status_code == 400
    refused = attacker.submit("/login", WRONG)
    assert refused.status_code == 429
    assert "Too many failed attempts. Try again in 2 s." in refused.text
    backdate_failures(db, 3)
    assert attacker.submit("/login", WRONG).status_code == 400  # the pause is over: one more guess
    assert "Try again in 4 s." in attacker.submit("/login", WRONG).text


def test_the_pause_grows_but_never_past_the_window():
    window = timedelta(minutes=15)
    waits = [accounts.login_wait(n, 5, window).total_seconds() for n in range(4, 16)]
    assert waits == [0, 2, 4, 8, 16, 32, 64, 128, 256, 512, 900, 900]


def test_one_address_failing_across_many_accounts_is_stopped(attacker, app, db):
    limit = app.state.settings.login_max_failures * 10
    db.add_all([LoginAttempt(key=f"ip:{ATTACKER[0]}") for _ in range(limit)])
    db.commit()
    response = attacker.submit("/login", {"email": "someone@example.pl", "password": "a-guess-at-random"})
    assert response.status_code == 429
    assert "Too many failed attempts. Try again in 15 min." in response.text


# --- finding 6: the client address ----------------------------------------------------------


@pytest.fixture
def behind_proxy(settings):
    """The application behind a reverse proxy at 10.0.0.5, which it trusts; the test client plays both sides."""
    app = create_app(settings.model_copy(update={"trusted_proxies": "10.0.0.5"}))
    yield app
    app.state.engine.dispose()


def test_a_forged_x_forwarded_for_does_not_change_the_address(attacker, db):
    make_user(db, email="ewa.nowak@example.pl")
    for n in range(8):
        attacker.submit("/login", WRONG, headers={"X-Forwarded-For": f"198.51.100.{n}"})
    response = attacker.submit("/login", WRONG, headers={"X-Forwarded-For": "198.51.100.200"})
    assert response.status_code == 429


def test_behind_a_trusted_proxy_each_reader_is_known_by_the_forwarded_address(behind_proxy, db):
    make_user(db, email="ewa.nowak@example.pl")
    with Client(behind_proxy, base_url="http://testserver", client=("10.0.0.5", 1)) as proxy:
        for _ in range(8):
            proxy.submit("/login", WRONG, headers={"X-Forwarded-For": "198.51.100.7"})
        guesser = proxy.submit("/login", WRONG, headers={"X-Forwarded-For": "198.51.100.7"})
        owner = proxy.submit(
            "/login",
            {"email": "ewa.nowak@example.pl", "password": PASSWORD},
            headers={"X-Forwarded-For": "192.0.2.1"},
            follow_redirects=False,
        )
    assert guesser.status_code == 429
    assert owner.status_code == 303


def test_trusting_every_proxy_is_refused():
    with pytest.raises(ValueError, match="TRUSTED_PROXIES"):
        Settings(environment="test", trusted_proxies="10.0.0.5, *")


def test_the_procfile_believes_only_the_configured_proxies():
    """The web process is `python -m consult serve`, which gives uvicorn TRUSTED_PROXIES (the test below)."""
    web = next(line for line in (ROOT / "Procfile").read_text().splitlines() if line.startswith("web:"))
    assert "'*'" not in web and '"*"' not in web and "forwarded-allow-ips" not in web
    assert "python -m consult serve" in web


def test_serve_gives_uvicorn_the_same_trusted_proxies(monkeypatch):
    import uvicorn

    from consult.cli import main

    started = {}
    monkeypatch.setenv("TRUSTED_PROXIES", "10.0.0.5")
    monkeypatch.setattr(uvicorn, "run", lambda app, **options: started.update(options))
    assert main(["serve"]) == 0
    assert started["forwarded_allow_ips"] == "10.0.0.5"


# --- finding 8: one rate limit for every action that mails or creates -------------------------


@dataclass
class Scene:
    """Ewa, admin of a verified NGO, in an open consultation with a proposal to vote on."""

    ewa: User
    organisation: Organisation
    consultation: Consultation
    proposal: Proposal
    secret: str


@pytest.fixture
def scene(db, app) -> Scene:
    ewa = make_user(db, email="ewa.nowak@example.pl")
    organisation = make_organisation(db, admin=ewa, verified=True, name="Stowarzyszenie Razem")
    consultation = make_consultation(db)
    proposal = make_proposal(db, consultation)
    return Scene(ewa, organisation, consultation, proposal, app.state.settings.secret_key)


def _register(db, s: Scene, n: int) -> None:
    data = accounts.RegisterInput(
        email=f"new{n}@example.pl", display_name="Nowy", password=PASSWORD, password_confirm=PASSWORD
    )
    accounts.sign_up(db, data, ATTACKER[0])


def _reset_mail(db, s: Scene, n: int) -> None:
    accounts.request_password_reset(db, s.secret, s.ewa.email, ATTACKER[0])


def _invite(db, s: Scene, n: int) -> None:
    invite_member(db, principal(db, s.ewa), s.organisation, InvitationInput(email=f"anyone{n}@example.com"))
    db.commit()


def _propose(db, s: Scene, n: int) -> None:
    make_proposal(db, s.consultation, author=s.ewa, organisation=s.organisation)


def _vote(db, s: Scene, n: int) -> None:
    cast_vote(db, principal(db, s.ewa), s.proposal, s.organisation.id, ("for", "against")[n % 2])


def _receipt_mail(db, s: Scene, n: int) -> None:
    from consult.receipts.actions import latest_receipt_seq, queue_receipt_mail

    proposal = make_proposal(db, s.consultation, author=s.ewa, organisation=s.organisation, title=f"Wniosek {n}")
    seq = latest_receipt_seq(db, "proposal", proposal.id)
    queue_receipt_mail(db, s.ewa, seq, f"http://testserver/receipts/{seq}", "Europe/Warsaw")
    db.commit()


def _booking_request(db, s: Scene, n: int) -> None:
    from consult.models import Resource, utcnow
    from consult.resources.bookings import BookingInput, request_booking
    from tests.factories import make_resource

    room = db.exec(select(Resource).where(Resource.name == "Sala do wynajęcia")).first()
    if room is None:
        room = make_resource(db, make_organisation(db, name="Fundacja Most"), name="Sala do wynajęcia")
    starts_at = utcnow() + timedelta(days=3 + n)
    ends_at = starts_at + timedelta(hours=2)
    data = BookingInput(
        organisation_id=s.organisation.id, starts_at=starts_at, ends_at=ends_at, head_count=5, purpose="Zebranie"
    )
    request_booking(db, principal(db, s.ewa), room, data)


DRIVERS = {
    "booking.request": _booking_request,
    "account.register": _register,
    "password.reset_mail": _reset_mail,
    "invitation.send": _invite,
    "proposal.submit": _propose,
    "vote.cast": _vote,
    "receipt.mail": _receipt_mail,
}


def test_every_throttled_action_has_a_test():
    assert set(DRIVERS) == set(throttle.LIMITS)


@pytest.mark.parametrize("action", sorted(throttle.LIMITS))
def test_every_throttled_action_is_refused_past_its_limit(db, scene, monkeypatch, action):
    monkeypatch.setitem(throttle.LIMITS, action, (throttle.Limit(3, timedelta(hours=1)),))
    for n in range(3):
        DRIVERS[action](db, scene, n)
    with pytest.raises(DomainError) as refused:
        DRIVERS[action](db, scene, 3)
    db.rollback()
    assert refused.value.status_code == 429
    assert refused.value.params == {"minutes": 60}


def test_registration_past_its_limit_is_refused_on_the_form_with_what_was_typed(client, monkeypatch):
    monkeypatch.setitem(throttle.LIMITS, "account.register", (throttle.Limit(1, timedelta(hours=1)),))
    client.cookies.set("consult_lang", "en")
    form = {"display_name": "Jan Kowal", "password": PASSWORD, "password_confirm": PASSWORD}
    assert client.submit("/register", {"email": "jan1@example.pl", **form}).status_code == 200
    refused = client.submit("/register", {"email": "jan2@example.pl", **form})
    assert refused.status_code == 429
    assert refused.template.name == "accounts/register.html"
    assert "You have done this too many times in a short while." in refused.text
    assert 'value="jan2@example.pl"' in refused.text


def test_reset_mails_to_one_address_are_limited_whoever_asks(client, attacker, mailbox, db):
    make_user(db, email="ewa.nowak@example.pl")
    limit = throttle.LIMITS["password.reset_mail"][0].count
    for _ in range(limit):
        assert attacker.submit("/password/forgot", {"email": "ewa.nowak@example.pl"}).status_code == 200
    assert attacker.submit("/password/forgot", {"email": "ewa.nowak@example.pl"}).status_code == 429
    assert client.submit("/password/forgot", {"email": "ewa.nowak@example.pl"}).status_code == 429
    assert len([m for m in mailbox.messages if m["To"] == "ewa.nowak@example.pl"]) == limit


MAIL_SENDERS = {  # every module that queues mail, and what bounds it
    "consult/accounts/views.py": "account.register and password.reset_mail",
    "consult/organisations/views.py": "invitation.send",
    "consult/organisations/actions.py": "to the organisation's own admins, after its admin renamed it",
    "consult/opinions/actions.py": "an official, once per consultation, to the council's members",
    "consult/receipts/actions.py": "receipt.mail, only to the author's own confirmed address",
    "consult/meetings/notices.py": "to those registered for a meeting, on its cancellation, change or their promotion",
    "consult/notifications/dispatch.py": "notify(): one mail per person for an event of the modules above (each "
    "bounded as it says), or one weekly digest per person (a unique key per ISO week); each kind can be stopped",
    "consult/resources/bookings.py": "booking.request; a decision or cancellation, once per booking, to the other side",
    "consult/networks/actions.py": "a decision once per application, to the applicant's admins; a new coordinator",
}


def test_every_module_that_sends_mail_is_throttled_or_says_why_not():
    senders = {
        str(path.relative_to(ROOT))
        for path in (ROOT / "consult").rglob("*.py")
        if path.name != "mail.py" and re.search(r"\bqueue_mail\(", path.read_text(encoding="utf-8"))
    }
    assert senders == set(MAIL_SENDERS)
