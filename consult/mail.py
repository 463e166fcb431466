"""The outbox table and the SMTP sender: mail is queued in the action's transaction, sent after it.

Several senders may run at once (the web process after a response, one or more `worker` processes): a sender
claims a batch of due messages in the database before it sends them, as the jobs table does (`consult/jobs.py`): a
`SELECT … FOR UPDATE SKIP LOCKED` on PostgreSQL, then an UPDATE guarded by the same condition, which on SQLite (one
writer at a time) is the whole claim. Only the sender holding a message's claim token sends it and records its
outcome, so no message goes twice; a claim older than STALE (its sender died) is free to be claimed again.

No message can stop the others: whatever goes wrong with one (a header it cannot carry, a refusal by the SMTP
server, a bug) is recorded on it with the time of its next attempt, the delay doubling each time, and the sender goes
on to the next. When the SMTP server itself is unreachable the batch stops and the messages not tried are released
as they were. After MAX_ATTEMPTS a message is given up (`failed_at`) and shown to the platform admin at
`/admin/outbox`, with its error and a retry button.

Each message carries a Message-ID made from its outbox id, the same on every attempt, so that a receiver can tell a
copy from a new message in the one case no database can rule out: a sender that dies after the SMTP server took the
message and before the database heard of it.
"""

from __future__ import annotations

import json
import logging
import secrets
import smtplib
import traceback
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import parseaddr
from urllib.parse import unquote, urlsplit

from sqlalchemy import and_, or_, update
from sqlmodel import Session, col, select

from consult.db import writing
from consult.models import OutboxMessage, utcnow
from consult.settings import Settings

log = logging.getLogger("consult.mail")
MAX_ATTEMPTS = 10
BACKOFF = timedelta(seconds=30)  # the second attempt 30 s after the first, then 1, 2, 4 minutes… (about 4 hours)
STALE = timedelta(minutes=15)  # a claim this old belongs to a sender that died; a batch takes seconds
BATCH = 50  # messages claimed at once: one SMTP connection carries them
SUBJECT_LENGTH = 300  # OutboxMessage.subject
RECIPIENT_LENGTH = 254
ERROR_LENGTH = 500  # OutboxMessage.last_error
# Refusals of one message: the connection stays usable and the next message goes on it (smtplib resets).
MESSAGE_REFUSALS = (
    smtplib.SMTPRecipientsRefused,
    smtplib.SMTPSenderRefused,
    smtplib.SMTPDataError,
    smtplib.SMTPNotSupportedError,
)


def header_text(value: str, limit: int = SUBJECT_LENGTH) -> str:
    """One line fit for a header: line breaks and other control characters become spaces, runs of spaces one."""
    return " ".join("".join(ch if ch.isprintable() else " " for ch in value).split())[:limit]


def queue_mail(
    session: Session, recipient: str, subject: str, body: str, headers: dict[str, str] | None = None
) -> OutboxMessage:
    """Queue a message in the caller's transaction; no user text put into the subject can break its header.

    `headers` are extra headers (List-Unsubscribe…), each value made one line like the subject."""
    extra = json.dumps({name: header_text(value, 2000) for name, value in headers.items()}) if headers else ""
    message = OutboxMessage(
        recipient=header_text(recipient, RECIPIENT_LENGTH), subject=header_text(subject), body=body, headers=extra
    )
    session.add(message)
    return message


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def retry_at(item: OutboxMessage) -> datetime:
    """When a message is next tried: at once when new, else the time its last failure set."""
    return _aware(item.next_attempt_at or item.created_at)


def delay_after(attempts: int) -> timedelta:
    """The wait after the n-th failed attempt: 30 s, 1 min, 2 min, 4 min…"""
    return BACKOFF * 2 ** (max(attempts, 1) - 1)


