"""Who may see and retry the outbox: the platform admin only."""

from __future__ import annotations

from consult.permissions import Principal


def rules(principal: Principal, action: str, obj: object | None) -> bool:
    return action in ("outbox.view", "outbox.retry") and principal.is_admin
