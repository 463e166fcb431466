"""Organisations: profiles, the directory, members and their roles, invitations, join requests, verification."""

from __future__ import annotations

import re
from dataclasses import dataclass

from pydantic import BaseModel, Field, field_validator
from sqlalchemy import func
from sqlmodel import Session, col, select

from consult import ledger
from consult.accounts.actions import normalise_email
from consult.forms import DomainError, invalid
from consult.i18n import _, gettext
from consult.mail import queue_mail
from consult.models import (
    FIELDS_OF_ACTIVITY,
    ORGANISATION_KINDS,
    ROLES,
    Invitation,
    JoinRequest,
    Membership,
    Organisation,
    OrganisationField,
    User,
    utcnow,
)
from consult.permissions import Principal, can
from consult.slugs import unique_slug
from consult.throttle import check_rate

PAGE_SIZE = 30


def normalise_krs(value: str | None) -> str | None:
    """Ten digits, as the National Court Register prints them (spaces and dashes dropped)."""
    digits = re.sub(r"[\s-]", "", value or "")
    if not digits:
        return None
    if not re.fullmatch(r"[0-9]{10}", digits):  # not \d: it takes any script's digits
        raise invalid(_("A KRS number has exactly 10 digits, for example 0000123456."))
    if digits == "0000000000":
        raise invalid(_("This is not a valid KRS number."))
    return digits


class OrganisationInput(BaseModel):
    name: str = Field(min_length=3, max_length=200)
    kind: str
    krs: str | None = None
    fields: list[str] = Field(default_factory=list)
    area_served: str = Field(default="", max_length=200)
    description: str = Field(default="", max_length=5000)
    contact_email: str = ""
    contact_phone: str = Field(default="", max_length=40)
    website: str = Field(default="", max_length=300)

    @field_validator("kind")
    @classmethod
    def _known_kind(cls, value: str) -> str:
        if value not in ORGANISATION_KINDS:
            raise invalid(_("Choose the kind of organisation."))
        return value

    @field_validator("krs")
    @classmethod
    def _krs(cls, value: str | None) -> str | None:
        return normalise_krs(value)

    @field_validator("fields", mode="before")
    @classmethod
    def _fields(cls, value: object) -> list[str]:
        items = [value] if isinstance(value, str) else list(value or [])
        if any(item not in FIELDS_OF_ACTIVITY for item in items):
            raise invalid(_("Choose fields of activity from the list."))
        return sorted(set(items))

    @field_validator("contact_email")
    @classmethod
    def _email(cls, value: str) -> str:
        return normalise_email(value) if value else ""

    @field_validator("website")
    @classmethod
    def _website(cls, value: str) -> str:
        if value and not re.match(r"^https?://[^\s/]+\.[^\s]+$", value):
            raise invalid(_("Enter the full address of the website, starting with https://"))
        return value


class InvitationInput(BaseModel):
    email: str
    role: str = "member"

    @field_validator("email")
    @classmethod
    def _email(cls, value: str) -> str:
        return normalise_email(value)

    @field_validator("role")
    @classmethod
    def _role(cls, value: str) -> str:
        if value not in ROLES:
            raise invalid(_("Choose one of the options."))
        return value


class JoinRequestInput(BaseModel):
    message: str = Field(default="", max_length=1000)


@dataclass(frozen=True)
class DirectoryFilter:
    kind: str = ""
    field: str = ""
    area: str = ""
    q: str = ""
    verified: bool = False
    page: int = 1


@dataclass(frozen=True)
class MemberRow:
    membership: Membership
    user: User


# --- queries ------------------------------------------------------------------------------


def get_organisation(session: Session, slug: str) -> Organisation | None:
    return session.exec(select(Organisation).where(Organisation.slug == slug)).first()


