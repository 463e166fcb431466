"""can(user, action, obj): the one place where who-may-do-what lives."""

from __future__ import annotations

from dataclasses import dataclass, field

from consult.models import Organisation, User


@dataclass(frozen=True)
class Principal:
    """The signed-in user with their roles by organisation id, loaded once per request."""

    user: User
    roles: dict[int, str] = field(default_factory=dict)

    @property
    def id(self) -> int:
        assert self.user.id is not None
        return self.user.id

    @property
    def is_admin(self) -> bool:
        return self.user.is_admin


def role_in(principal: Principal | None, organisation: Organisation) -> str | None:
    if principal is None or organisation.id is None:
        return None
    return principal.roles.get(organisation.id)


def can(principal: Principal | None, action: str, obj: object | None = None) -> bool:
    if principal is None:
        return False
    if action == "organisation.create":
        return principal.user.confirmed_at is not None
    if action == "organisation.create_municipality":
        return principal.is_admin
    if action == "organisation.verify":
        return principal.is_admin
    if isinstance(obj, Organisation):
        role = role_in(principal, obj)
        if action in ("organisation.edit", "organisation.manage_members"):
            return principal.is_admin or role == "admin"
        if action == "organisation.act_for":
            return role is not None
        if action == "organisation.request_to_join":
            return role is None and principal.user.confirmed_at is not None
        if action == "consultation.manage":  # create, publish, answer: the municipality's officials
            return obj.kind == "municipality" and (role in ("official", "admin") or principal.is_admin)
        if action == "comment.moderate":  # hide and restore, in the municipality's consultations
            return principal.is_admin or (obj.kind == "municipality" and role in ("official", "admin"))
    return False
