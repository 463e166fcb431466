"""Consultations: create a draft from a document, publish it, list and read them; status follows the clock."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from pydantic import BaseModel, Field, field_validator
from slugify import slugify
from sqlalchemy import func
from sqlalchemy.orm import object_session
from sqlmodel import Session, col, select

from consult import ledger
from consult.comments.actions import Gate
from consult.consultations.document import DocumentError, ParsedDocument, ParseNote, parse_markdown
from consult.forms import DomainError, invalid
from consult.i18n import _
from consult.models import (
    DOCUMENT_THREADS,
    PARTICIPATION,
    Comment,
    Consultation,
    CouncilOpinion,
    DocumentVersion,
    Organisation,
    Paragraph,
    Record,
    Section,
    Thread,
    utcnow,
)
from consult.permissions import Principal, can

PAGE_SIZE = 20
STATUSES = ("scheduled", "open", "closed")
SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


def status_of(consultation: Consultation, now: datetime | None = None) -> str:
    """scheduled, open or closed, from the clock on every call (no job decides it); a cancelled one is closed."""
    now = now or utcnow()
    if consultation.cancelled_at is not None:
        return "closed"
    if now < consultation.opens_at:
        return "scheduled"
    return "open" if now < consultation.closes_at else "closed"


def shown_status(consultation: Consultation, now: datetime | None = None) -> str:
    """The status pages show: status_of, or "cancelled" for a consultation the municipality cancelled."""
    return "cancelled" if consultation.cancelled_at is not None else status_of(consultation, now)


def parse_local(value: str, zone: str = "Europe/Warsaw") -> datetime:
    """A datetime-local field ("2026-12-01T09:00") read in the municipality's zone."""
    try:
        naive = datetime.fromisoformat(value)
    except ValueError as exc:
        raise invalid(_("Enter a date and time, for example 2026-12-01 09:00.")) from exc
    return (naive if naive.tzinfo else naive.replace(tzinfo=ZoneInfo(zone))).astimezone(ZoneInfo("UTC"))


class ConsultationInput(BaseModel):
    organisation_id: int
    title: str = Field(min_length=5, max_length=300)
    slug: str = Field(default="", max_length=100)
    summary: str = Field(min_length=10, max_length=5000)
    responsible_unit: str = Field(min_length=2, max_length=200)
    contact_person: str = Field(min_length=2, max_length=200)
    participation: str = "verified_organisations"
    opens_at: datetime
    closes_at: datetime
    short_window_reason: str = Field(default="", max_length=2000)
    document: str = Field(default="", max_length=500_000)

    @field_validator("opens_at", "closes_at", mode="before")
    @classmethod
    def _local_time(cls, value: object) -> object:
        return parse_local(value) if isinstance(value, str) and value else value

    @field_validator("participation")
    @classmethod
    def _participation(cls, value: str) -> str:
        if value not in PARTICIPATION:
            raise invalid(_("Choose who may take part."))
        return value

    @field_validator("slug")
    @classmethod
    def _slug(cls, value: str) -> str:
        if value and not SLUG_RE.match(value):
            raise invalid(_("Use lower-case letters without Polish characters, digits and hyphens."))
        return value


@dataclass(frozen=True)
class ListFilter:
    status: str = ""
    municipality: str = ""  # organisation slug
    q: str = ""
    page: int = 1


@dataclass(frozen=True)
class DocumentView:
    version: DocumentVersion
    sections: list[tuple[Section, list[Paragraph]]]

    @property
    def chapters(self) -> list[tuple[str, list[tuple[Section, list[Paragraph]]]]]:
        """Consecutive sections grouped by their chapter ("" for the sections outside any chapter)."""
        groups: list[tuple[str, list[tuple[Section, list[Paragraph]]]]] = []
        for section, paragraphs in self.sections:
            if not groups or groups[-1][0] != section.chapter:
                groups.append((section.chapter, []))
            groups[-1][1].append((section, paragraphs))
        return groups


# --- queries ------------------------------------------------------------------------------


def get_consultation(session: Session, slug: str) -> tuple[Consultation, Organisation] | None:
    row = session.exec(
        select(Consultation, Organisation)
        .join(Organisation, col(Organisation.id) == Consultation.organisation_id)
        .where(Consultation.slug == slug)
    ).first()
    return (row[0], row[1]) if row else None


