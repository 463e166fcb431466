"""Networks: founding one, its charter and municipalities, its coordinators, applications decided, members leaving.

Every action checks the network's rules, appends to the ledger in its transaction, and commits, or raises a
DomainError naming the form field. Queries live in `queries.py`, the members' discussion in `threads.py`.
"""

from __future__ import annotations

from pydantic import BaseModel, Field, field_validator
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from consult import ledger
from consult.accounts.actions import normalise_email
from consult.errors import DomainError
from consult.forms import invalid
from consult.i18n import _, gettext
from consult.mail import queue_mail
from consult.markdown import render_markdown
from consult.models import (
    Meeting,
    Network,
    NetworkCoordinator,
    NetworkMembership,
    NetworkMunicipality,
    Organisation,
    User,
    utcnow,
)
from consult.networks import queries
from consult.networks.rules import rules
from consult.organisations.actions import organisations_of
from consult.permissions import Principal, can, register_rules
from consult.slugs import unique_slug

register_rules("network", rules)

DECISIONS = ("admit", "decline")
FOUNDERS_ONLY = _("Networks are founded by municipal officials, admins of verified organisations and platform admins.")
ALREADY_APPLIED = _("This organisation has already applied. The coordinators will decide.")


# --- input ----------------------------------------------------------------------------------


def _ids(value: object) -> list[int]:
    items = [value] if isinstance(value, (str, int)) else list(value or [])
    try:
        ids = sorted({int(str(item).strip()) for item in items if str(item).strip()})
    except ValueError:
        raise invalid(_("Choose the municipalities from the list.")) from None
    if not ids:
        raise invalid(_("Choose at least one municipality the network spans."))
    return ids


class NetworkInput(BaseModel):
    name: str = Field(min_length=3, max_length=200)
    charter: str = Field(min_length=1, max_length=30_000)
    municipalities: list[int] = Field(default_factory=list, validate_default=True)

    @field_validator("municipalities", mode="before")
    @classmethod
    def _municipalities(cls, value: object) -> list[int]:
        return _ids(value)


class CoordinatorInput(BaseModel):
    email: str

    @field_validator("email")
    @classmethod
    def _email(cls, value: str) -> str:
        return normalise_email(value)


class ApplicationInput(BaseModel):
    organisation_id: int | None = Field(default=None, validate_default=True)
    message: str = Field(default="", max_length=2000)

    @field_validator("organisation_id", mode="before")
    @classmethod
    def _chosen(cls, value: object) -> object:
        if value is None or (isinstance(value, str) and not value.strip()):  # the list's "Choose the organisation"
            raise invalid(_("Choose the organisation that applies."))
        return value


class LeaveInput(BaseModel):
    organisation_id: int


class DecisionInput(BaseModel):
    decision: str
    note: str = Field(default="", max_length=2000)
    meeting_id: int | None = None

    @field_validator("decision")
    @classmethod
    def _known(cls, value: str) -> str:
        if value not in DECISIONS:
            raise invalid(_("Choose whether to admit or decline the organisation."))
        return value


# --- helpers --------------------------------------------------------------------------------


def _require(principal: Principal | None, action: str, obj: object | None = None) -> Principal:
    if principal is None or not can(principal, action, obj):
        raise DomainError("", _("You do not have permission to do this."), 403)
    return principal


def _unique_slug(session: Session, name: str) -> str:
    return unique_slug(session, Network, name, fallback="siec", max_length=100, reserved={"new"})  # /networks/new


def _check_municipalities(session: Session, ids: list[int]) -> None:
    known = {o.id for o in queries.municipality_choices(session)}
    if not set(ids) <= known:
        raise DomainError("municipalities", _("Choose the municipalities from the list."), 422)


def _set_municipalities(session: Session, network: Network, ids: list[int]) -> None:
    for row in session.exec(select(NetworkMunicipality).where(NetworkMunicipality.network_id == network.id)).all():
        session.delete(row)
    session.flush()
    session.add_all(NetworkMunicipality(network_id=network.id, municipality_id=i) for i in ids)


def _payload(data: NetworkInput) -> dict:
    return {
        "name": data.name,
        "municipalities": data.municipalities,
        "charter_sha256": ledger.sha256_hex(data.charter),
    }