def fields_of(session: Session, organisation_ids: list[int]) -> dict[int, list[str]]:
    result: dict[int, list[str]] = {oid: [] for oid in organisation_ids}
    if organisation_ids:
        rows = session.exec(
            select(OrganisationField).where(col(OrganisationField.organisation_id).in_(organisation_ids))
        ).all()
        for row in rows:
            result[row.organisation_id].append(row.field)
    return result


def list_directory(session: Session, f: DirectoryFilter) -> tuple[list[Organisation], int]:
    """One page of the directory, and how many organisations match in all."""
    query = select(Organisation)
    if f.kind in ORGANISATION_KINDS:
        query = query.where(Organisation.kind == f.kind)
    if f.field in FIELDS_OF_ACTIVITY:
        query = query.where(
            col(Organisation.id).in_(
                select(OrganisationField.organisation_id).where(OrganisationField.field == f.field)
            )
        )
    if f.area:
        query = query.where(func.lower(Organisation.area_served).contains(f.area.lower(), autoescape=True))
    if f.q:
        query = query.where(func.lower(Organisation.name).contains(f.q.lower(), autoescape=True))
    if f.verified:
        query = query.where(col(Organisation.verified_at).is_not(None))
    total = session.exec(select(func.count()).select_from(query.subquery())).one()
    page = session.exec(
        query.order_by(func.lower(Organisation.name)).offset((max(f.page, 1) - 1) * PAGE_SIZE).limit(PAGE_SIZE)
    ).all()
    return list(page), total


def directory_counts(session: Session) -> dict[str, int]:
    rows = session.exec(select(Organisation.kind, func.count()).group_by(Organisation.kind)).all()
    return {kind: n for kind, n in rows}


def members_of(session: Session, organisation: Organisation) -> list[MemberRow]:
    rows = session.exec(
        select(Membership, User)
        .join(User, col(User.id) == Membership.user_id)
        .where(Membership.organisation_id == organisation.id)
        .order_by(func.lower(User.display_name))
    ).all()
    return [MemberRow(m, u) for m, u in rows]


def membership_of(session: Session, organisation: Organisation, user_id: int) -> Membership | None:
    return session.exec(
        select(Membership).where(Membership.organisation_id == organisation.id, Membership.user_id == user_id)
    ).first()


def pending_invitations(session: Session, organisation: Organisation) -> list[Invitation]:
    return list(
        session.exec(
            select(Invitation).where(
                Invitation.organisation_id == organisation.id, col(Invitation.accepted_at).is_(None)
            )
        ).all()
    )


def pending_join_requests(session: Session, organisation: Organisation) -> list[tuple[JoinRequest, User]]:
    rows = session.exec(
        select(JoinRequest, User)
        .join(User, col(User.id) == JoinRequest.user_id)
        .where(JoinRequest.organisation_id == organisation.id, JoinRequest.status == "pending")
        .order_by(col(JoinRequest.created_at))
    ).all()
    return [(jr, u) for jr, u in rows]


def has_pending_request(session: Session, organisation: Organisation, user_id: int) -> bool:
    return (
        session.exec(
            select(JoinRequest.id).where(
                JoinRequest.organisation_id == organisation.id,
                JoinRequest.user_id == user_id,
                JoinRequest.status == "pending",
            )
        ).first()
        is not None
    )


def organisations_of(session: Session, user_id: int) -> list[tuple[Organisation, str]]:
    rows = session.exec(
        select(Organisation, Membership.role)
        .join(Membership, Membership.organisation_id == Organisation.id)
        .where(Membership.user_id == user_id)
        .order_by(func.lower(Organisation.name))
    ).all()
    return [(o, r) for o, r in rows]


# --- actions ------------------------------------------------------------------------------


def _unique_slug(session: Session, name: str) -> str:
    return unique_slug(session, Organisation, name, fallback="organizacja", max_length=100)


def _check_krs_free(session: Session, krs: str | None, own_id: int | None = None) -> None:
    if krs is None:
        return
    other = session.exec(select(Organisation.id).where(Organisation.krs == krs)).first()
    if other is not None and other != own_id:
        raise DomainError("krs", _("An organisation with this KRS number is already registered."), 409)