def can_see(principal: Principal | None, consultation: Consultation, municipality: Organisation) -> bool:
    """Published: everyone. A draft: its municipality's officials, and the council asked for its opinion."""
    if consultation.published_at is not None or can(principal, "consultation.manage", municipality):
        return True
    session = object_session(consultation)  # the consultation's own session: callers need not pass one
    if principal is None or not principal.roles or session is None:
        return False
    council_id = session.exec(
        select(CouncilOpinion.council_id).where(CouncilOpinion.consultation_id == consultation.id)
    ).first()
    return council_id is not None and council_id in principal.roles


def list_consultations(session: Session, f: ListFilter, now: datetime | None = None, page_size: int | None = PAGE_SIZE):
    """One page of published consultations (newest opening first) with their municipality, and the total."""
    now = now or utcnow()
    query = (
        select(Consultation, Organisation)
        .join(Organisation, col(Organisation.id) == Consultation.organisation_id)
        .where(col(Consultation.published_at).is_not(None))
    )
    running = col(Consultation.cancelled_at).is_(None)
    if f.status == "scheduled":
        query = query.where(Consultation.opens_at > now, running)
    elif f.status == "open":
        query = query.where(Consultation.opens_at <= now, Consultation.closes_at > now, running)
    elif f.status == "closed":
        query = query.where((Consultation.closes_at <= now) | ~running)
    if f.municipality:
        query = query.where(Organisation.slug == f.municipality)
    if f.q:
        query = query.where(func.lower(Consultation.title).contains(f.q.lower(), autoescape=True))
    total = session.exec(select(func.count()).select_from(query.subquery())).one()
    query = query.order_by(col(Consultation.opens_at).desc(), col(Consultation.id).desc())
    if page_size is not None:
        query = query.offset((max(f.page, 1) - 1) * page_size).limit(page_size)
    rows = session.exec(query).all()
    return [(c, o) for c, o in rows], total


def municipalities(session: Session) -> list[Organisation]:
    return list(
        session.exec(select(Organisation).where(Organisation.kind == "municipality").order_by(Organisation.name))
    )


def current_version(session: Session, consultation: Consultation) -> DocumentVersion | None:
    return session.exec(
        select(DocumentVersion)
        .where(DocumentVersion.consultation_id == consultation.id)
        .order_by(col(DocumentVersion.number).desc())
        .limit(1)
    ).first()


def document_of(session: Session, version: DocumentVersion) -> DocumentView:
    """The version's sections with their paragraphs, in two queries."""
    sections = session.exec(select(Section).where(Section.version_id == version.id).order_by(Section.position)).all()
    paragraphs = session.exec(
        select(Paragraph).where(Paragraph.version_id == version.id).order_by(Paragraph.position)
    ).all()
    by_section: dict[int, list[Paragraph]] = {s.id: [] for s in sections}
    for paragraph in paragraphs:
        by_section[paragraph.section_id].append(paragraph)
    return DocumentView(version, [(s, by_section[s.id]) for s in sections])


def import_notes_of(version: DocumentVersion | None) -> list[ParseNote]:
    """What the importer could not structure in this version's document, as stored with it."""
    if version is None:
        return []
    return [ParseNote(code, params, key, label) for code, params, key, label in json.loads(version.import_notes)]


def get_paragraph(session: Session, version: DocumentVersion, key: str) -> Paragraph | None:
    return session.exec(select(Paragraph).where(Paragraph.version_id == version.id, Paragraph.key == key)).first()


def thread_owner_id(consultation: Consultation, paragraph_key: str | None = None) -> str:
    return f"{consultation.id}:{paragraph_key}" if paragraph_key else str(consultation.id)


def comment_counts(session: Session, consultation: Consultation) -> dict[str, int]:
    """Visible comments by paragraph key ("" for the general discussion), in one query."""
    rows = session.exec(
        select(Thread.owner_id, func.count(col(Comment.id)))
        .join(Comment, col(Comment.thread_id) == Thread.id)
        .where(
            Thread.consultation_id == consultation.id,
            col(Thread.owner_kind).in_(DOCUMENT_THREADS),
            Comment.status != "hidden",
        )
        .group_by(Thread.owner_id)
    ).all()
    prefix = f"{consultation.id}:"
    return {(owner.removeprefix(prefix) if owner.startswith(prefix) else ""): n for owner, n in rows}


def threads_of(session: Session, consultation: Consultation) -> dict[str, Thread]:
    """The document's own threads by paragraph key ("" for the general discussion); proposals' threads are not."""
    rows = session.exec(
        select(Thread).where(Thread.consultation_id == consultation.id, col(Thread.owner_kind).in_(DOCUMENT_THREADS))
    ).all()
    prefix = f"{consultation.id}:"
    return {(t.owner_id.removeprefix(prefix) if t.owner_id.startswith(prefix) else ""): t for t in rows}


