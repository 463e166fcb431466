"""A person's notification settings, and unsubscribing by a signed link.

A setting is personal and private (it is not an event of the consultation), so it does not enter the ledger.
"""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import BaseModel, field_validator
from sqlalchemy import delete
from sqlmodel import Session, col, func, select

from consult.errors import DomainError
from consult.forms import invalid
from consult.i18n import _
from consult.models import NotificationItem, NotificationSetting, User, utcnow
from consult.notifications.dispatch import DEFAULTS, KIND_LABELS, KINDS, MODES, modes_of, read_token
from consult.notifications.rules import rules
from consult.permissions import Principal, can, register_rules

register_rules("notifications", rules)


@dataclass(frozen=True)
class KindSetting:
    kind: str
    label: str  # marked, translated where shown
    mode: str
    default: str


class SettingsInput(BaseModel):
    """One mode per kind; a kind missing from the form keeps its default."""

    consultation_new: str = DEFAULTS["consultation_new"]
    comment_reply: str = DEFAULTS["comment_reply"]
    position: str = DEFAULTS["position"]
    record_published: str = DEFAULTS["record_published"]
    announcement: str = DEFAULTS["announcement"]
    funding_deadline: str = DEFAULTS["funding_deadline"]
    meeting_reminder: str = DEFAULTS["meeting_reminder"]
    registration_promoted: str = DEFAULTS["registration_promoted"]
    declaration_decided: str = DEFAULTS["declaration_decided"]
    advice: str = DEFAULTS["advice"]

    @field_validator(*KINDS)
    @classmethod
    def _mode(cls, value: str) -> str:
        if value not in MODES:
            raise invalid(_("Choose immediately, in the weekly digest, or never."))
        return value

    def modes(self) -> dict[str, str]:
        return {kind: getattr(self, kind) for kind in KINDS}


# --- queries --------------------------------------------------------------------------------


def settings_of(session: Session, user_id: int) -> list[KindSetting]:
    modes = modes_of(session, [user_id])[user_id]
    return [KindSetting(kind, KIND_LABELS[kind], modes[kind], DEFAULTS[kind]) for kind in KINDS]


def waiting_for_digest(session: Session, user_id: int) -> int:
    """How many notifications wait for this person's next weekly digest."""
    return session.exec(
        select(func.count())
        .select_from(NotificationItem)
        .where(NotificationItem.user_id == user_id, col(NotificationItem.digest_id).is_(None))
    ).one()


# --- actions --------------------------------------------------------------------------------


def _set_modes(session: Session, user_id: int, modes: dict[str, str]) -> None:
    """Store these modes; what waited for the digest of a kind now "never" is dropped."""
    rows = session.exec(select(NotificationSetting).where(NotificationSetting.user_id == user_id)).all()
    stored = {row.kind: row for row in rows}
    for kind, mode in modes.items():
        row = stored.get(kind) or NotificationSetting(user_id=user_id, kind=kind, mode=mode)
        row.mode, row.updated_at = mode, utcnow()
        session.add(row)
    dropped = [kind for kind, mode in modes.items() if mode == "never"]
    if dropped:
        session.exec(
            delete(NotificationItem).where(
                col(NotificationItem.user_id) == user_id,
                col(NotificationItem.digest_id).is_(None),
                col(NotificationItem.kind).in_(dropped),
            )
        )


def save_settings(session: Session, principal: Principal | None, data: SettingsInput) -> None:
    if principal is None or not can(principal, "notifications.settings"):
        raise DomainError("", _("Sign in to choose your notifications."), 403)
    _set_modes(session, principal.id, data.modes())
    session.commit()


def unsubscribe(session: Session, secret: str, token: str) -> tuple[User, list[str]]:
    """Set the token's kinds to "never" for its person: the signed token is the authority, not the session."""
    user_id, kinds = read_token(secret, token)
    user = session.get(User, user_id)
    if user is None:
        raise DomainError("", _("This unsubscribe link is not valid. Nothing was changed."), 400)
    _set_modes(session, user.id, dict.fromkeys(kinds, "never"))
    session.commit()
    return user, kinds


def check_token(session: Session, secret: str, token: str) -> tuple[User, list[str]]:
    """What a link would unsubscribe, changing nothing (the confirmation page)."""
    user_id, kinds = read_token(secret, token)
    user = session.get(User, user_id)
    if user is None:
        raise DomainError("", _("This unsubscribe link is not valid. Nothing was changed."), 400)
    return user, kinds
