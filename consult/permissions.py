"""can(user, action, obj): the one place where who-may-do-what lives."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from consult.models import Comment, CoSignature, Organisation, Proposal, User


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


def _speaks_for_now(principal: Principal, author_id: int, organisation_id: int | None) -> bool:
    """The author of a contribution, still able to speak for the organisation it was made for (if any)."""
    return author_id == principal.id and (organisation_id is None or organisation_id in principal.roles)


FeatureRules = Callable[[Principal, str, object | None], bool]
FEATURE_RULES: dict[str, FeatureRules] = {}


def register_rules(prefix: str, rules: FeatureRules) -> None:
    """A forum feature (networks, groups, meetings, resources) keeps its rules in its own `rules.py` and registers
    them here under its actions' prefix: `can(principal, "network.decide", network)` asks the network's rules."""
    FEATURE_RULES[prefix] = rules


def can(principal: Principal | None, action: str, obj: object | None = None) -> bool:
    if principal is None:
        return False
    prefix = action.split(".", 1)[0]
    if prefix in FEATURE_RULES:
        return FEATURE_RULES[prefix](principal, action, obj)
    # What was said in an organisation's name stays in its hands: a member who left or was removed loses it.
    if isinstance(obj, Comment) and action == "comment.change":  # edit, withdraw
        return _speaks_for_now(principal, obj.author_id, obj.organisation_id)
    if isinstance(obj, Proposal) and action == "proposal.withdraw":
        if obj.channel != "platform":  # an official's record of what another organisation sent: its author's
            return obj.author_id == principal.id
        return _speaks_for_now(principal, obj.author_id, obj.organisation_id)
    if isinstance(obj, CoSignature) and action == "cosign.withdraw":  # the organisation's admins, or the signer
        role = principal.roles.get(obj.organisation_id)
        return role == "admin" or (role is not None and obj.signed_by_id == principal.id)
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