def is_frozen(session: Session, consultation: Consultation) -> bool:
    """A published record freezes the consultation: its comments, votes, answers and documents."""
    return session.exec(select(Record.id).where(Record.consultation_id == consultation.id)).first() is not None


def require_unfrozen(session: Session, consultation: Consultation) -> None:
    """Refuse (409) any change to a consultation whose record is published; every action changing one calls it."""
    if is_frozen(session, consultation):
        raise DomainError("", _("The consultation record is published: nothing in this consultation can change."), 409)


# --- actions ------------------------------------------------------------------------------


def _unique_slug(session: Session, wanted: str, title: str) -> str:
    base = wanted or slugify(title, max_length=80) or "konsultacje"
    slug, n = base, 2
    while session.exec(select(Consultation.id).where(Consultation.slug == slug)).first() is not None:
        if wanted:
            raise DomainError("slug", _("This address is already taken. Choose another."), 409)
        slug, n = f"{base}-{n}", n + 1
    return slug


def _check_window(municipality: Organisation, data: ConsultationInput) -> None:
    if data.closes_at <= data.opens_at:
        raise DomainError("closes_at", _("The closing time must be after the opening time."))
    minimum = timedelta(days=municipality.min_consultation_days)
    if data.closes_at - data.opens_at < minimum and not data.short_window_reason.strip():
        raise DomainError(
            "short_window_reason",
            _("The consultation is shorter than the %(days)s days your municipality requires: give the reason."),
            days=municipality.min_consultation_days,
        )


def _store_document(
    session: Session,
    consultation: Consultation,
    parsed: ParsedDocument,
    source: str,
    actor: int,
    number: int = 1,
    note: str = "",
):
    version = DocumentVersion(
        consultation_id=consultation.id,
        number=number,
        title=parsed.title,
        preamble=parsed.preamble,
        source=source,
        note=note,
        created_by_id=actor,
        import_notes=json.dumps([[n.code, n.params, n.paragraph_key, n.label] for n in parsed.notes]),
    )
    session.add(version)
    session.flush()
    position = 0
    for s_index, parsed_section in enumerate(parsed.sections):
        section = Section(
            version_id=version.id,
            position=s_index,
            label=parsed_section.label,
            title=parsed_section.title,
            chapter=parsed_section.chapter,
        )
        session.add(section)
        session.flush()
        for p in parsed_section.paragraphs:
            position += 1
            session.add(
                Paragraph(
                    version_id=version.id,
                    section_id=section.id,
                    position=position,
                    key=p.key,
                    label=p.label,
                    depth=p.depth,
                    text=p.text,
                )
            )
    return version


def create_consultation(
    session: Session,
    principal: Principal | None,
    data: ConsultationInput,
    parsed: ParsedDocument | None = None,
    source: str = "markdown",
) -> Consultation:
    """A draft consultation with its document, visible to the municipality's officials until published."""
    municipality = session.get(Organisation, data.organisation_id)
    if municipality is None or not can(principal, "consultation.manage", municipality):
        raise DomainError(
            "organisation_id", _("You can create consultations only for a municipality you work for."), 403
        )
    _check_window(municipality, data)
    parsed = _document(data, parsed)
    if parsed is None:
        raise DomainError("document", _("Paste the document or upload a .docx file."))
    consultation = Consultation(
        organisation_id=municipality.id,
        slug=_unique_slug(session, data.slug, data.title),
        title=data.title,
        summary=data.summary,
        responsible_unit=data.responsible_unit,
        contact_person=data.contact_person,
        participation=data.participation,
        opens_at=data.opens_at,
        closes_at=data.closes_at,
        short_window_reason=data.short_window_reason.strip(),
        created_by_id=principal.id,
    )
    session.add(consultation)
    session.flush()
    version = _store_document(session, consultation, parsed, source, principal.id)
    session.add(
        Thread(owner_kind="consultation", owner_id=thread_owner_id(consultation), consultation_id=consultation.id)
    )
    ledger.append(
        session,
        actor_id=principal.id,
        action="consultation.created",
        subject_kind="consultation",
        subject_id=consultation.id,
        payload={
            "slug": consultation.slug,
            "title": consultation.title,
            "version": version.number,
            "paragraphs": len(parsed.paragraphs),
            "document_sha256": _document_hash(parsed),
        },
    )
    session.commit()
    return consultation


