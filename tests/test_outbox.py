"""Mail that is never lost nor doubled: the outbox against a real SMTP server (aiosmtpd on 127.0.0.1), several
senders at once, an outage in the middle of a batch, the backoff, and the platform admin's page with its retry."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections import Counter
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from aiosmtpd.controller import Controller
from sqlmodel import Session, select

from consult.mail import BACKOFF, MAX_ATTEMPTS, STALE, claim_batch, deliver_pending, queue_mail
from consult.models import OutboxMessage, utcnow
from tests.conftest import Mailbox, free_port
from tests.factories import fresh, ledger_events, make_admin, make_official, make_user, signed_in

ROOT = Path(__file__).resolve().parent.parent


class Counting(Mailbox):
    """Counts what it received by Message-ID; `down` answers 421 (the server shutting down) and receives nothing."""

    def __init__(self, fail_after: int | None = None) -> None:
        super().__init__()
        self.fail_after = fail_after
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            if self.fail_after is not None and len(self.messages) >= self.fail_after:
                return "421 4.3.0 Service shutting down"
        return await super().handle_DATA(server, session, envelope)

    def ids(self) -> Counter:
        return Counter(m["Message-ID"] for m in self.messages)


class Refusing(Mailbox):
    async def handle_DATA(self, server, session, envelope):
        return "554 5.7.1 Message rejected"


@contextmanager
def smtp(handler, port: int | None = None):
    controller = Controller(handler, hostname="127.0.0.1", port=port or free_port())
    controller.start()
    try:
        yield controller
    finally:
        controller.stop()


def through(settings, controller_or_port):
    port = controller_or_port if isinstance(controller_or_port, int) else controller_or_port.port
    return settings.model_copy(update={"smtp_url": f"smtp://127.0.0.1:{port}"})


def queue(db: Session, count: int, prefix: str = "osoba") -> list[int]:
    items = [
        queue_mail(db, f"{prefix}{i}@example.pl", f"Wiadomość {i}", f"Treść wiadomości {i}.") for i in range(count)
    ]
    db.commit()
    return [item.id for item in items]


def outbox(db: Session) -> list[OutboxMessage]:
    fresh(db)
    return list(db.exec(select(OutboxMessage).order_by(OutboxMessage.id)).all())


def assert_each_delivered_once(db: Session, *boxes: Counting, expected: int) -> None:
    received = Counter()
    for box in boxes:
        received.update(box.ids())
    doubled = [mid for mid, n in received.items() if n > 1]
    assert doubled == [], f"delivered twice: {doubled[:5]}"
    rows = outbox(db)
    assert len(received) == expected == len(rows)
    assert all(row.sent_at is not None and row.claim_token == "" for row in rows)


# --- an outage ---------------------------------------------------------------------------------------------------


def test_an_smtp_outage_in_the_middle_of_a_batch_loses_and_doubles_nothing(db, settings):
    queue(db, 30)
    port = free_port()
    first = Counting(fail_after=12)  # the server takes 12 messages, answers the 13th "421" and goes down
    with smtp(first, port):
        assert deliver_pending(db, through(settings, port)) == 12
    rows = outbox(db)
    assert sum(r.sent_at is not None for r in rows) == 12
    [hit] = [r for r in rows if r.last_error]
    assert "421" in hit.last_error and hit.attempts == 1 and hit.sent_at is None
    untried = [r for r in rows if r.sent_at is None and r.id != hit.id]
    assert len(untried) == 17 and all(r.attempts == 0 and r.claim_token == "" for r in untried)

    # Still down (nothing listens): one message learns it, the others wait untouched.
    assert deliver_pending(db, through(settings, port), now=utcnow() + timedelta(seconds=5)) == 0
    assert sum(r.attempts for r in outbox(db) if r.sent_at is None) == 2
    assert any("ConnectionRefusedError" in r.last_error for r in outbox(db))

    second = Counting()  # back, on the same port
    with smtp(second, port):
        later = utcnow() + timedelta(hours=1)
        assert deliver_pending(db, through(settings, port), now=later) == 18
        assert deliver_pending(db, through(settings, port), now=later) == 0
    assert_each_delivered_once(db, first, second, expected=30)


def test_a_message_refused_by_the_server_does_not_stop_the_batch(db, settings):
    class RefusesOne(Counting):
        async def handle_DATA(self, server, session, envelope):
            if "osoba3@example.pl" in envelope.rcpt_tos:
                return "554 5.7.1 Message rejected"
            return await super().handle_DATA(server, session, envelope)

    queue(db, 6)
    box = RefusesOne()
    with smtp(box) as controller:
        assert deliver_pending(db, through(settings, controller)) == 5
    refused = [r for r in outbox(db) if r.sent_at is None]
    assert [r.recipient for r in refused] == ["osoba3@example.pl"] and "554" in refused[0].last_error
    assert len(box.ids()) == 5


# --- several senders at once -------------------------------------------------------------------------------------


def test_four_senders_in_threads_deliver_every_message_exactly_once(app, db, settings):
    queue(db, 300)
    box = Counting()
    errors: list[BaseException] = []
    with smtp(box) as controller:
        strict = through(settings, controller)
        start = threading.Barrier(4)

        def sender() -> None:
            try:
                with Session(app.state.engine, expire_on_commit=False) as session:
                    start.wait()
                    while deliver_pending(session, strict, limit=40):
                        pass
            except BaseException as exc:  # noqa: BLE001  (reported by the test below)
                errors.append(exc)

        threads = [threading.Thread(target=sender) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(120)
    assert errors == []
    assert_each_delivered_once(db, box, expected=300)


@pytest.mark.timeout(300)
def test_two_worker_processes_deliver_every_message_exactly_once(db, settings):
    """Two `python -m consult worker --once` at the same time, on the test's database (SQLite file or PostgreSQL)."""
    queue(db, 400)
    box = Counting()
    with smtp(box) as controller:
        env = {
            **os.environ,
            "DATABASE_URL": settings.database_url,
            "SMTP_URL": f"smtp://127.0.0.1:{controller.port}",
            "ENVIRONMENT": "test",
        }
        workers = [
            subprocess.Popen(
                [sys.executable, "-m", "consult", "worker", "--once"],
                cwd=ROOT,
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
            )
            for _ in range(2)
        ]
        for worker in workers:
            _out, err = worker.communicate(timeout=240)
            assert worker.returncode == 0, err.decode()[-2000:]
    assert_each_delivered_once(db, box, expected=400)


