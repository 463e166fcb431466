"""Import a draft (pasted text, Markdown or .docx) into chapters, sections and paragraphs with Polish legal labels
(§ 3 ust. 2 pkt 1 lit. a tiret pierwsze), with notes on what could not be structured. The parts live in parsing/."""

from __future__ import annotations

from consult.consultations.parsing.builder import build
from consult.consultations.parsing.docx import docx_blocks
from consult.consultations.parsing.model import (
    DocumentError,
    ParsedDocument,
    ParsedParagraph,
    ParsedSection,
    ParseNote,
    new_key,
)
from consult.consultations.parsing.text import text_blocks

__all__ = [
    "DocumentError",
    "ParseNote",
    "ParsedDocument",
    "ParsedParagraph",
    "ParsedSection",
    "new_key",
    "parse_docx",
    "parse_markdown",
    "parse_text",
]


def parse_text(source: str) -> ParsedDocument:
    """Text typed as Markdown, or pasted from Word or a PDF (hard line breaks, page numbers, hyphenation)."""
    return build(text_blocks(source))


parse_markdown = parse_text  # the name the callers know: Markdown is one kind of pasted text


def parse_docx(data: bytes) -> ParsedDocument:
    """A Word file; refused (DocumentError) when unreadable, unpacking beyond 20 MB, or without paragraphs."""
    return build(docx_blocks(data))
