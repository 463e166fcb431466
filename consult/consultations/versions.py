"""Revised versions of a consultation's document: publish one (keys carried over), compare two word by word,
and name the accepted contributions behind each change."""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from pydantic import BaseModel, Field
from sqlalchemy import and_, func, or_
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from consult import ledger
from consult.comments.actions import ROOTS_PER_PAGE
from consult.consultations.actions import (
    DocumentView,
    _document_hash,
    _store_document,
    current_version,
    document_of,
    require_unfrozen,
)
from consult.consultations.document import DocumentError, ParsedDocument, new_key, parse_markdown
from consult.forms import DomainError
from consult.i18n import _
from consult.models import (
    Answer,
    AnswerLink,
    Comment,
    Consultation,
    DocumentVersion,
    Organisation,
    Paragraph,
    Proposal,
    Thread,
)
from consult.permissions import Principal, can

SIMILAR = 0.6  # a paragraph not found by its label is the same paragraph reworded from this difflib ratio up
BEHIND_A_CHANGE = ("accepted", "partly_accepted")


class VersionInput(BaseModel):
    note: str = Field(min_length=3, max_length=5000)
    document: str = Field(default="", max_length=500_000)


# --- the document back to the Markdown the importer reads ------------------------------------------


UNIT_LINE_RE = re.compile(r"(?: pkt (?P<pkt>\S+)| lit\. (?P<lit>[a-z]+)| tiret (?P<tiret>\D+))$")


def _paragraph_line(section_label: str, label: str, text: str) -> tuple[str, bool]:
    """The Markdown line of one paragraph, and whether it is numbered (numbered lines need no blank line)."""
    rest = label[len(section_label) :] if label.startswith(section_label) else None
    if rest is not None:
        if match := re.fullmatch(r" ust\. (\S+)", rest):
            return f"{match.group(1)}. {text}", True
        if match := UNIT_LINE_RE.search(rest):
            if match.group("pkt"):
                return f"   {match.group('pkt')}) {text}", True
            if match.group("lit"):
                return f"      {match.group('lit')}) {text}", True
            return f"         – {text}", True
    return text, False


def _heading(label: str, title: str) -> str:
    if label.endswith("…"):  # a long heading without "§": the importer shortened it into the label
        return f"## {title}"
    if label.startswith("§") or title:  # "§ 2. Cele", "Rozdział 2. Cele" (a chapter that is a section)
        return f"## {label}. {title}".rstrip()
    return f"## {label}"


Sections = Iterable[tuple[str, str, Sequence[tuple[str, str]], str]]  # label, title, (label, text)s, chapter


def serialise(title: str, preamble: str, sections: Sections) -> str:
    """Markdown that parse_markdown reads back into the same title, preamble, chapters, sections, labels and texts."""
    blocks: list[str] = []
    if title:
        blocks.append(f"# {title}")
    blocks.extend(chunk for chunk in preamble.split("\n\n") if chunk.strip())
    chapter = ""
    for label, heading_title, paragraphs, section_chapter in sections:
        if section_chapter and section_chapter != chapter:
            blocks.append(f"## {section_chapter}")
        chapter = section_chapter
        blocks.extend(_section_blocks(label, heading_title, paragraphs))
    return "\n\n".join(blocks) + "\n"


def _section_blocks(label: str, heading_title: str, paragraphs: Sequence[tuple[str, str]]) -> list[str]:
    if len(paragraphs) == 1 and paragraphs[0][0] == label and not heading_title and paragraphs[0][1].endswith("."):
        return [_heading(label, paragraphs[0][1])]  # "§ 2. Wykonanie uchwały powierza się Wójtowi."
    blocks = [_heading(label, heading_title)]
    run: list[str] = []
    for p_label, text in paragraphs:
        line, numbered = _paragraph_line(label, p_label, text)
        if numbered:
            run.append(line)
            continue
        if run:
            blocks.append("\n".join(run))
            run = []
        blocks.append(line)
    if run:
        blocks.append("\n".join(run))
    return blocks


