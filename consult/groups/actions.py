"""Working groups: create one, declare to join it by its deadline, withdraw, and the coordinator's decisions.

Input models first, then queries (which never commit), then actions (`verb_noun`), each checking
`permissions.can(principal, "group.<verb>", …)`, appending to the ledger and committing, or raising a DomainError.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field, field_validator
from sqlalchemy import func
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from consult import ledger
from consult.consultations.actions import parse_local
from consult.errors import DomainError
from consult.groups import rules
from consult.groups.queries import coordinates, is_open
from consult.groups.rules import Founding, GroupAccess
from consult.i18n import _, format_when, gettext
from consult.markdown import render_markdown
from consult.models import (
    GroupDeclaration,
    Network,
    Organisation,
    User,
    WorkingGroup,
    utcnow,
)
from consult.notifications.dispatch import notify
from consult.permissions import Principal, can, register_rules
from consult.slugs import unique_slug

register_rules("group", rules.rules)

RESERVED = {"new"}  # /groups/new is the creation form
LIVE = ("pending", "accepted")  # a declaration that holds its place: one per organisation, one per person


def _local_time(value: object) -> object:
    return parse_local(value) if isinstance(value, str) and value else value


class GroupInput(BaseModel):
    name: str = Field(min_length=3, max_length=200)
    goal: str = Field(min_length=10, max_length=20_000)
    organisation_id: int
    network_id: int | None = None
    declarations_close_at: datetime

    @field_validator("declarations_close_at", mode="before")
    @classmethod
    def _local(cls, value: object) -> object:
        return _local_time(value)


class GroupEditInput(BaseModel):
    name: str = Field(min_length=3, max_length=200)
    goal: str = Field(min_length=10, max_length=20_000)
    declarations_close_at: datetime
    coordinator_email: str = Field(min_length=3, max_length=254)

    @field_validator("declarations_close_at", mode="before")
    @classmethod
    def _local(cls, value: object) -> object:
        return _local_time(value)


class DeclarationInput(BaseModel):
    kind: Literal["organisation", "individual"]
    organisation_id: int | None = None
    name: str = Field(min_length=2, max_length=200)
    contact: str = Field(min_length=5, max_length=254)
    motivation: str = Field(default="", max_length=5000)
    contribution: str = Field(default="", max_length=5000)


class DecisionInput(BaseModel):
    decision: Literal["accept", "decline"]
    note: str = Field(default="", max_length=2000)


# --- actions: the group ---------------------------------------------------------------------


def _unique_slug(session: Session, name: str) -> str:
    return unique_slug(session, WorkingGroup, name, fallback="grupa-robocza", reserved=RESERVED)


def _require_future(deadline: datetime) -> None:
    if deadline <= utcnow():
        raise DomainError("declarations_close_at", _("The deadline for declarations must be in the future."))


def create_group(session: Session, principal: Principal | None, data: GroupInput) -> WorkingGroup:
    """A new group, coordinated by the person who creates it."""
    if principal is None:
        raise DomainError("", _("Log in to create a working group."), 403)
    organisation = session.get(Organisation, data.organisation_id)
    if organisation is None or organisation.id not in principal.roles:
        raise DomainError("organisation_id", _("Choose one of your organisations."), 403)
    network = session.get(Network, data.network_id) if data.network_id is not None else None
    if data.network_id is not None and network is None:
        raise DomainError("network_id", _("Choose a network you coordinate."), 422)
    coordinator = network is not None and coordinates(session, principal, network.id)
    founding = Founding(organisation, data.network_id, coordinator)
    if not can(principal, "group.create", founding):
        if network is not None:
            raise DomainError("network_id", _("Only the network's coordinators create a group for it."), 403)
        raise DomainError(
            "organisation_id",
            _("Groups are created by a municipality's officials and by admins of verified organisations."),
            403,
        )
    _require_future(data.declarations_close_at)
    group = WorkingGroup(
        slug=_unique_slug(session, data.name),
        name=data.name,
        goal=data.goal,
        goal_html=render_markdown(data.goal),
        organisation_id=organisation.id,
        network_id=data.network_id,
        coordinator_id=principal.id,
        declarations_close_at=data.declarations_close_at,
        created_by_id=principal.id,
    )
    session.add(group)
    session.flush()
    ledger.append(
        session,
        actor_id=principal.id,
        action="group.created",
        subject_kind="group",
        subject_id=group.id,
        payload={
            "name": group.name,
            "organisation": organisation.id,
            "network": group.network_id,
            "declarations_close_at": group.declarations_close_at.isoformat(),
            "goal_sha256": ledger.sha256_hex(group.goal),
        },
    )
    session.commit()
    return group


def update_group(session: Session, principal: Principal | None, access: GroupAccess, data: GroupEditInput) -> None:
    """Its name, goal and deadline, and who coordinates it (an account, by its e-mail address)."""
    group = access.group
    if not can(principal, "group.edit", access):
        raise DomainError("", _("Only the group's coordinator and its organisation's admins change the group."), 403)
    if data.declarations_close_at != group.declarations_close_at:
        _require_future(data.declarations_close_at)
    coordinator = session.exec(select(User).where(func.lower(User.email) == data.coordinator_email.lower())).first()
    if coordinator is None or coordinator.confirmed_at is None:
        raise DomainError("coordinator_email", _("No confirmed account uses this e-mail address."))
    changed_coordinator = coordinator.id != group.coordinator_id
    group.name, group.goal, group.goal_html = data.name, data.goal, render_markdown(data.goal)
    group.declarations_close_at, group.coordinator_id = data.declarations_close_at, coordinator.id
    session.add(group)
    ledger.append(
        session,
        actor_id=principal.id,
        action="group.updated",
        subject_kind="group",
        subject_id=group.id,
        payload={
            "name": group.name,
            "declarations_close_at": group.declarations_close_at.isoformat(),
            "goal_sha256": ledger.sha256_hex(group.goal),
            "coordinator": coordinator.id,
            "coordinator_changed": changed_coordinator,
        },
    )
    session.commit()


# --- actions: declarations ------------------------------------------------------------------


def _closed_error(group: WorkingGroup, time_zone: str) -> DomainError:
    return DomainError(
        "",
        _("Declarations for this group closed on %(when)s. Contact the coordinator if you still want to take part."),
        409,
        when=format_when(group.declarations_close_at, time_zone),
    )


def _live(session: Session, group: WorkingGroup, *where) -> bool:
    found = session.exec(
        select(GroupDeclaration.id).where(
            GroupDeclaration.group_id == group.id, col(GroupDeclaration.status).in_(LIVE), *where
        )
    ).first()
    return found is not None


def submit_declaration(
    session: Session,
    principal: Principal | None,
    group: WorkingGroup,
    data: DeclarationInput,
    time_zone: str = "Europe/Warsaw",
) -> GroupDeclaration:
    """A declaration to join, before the deadline: one live declaration per organisation and per person."""
    if principal is None:
        raise DomainError("", _("Log in to declare: the group's members then take part in its discussion."), 403)
    if not can(principal, "group.declare", group):
        raise DomainError("", _("Confirm your e-mail address first: open the link we sent you."), 403)
    if not is_open(group):
        raise _closed_error(group, time_zone)
    organisation_id = data.organisation_id if data.kind == "organisation" else None
    if data.kind == "organisation":
        organisation = session.get(Organisation, organisation_id) if organisation_id is not None else None
        if organisation is None:
            raise DomainError("organisation_id", _("Choose the organisation that declares."))
        if not can(principal, "organisation.act_for", organisation):
            raise DomainError("organisation_id", _("You can declare only for an organisation you belong to."), 403)
        if _live(session, group, GroupDeclaration.organisation_id == organisation_id):
            raise DomainError("organisation_id", _("This organisation has already declared to join this group."), 409)
    else:
        if not data.motivation.strip():
            raise DomainError("motivation", _("Say briefly why you want to join the group."))
        mine = (GroupDeclaration.user_id == principal.id, col(GroupDeclaration.organisation_id).is_(None))
        if _live(session, group, *mine):
            raise DomainError("", _("You have already declared to join this group."), 409)
    declaration = GroupDeclaration(
        group_id=group.id,
        kind=data.kind,
        organisation_id=organisation_id,
        user_id=principal.id,
        name=data.name,
        contact=data.contact,
        motivation=data.motivation,
        contribution=data.contribution,
    )
    session.add(declaration)
    try:
        session.flush()
    except IntegrityError as exc:  # the same declaration sent twice at once: the partial unique index holds
        session.rollback()
        raise DomainError("", _("This declaration has already been sent."), 409) from exc
    personal = ledger.canonical_json([data.name, data.contact, data.motivation, data.contribution])
    ledger.append(
        session,
        actor_id=principal.id,
        action="group.declared",
        subject_kind="group_declaration",
        subject_id=declaration.id,
        payload={
            "group": group.id,
            "kind": data.kind,
            "organisation": organisation_id,
            "declaration": ledger.commitment(principal.user.personal_salt, personal),
        },
    )
    session.commit()
    return declaration


def withdraw_declaration(session: Session, principal: Principal | None, declaration: GroupDeclaration) -> None:
    if principal is None or not can(principal, "group.withdraw", declaration):
        raise DomainError("", _("Only the person who declared, or the organisation's admin, withdraws it."), 403)
    if declaration.status != "pending":
        raise DomainError("", _("Only a declaration still waiting for a decision can be withdrawn."), 409)
    declaration.status = "withdrawn"
    declaration.decided_at = utcnow()
    session.add(declaration)
    ledger.append(
        session,
        actor_id=principal.id,
        action="group.declaration_withdrawn",
        subject_kind="group_declaration",
        subject_id=declaration.id,
        payload={"group": declaration.group_id},
    )
    session.commit()


def decide_declaration(
    session: Session,
    principal: Principal | None,
    access: GroupAccess,
    declaration: GroupDeclaration,
    data: DecisionInput,
    group_url: str,
) -> GroupDeclaration:
    """The coordinator accepts or declines; the declarant is told by e-mail (queued in the same transaction)."""
    if not can(principal, "group.decide", access):
        raise DomainError("", _("Only the group's coordinator decides on declarations."), 403)
    if declaration.group_id != access.group.id:
        raise DomainError("", _("This declaration is not for this group."), 404)
    if declaration.status != "pending":
        raise DomainError("", _("This declaration has already been decided or withdrawn."), 409)
    declaration.status = "accepted" if data.decision == "accept" else "declined"
    declaration.decided_by_id, declaration.decided_at = principal.id, utcnow()
    declaration.decision_note = data.note.strip()
    session.add(declaration)
    ledger.append(
        session,
        actor_id=principal.id,
        action=f"group.declaration_{declaration.status}",
        subject_kind="group_declaration",
        subject_id=declaration.id,
        payload={"group": access.group.id, "note_sha256": ledger.sha256_hex(declaration.decision_note)},
    )
    _tell_declarant(session, access.group, declaration, group_url)
    session.commit()
    return declaration


def _tell_declarant(session: Session, group: WorkingGroup, declaration: GroupDeclaration, group_url: str) -> None:
    declarant = session.get(User, declaration.user_id) if declaration.user_id is not None else None
    if declarant is None:
        return
    if declaration.status == "accepted":
        subject = gettext("You are a member of the working group %(name)s", name=group.name)
        body = gettext(
            "Your declaration to join the working group %(name)s has been accepted. You can now take part in the "
            "group's discussion and comment on its documents:\n\n%(link)s",
            name=group.name,
            link=group_url,
        )
    else:
        subject = gettext("Your declaration to the working group %(name)s", name=group.name)
        body = gettext(
            "The coordinator of the working group %(name)s has declined your declaration.\n\n%(link)s",
            name=group.name,
            link=group_url,
        )
    if declaration.decision_note:
        body += "\n\n" + gettext("The coordinator's note: %(note)s", note=declaration.decision_note)
    notify(session, [declarant.id], "declaration_decided", subject, body, "")
