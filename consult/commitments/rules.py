"""Who may do what with commitments, registered with consult.permissions under the prefix "commitment".

Everyone reads commitments: they follow a published record. Only the municipality's officials (and the platform's
admins) change one: its status, the person or department responsible, its date.
"""

from __future__ import annotations

from consult.models import Organisation
from consult.permissions import Principal, register_rules

OFFICIAL_ROLES = ("official", "admin")


def rules(principal: Principal, action: str, obj: object | None) -> bool:
    if action == "commitment.change" and isinstance(obj, Organisation):  # the commitment's municipality
        role = principal.roles.get(obj.id) if obj.id is not None else None
        return principal.is_admin or (obj.kind == "municipality" and role in OFFICIAL_ROLES)
    return False


register_rules("commitment", rules)