def _set_fields(session: Session, organisation: Organisation, fields: list[str]) -> None:
    for row in session.exec(
        select(OrganisationField).where(OrganisationField.organisation_id == organisation.id)
    ).all():
        session.delete(row)
    session.flush()
    session.add_all(OrganisationField(organisation_id=organisation.id, field=f) for f in fields)


def _profile_payload(data: OrganisationInput) -> dict:
    return {"name": data.name, "kind": data.kind, "krs": data.krs, "fields": data.fields, "area": data.area_served}


def _require(principal: Principal | None, action: str, obj: object | None = None) -> Principal:
    if principal is None or not can(principal, action, obj):
        raise DomainError("", _("You do not have permission to do this."), 403)
    return principal


def create_organisation(session: Session, principal: Principal | None, data: OrganisationInput) -> Organisation:
    """A new organisation, its creator its first admin."""
    principal = _require(principal, "organisation.create")
    if data.kind == "municipality":
        _require(principal, "organisation.create_municipality")
    _check_krs_free(session, data.krs)
    organisation = Organisation(
        slug=_unique_slug(session, data.name),
        **data.model_dump(exclude={"fields"}),
    )
    session.add(organisation)
    session.flush()
    _set_fields(session, organisation, data.fields)
    session.add(Membership(organisation_id=organisation.id, user_id=principal.id, role="admin"))
    ledger.append(
        session,
        actor_id=principal.id,
        action="organisation.created",
        subject_kind="organisation",
        subject_id=organisation.id,
        payload=_profile_payload(data),
    )
    ledger.append(
        session,
        actor_id=principal.id,
        action="membership.added",
        subject_kind="organisation",
        subject_id=organisation.id,
        payload={"user": principal.id, "role": "admin", "via": "creation"},
    )
    session.commit()
    return organisation


def update_organisation(
    session: Session, principal: Principal | None, organisation: Organisation, data: OrganisationInput
) -> Organisation:
    principal = _require(principal, "organisation.edit", organisation)
    if data.kind != organisation.kind and "municipality" in (data.kind, organisation.kind):
        _require(principal, "organisation.create_municipality")
    _check_krs_free(session, data.krs, organisation.id)
    renamed = (data.name, data.krs) != (organisation.name, organisation.krs)
    for key, value in data.model_dump(exclude={"fields"}).items():
        setattr(organisation, key, value)
    session.add(organisation)
    _set_fields(session, organisation, data.fields)
    ledger.append(
        session,
        actor_id=principal.id,
        action="organisation.updated",
        subject_kind="organisation",
        subject_id=organisation.id,
        payload=_profile_payload(data),
    )
    if renamed and organisation.verified_at is not None and not can(principal, "organisation.verify", organisation):
        _clear_verification(session, principal, organisation)
    session.commit()
    return organisation


def _clear_verification(session: Session, principal: Principal, organisation: Organisation) -> None:
    """A verification vouches for a name and a KRS number: when the organisation changes either, it lapses."""
    organisation.verified_at = None
    organisation.verified_by_id = None
    ledger.append(
        session,
        actor_id=principal.id,
        action="organisation.verification_cleared",
        subject_kind="organisation",
        subject_id=organisation.id,
        payload={"reason": "name_or_krs_changed", "krs": organisation.krs},
    )
    admins = select(User.email).join(Membership, col(Membership.user_id) == User.id)
    for email in session.exec(admins.where(Membership.organisation_id == organisation.id, Membership.role == "admin")):
        queue_mail(
            session,
            email,
            gettext("%(name)s needs to be verified again", name=organisation.name),
            gettext(
                "The name or the KRS number of %(name)s has changed, so its verification has lapsed. Until a "
                "platform admin verifies it again, it cannot take part in consultations open only to verified "
                "organisations.",
                name=organisation.name,
            ),
        )


