"""What the importer returns: sections of labelled paragraphs, and notes on what it could not structure."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field

from consult.i18n import _, gettext

# The columns of Section.label, Section.title and .chapter, Paragraph.label, DocumentVersion.title
LABEL_MAX, TITLE_MAX, PARAGRAPH_LABEL_MAX, DOCUMENT_TITLE_MAX = 40, 300, 60, 500
MAX_PARAGRAPHS = 5_000  # more than any resolution; a document beyond it is refused, not half imported


class DocumentError(ValueError):
    """The document could not be read or has no paragraphs; the message is a translatable msgid."""


def new_key() -> str:
    """A paragraph's stable id: it stays with the paragraph through later versions."""
    return secrets.token_hex(5)


# What the importer says about a document, by a short code (notes travel in the session cookie to the preview).
NOTE_MESSAGES = {
    "preamble": _("The text before the first § or chapter is shown as the introduction: it cannot be commented on."),
    "unnumbered": _("“%(text)s” does not start with a unit number: kept as plain text in %(label)s."),
    "jump": _("Numbering jumps from %(previous)s to %(current)s."),
    "start": _("Numbering starts at %(current)s."),
    "page_number": _("The line “%(text)s” looks like a page number and was left out."),
    "empty_chapter": _("%(chapter)s has no paragraphs."),
    "empty_section": _("%(label)s has no text to comment on."),
    "duplicate": _("The label %(label)s appears more than once: check the numbering."),
}


@dataclass
class ParseNote:
    """Something the importer could not structure, shown in the preview beside the paragraph it concerns."""

    code: str  # a key of NOTE_MESSAGES
    params: dict[str, str] = field(default_factory=dict)
    paragraph_key: str | None = None  # None: the note is about the whole document
    label: str = ""  # the paragraph's label, to name it in the list of notes

    @property
    def message(self) -> str:
        return NOTE_MESSAGES[self.code]

    def translated(self) -> str:
        return gettext(self.message, **self.params)


@dataclass
class ParsedParagraph:
    label: str
    text: str
    depth: int  # 0: ustęp or unnumbered paragraph, 1: punkt, 2: litera, 3: tiret (one deeper than its parent)
    key: str = field(default_factory=lambda: new_key())


@dataclass
class ParsedSection:
    label: str  # "§ 3", or "Rozdział 2" in a document without §
    title: str
    paragraphs: list[ParsedParagraph] = field(default_factory=list)
    chapter: str = ""  # "Rozdział 1. Postanowienia ogólne": the chapter grouping this § in the contents


@dataclass
class ParsedDocument:
    title: str = ""
    preamble: str = ""
    sections: list[ParsedSection] = field(default_factory=list)
    notes: list[ParseNote] = field(default_factory=list)

    @property
    def paragraphs(self) -> list[ParsedParagraph]:
        return [p for s in self.sections for p in s.paragraphs]
