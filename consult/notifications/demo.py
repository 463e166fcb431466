"""The demo's notification settings: the women's circle (KGW) wants announcements and funding deadlines at once, the
sports club gathers news into the weekly digest and never wants meeting reminders. Idempotent."""

from __future__ import annotations

from sqlmodel import Session, select

from consult.models import NotificationSetting, User

CHOICES = {
    "kgw": {"announcement": "immediate", "funding_deadline": "immediate", "consultation_new": "immediate"},
    "klub": {"announcement": "digest", "comment_reply": "digest", "meeting_reminder": "never"},
}


def load(session: Session, domain: str, municipality: str) -> None:
    for local, modes in CHOICES.items():
        user = session.exec(select(User).where(User.email == f"{local}@{domain}")).first()
        if user is None:
            continue
        for kind, mode in modes.items():
            if session.get(NotificationSetting, (user.id, kind)) is None:
                session.add(NotificationSetting(user_id=user.id, kind=kind, mode=mode))
    session.commit()
