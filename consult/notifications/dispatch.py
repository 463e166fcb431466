"""The one door for telling people something: features call `notify`, the settings decide mail now, digest or never."""

from __future__ import annotations

from collections.abc import Iterable

from sqlmodel import Session, col, select

from consult.mail import queue_mail
from consult.models import User

# Every kind a person can choose for: immediately, in the weekly digest, or never.
KINDS = (
    "consultation_new",  # a new consultation in my municipalities
    "comment_reply",  # a reply to my comment
    "position",  # a position on my organisation's contribution
    "record_published",  # a published record of a consultation I took part in
    "announcement",  # announcements for my networks and municipalities
    "funding_deadline",  # a funding deadline in my fields, 7 days before
    "meeting_reminder",  # a meeting I registered for, 2 days before
    "registration_promoted",  # my registration promoted from the waiting list
    "declaration_decided",  # my declaration to a working group decided
    "advice",  # an answer to my organisation's advice request (and new requests, for advisors)
)


def notify(session: Session, user_ids: Iterable[int], kind: str, subject: str, body: str, link: str) -> None:
    """Tell these people about one thing of this kind, in the caller's transaction (the caller commits).

    `link` is the absolute URL of the thing; the mail's body ends with it."""
    assert kind in KINDS, kind
    ids = sorted(set(user_ids))
    if not ids:
        return
    for user in session.exec(select(User).where(col(User.id).in_(ids))).all():
        queue_mail(session, user.email, subject, f"{body}\n\n{link}\n")