def _log(session: Session, principal: Principal, action: str, network: Network, **payload) -> None:
    ledger.append(
        session, actor_id=principal.id, action=action, subject_kind="network", subject_id=network.id, payload=payload
    )


# --- the network ------------------------------------------------------------------------------


def create_network(session: Session, principal: Principal | None, data: NetworkInput) -> Network:
    """A new network, its founder its first coordinator."""
    if principal is None or not can(principal, "network.create", organisations_of(session, principal.id)):
        raise DomainError("", FOUNDERS_ONLY, 403)
    _check_municipalities(session, data.municipalities)
    network = Network(
        slug=_unique_slug(session, data.name),
        name=data.name,
        charter=data.charter,
        charter_html=render_markdown(data.charter),
        created_by_id=principal.id,
    )
    session.add(network)
    session.flush()
    _set_municipalities(session, network, data.municipalities)
    session.add(NetworkCoordinator(network_id=network.id, user_id=principal.id))
    _log(session, principal, "network.created", network, **_payload(data))
    _log(session, principal, "network.coordinator_added", network, user=principal.id, via="founding")
    session.commit()
    return network


def update_network(session: Session, principal: Principal | None, network: Network, data: NetworkInput) -> Network:
    """A new name, charter or set of municipalities; the address (slug) stays."""
    principal = _require(principal, "network.edit", queries.access_of(session, network))
    _check_municipalities(session, data.municipalities)
    network.name, network.charter, network.charter_html = data.name, data.charter, render_markdown(data.charter)
    session.add(network)
    _set_municipalities(session, network, data.municipalities)
    _log(session, principal, "network.updated", network, **_payload(data))
    session.commit()
    return network


# --- coordinators --------------------------------------------------------------------------------


def add_coordinator(
    session: Session, principal: Principal | None, network: Network, data: CoordinatorInput, link: str = ""
) -> User:
    """A coordinator names another, by the e-mail address of a confirmed account; they are told by e-mail."""
    access = queries.access_of(session, network)
    principal = _require(principal, "network.manage_coordinators", access)
    user = session.exec(select(User).where(User.email == data.email)).first()
    if user is None or user.confirmed_at is None:
        raise DomainError(
            "email", _("No confirmed account uses this address. Ask the person to create an account first."), 422
        )
    if user.id in access.coordinator_ids:
        raise DomainError("email", _("This person already coordinates the network."), 409)
    session.add(NetworkCoordinator(network_id=network.id, user_id=user.id))
    _log(session, principal, "network.coordinator_added", network, user=user.id, via="coordinator")
    queue_mail(
        session,
        user.email,
        gettext("You coordinate the network %(name)s", name=network.name),
        gettext(
            "%(who)s has made you a coordinator of the network %(name)s. You can now admit organisations, edit "
            "the charter and see the attendance at the network's meetings:\n\n%(link)s",
            who=principal.user.display_name,
            name=network.name,
            link=link,
        ),
    )
    session.commit()
    return user


def remove_coordinator(session: Session, principal: Principal | None, network: Network, user_id: int) -> None:
    """A coordinator steps down or is removed by another; the last one stays."""
    access = queries.access_of(session, network)
    principal = _require(principal, "network.manage_coordinators", access)
    row = session.get(NetworkCoordinator, (network.id, user_id))
    if row is None:
        raise DomainError("", _("This person does not coordinate the network."), 404)
    if len(access.coordinator_ids) <= 1:
        raise DomainError("", _("A network needs at least one coordinator. Add another coordinator first."), 409)
    session.delete(row)
    _log(session, principal, "network.coordinator_removed", network, user=user_id)
    session.commit()


# --- applications and membership -------------------------------------------------------------------


def _membership_row(session: Session, network: Network, organisation_id: int) -> NetworkMembership | None:
    return session.exec(
        select(NetworkMembership)
        .where(NetworkMembership.network_id == network.id, NetworkMembership.organisation_id == organisation_id)
        .with_for_update()
    ).first()