def _due(now: datetime):
    """Waiting, not given up, its time come, and claimed by nobody (or by a sender that died)."""
    return and_(
        col(OutboxMessage.sent_at).is_(None),
        col(OutboxMessage.failed_at).is_(None),
        or_(col(OutboxMessage.next_attempt_at).is_(None), col(OutboxMessage.next_attempt_at) <= now),
        or_(col(OutboxMessage.claimed_at).is_(None), col(OutboxMessage.claimed_at) < now - STALE),
    )


def claim_batch(session: Session, now: datetime | None = None, size: int = BATCH) -> tuple[str, list[OutboxMessage]]:
    """Claim up to `size` due messages for this sender, committed; their token and the messages (new mail first,
    so failing mail cannot starve it). Each claim counts as an attempt, so a message that kills its sender stops."""
    now = now or utcnow()
    session.commit()  # whatever the caller's transaction read: the claim is a transaction of its own
    token = secrets.token_hex(16)
    ids = session.exec(
        select(OutboxMessage.id)
        .where(_due(now))
        .order_by(col(OutboxMessage.attempts), col(OutboxMessage.id))
        .limit(size)
        .with_for_update(skip_locked=True)  # PostgreSQL: rows another sender is claiming are skipped; SQLite ignores it
    ).all()
    if not ids:
        session.commit()
        return token, []
    session.execute(
        update(OutboxMessage)
        .where(col(OutboxMessage.id).in_(ids), _due(now))  # the guard: a row another sender took meanwhile stays his
        .values(claim_token=token, claimed_at=now, attempts=OutboxMessage.attempts + 1)
        .execution_options(synchronize_session=False)
    )
    session.commit()
    claimed = session.exec(
        select(OutboxMessage)
        .where(OutboxMessage.claim_token == token)
        .order_by(col(OutboxMessage.attempts), col(OutboxMessage.id))
        .execution_options(populate_existing=True)
    ).all()
    session.commit()
    return token, list(claimed)


def _record(session: Session, item: OutboxMessage, token: str, **values) -> bool:
    """Write one message's outcome, only while this sender still holds its claim; committed at once."""
    done = session.execute(
        update(OutboxMessage)
        .where(col(OutboxMessage.id) == item.id, OutboxMessage.claim_token == token)
        .values(claim_token="", claimed_at=None, **values)
        .execution_options(synchronize_session=False)
    )
    session.commit()
    return done.rowcount == 1


def _failed(session: Session, item: OutboxMessage, token: str, exc: BaseException, now: datetime) -> None:
    error = "".join(traceback.format_exception_only(exc)).strip()[:ERROR_LENGTH]
    values: dict = {"last_error": error}
    if item.attempts >= MAX_ATTEMPTS:
        values["failed_at"] = now
    else:
        values["next_attempt_at"] = now + delay_after(item.attempts)
    _record(session, item, token, **values)
    log.warning("mail to outbox #%s failed (attempt %s): %s", item.id, item.attempts, error)


def _release(session: Session, items: Sequence[OutboxMessage], token: str) -> None:
    """Give back messages claimed but not tried (the SMTP server went away): as they were, the attempt uncounted."""
    if not items:
        return
    session.execute(
        update(OutboxMessage)
        .where(col(OutboxMessage.id).in_([i.id for i in items]), OutboxMessage.claim_token == token)
        .values(claim_token="", claimed_at=None, attempts=OutboxMessage.attempts - 1)
        .execution_options(synchronize_session=False)
    )
    session.commit()


def message_id(settings: Settings, item: OutboxMessage) -> str:
    """The same on every attempt: the outbox id and the time it was queued, at the sender's domain."""
    domain = parseaddr(settings.mail_from)[1].rpartition("@")[2] or "consult.local"
    return f"<outbox.{item.id}.{int(_aware(item.created_at).timestamp())}@{domain}>"