def serialise_view(view: DocumentView) -> str:
    """A stored version as Markdown, for editing it in place."""
    return serialise(
        view.version.title,
        view.version.preamble,
        ((s.label, s.title, [(p.label, p.text) for p in ps], s.chapter) for s, ps in view.sections),
    )


def serialise_parsed(parsed: ParsedDocument) -> str:
    return serialise(
        parsed.title,
        parsed.preamble,
        ((s.label, s.title, [(p.label, p.text) for p in s.paragraphs], s.chapter) for s in parsed.sections),
    )


# --- paragraph keys across versions -----------------------------------------------------------


def carry_keys(previous: Sequence[Paragraph], parsed: ParsedDocument) -> int:
    """Give the new paragraphs the keys of the previous version's, so their threads follow them; return how many.

    A paragraph whose text is unchanged keeps its key wherever it moved; then the same label ("§ 3 ust. 2") keeps it;
    then the most similar remaining text (difflib ratio >= 0.6). The rest get new keys.
    """
    new = parsed.paragraphs
    free = {p.key: p for p in previous}
    matched: dict[int, str] = {}

    def take(index: int, key: str) -> None:
        matched[index] = key
        del free[key]

    for index, p in enumerate(new):  # unchanged text, same label first so duplicates pair up in place
        same = [o for o in free.values() if o.text == p.text]
        if same:
            take(index, next((o.key for o in same if o.label == p.label), same[0].key))
    for index, p in enumerate(new):
        if index not in matched and (old := next((o for o in free.values() if o.label == p.label), None)):
            take(index, old.key)
    pairs = []
    for index, p in enumerate(new):
        if index in matched:
            continue
        for old in free.values():
            matcher = difflib.SequenceMatcher(None, old.text, p.text)
            if matcher.real_quick_ratio() >= SIMILAR and matcher.quick_ratio() >= SIMILAR:
                ratio = matcher.ratio()
                if ratio >= SIMILAR:
                    pairs.append((ratio, index, old.key))
    for _ratio, index, key in sorted(pairs, key=lambda t: (-t[0], t[1])):
        if index not in matched and key in free:
            take(index, key)
    for index, key in matched.items():
        new[index].key = key
    taken = set(matched.values())
    for index, p in enumerate(new):  # a fresh key must not collide with a carried one
        while index not in matched and p.key in taken:
            p.key = new_key()
        taken.add(p.key)
    return len(matched)


# --- queries ---------------------------------------------------------------------------------


def versions_of(session: Session, consultation: Consultation) -> list[DocumentVersion]:
    return list(
        session.exec(
            select(DocumentVersion)
            .where(DocumentVersion.consultation_id == consultation.id)
            .order_by(col(DocumentVersion.number))
        ).all()
    )


def paragraph_keys(session: Session, version: DocumentVersion) -> set[str]:
    return set(session.exec(select(Paragraph.key).where(Paragraph.version_id == version.id)).all())


def get_version(session: Session, consultation: Consultation, number: int) -> DocumentVersion | None:
    return session.exec(
        select(DocumentVersion).where(
            DocumentVersion.consultation_id == consultation.id, DocumentVersion.number == number
        )
    ).first()


@dataclass(frozen=True)
class Contribution:
    """A comment or proposal answered accepted or partly accepted: a reason for a change."""

    kind: str  # comment | proposal
    id: int
    key: str
    position: str
    title: str  # the proposal's title, or the start of the comment
    organisation: str
    page: int = 1  # for a comment: the page of its paragraph's thread where it is shown


