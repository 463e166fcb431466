"""Comments received outside the platform (on paper, by e-mail, at a consultation meeting), entered by an official on
behalf of the organisation that sent them, so the record is complete; each is marked with its channel and date."""

from __future__ import annotations

import secrets
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from pydantic import BaseModel, Field, ValidationInfo, field_validator
from sqlalchemy import func
from sqlmodel import Session, col, select

from consult import ledger
from consult.consultations.actions import (
    current_version,
    get_or_create_thread,
    get_paragraph,
    require_unfrozen,
    status_of,
)
from consult.forms import DomainError, invalid
from consult.i18n import _
from consult.markdown import render_markdown
from consult.models import Comment, Consultation, Organisation, Paragraph
from consult.permissions import Principal, can

OUTSIDE_CHANNELS = ("email", "paper", "meeting")
CHANNEL_LABELS = {
    "email": _("By e-mail"),
    "paper": _("On paper"),
    "meeting": _("At a consultation meeting"),
}


SENDERS = ("organisation", "person")  # an organisation in the directory, or a person or group without an account


class EntryInput(BaseModel):
    sender: str = "organisation"
    organisation_id: int | None = Field(default=None, validate_default=True)
    sender_name: str = Field(default="", max_length=200, validate_default=True)
    sender_address: str = Field(default="", max_length=500)
    channel: str
    received_at: date
    paragraph: str = Field(default="", max_length=20)
    body: str = Field(min_length=1, max_length=20_000)
    current_wording: str = Field(default="", max_length=20_000)
    proposed_wording: str = Field(default="", max_length=20_000)
    justification: str = Field(default="", max_length=20_000)

    @field_validator("organisation_id", mode="before")
    @classmethod
    def _organisation(cls, value: object) -> object:
        if value == "":
            return None
        if isinstance(value, str) and not value.isdigit():
            raise invalid(_("Choose the organisation that sent the comment."))
        return value

    @field_validator("sender")
    @classmethod
    def _sender(cls, value: str) -> str:
        if value not in SENDERS:
            raise invalid(_("Choose who sent the comment."))
        return value

    @field_validator("organisation_id")
    @classmethod
    def _organisation_chosen(cls, value: int | None, info: ValidationInfo) -> int | None:
        if value is None and info.data.get("sender") == "organisation":
            raise invalid(_("Choose the organisation that sent the comment."))
        return value

    @field_validator("sender_name")
    @classmethod
    def _named(cls, value: str, info: ValidationInfo) -> str:
        if len(value.strip()) < 2 and info.data.get("sender") == "person":
            raise invalid(_("Give the name of the person or group that sent the comment."))
        return value

    @field_validator("channel")
    @classmethod
    def _channel(cls, value: str) -> str:
        if value not in OUTSIDE_CHANNELS:
            raise invalid(_("Choose how the comment reached the municipality."))
        return value

    @field_validator("received_at", mode="before")
    @classmethod
    def _date(cls, value: object) -> object:
        if isinstance(value, str):
            try:
                return date.fromisoformat(value)
            except ValueError as exc:
                raise invalid(_("Enter the date of receipt, for example 2026-12-03.")) from exc
        return value


# --- queries ------------------------------------------------------------------------------


def senders(session: Session, municipality: Organisation) -> list[Organisation]:
    """Every organisation in the directory that may have sent a comment: all but the consulting municipality."""
    return list(
        session.exec(
            select(Organisation).where(Organisation.id != municipality.id).order_by(func.lower(Organisation.name))
        ).all()
    )


def paragraphs_of(session: Session, consultation: Consultation) -> list[Paragraph]:
    version = current_version(session, consultation)
    if version is None:
        return []
    return list(
        session.exec(select(Paragraph).where(Paragraph.version_id == version.id).order_by(col(Paragraph.position)))
    )


def local_today(zone: str = "Europe/Warsaw") -> date:
    return datetime.now(ZoneInfo(zone)).date()


# --- actions ------------------------------------------------------------------------------


def enter_comment(
    session: Session,
    principal: Principal | None,
    consultation: Consultation,
    data: EntryInput,
    zone: str = "Europe/Warsaw",
) -> Comment:
    """A comment received outside the platform, entered while the consultation is open or closed, until its record."""
    municipality = session.get(Organisation, consultation.organisation_id)
    if principal is None or not can(principal, "consultation.manage", municipality):
        raise DomainError("", _("Only the municipality's officials enter comments received outside the platform."), 403)
    if consultation.published_at is None or status_of(consultation) == "scheduled":
        raise DomainError("", _("Comments can be entered once the consultation has opened."), 409)
    require_unfrozen(session, consultation)
    organisation = _sender_organisation(session, municipality, data)
    opened = consultation.opens_at.astimezone(ZoneInfo(zone)).date()
    if data.received_at > local_today(zone):
        raise DomainError("received_at", _("The date of receipt cannot be in the future."))
    if data.received_at < opened:
        raise DomainError("received_at", _("The consultation opened later: check the date of receipt."))
    paragraph = None
    if data.paragraph:
        version = current_version(session, consultation)
        paragraph = get_paragraph(session, version, data.paragraph) if version else None
        if paragraph is None:
            raise DomainError("paragraph", _("Choose a part of the document from the list."))
    current = data.current_wording or (paragraph.text if paragraph and data.proposed_wording else "")
    thread = get_or_create_thread(session, consultation, paragraph.key if paragraph else None)
    person = organisation is None
    comment = Comment(
        thread_id=thread.id,
        author_id=principal.id,  # the official who entered it; pages name the organisation or the sender only
        organisation_id=organisation.id if organisation else None,
        sender_name=data.sender_name.strip() if person else "",
        sender_address=data.sender_address.strip() if person else "",
        sender_salt=secrets.token_hex(16) if person else "",
        body=data.body,
        body_html=render_markdown(data.body),
        current_wording=current,
        proposed_wording=data.proposed_wording,
        justification=data.justification,
        channel=data.channel,
        received_at=datetime.combine(data.received_at, time(12, 0), tzinfo=ZoneInfo(zone)).astimezone(UTC),
    )
    session.add(comment)
    session.flush()
    comment.root_id = comment.id
    text_hash = ledger.sha256_hex(
        ledger.canonical_json([comment.body, comment.current_wording, comment.proposed_wording, comment.justification])
    )
    ledger.append(
        session,
        actor_id=principal.id,
        action="comment.entered",
        subject_kind="comment",
        subject_id=comment.id,
        payload={
            "thread": thread.id,
            "organisation": organisation.id if organisation else None,
            # a person's name and address, bound by a salted commitment (erasing them and the salt keeps the chain)
            **({"sender": ledger.commitment(comment.sender_salt, _sender_text(comment))} if person else {}),
            "channel": data.channel,
            "received_on": data.received_at.isoformat(),
            "sha256": text_hash,
        },
    )
    session.commit()
    return comment


def _sender_organisation(session: Session, municipality: Organisation, data: EntryInput) -> Organisation | None:
    """The organisation that sent the comment; None for a person or group without an account, who must be named."""
    if data.sender == "person":
        if len(data.sender_name.strip()) < 2:
            raise DomainError("sender_name", _("Give the name of the person or group that sent the comment."))
        return None
    organisation = session.get(Organisation, data.organisation_id) if data.organisation_id else None
    if organisation is None or organisation.id == municipality.id:
        raise DomainError("organisation_id", _("Choose the organisation that sent the comment."))
    return organisation


def _sender_text(comment: Comment) -> str:
    return ledger.canonical_json([comment.sender_name, comment.sender_address])
