"""Import a draft (Markdown or .docx) into sections and paragraphs with Polish legal labels (§ 3 ust. 2 pkt 1)."""

from __future__ import annotations

import html
import io
import re
import secrets
from dataclasses import dataclass, field
from html.parser import HTMLParser

import mammoth

from consult.i18n import _

SECTION_RE = re.compile(r"^§\s*(\d+[a-z]?)\.?\s*(.*)$")
UST_RE = re.compile(r"^(\d+[a-z]?)\.\s+(.*)$")
PKT_RE = re.compile(r"^(\d+[a-z]?)\)\s+(.*)$")
# A line "§ 3." or "§ 3. Title" is a section heading even without "##" (text pasted from Word);
# "§ 3 ust. 2 …" at the start of a line is a reference inside a paragraph.
SECTION_LINE_RE = re.compile(r"^§\s*\d+[a-z]?(?:\.(?:\s+\S.*)?)?$")
LABEL_MAX, TITLE_MAX, DOCUMENT_TITLE_MAX = 40, 300, 500  # the columns of Section.label, .title, DocumentVersion.title
# Word's numbered list styles: the numbers are not in the text, so the style says the level.
DOCX_STYLE_MAP = """
p[style-name='Title'] => h1:fresh
p[style-name='Heading 1'] => h2:fresh
p[style-name='Heading 2'] => h2:fresh
p[style-name='List Number'] => p.ust:fresh
p[style-name='List Paragraph'] => p.ust:fresh
p[style-name='List Number 2'] => p.pkt:fresh
"""


class DocumentError(ValueError):
    """The document could not be read or has no paragraphs; the message is a translatable msgid."""


@dataclass
class ParsedParagraph:
    label: str
    text: str
    depth: int  # 0: ustęp (or an unnumbered paragraph), 1: punkt
    key: str = field(default_factory=lambda: new_key())


@dataclass
class ParsedSection:
    label: str  # "§ 3"
    title: str
    paragraphs: list[ParsedParagraph] = field(default_factory=list)


@dataclass
class ParsedDocument:
    title: str = ""
    preamble: str = ""
    sections: list[ParsedSection] = field(default_factory=list)

    @property
    def paragraphs(self) -> list[ParsedParagraph]:
        return [p for s in self.sections for p in s.paragraphs]


def new_key() -> str:
    """A paragraph's stable id: it stays with the paragraph through later versions."""
    return secrets.token_hex(5)


@dataclass
class _Block:
    kind: str  # title | heading | ust | pkt | text
    text: str
    number: str | None = None


class _Builder:
    """Turns blocks into sections and labelled paragraphs; numbers restart in every section and ustęp."""

    def __init__(self) -> None:
        self.doc = ParsedDocument()
        self.section: ParsedSection | None = None
        self.ust: str | None = None
        self.ust_count = 0
        self.pkt_count = 0
        self.unnumbered = 0

    def add(self, block: _Block) -> None:
        text = " ".join(block.text.split())
        if not text:
            return
        if block.kind == "title" and not self.doc.title:
            self.doc.title = text[:DOCUMENT_TITLE_MAX]
        elif block.kind == "heading":
            self._start_section(text)
        elif self.section is None:
            self.doc.preamble = f"{self.doc.preamble}\n\n{text}".strip()
        elif block.kind == "ust":
            self.ust_count += 1
            self.ust = block.number or str(self.ust_count)
            self.pkt_count = 0
            self.section.paragraphs.append(ParsedParagraph(f"{self.section.label} ust. {self.ust}", text, 0))
        elif block.kind == "pkt":
            self.pkt_count += 1
            number = block.number or str(self.pkt_count)
            prefix = f"{self.section.label} ust. {self.ust}" if self.ust else self.section.label
            self.section.paragraphs.append(ParsedParagraph(f"{prefix} pkt {number}", text, 1))
        else:
            self.unnumbered += 1
            self.section.paragraphs.append(ParsedParagraph(f"{self.section.label} ({self.unnumbered})", text, 0))

    def _start_section(self, text: str) -> None:
        if match := SECTION_RE.match(text):
            label, title = f"§ {match.group(1)}", match.group(2).strip()
        elif len(text) <= LABEL_MAX:
            label, title = text, ""
        else:  # a long heading without "§": a label short enough to cite (and to store), the heading as title
            label, title = text[: LABEL_MAX - 1].rsplit(" ", 1)[0] + "…", text
        self.section = ParsedSection(label=label, title=title[:TITLE_MAX])
        self.doc.sections.append(self.section)
        self.ust, self.ust_count, self.pkt_count, self.unnumbered = None, 0, 0, 0

    def result(self) -> ParsedDocument:
        for section in self.doc.sections:
            # "§ 2. Wykonanie uchwały powierza się Wójtowi.": a section whose whole text is its heading line
            # is one paragraph, so it can be commented on like any other.
            if not section.paragraphs and section.title.endswith("."):
                section.paragraphs.append(ParsedParagraph(section.label, section.title, 0))
                section.title = ""
        if not self.doc.paragraphs:
            raise DocumentError(_("The document has no paragraphs. Use headings “§ 1. Title” and numbered paragraphs."))
        return self.doc


