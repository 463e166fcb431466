"""The outbox table and the SMTP sender: mail is queued in the action's transaction, sent after it."""

from __future__ import annotations

import logging
import smtplib
from email.message import EmailMessage
from urllib.parse import unquote, urlsplit

from sqlmodel import Session, select

from consult.models import OutboxMessage, utcnow
from consult.settings import Settings

log = logging.getLogger("consult.mail")
MAX_ATTEMPTS = 10


def queue_mail(session: Session, recipient: str, subject: str, body: str) -> OutboxMessage:
    message = OutboxMessage(recipient=recipient, subject=subject, body=body)
    session.add(message)
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


def deliver_pending(session: Session, settings: Settings, limit: int = 100) -> int:
    """Send what waits in the outbox; return how many went. Failures stay queued for the worker."""
    pending = session.exec(
        select(OutboxMessage)
        .where(OutboxMessage.sent_at.is_(None), OutboxMessage.attempts < MAX_ATTEMPTS)
        .order_by(OutboxMessage.id)
        .limit(limit)
    ).all()
    session.commit()  # no transaction stays open while talking to the SMTP server
    sent = 0
    for item in pending:
        message = EmailMessage()
        message["From"] = settings.mail_from
        message["To"] = item.recipient
        message["Subject"] = item.subject
        message.set_content(item.body)
        item.attempts += 1
        try:
            if settings.smtp_url:
                _smtp_send(settings, message)
            else:
                print(f"\n--- mail to {item.recipient}: {item.subject}\n{item.body}\n---", flush=True)
            item.sent_at = utcnow()
            sent += 1
        except (OSError, smtplib.SMTPException) as exc:
            item.last_error = str(exc)[:500]
            log.warning("mail to outbox #%s failed: %s", item.id, exc)
        session.add(item)
        session.commit()
    return sent
