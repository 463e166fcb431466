"""Word files kept across a form that failed: the official chooses the file once, whatever else needed fixing.

The file's bytes wait in a row keyed by a random token that the form carries in a hidden field, bound to the user who
uploaded it (another person's token finds nothing), for a day at most. A row rather than a hidden field holding the
file: a 5 MB document would travel to the phone and back with every try; rather than a temporary file: several web
processes, on several machines, share the database but not a disk.
"""

from __future__ import annotations

import secrets
from datetime import timedelta

from sqlmodel import Session, col, delete, select

from consult.models import PendingUpload, utcnow

KEPT_FOR = timedelta(days=1)


def keep_upload(session: Session, user_id: int, filename: str, content: bytes) -> str:
    """Keep the file and return its token; files kept longer than a day go at the same time."""
    session.exec(delete(PendingUpload).where(col(PendingUpload.created_at) < utcnow() - KEPT_FOR))
    token = secrets.token_urlsafe(32)
    session.add(PendingUpload(token=token, user_id=user_id, filename=filename[:255], content=content))
    session.commit()
    return token


def kept_upload(session: Session, user_id: int, token: str) -> PendingUpload | None:
    """The file this user kept under this token, if it is still kept."""
    if not token or len(token) > 64:
        return None
    return session.exec(
        select(PendingUpload).where(
            PendingUpload.token == token,
            PendingUpload.user_id == user_id,
            col(PendingUpload.created_at) >= utcnow() - KEPT_FOR,
        )
    ).first()


def drop_upload(session: Session, user_id: int, token: str) -> None:
    """Forget a kept file once the form that carried it succeeded (the caller commits)."""
    if token:
        session.exec(delete(PendingUpload).where(PendingUpload.token == token, PendingUpload.user_id == user_id))