def verify_organisation(session: Session, principal: Principal | None, organisation: Organisation) -> None:
    principal = _require(principal, "organisation.verify", organisation)
    if organisation.verified_at is not None:
        return
    organisation.verified_at = utcnow()
    organisation.verified_by_id = principal.id
    session.add(organisation)
    ledger.append(
        session,
        actor_id=principal.id,
        action="organisation.verified",
        subject_kind="organisation",
        subject_id=organisation.id,
        payload={"krs": organisation.krs},
    )
    session.commit()


def revoke_verification(session: Session, principal: Principal | None, organisation: Organisation) -> None:
    principal = _require(principal, "organisation.verify", organisation)
    if organisation.verified_at is None:
        return
    organisation.verified_at = None
    organisation.verified_by_id = None
    session.add(organisation)
    ledger.append(
        session,
        actor_id=principal.id,
        action="organisation.verification_revoked",
        subject_kind="organisation",
        subject_id=organisation.id,
    )
    session.commit()


def _check_role_allowed(organisation: Organisation, role: str) -> None:
    if role not in ROLES:
        raise DomainError("role", _("Choose one of the options."))
    if role == "official" and organisation.kind != "municipality":
        raise DomainError("role", _("Only a municipality has officials."))


def invite_member(
    session: Session, principal: Principal | None, organisation: Organisation, data: InvitationInput
) -> Invitation:
    """An invitation to be accepted by whoever holds the e-mail address; the caller sends the link."""
    principal = _require(principal, "organisation.manage_members", organisation)
    _check_role_allowed(organisation, data.role)
    check_rate(session, "invitation.send", f"user:{principal.id}", f"organisation:{organisation.id}")
    invitation = Invitation(
        organisation_id=organisation.id,
        email=data.email,
        role=data.role,
        invited_by_id=principal.id,
    )
    session.add(invitation)
    session.flush()
    ledger.append(
        session,
        actor_id=principal.id,
        action="invitation.created",
        subject_kind="organisation",
        subject_id=organisation.id,
        payload={"invitation": invitation.id, "role": data.role},
    )
    return invitation


def _add_member(session: Session, actor_id: int, organisation: Organisation, user_id: int, role: str, via: str) -> None:
    existing = session.exec(
        select(Membership).where(Membership.organisation_id == organisation.id, Membership.user_id == user_id)
    ).first()
    if existing is not None:
        raise DomainError("", _("This person is already a member of the organisation."), 409)
    session.add(Membership(organisation_id=organisation.id, user_id=user_id, role=role))
    ledger.append(
        session,
        actor_id=actor_id,
        action="membership.added",
        subject_kind="organisation",
        subject_id=organisation.id,
        payload={"user": user_id, "role": role, "via": via},
    )


def accept_invitation(session: Session, principal: Principal | None, invitation_id: int) -> Organisation:
    if principal is None:
        raise DomainError("", _("Log in to accept the invitation."), 403)
    invitation = session.get(Invitation, invitation_id)
    if invitation is None or invitation.accepted_at is not None:
        raise DomainError("", _("This invitation has already been used or was withdrawn."), 409)
    if invitation.email != principal.user.email:
        raise DomainError("", _("This invitation was sent to another e-mail address."), 403)
    organisation = session.get(Organisation, invitation.organisation_id)
    assert organisation is not None
    _add_member(session, principal.id, organisation, principal.id, invitation.role, "invitation")
    invitation.accepted_at = utcnow()
    session.add(invitation)
    session.commit()
    return organisation


def withdraw_invitation(
    session: Session, principal: Principal | None, organisation: Organisation, invitation_id: int
) -> None:
    principal = _require(principal, "organisation.manage_members", organisation)
    invitation = session.get(Invitation, invitation_id)
    if invitation is None or invitation.organisation_id != organisation.id or invitation.accepted_at is not None:
        raise DomainError("", _("This invitation has already been used or was withdrawn."), 409)
    session.delete(invitation)
    ledger.append(
        session,
        actor_id=principal.id,
        action="invitation.withdrawn",
        subject_kind="organisation",
        subject_id=organisation.id,
        payload={"invitation": invitation_id},
    )
    session.commit()


