"""Who may publish to the knowledge base, review proposed good practices, propose one, and read what is not
published: the knowledge feature's rules, asked through permissions.can with the prefix "knowledge"."""

from __future__ import annotations

from dataclasses import dataclass

from consult.models import KnowledgeItem, Organisation
from consult.permissions import Principal


@dataclass(frozen=True)
class Standing:
    """What the rules need to know of a person: the support centres they belong to, the networks they coordinate."""

    support_centre_ids: frozenset[int] = frozenset()
    network_ids: frozenset[int] = frozenset()

    @property
    def publishes(self) -> bool:
        return bool(self.support_centre_ids or self.network_ids)


@dataclass(frozen=True)
class ItemAccess:
    item: KnowledgeItem
    standing: Standing


def rules(principal: Principal, action: str, obj: object | None) -> bool:
    if isinstance(obj, Standing) and action in ("knowledge.publish", "knowledge.review"):
        # The support centre's members and the networks' coordinators; the platform's admins too.
        return principal.is_admin or obj.publishes
    if isinstance(obj, Organisation) and action == "knowledge.propose":
        return principal.user.confirmed_at is not None and obj.id in principal.roles
    if isinstance(obj, ItemAccess) and action == "knowledge.read":
        item = obj.item
        if item.state == "published":
            return True
        # A proposal: its reviewers, and the organisation that proposed it.
        return (
            principal.is_admin
            or obj.standing.publishes
            or item.author_id == principal.id
            or (item.organisation_id is not None and item.organisation_id in principal.roles)
        )
    return False