def test_a_claim_left_by_a_sender_that_died_is_taken_again_after_the_timeout(db, settings):
    queue(db, 3)
    now = utcnow()
    _token, claimed = claim_batch(db, now)  # a sender claims, then dies before sending
    assert len(claimed) == 3
    box = Counting()
    with smtp(box) as controller:
        strict = through(settings, controller)
        assert deliver_pending(db, strict, now=now + STALE - timedelta(seconds=1)) == 0
        assert deliver_pending(db, strict, now=now + STALE + timedelta(seconds=1)) == 3
    assert_each_delivered_once(db, box, expected=3)
    assert [r.attempts for r in outbox(db)] == [2, 2, 2]


# --- retries -----------------------------------------------------------------------------------------------------


def test_a_failing_message_is_retried_with_a_doubling_delay_and_given_up_after_the_limit(db, settings):
    [message_id] = queue(db, 1)
    moment = utcnow()
    delays = []
    with smtp(Refusing()) as controller:
        strict = through(settings, controller)
        for attempt in range(1, MAX_ATTEMPTS + 1):
            deliver_pending(db, strict, now=moment)
            row = db.get(OutboxMessage, message_id, populate_existing=True)
            assert row.attempts == attempt and "554" in row.last_error
            if attempt == MAX_ATTEMPTS:
                break
            delays.append(row.next_attempt_at - moment)
            deliver_pending(db, strict, now=row.next_attempt_at - timedelta(seconds=1))  # not yet: no hammering
            assert db.get(OutboxMessage, message_id, populate_existing=True).attempts == attempt
            moment = row.next_attempt_at
        assert delays == [BACKOFF * 2**n for n in range(MAX_ATTEMPTS - 1)]
        assert delays[:3] == [timedelta(seconds=30), timedelta(minutes=1), timedelta(minutes=2)]
        given_up = db.get(OutboxMessage, message_id, populate_existing=True)
        assert given_up.failed_at is not None and given_up.sent_at is None
        deliver_pending(db, strict, now=moment + timedelta(days=30))  # given up: never tried again by itself
        assert db.get(OutboxMessage, message_id, populate_existing=True).attempts == MAX_ATTEMPTS