def request_to_join(
    session: Session, principal: Principal | None, organisation: Organisation, data: JoinRequestInput
) -> JoinRequest:
    if principal is not None and organisation.id in principal.roles:
        raise DomainError("", _("You are already a member of this organisation."), 409)
    principal = _require(principal, "organisation.request_to_join", organisation)
    if has_pending_request(session, organisation, principal.id):
        raise DomainError("", _("You have already asked to join. The organisation's admins will decide."), 409)
    request = JoinRequest(organisation_id=organisation.id, user_id=principal.id, message=data.message)
    session.add(request)
    session.flush()
    ledger.append(
        session,
        actor_id=principal.id,
        action="join_request.created",
        subject_kind="organisation",
        subject_id=organisation.id,
        payload={"request": request.id},
    )
    session.commit()
    return request


def decide_join_request(
    session: Session, principal: Principal | None, organisation: Organisation, request_id: int, approve: bool
) -> JoinRequest:
    principal = _require(principal, "organisation.manage_members", organisation)
    request = session.get(JoinRequest, request_id)
    if request is None or request.organisation_id != organisation.id or request.status != "pending":
        raise DomainError("", _("This request has already been decided."), 409)
    request.status = "approved" if approve else "rejected"
    request.decided_at = utcnow()
    request.decided_by_id = principal.id
    session.add(request)
    ledger.append(
        session,
        actor_id=principal.id,
        action=f"join_request.{request.status}",
        subject_kind="organisation",
        subject_id=organisation.id,
        payload={"request": request.id},
    )
    if approve:
        _add_member(session, principal.id, organisation, request.user_id, "member", "join_request")
    session.commit()
    return request


def _admin_count(session: Session, organisation: Organisation) -> int:
    return session.exec(
        select(func.count())
        .select_from(Membership)
        .where(Membership.organisation_id == organisation.id, Membership.role == "admin")
    ).one()


def _membership(session: Session, organisation: Organisation, membership_id: int) -> Membership:
    membership = session.get(Membership, membership_id)
    if membership is None or membership.organisation_id != organisation.id:
        raise DomainError("", _("This person is not a member of the organisation."), 404)
    return membership


def change_role(
    session: Session, principal: Principal | None, organisation: Organisation, membership_id: int, role: str
) -> Membership:
    principal = _require(principal, "organisation.manage_members", organisation)
    _check_role_allowed(organisation, role)
    membership = _membership(session, organisation, membership_id)
    if membership.role == "admin" and role != "admin" and _admin_count(session, organisation) == 1:
        raise DomainError("role", _("An organisation needs at least one admin. Make someone else an admin first."), 409)
    if membership.role != role:
        ledger.append(
            session,
            actor_id=principal.id,
            action="membership.role_changed",
            subject_kind="organisation",
            subject_id=organisation.id,
            payload={"user": membership.user_id, "from": membership.role, "to": role},
        )
        membership.role = role
        session.add(membership)
        session.commit()
    return membership


def remove_member(
    session: Session, principal: Principal | None, organisation: Organisation, membership_id: int
) -> Membership:
    """An admin removes a member, or a member leaves (their own membership)."""
    membership = _membership(session, organisation, membership_id)
    if principal is None or principal.id != membership.user_id:
        principal = _require(principal, "organisation.manage_members", organisation)
    if membership.role == "admin" and _admin_count(session, organisation) == 1:
        raise DomainError("", _("An organisation needs at least one admin. Make someone else an admin first."), 409)
    session.delete(membership)
    ledger.append(
        session,
        actor_id=principal.id,
        action="membership.removed",
        subject_kind="organisation",
        subject_id=organisation.id,
        payload={"user": membership.user_id},
    )
    session.commit()
    return membership
