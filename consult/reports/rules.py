"""Who may do what with a yearly report: `permissions.can(principal, "report.<verb>", municipality)`.

Everyone reads a published report; the municipality's officials (and its admins, and the platform admin, as for the
consultation record) draft, edit, review and publish it, and read its draft.
"""

from __future__ import annotations

from consult.models import Organisation
from consult.permissions import Principal, register_rules

VERBS = ("report.manage",)


def report_rules(principal: Principal, action: str, obj: object) -> bool:
    if action not in VERBS or not isinstance(obj, Organisation) or obj.kind != "municipality":
        return False
    return principal.is_admin or principal.roles.get(obj.id) in ("official", "admin")


register_rules("report", report_rules)
