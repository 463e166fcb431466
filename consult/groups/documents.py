"""A working group's documents (a road map), built with the consultation's document engine: the importer reads
text or a Word file into sections and labelled paragraphs, stored as a DocumentVersion without a consultation;
a new version carries the paragraph keys over, so each paragraph's comment thread follows it."""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import BaseModel, Field
from sqlalchemy import func
from sqlmodel import Session, col, select

from consult import ledger
from consult.consultations.actions import DocumentView, _document_hash, _store_document, document_of
from consult.consultations.document import ParsedDocument
from consult.consultations.versions import carry_keys, parse_version
from consult.errors import DomainError
from consult.groups.rules import GroupAccess
from consult.i18n import _
from consult.models import Comment, DocumentVersion, GroupDocument, Paragraph, Thread, WorkingGroup
from consult.permissions import Principal, can

GROUP_THREAD = "group"  # the group's discussion: owner id "<group id>"
PARAGRAPH_THREAD = "group_paragraph"  # one paragraph of a group document: owner id "<document id>:<paragraph key>"


class DocumentInput(BaseModel):
    title: str = Field(min_length=3, max_length=300)
    note: str = Field(default="", max_length=5000)
    document: str = Field(default="", max_length=500_000)


class RevisionInput(BaseModel):
    note: str = Field(min_length=3, max_length=5000)
    document: str = Field(default="", max_length=500_000)


@dataclass(frozen=True)
class _NoConsultation:
    """What `_store_document` reads of its consultation (the id) for a version that belongs to no consultation."""

    id: None = None


# --- queries ------------------------------------------------------------------------------


def documents_of(session: Session, group: WorkingGroup) -> list[tuple[GroupDocument, DocumentVersion | None]]:
    rows = session.exec(
        select(GroupDocument, DocumentVersion)
        .outerjoin(DocumentVersion, col(DocumentVersion.id) == GroupDocument.version_id)
        .where(GroupDocument.group_id == group.id)
        .order_by(col(GroupDocument.created_at), col(GroupDocument.id))
    ).all()
    return [(d, v) for d, v in rows]


def get_document(session: Session, group: WorkingGroup, document_id: int) -> GroupDocument | None:
    document = session.get(GroupDocument, document_id)
    return document if document is not None and document.group_id == group.id else None


def view_of(session: Session, document: GroupDocument) -> DocumentView | None:
    version = session.get(DocumentVersion, document.version_id) if document.version_id else None
    return document_of(session, version) if version is not None else None


def paragraph_of(session: Session, document: GroupDocument, key: str) -> Paragraph | None:
    if document.version_id is None:
        return None
    return session.exec(
        select(Paragraph).where(Paragraph.version_id == document.version_id, Paragraph.key == key)
    ).first()


def paragraph_owner(document: GroupDocument, key: str) -> str:
    return f"{document.id}:{key}"


def thread_of(session: Session, kind: str, owner_id: str) -> Thread | None:
    return session.exec(select(Thread).where(Thread.owner_kind == kind, Thread.owner_id == owner_id)).first()


def get_or_create_thread(session: Session, kind: str, owner_id: str) -> Thread:
    thread = thread_of(session, kind, owner_id)
    if thread is None:
        thread = Thread(owner_kind=kind, owner_id=owner_id)
        session.add(thread)
        session.flush()
    return thread


def comment_counts(session: Session, document: GroupDocument) -> dict[str, int]:
    """Comments shown on each paragraph of the document (not hidden), by paragraph key, in one query."""
    prefix = f"{document.id}:"
    rows = session.exec(
        select(Thread.owner_id, func.count(col(Comment.id)))
        .join(Comment, col(Comment.thread_id) == Thread.id)
        .where(
            Thread.owner_kind == PARAGRAPH_THREAD,
            col(Thread.owner_id).startswith(prefix),
            Comment.status != "hidden",
        )
        .group_by(Thread.owner_id)
    ).all()
    return {owner.removeprefix(prefix): n for owner, n in rows}


# --- actions ------------------------------------------------------------------------------


def _require_coordinator(principal: Principal | None, access: GroupAccess) -> Principal:
    if principal is None or not can(principal, "group.document", access):
        raise DomainError("", _("Only the group's coordinator writes its documents."), 403)
    return principal


def create_document(
    session: Session,
    principal: Principal | None,
    access: GroupAccess,
    data: DocumentInput,
    parsed: ParsedDocument | None = None,
    source: str = "markdown",
) -> GroupDocument:
    """A new document of the group, from a Word file (already read) or the pasted text."""
    principal = _require_coordinator(principal, access)
    parsed = parse_version(data, parsed)  # type: ignore[arg-type]  (reads .document only)
    version = _store_document(session, _NoConsultation(), parsed, source, principal.id, note=data.note.strip())
    document = GroupDocument(
        group_id=access.group.id, title=data.title, version_id=version.id, created_by_id=principal.id
    )
    session.add(document)
    session.flush()
    ledger.append(
        session,
        actor_id=principal.id,
        action="group.document_created",
        subject_kind="group_document",
        subject_id=document.id,
        payload={
            "group": access.group.id,
            "title": document.title,
            "version": version.number,
            "paragraphs": len(parsed.paragraphs),
            "document_sha256": _document_hash(parsed),
        },
    )
    session.commit()
    return document


def revise_document(
    session: Session,
    principal: Principal | None,
    access: GroupAccess,
    document: GroupDocument,
    data: RevisionInput,
    parsed: ParsedDocument | None = None,
    source: str = "markdown",
) -> DocumentVersion:
    """A new version of the text, numbered after the current one; paragraphs keep their keys (and threads) when
    their text, their label or most of their words stay."""
    principal = _require_coordinator(principal, access)
    parsed = parse_version(data, parsed)  # type: ignore[arg-type]
    previous = session.get(DocumentVersion, document.version_id) if document.version_id else None
    old = [p for _s, ps in document_of(session, previous).sections for p in ps] if previous else []
    if [(p.label, p.text) for p in old] == [(p.label, p.text) for p in parsed.paragraphs]:
        raise DomainError("document", _("The text is the same as the current version. Change it before publishing."))
    carried = carry_keys(old, parsed)
    number = (previous.number if previous else 0) + 1
    version = _store_document(
        session, _NoConsultation(), parsed, source, principal.id, number=number, note=data.note.strip()
    )
    document.version_id = version.id
    session.add(document)
    ledger.append(
        session,
        actor_id=principal.id,
        action="group.document_revised",
        subject_kind="group_document",
        subject_id=document.id,
        payload={
            "group": access.group.id,
            "version": number,
            "paragraphs": len(parsed.paragraphs),
            "carried_over": carried,
            "document_sha256": _document_hash(parsed),
            "note_sha256": ledger.sha256_hex(version.note),
        },
    )
    session.commit()
    return version