def _numbered(text: str) -> _Block:
    """A typed paragraph: "1. …" is an ustęp, "1) …" a punkt, anything else plain text."""
    if match := UST_RE.match(text):
        return _Block("ust", match.group(2), match.group(1))
    if match := PKT_RE.match(text):
        return _Block("pkt", match.group(2), match.group(1))
    return _Block("text", text)


def parse_markdown(source: str) -> ParsedDocument:
    builder = _Builder()
    pending: list[str] = []

    def flush() -> None:
        if pending:
            builder.add(_numbered(" ".join(pending)))
            pending.clear()

    for raw in source.replace("\r\n", "\n").split("\n"):
        line = raw.strip()
        if not line:
            flush()
        elif line.startswith("#"):
            flush()
            level = len(line) - len(line.lstrip("#"))
            builder.add(_Block("title" if level == 1 else "heading", line.lstrip("#").strip()))
        elif SECTION_LINE_RE.match(line):
            flush()
            builder.add(_Block("heading", line))
        elif UST_RE.match(line) or PKT_RE.match(line):
            flush()
            pending.append(line)
        else:
            pending.append(line)
    flush()
    return builder.result()


class _HtmlBlocks(HTMLParser):
    """Collects mammoth's HTML as blocks: h1 title, h2 headings, p (with class ust/pkt) and li paragraphs."""

    BLOCK_TAGS = {"h1", "h2", "h3", "p", "li"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.blocks: list[_Block] = []
        self.current: tuple[str, str | None] | None = None
        self.text: list[str] = []
        self.list_depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("ol", "ul"):
            self.list_depth += 1
        if tag in self.BLOCK_TAGS:
            self._close()
            self.current = (tag, dict(attrs).get("class"))
            self.text = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("ol", "ul"):
            self.list_depth -= 1
        if tag in self.BLOCK_TAGS:
            self._close()

    def handle_data(self, data: str) -> None:
        if self.current:
            self.text.append(data)

    def _close(self) -> None:
        if self.current is None:
            return
        tag, css = self.current
        text = html.unescape("".join(self.text)).strip()
        self.current = None
        if tag == "h1":
            self.blocks.append(_Block("title", text))
        elif tag in ("h2", "h3"):
            self.blocks.append(_Block("heading", text))
        elif css in ("ust", "pkt"):
            self.blocks.append(_Block(css, text))
        elif tag == "li":
            self.blocks.append(_Block("ust" if self.list_depth <= 1 else "pkt", text))
        else:
            block = _numbered(text)
            # A "§ N. Title" typed in a plain paragraph is a section heading all the same.
            self.blocks.append(_Block("heading", text) if SECTION_RE.match(text) else block)


def parse_docx(data: bytes) -> ParsedDocument:
    try:
        result = mammoth.convert_to_html(io.BytesIO(data), style_map=DOCX_STYLE_MAP)
    except Exception as exc:  # mammoth raises zipfile/KeyError/ValueError on broken files
        raise DocumentError(_("This file could not be read as a Word document (.docx).")) from exc
    parser = _HtmlBlocks()
    parser.feed(result.value)
    parser.close()
    builder = _Builder()
    blocks = parser.blocks
    # A first plain paragraph before any heading is the title when Word's Title style was not used.
    if blocks and blocks[0].kind == "text" and not any(b.kind == "title" for b in blocks):
        blocks[0] = _Block("title", blocks[0].text)
    for block in blocks:
        builder.add(block)
    return builder.result()