def build_message(settings: Settings, item: OutboxMessage) -> EmailMessage:
    """The message as sent; raises (ValueError, HeaderParseError…) when a header cannot be built."""
    message = EmailMessage()
    message["From"] = settings.mail_from
    message["To"] = Address(addr_spec=header_text(item.recipient, RECIPIENT_LENGTH))
    message["Subject"] = header_text(item.subject)
    extra = json.loads(item.headers) if item.headers else {}
    for name, value in extra.items():
        message[name] = value
    if "Message-ID" not in message:
        message["Message-ID"] = message_id(settings, item)
    message.set_content(item.body)
    return message


class Connection:
    """One SMTP connection for a batch, opened at its first message; or the console when no SMTP_URL is set."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.smtp: smtplib.SMTP | None = None

    def _open(self) -> smtplib.SMTP:
        url = urlsplit(self.settings.smtp_url)
        use_ssl = url.scheme == "smtps"
        port = url.port or (465 if use_ssl else 25)
        cls = smtplib.SMTP_SSL if use_ssl else smtplib.SMTP
        smtp = cls(url.hostname or "localhost", port, timeout=10)
        try:
            if url.scheme == "smtp+starttls":
                smtp.starttls()
            if url.username:
                smtp.login(unquote(url.username), unquote(url.password or ""))
        except BaseException:
            smtp.close()
            raise
        return smtp

    def send(self, message: EmailMessage, body: str) -> None:
        if not self.settings.smtp_url:
            print(f"\n--- mail to {message['To']}: {message['Subject']}\n{body}\n---", flush=True)
            return
        if self.smtp is None:
            self.smtp = self._open()
        self.smtp.send_message(message)

    def close(self) -> None:
        if self.smtp is not None:
            try:
                self.smtp.quit()
            except (OSError, smtplib.SMTPException):
                self.smtp.close()
            self.smtp = None


def _is_outage(exc: BaseException) -> bool:
    """The server, not the message: unreachable, gone, or closing ("421 service not available")."""
    if isinstance(exc, smtplib.SMTPResponseException) and exc.smtp_code == 421:
        return True
    return isinstance(exc, OSError) and not isinstance(exc, MESSAGE_REFUSALS)


def send_batch(
    session: Session, settings: Settings, token: str, items: list[OutboxMessage], now: datetime
) -> tuple[int, bool]:
    """Send a claimed batch on one connection: how many went, and whether it stopped at an outage (the rest
    released)."""
    sent = 0
    connection = Connection(settings)
    try:
        for position, item in enumerate(items):
            try:
                connection.send(build_message(settings, item), item.body)
            except Exception as exc:  # noqa: BLE001  (one message's failure, whatever it is, must not stop the others)
                _failed(session, item, token, exc, now)
                if _is_outage(exc):
                    _release(session, items[position + 1 :], token)
                    return sent, True
            else:
                sent += _record(session, item, token, sent_at=utcnow(), last_error="")
    finally:
        connection.close()
    return sent, False


def deliver_pending(session: Session, settings: Settings, limit: int = 500, now: datetime | None = None) -> int:
    """Send what waits in the outbox and is due, batch after batch up to `limit`; return how many went.

    A failure is recorded, never raised. Safe to run in several threads and processes at once."""
    token = writing.set(True)  # SQLite: the claim takes the write lock at BEGIN, not halfway through (db.py says why)
    try:
        sent = claimed = 0
        while claimed < limit:
            moment = now or utcnow()
            batch_token, items = claim_batch(session, moment, min(BATCH, limit - claimed))
            if not items:
                break
            claimed += len(items)
            went, outage = send_batch(session, settings, batch_token, items, moment)
            sent += went
            if outage:
                break  # the server is away: the next round (the worker's next tick) tries again
        return sent
    finally:
        writing.reset(token)


# --- the platform admin's view -----------------------------------------------------------------------------------


def retry_message(session: Session, item: OutboxMessage, now: datetime | None = None) -> None:
    """A message given up (or waiting for its next attempt) made due at once; one more attempt if it had them all.
    The caller records it in the ledger and commits."""
    item.failed_at = None
    item.next_attempt_at = now or utcnow()
    item.attempts = min(item.attempts, MAX_ATTEMPTS - 1)
    session.add(item)
