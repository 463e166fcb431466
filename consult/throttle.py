"""One rate limit for every action that sends mail or creates something on someone's behalf.

An action names itself and who it counts against (a user, an address, an e-mail); `check_rate` refuses with 429
once a limit is used up, or counts this use in the action's own transaction, so a refused or failed action costs
nothing. The uses are rows of `login_attempt` keyed `rate:<action>:<hash of the key>`: no address or e-mail is
stored in clear. Two requests at the same instant may both pass the count; a rate limit tolerates that.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, func
from sqlmodel import Session, col, select

from consult import ledger
from consult.forms import DomainError
from consult.i18n import _
from consult.models import LoginAttempt, utcnow


@dataclass(frozen=True)
class Limit:
    count: int
    per: timedelta


HOUR, DAY = timedelta(hours=1), timedelta(days=1)
# Every throttled action, with its limits for each key it is counted against. tests/test_throttle.py drives each one
# past its limit, and fails when an action is added here without a test.
LIMITS: dict[str, tuple[Limit, ...]] = {
    "account.register": (Limit(5, HOUR), Limit(20, DAY)),  # per address, and per e-mail address
    "password.reset_mail": (Limit(3, HOUR), Limit(10, DAY)),  # per address, and per e-mail address
    "invitation.send": (Limit(20, HOUR), Limit(100, DAY)),  # per inviting person, and per organisation
    "proposal.submit": (Limit(25, HOUR), Limit(100, DAY)),  # per person
    "vote.cast": (Limit(100, HOUR), Limit(500, DAY)),  # per person: a change of vote counts as a vote
    "receipt.mail": (Limit(30, HOUR), Limit(100, DAY)),  # per person; past it the receipt is on the page only
    "booking.request": (Limit(30, HOUR), Limit(100, DAY)),  # per person: each request mails the owner's admins
}


def aware(moment: datetime) -> datetime:
    """SQLite gives back the UTC time it stored without its zone."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _key(action: str, who: str) -> str:
    return f"rate:{action}:{ledger.sha256_hex(who)[:32]}"


def retry_after(session: Session, action: str, who: str) -> timedelta | None:
    """How long until `who` may do `action` again, or None when a use is left."""
    key, now = _key(action, who), utcnow()
    waits = []
    for limit in LIMITS[action]:
        since = now - limit.per
        uses = select(LoginAttempt.at).where(LoginAttempt.key == key, LoginAttempt.at >= since)
        count = session.exec(select(func.count()).select_from(uses.subquery())).one()
        if count >= limit.count:
            oldest = session.exec(uses.order_by(col(LoginAttempt.at)).limit(1)).one()
            waits.append(aware(oldest) + limit.per - now)
    return max(waits) if waits else None


def check_rate(session: Session, action: str, *whos: str) -> None:
    """Refuse (429) when any of `whos` has used up a limit of `action`; else count this use (the caller commits)."""
    keys = [_key(action, who) for who in whos if who]
    longest = max(limit.per for limit in LIMITS[action])
    session.exec(delete(LoginAttempt).where(col(LoginAttempt.key).in_(keys), LoginAttempt.at < utcnow() - longest))
    waits = [wait for who in whos if who and (wait := retry_after(session, action, who)) is not None]
    if waits:
        minutes = max(1, math.ceil(max(waits).total_seconds() / 60))
        raise DomainError(
            "", _("You have done this too many times in a short while. Try again in %(minutes)s min."), 429,
            minutes=minutes,
        )  # fmt: skip
    session.add_all([LoginAttempt(key=key) for key in keys])