def contributions_behind(
    session: Session, consultation: Consultation, before: datetime | None = None, per_page: int = ROOTS_PER_PAGE
) -> dict[str, list[Contribution]]:
    """Accepted and partly accepted contributions by paragraph key, in two queries (comments, proposals)."""
    prefix = f"{consultation.id}:"  # a paragraph thread's owner id: "<consultation id>:<paragraph key>"
    earlier = aliased(Comment)
    earlier_roots = (
        select(func.count(col(earlier.id)))
        .where(
            earlier.thread_id == Comment.thread_id,
            col(earlier.parent_id).is_(None),
            or_(
                col(earlier.created_at) < Comment.created_at,
                and_(earlier.created_at == Comment.created_at, col(earlier.id) < Comment.id),
            ),
        )
        .scalar_subquery()
    )
    comments = (
        select(
            Comment.id,
            Comment.body,
            Comment.created_at,
            Thread.owner_id,
            Answer.position,
            Organisation.name,
            earlier_roots,
        )
        .join(AnswerLink, and_(AnswerLink.contribution_kind == "comment", AnswerLink.contribution_id == Comment.id))
        .join(Answer, col(Answer.id) == AnswerLink.answer_id)
        .join(Thread, col(Thread.id) == Comment.thread_id)
        .outerjoin(Organisation, col(Organisation.id) == Comment.organisation_id)
        .where(
            AnswerLink.consultation_id == consultation.id,
            Thread.owner_kind == "paragraph",
            col(Comment.parent_id).is_(None),
            Comment.status == "visible",  # a hidden or withdrawn comment's text is not shown again here
            col(Answer.position).in_(BEHIND_A_CHANGE),
        )
        .order_by(col(Comment.created_at), col(Comment.id))
    )
    proposals = (
        select(
            Proposal.id, Proposal.title, Proposal.created_at, Proposal.paragraph_key, Answer.position, Organisation.name
        )
        .join(AnswerLink, and_(AnswerLink.contribution_kind == "proposal", AnswerLink.contribution_id == Proposal.id))
        .join(Answer, col(Answer.id) == AnswerLink.answer_id)
        .outerjoin(Organisation, col(Organisation.id) == Proposal.organisation_id)
        .where(
            Proposal.consultation_id == consultation.id,
            col(Proposal.paragraph_key).is_not(None),
            Proposal.status != "hidden",
            col(Answer.position).in_(BEHIND_A_CHANGE),
        )
        .order_by(col(Proposal.created_at), col(Proposal.id))
    )
    if before is not None:
        comments = comments.where(Comment.created_at < before)
        proposals = proposals.where(Proposal.created_at < before)
    found: dict[str, list[Contribution]] = {}
    for cid, body, _at, owner, position, org, rank in session.exec(comments).all():
        key = owner.removeprefix(prefix)
        title = body if len(body) <= 80 else body[:79].rsplit(" ", 1)[0] + "…"
        found.setdefault(key, []).append(
            Contribution("comment", cid, key, position, title, org or "", rank // per_page + 1)
        )
    for pid, title, _at, key, position, org in session.exec(proposals).all():
        found.setdefault(key, []).append(Contribution("proposal", pid, key, position, title, org or ""))
    return found


# --- the diff --------------------------------------------------------------------------------


@dataclass
class ParagraphDiff:
    """One paragraph of the comparison: unchanged, changed (word by word), added or removed."""

    kind: str  # unchanged | changed | added | removed
    key: str
    label: str  # the label in the later version (in the earlier one for a removed paragraph)
    old_label: str = ""  # set when the label changed
    depth: int = 0
    segments: list[tuple[str, str]] = field(default_factory=list)  # (equal | delete | insert, text)
    contributions: list[Contribution] = field(default_factory=list)


@dataclass
class VersionDiff:
    old: DocumentVersion
    new: DocumentVersion
    paragraphs: list[ParagraphDiff]

    def count(self, kind: str) -> int:
        return sum(1 for p in self.paragraphs if p.kind == kind)


def blocks_of(diff: VersionDiff) -> list[list[ParagraphDiff]]:
    """The comparison in blocks: each changed, added or removed paragraph alone, unchanged ones in runs to fold."""
    blocks: list[list[ParagraphDiff]] = []
    for paragraph in diff.paragraphs:
        if paragraph.kind == "unchanged" and blocks and blocks[-1][0].kind == "unchanged":
            blocks[-1].append(paragraph)
        else:
            blocks.append([paragraph])
    return blocks


def word_diff(old: str, new: str) -> list[tuple[str, str]]:
    """Runs of equal, deleted and inserted words; a single space stands between runs (texts are space-normalised)."""
    a, b = old.split(), new.split()
    segments: list[tuple[str, str]] = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        runs = [("equal", a[i1:i2])] if op == "equal" else [("delete", a[i1:i2]), ("insert", b[j1:j2])]
        segments.extend((kind, " ".join(words)) for kind, words in runs if words)
    return segments


def _paragraphs(view: DocumentView) -> list[Paragraph]:
    return [p for _s, ps in view.sections for p in ps]


def diff_versions(
    session: Session, consultation: Consultation, old: DocumentVersion, new: DocumentVersion
) -> VersionDiff:
    """Paragraph by paragraph (matched by key) in the later version's order, removed ones where they stood."""
    before, after = _paragraphs(document_of(session, old)), _paragraphs(document_of(session, new))
    old_by_key = {p.key: p for p in before}
    new_keys = {p.key for p in after}
    behind = contributions_behind(session, consultation, before=new.created_at) if old.number < new.number else {}
    removed_after: dict[str | None, list[Paragraph]] = {}  # removed paragraphs by the surviving key they follow
    anchor = None
    for p in before:
        if p.key in new_keys:
            anchor = p.key
        else:
            removed_after.setdefault(anchor, []).append(p)

    def removed(key: str | None) -> list[ParagraphDiff]:
        return [
            ParagraphDiff(
                "removed",
                p.key,
                p.label,
                depth=p.depth,
                segments=[("delete", p.text)],
                contributions=behind.get(p.key, []),
            )
            for p in removed_after.get(key, [])
        ]

    result = removed(None)
    for p in after:
        was = old_by_key.get(p.key)
        if was is None:
            result.append(ParagraphDiff("added", p.key, p.label, depth=p.depth, segments=[("insert", p.text)]))
        elif was.text == p.text:
            result.append(
                ParagraphDiff(
                    "unchanged", p.key, p.label, was.label if was.label != p.label else "", p.depth, [("equal", p.text)]
                )
            )
        else:
            result.append(
                ParagraphDiff(
                    "changed",
                    p.key,
                    p.label,
                    was.label if was.label != p.label else "",
                    p.depth,
                    word_diff(was.text, p.text),
                    behind.get(p.key, []),
                )
            )
        result.extend(removed(p.key))
    return VersionDiff(old, new, result)


# --- actions ---------------------------------------------------------------------------------


def parse_version(data: VersionInput, parsed: ParsedDocument | None) -> ParsedDocument:
    """The uploaded document, else the typed one; a DomainError (422) when neither reads as a document."""
    if parsed is not None:
        return parsed
    if not data.document.strip():
        raise DomainError("document", _("Paste the document or upload a file."))
    try:
        return parse_markdown(data.document)
    except DocumentError as exc:
        raise DomainError("document", str(exc)) from exc


def publish_version(
    session: Session,
    principal: Principal | None,
    consultation: Consultation,
    data: VersionInput,
    parsed: ParsedDocument | None = None,
    source: str = "markdown",
) -> DocumentVersion:
    """A new version of a published consultation's document, numbered after the last; paragraph keys carry over."""
    municipality = session.get(Organisation, consultation.organisation_id)
    if not can(principal, "consultation.manage", municipality):
        raise DomainError("", _("Only the municipality's officials publish a revised version."), 403)
    if consultation.published_at is None:
        raise DomainError("", _("A draft's document is changed by editing the draft."), 409)
    require_unfrozen(session, consultation)
    parsed = parse_version(data, parsed)
    previous = current_version(session, consultation)
    old_paragraphs = _paragraphs(document_of(session, previous)) if previous else []
    if [(p.label, p.text) for p in old_paragraphs] == [(p.label, p.text) for p in parsed.paragraphs]:
        raise DomainError("document", _("The text is the same as the current version. Change it before publishing."))
    carried = carry_keys(old_paragraphs, parsed)
    number = (previous.number if previous else 0) + 1
    version = _store_document(
        session, consultation, parsed, source, principal.id, number=number, note=data.note.strip()
    )
    ledger.append(
        session,
        actor_id=principal.id,
        action="document.version_published",
        subject_kind="consultation",
        subject_id=consultation.id,
        payload={
            "version": number,
            "paragraphs": len(parsed.paragraphs),
            "carried_over": carried,
            "document_sha256": _document_hash(parsed),
            "note_sha256": ledger.sha256_hex(version.note),
        },
    )
    session.commit()
    return version