def _document(data: ConsultationInput, parsed: ParsedDocument | None) -> ParsedDocument | None:
    """The uploaded document, else the pasted one, else None."""
    if parsed is not None or not data.document.strip():
        return parsed
    try:
        return parse_markdown(data.document)
    except DocumentError as exc:
        raise DomainError("document", str(exc)) from exc


def _document_hash(parsed: ParsedDocument) -> str:
    return ledger.sha256_hex("\n".join(p.label + " " + p.text for p in parsed.paragraphs))


DRAFT_FIELDS = ("title", "summary", "responsible_unit", "contact_person", "participation", "opens_at", "closes_at")


def update_draft(
    session: Session,
    principal: Principal | None,
    consultation: Consultation,
    data: ConsultationInput,
    parsed: ParsedDocument | None = None,
    source: str = "markdown",
) -> Consultation:
    """Change a draft before publishing it; a new document replaces the old one (a draft has no comments)."""
    municipality = session.get(Organisation, consultation.organisation_id)
    if not can(principal, "consultation.manage", municipality):
        raise DomainError("", _("You do not have permission to do this."), 403)
    if consultation.published_at is not None:
        raise DomainError("", _("A published consultation can no longer be changed as a draft."), 409)
    _check_window(municipality, data)
    parsed = _document(data, parsed)
    for name in DRAFT_FIELDS:
        setattr(consultation, name, getattr(data, name))
    consultation.short_window_reason = data.short_window_reason.strip()
    payload = {
        "title": consultation.title,
        "opens_at": consultation.opens_at.isoformat(),
        "closes_at": consultation.closes_at.isoformat(),
    }
    if parsed is not None:
        old = current_version(session, consultation)
        if old is not None:
            session.delete(old)
            session.flush()
        _store_document(session, consultation, parsed, source, principal.id)
        payload["document_sha256"] = _document_hash(parsed)
    session.add(consultation)
    ledger.append(
        session,
        actor_id=principal.id,
        action="consultation.draft_updated",
        subject_kind="consultation",
        subject_id=consultation.id,
        payload=payload,
    )
    session.commit()
    return consultation


def publish_consultation(session: Session, principal: Principal | None, consultation: Consultation) -> Consultation:
    municipality = session.get(Organisation, consultation.organisation_id)
    if not can(principal, "consultation.manage", municipality):
        raise DomainError("", _("You do not have permission to do this."), 403)
    if consultation.published_at is not None:
        raise DomainError("", _("This consultation is already published."), 409)
    if consultation.closes_at <= utcnow():
        raise DomainError("", _("The closing time has passed. Change the dates before publishing."), 409)
    consultation.published_at = utcnow()
    session.add(consultation)
    ledger.append(
        session,
        actor_id=principal.id,
        action="consultation.published",
        subject_kind="consultation",
        subject_id=consultation.id,
        payload={"opens_at": consultation.opens_at.isoformat(), "closes_at": consultation.closes_at.isoformat()},
    )
    from consult.notifications import events  # the organisations that serve the municipality are told

    events.consultation_published(session, consultation)
    session.commit()
    return consultation


def gate_for(
    consultation: Consultation, municipality: Organisation, now: datetime | None = None, frozen: bool = False
) -> Gate:
    """Whether the consultation's threads take comments now, and from whom."""
    state = status_of(consultation, now)
    if consultation.published_at is None:
        message = _("This consultation is not published yet.")
    elif state == "scheduled":
        message = _("This consultation has not opened yet. Comments can be posted once it opens.")
    else:
        message = _("This consultation is closed. Comments can no longer be posted or changed.")
    return Gate(
        open=consultation.published_at is not None and state == "open",
        closed_message=message,
        allow_individuals=consultation.participation == "signed_in",
        verified_only=consultation.participation == "verified_organisations",
        moderator=municipality,
        frozen=frozen,
    )


def get_or_create_thread(session: Session, consultation: Consultation, paragraph_key: str | None) -> Thread:
    owner_id = thread_owner_id(consultation, paragraph_key)
    kind = "paragraph" if paragraph_key else "consultation"
    thread = session.exec(select(Thread).where(Thread.owner_kind == kind, Thread.owner_id == owner_id)).first()
    if thread is None:
        thread = Thread(owner_kind=kind, owner_id=owner_id, consultation_id=consultation.id)
        session.add(thread)
        session.flush()
    return thread