def apply_to_network(
    session: Session, principal: Principal | None, network: Network, data: ApplicationInput
) -> NetworkMembership:
    """An organisation's admin applies on its behalf; one that was declined or left may apply again."""
    organisation = session.get(Organisation, data.organisation_id)
    if organisation is None or principal is None or not can(principal, "network.apply", organisation):
        raise DomainError("organisation_id", _("Only an admin of the organisation can apply on its behalf."), 403)
    row = _membership_row(session, network, organisation.id)
    if row is not None and row.status == "admitted":
        raise DomainError("organisation_id", _("This organisation is already a member of the network."), 409)
    if row is not None and row.status == "pending":
        raise DomainError("organisation_id", ALREADY_APPLIED, 409)
    row = row or NetworkMembership(network_id=network.id, organisation_id=organisation.id)
    row.status, row.message, row.applied_by_id, row.applied_at = "pending", data.message, principal.id, utcnow()
    row.decided_by_id, row.decided_at, row.decision_note, row.decision_meeting_id = None, None, "", None
    session.add(row)
    try:
        session.flush()
    except IntegrityError:  # another admin applied for it at the same moment: theirs stands
        session.rollback()
        raise DomainError("organisation_id", ALREADY_APPLIED, 409) from None
    _log(session, principal, "network.applied", network, organisation=organisation.id, application=row.id)
    session.commit()
    return row


def _decision_mail(
    session: Session, network: Network, organisation: Organisation, row: NetworkMembership, link: str
) -> None:
    if row.status == "admitted":
        subject = gettext("%(organisation)s is a member of the network %(name)s", organisation=organisation.name,
                          name=network.name)  # fmt: skip
        body = gettext(
            "The coordinators of the network %(name)s have admitted %(organisation)s. Its people can now take part "
            "in the members' discussion.",
            name=network.name,
            organisation=organisation.name,
        )
    else:
        subject = gettext("The application of %(organisation)s to the network %(name)s", organisation=organisation.name,
                          name=network.name)  # fmt: skip
        body = gettext(
            "The coordinators of the network %(name)s have declined the application of %(organisation)s.",
            name=network.name,
            organisation=organisation.name,
        )
    if row.decision_note:
        body += "\n\n" + gettext("Their note: %(note)s", note=row.decision_note)
    body += "\n\n" + link
    for address in queries.admin_emails(session, organisation.id):
        queue_mail(session, address, subject, body)


def decide_application(
    session: Session,
    principal: Principal | None,
    network: Network,
    application_id: int,
    data: DecisionInput,
    link: str = "",
) -> NetworkMembership:
    """The coordinators admit or decline a pending application, maybe at one of the network's meetings; the
    organisation's admins are told by e-mail."""
    principal = _require(principal, "network.decide", queries.access_of(session, network))
    row = session.exec(
        select(NetworkMembership).where(NetworkMembership.id == application_id).with_for_update()
    ).first()
    if row is None or row.network_id != network.id:
        raise DomainError("", _("There is no such application to this network."), 404)
    if row.status != "pending":
        raise DomainError("", _("This application has already been decided."), 409)
    if data.meeting_id is not None:
        meeting = session.get(Meeting, data.meeting_id)
        if meeting is None or meeting.network_id != network.id:
            raise DomainError("meeting_id", _("Choose one of the network's meetings."), 422)
    if data.decision == "decline" and not data.note.strip():
        raise DomainError("note", _("Say why the application is declined: the organisation will read it."), 422)
    row.status = "admitted" if data.decision == "admit" else "declined"
    row.decided_by_id, row.decided_at = principal.id, utcnow()
    row.decision_note, row.decision_meeting_id = data.note, data.meeting_id
    session.add(row)
    organisation = session.get(Organisation, row.organisation_id)
    assert organisation is not None
    _log(
        session,
        principal,
        f"network.{row.status}",
        network,
        organisation=organisation.id,
        application=row.id,
        meeting=data.meeting_id,
    )
    _decision_mail(session, network, organisation, row, link)
    session.commit()
    return row


def leave_network(session: Session, principal: Principal | None, network: Network, organisation_id: int) -> str:
    """An organisation's admin takes it out of the network, or withdraws its pending application; says which it
    was ("admitted" or "pending")."""
    organisation = session.get(Organisation, organisation_id)
    if organisation is None or principal is None or not can(principal, "network.leave", organisation):
        raise DomainError("", _("Only an admin of the organisation can take it out of the network."), 403)
    row = _membership_row(session, network, organisation.id)
    if row is None or row.status not in ("admitted", "pending"):
        raise DomainError("", _("This organisation is not a member of the network."), 409)
    was = row.status
    row.status = "left"
    session.add(row)
    _log(session, principal, "network.left", network, organisation=organisation.id, application=row.id, was=was)
    session.commit()
    return was
