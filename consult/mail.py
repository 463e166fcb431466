"""The outbox table and the SMTP sender: mail is queued in the action's transaction, sent after it.

No message can stop the others: whatever goes wrong with one (a header it cannot carry, a refusal by the SMTP
server, a bug) is recorded on it with the time of its next attempt, and the sender goes on to the next.
"""

from __future__ import annotations

import json
import logging
import smtplib
import traceback
from datetime import UTC, datetime, timedelta
from email.headerregistry import Address
from email.message import EmailMessage
from urllib.parse import unquote, urlsplit

from sqlmodel import Session, col, select

from consult.models import OutboxMessage, utcnow
from consult.settings import Settings

log = logging.getLogger("consult.mail")
MAX_ATTEMPTS = 10
BACKOFF = timedelta(seconds=30)  # the second attempt 30 s after the first, then 1, 2, 4 minutes… (about 8 hours)
SUBJECT_LENGTH = 300  # OutboxMessage.subject
RECIPIENT_LENGTH = 254


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


def retry_at(item: OutboxMessage) -> datetime:
    """When a message is next tried: at once when new, then with a doubling delay counted from its queueing."""
    queued = item.created_at if item.created_at.tzinfo else item.created_at.replace(tzinfo=UTC)
    return queued + BACKOFF * (2**item.attempts - 1)


def build_message(settings: Settings, item: OutboxMessage) -> EmailMessage:
    """The message as sent; raises (ValueError, HeaderParseError…) when a header cannot be built."""
    message = EmailMessage()
    message["From"] = settings.mail_from
    message["To"] = Address(addr_spec=header_text(item.recipient, RECIPIENT_LENGTH))
    message["Subject"] = header_text(item.subject)
    for name, value in (json.loads(item.headers) if item.headers else {}).items():
        message[name] = value
    message.set_content(item.body)
    return message


def _smtp_send(settings: Settings, message: EmailMessage) -> None:
    url = urlsplit(settings.smtp_url)
    use_ssl = url.scheme == "smtps"
    port = url.port or (465 if use_ssl else 25)
    cls = smtplib.SMTP_SSL if use_ssl else smtplib.SMTP
    with cls(url.hostname or "localhost", port, timeout=10) as smtp:
        if url.scheme == "smtp+starttls":
            smtp.starttls()
        if url.username:
            smtp.login(unquote(url.username), unquote(url.password or ""))
        smtp.send_message(message)


def _send(settings: Settings, item: OutboxMessage) -> None:
    message = build_message(settings, item)
    if settings.smtp_url:
        _smtp_send(settings, message)
    else:
        print(f"\n--- mail to {message['To']}: {message['Subject']}\n{item.body}\n---", flush=True)


def deliver_pending(session: Session, settings: Settings, limit: int = 100) -> int:
    """Send what waits in the outbox and is due; return how many went. A failure is recorded, never raised."""
    now = utcnow()
    pending = session.exec(
        select(OutboxMessage)
        .where(col(OutboxMessage.sent_at).is_(None), OutboxMessage.attempts < MAX_ATTEMPTS)
        .order_by(col(OutboxMessage.attempts), col(OutboxMessage.id))  # new mail first: failing mail cannot starve it
        .limit(limit)
    ).all()
    session.commit()  # no transaction stays open while talking to the SMTP server
    sent = 0
    for item in pending:
        if retry_at(item) > now:
            continue
        item.attempts += 1
        try:
            _send(settings, item)
        except Exception as exc:  # noqa: BLE001  (one message's failure, whatever it is, must not stop the others)
            item.last_error = "".join(traceback.format_exception_only(exc)).strip()[:500]
            log.warning("mail to outbox #%s failed (attempt %s): %s", item.id, item.attempts, item.last_error)
        else:
            item.sent_at = utcnow()
            item.last_error = ""
            sent += 1
        session.add(item)
        session.commit()
    return sent