def test_extra_headers_go_out_with_a_message_id_that_stays_the_same_on_every_attempt(db, settings):
    message = queue_mail(
        db,
        "anna@example.pl",
        "Nowe ogłoszenie",
        "Treść.",
        headers={
            "List-Unsubscribe": "<https://example.pl/u/abc>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
    )
    db.commit()
    with smtp(Refusing()) as controller:
        deliver_pending(db, through(settings, controller))
    box = Counting()
    with smtp(box) as controller:
        deliver_pending(db, through(settings, controller), now=utcnow() + timedelta(minutes=5))
    [received] = box.messages
    assert received["List-Unsubscribe"] == "<https://example.pl/u/abc>"
    assert received["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert received["Message-ID"].startswith(f"<outbox.{message.id}.")


# --- the platform admin's page -----------------------------------------------------------------------------------


def given_up(db: Session, recipient: str = "zly.adres@example.pl") -> OutboxMessage:
    item = queue_mail(db, recipient, "Potwierdzenie rejestracji", "Link.")
    item.attempts = MAX_ATTEMPTS
    item.failed_at = utcnow()
    item.last_error = "smtplib.SMTPRecipientsRefused: {'zly.adres@example.pl': (550, b'5.1.1 No such user')}"
    db.commit()
    return item


def test_the_platform_admin_sees_mail_given_up_with_its_error_and_sends_it_again(client, db, mailbox):
    admin = make_admin(db)
    item = given_up(db)
    signed_in(client, admin)
    page = client.get("/admin/outbox")
    assert page.status_code == 200 and page.template.name == "outbox/index.html"
    assert item in page.context["state"].failed
    assert "zly.adres@example.pl" in page.text and "No such user" in page.text
    assert 'href="http://testserver/admin/outbox"' in page.text  # in the admin's menu

    answer = client.submit(f"/admin/outbox/{item.id}/retry", follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"].endswith("/admin/outbox")
    assert [m["To"] for m in mailbox.messages if m["To"] == "zly.adres@example.pl"] == ["zly.adres@example.pl"]
    fresh(db)
    sent = db.get(OutboxMessage, item.id)
    assert sent.sent_at is not None and sent.failed_at is None
    [event] = ledger_events(db, "outbox.retried")
    assert event.actor_id == admin.id and event.subject_id == str(item.id)
    assert item not in client.get("/admin/outbox").context["state"].failed


def test_retry_all_sends_every_message_given_up_again(client, db, mailbox):
    admin = make_admin(db)
    items = [given_up(db, f"adres{i}@example.pl") for i in range(3)]
    signed_in(client, admin)
    assert client.submit("/admin/outbox/retry-all", follow_redirects=False).status_code == 303
    assert {m["To"] for m in mailbox.messages} >= {i.recipient for i in items}
    assert [e.payload for e in ledger_events(db, "outbox.retried_all")] == ['{"count":3}']


def test_a_message_still_retrying_is_listed_with_its_next_attempt(client, db):
    admin = make_admin(db)
    item = queue_mail(db, "czeka@example.pl", "Przypomnienie", "Treść.")
    item.attempts, item.last_error = 2, "ConnectionRefusedError: [Errno 111] Connection refused"
    item.next_attempt_at = utcnow() + timedelta(minutes=1)
    db.commit()
    page = signed_in(client, admin).get("/admin/outbox")
    assert item in page.context["state"].retrying and "Connection refused" in page.text


@pytest.mark.parametrize("who", ["resident", "official"])
def test_the_outbox_is_refused_to_anyone_but_the_platform_admin(client, db, who):
    item = given_up(db)
    user = make_user(db) if who == "resident" else make_official(db)[0]
    signed_in(client, user)
    assert client.get("/admin/outbox").status_code == 403
    assert client.submit(f"/admin/outbox/{item.id}/retry").status_code == 403
    assert client.submit("/admin/outbox/retry-all").status_code == 403
    assert 'href="http://testserver/admin/outbox"' not in client.get("/").text
    fresh(db)
    assert db.get(OutboxMessage, item.id).failed_at is not None and ledger_events(db, "outbox.retried") == []


def test_a_visitor_is_sent_to_log_in(client, db):
    location = client.get("/admin/outbox", follow_redirects=False).headers["location"]
    assert urlsplit(location).path == "/login"


def test_retrying_a_message_already_sent_is_refused_and_changes_nothing(client, db):
    admin = make_admin(db)
    item = given_up(db)
    item.sent_at, item.failed_at = utcnow(), None
    db.commit()
    signed_in(client, admin)
    assert client.submit(f"/admin/outbox/{item.id}/retry").status_code == 404
    assert client.submit("/admin/outbox/999999/retry").status_code == 404
    assert ledger_events(db, "outbox.retried") == []
