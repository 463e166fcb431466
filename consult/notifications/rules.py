"""Who may choose notifications: every signed-in person, for themselves only (the settings are always their own).

Unsubscribing by a link needs no rule here: the signed token names the person, and is the authority.
"""

from __future__ import annotations

from consult.permissions import Principal


def rules(principal: Principal, action: str, obj: object | None) -> bool:
    if action == "notifications.settings":
        return principal is not None
    return False
