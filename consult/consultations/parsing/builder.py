"""Blocks into a document: chapters, § sections and their units, each labelled as a lawyer cites it.

Labels follow the rules of legislative technique: "§ 1 ust. 2 pkt 3 lit. a tiret drugie". A tiret is cited by its
ordinal written out ("tiret pierwsze"), as Polish courts and the Sejm's own references cite it. In a document
without § (a strategy), its chapters are the sections and the units are cited from the chapter: "Rozdział 2 ust. 3".
The word is written out because that is how a reference in a Polish act names a chapter ("w rozdziale 2"); the
abbreviation "rozdz." is a publisher's habit, not the act's.
"""

from __future__ import annotations

import re

from consult.consultations.parsing.model import (
    DOCUMENT_TITLE_MAX,
    LABEL_MAX,
    MAX_PARAGRAPHS,
    PARAGRAPH_LABEL_MAX,
    TITLE_MAX,
    DocumentError,
    ParsedDocument,
    ParsedParagraph,
    ParsedSection,
    ParseNote,
)
from consult.consultations.parsing.units import (
    CHAPTER_RE,
    HEADER_CONT_RE,
    HEADER_RE,
    NUMBERED_HEADING_RE,
    SECTION_RE,
    TERMINAL,
    UNIT_KINDS,
    Block,
    chapter_heading,
    chapter_label,
    letter,
    letter_index,
    ordinal,
    title_like,
    unit_of,
)
from consult.i18n import _

NO_PARAGRAPHS = _("The document has no paragraphs. Use headings “§ 1. Title” and numbered paragraphs.")
TOO_MANY = _("The document has more than 5,000 paragraphs. Split it into smaller documents.")
UNIT_NAMES = {"ust": "ust.", "pkt": "pkt", "lit": "lit.", "tiret": "tiret"}
SECTION_TITLE_MAX = 150  # "§ 2. <text>" longer than this is the section's text, not its title
Note = tuple[str, dict[str, str]]  # a code of NOTE_MESSAGES and its parameters


def excerpt(text: str, length: int = 60) -> str:
    return text if len(text) <= length else text[: length - 1].rsplit(" ", 1)[0] + "…"


# --- before building: which blocks are chapters, and what comes before the first one ---------------------------


def _refine(blocks: list[Block]) -> list[Block]:
    """Headings that name a chapter become chapters; a chapter's title on the paragraph after it joins it."""
    has_sections = any(b.kind == "heading" and SECTION_RE.match(b.text) for b in blocks)
    out: list[Block] = []
    for block in blocks:
        if block.kind == "heading" and (match := _chapter_match(block.text, has_sections)):
            block = Block("chapter", match.group(2).strip(), match.group(1), block.notes)
        previous = out[-1] if out else None
        if previous and previous.kind == "chapter" and not previous.text and _is_chapter_title(block):
            previous.text = block.text
            previous.notes.extend(block.notes)
            continue
        out.append(block)
    if not any(b.kind in ("heading", "chapter") for b in out):
        _promote_numbered_chapters(out)
    return out


def _chapter_match(text: str, has_sections: bool) -> re.Match[str] | None:
    """ "Rozdział 2. Cele" always; "2. Cele" only in a document without § (a strategy's numbered chapters)."""
    return CHAPTER_RE.match(text) or (None if has_sections else NUMBERED_HEADING_RE.match(text))


def _is_chapter_title(block: Block) -> bool:
    return block.kind == "text" or (block.kind == "heading" and not SECTION_RE.match(block.text))


def _promote_numbered_chapters(blocks: list[Block]) -> None:
    """A strategy typed without "Rozdział": "1. Wprowadzenie" lines (short, no full stop) are its chapters."""
    candidates = [b for b in blocks if b.kind == "ust" and b.number and title_like(b.text)]
    if len(candidates) >= 2 and [b.number for b in candidates] == [str(n) for n in range(1, len(candidates) + 1)]:
        for block in candidates:
            block.kind = "chapter"


def _front_matter(blocks: list[Block]) -> tuple[str, str, list[Block]]:
    """The title, the preamble (an annex's "Załącznik do uchwały…", an introduction) and the blocks after them."""
    start = next((i for i, b in enumerate(blocks) if b.kind in ("chapter", "heading")), len(blocks))
    front: list[Block] = []
    for block in blocks[:start]:
        previous = front[-1] if front else None
        if previous and HEADER_RE.match(previous.text) and HEADER_CONT_RE.match(block.text):
            previous.text = f"{previous.text} {block.text}"  # "UCHWAŁA NR …" / "RADY GMINY …" / "z dnia …"
        else:
            front.append(Block(block.kind, _typed(block), block.number))
    title = next((b for b in front if b.kind == "title"), None)
    title = title or next((b for b in front if b.kind == "text" and not b.text.lower().startswith("załącznik")), None)
    preamble = [b.text for b in front if b is not title]
    return (title.text[:DOCUMENT_TITLE_MAX] if title else ""), "\n\n".join(preamble), blocks[start:]


def _typed(block: Block) -> str:
    """A unit's text with its number put back, for text kept whole in the preamble."""
    if block.kind in ("ust", "pkt", "lit") and block.number:
        return f"{block.number}{'.' if block.kind == 'ust' else ')'} {block.text}"
    return block.text


# --- building -------------------------------------------------------------------------------------------------


class _Builder:
    """Sections and labelled paragraphs; numbers restart in every section, letters in every punkt."""

    def __init__(self, chapters_are_sections: bool) -> None:
        self.doc = ParsedDocument()
        self.chapters_are_sections = chapters_are_sections
        self.chapter = ""  # the chapter grouping the next § (when § are the sections)
        self.chapter_sections = 0
        self.section: ParsedSection | None = None
        self.section_number = 0
        self.open: dict[str, ParsedParagraph] = {}  # the last ust., pkt, lit. and tiret of the section
        self.count: dict[str, int] = {}
        self.intro: ParsedParagraph | None = None  # "§ 2. Celami programu są:": the text of the § itself
        self.unnumbered = 0
        self.carry: list[Note] = []  # notes for the next paragraph

    def add(self, block: Block) -> None:
        self.carry.extend(block.notes)
        if block.kind == "chapter":
            self._chapter(block)
        elif block.kind == "heading":
            self._heading(block.text)
        elif self.section is None:
            self.doc.preamble = f"{self.doc.preamble}\n\n{_typed(block)}".strip()
        elif block.kind in UNIT_KINDS:
            self._unit(block)
        else:
            self._text(block.text)

    # chapters and sections

    def _chapter(self, block: Block) -> None:
        if self.chapters_are_sections:
            self._start_section(chapter_label(block.number or ""), block.text)
            return
        self._close_chapter()
        self.chapter = chapter_heading(block.number or "", block.text)[:TITLE_MAX]
        self.chapter_sections = 0

    def _close_chapter(self) -> None:
        if self.chapter and not self.chapter_sections:
            self.doc.notes.append(ParseNote("empty_chapter", {"chapter": self.chapter}))

    def _heading(self, text: str) -> None:
        match = SECTION_RE.match(text)
        if match is None:
            self._generic_heading(text)
            return
        label, rest = f"§ {match.group(1)}", match.group(2).strip()
        self._check_section_number(match.group(1))
        self._start_section(label, "")
        if not rest:
            return
        if unit := unit_of(rest):  # "§ 1. 1. Text": the first ustęp on the paragraph's own line
            self._unit(unit)
        elif rest.endswith(TERMINAL) or len(rest) > SECTION_TITLE_MAX:  # "§ 2. Wykonanie uchwały powierza się…"
            self._text(rest)
        else:
            self.section.title = rest[:TITLE_MAX]

    def _generic_heading(self, text: str) -> None:
        if len(text) <= LABEL_MAX:
            self._start_section(text, "")
        else:  # a long heading without "§": a label short enough to cite (and to store), the heading as title
            self._start_section(text[: LABEL_MAX - 1].rsplit(" ", 1)[0] + "…", text)

    def _check_section_number(self, number: str) -> None:
        digits = int(re.sub(r"\D", "", number))
        if self.section_number and digits not in (self.section_number, self.section_number + 1):
            self._jump(f"§ {self.section_number}", f"§ {number}")
        self.section_number = digits

    def _start_section(self, label: str, title: str) -> None:
        chapter = "" if self.chapters_are_sections else self.chapter
        self.section = ParsedSection(label=label, title=title[:TITLE_MAX], chapter=chapter)
        self.doc.sections.append(self.section)
        self.chapter_sections += 1
        self.open, self.count, self.intro, self.unnumbered = {}, {}, None, 0

    # units

    def _unit(self, block: Block) -> None:
        kind = block.kind
        if kind == "ust":
            kind = self._reconsider_intro(block)
        index = UNIT_KINDS.index(kind)
        parent = next((self.open[k] for k in reversed(UNIT_KINDS[:index]) if k in self.open), None)
        parent = parent or (self.intro if kind != "ust" else None)
        for lower in UNIT_KINDS[index:]:
            self.open.pop(lower, None)
            if lower != kind:
                self.count.pop(lower, None)
        number = self._number(kind, block.number)
        prefix = parent.label if parent else self.section.label
        depth = min(parent.depth + 1, 3) if parent else 0
        self.open[kind] = self._append(f"{prefix} {UNIT_NAMES[kind]} {number}", block.text, depth)

    def _reconsider_intro(self, block: Block) -> str:
        """The § text before its first ustęp: "§ 1. Text." then "2." means the text was ust. 1; then "1." a title.

        Word's automatic numbering right after "§ 2. Celami programu są:" is a list of punkty, not ustępy."""
        intro = self.intro
        if intro is None or self.count.get("ust"):
            return "ust"
        if block.number is None and intro.text.endswith(":"):
            return "pkt"
        if self.section.paragraphs != [intro]:
            return "ust"
        if block.number == "2":
            intro.label, intro.depth = f"{self.section.label} ust. 1", 0
            self.count["ust"], self.open["ust"], self.intro = 1, intro, None
        elif block.number == "1" and not self.section.title and len(intro.text) <= SECTION_TITLE_MAX:
            self.section.title = intro.text.rstrip(".")
            self.section.paragraphs.clear()
            self.carry.extend((n.code, n.params) for n in self.doc.notes if n.paragraph_key == intro.key)
            self.doc.notes = [n for n in self.doc.notes if n.paragraph_key != intro.key]
            self.intro = None
        return "ust"

    def _number(self, kind: str, typed: str | None) -> str:
        """The unit's number as typed (a jump is noted) or counted (Word's automatic numbering)."""
        expected = self.count.get(kind, 0) + 1
        if typed is None or kind == "tiret":
            self.count[kind] = expected
            return letter(expected) if kind == "lit" else ordinal(expected) if kind == "tiret" else str(expected)
        value = letter_index(typed) if kind == "lit" else int(re.sub(r"\D", "", typed))
        # a repeated number is noted as a repeated label; "2a" after "2" is an inserted unit, not a jump
        if value not in (expected, expected - 1):
            previous = (letter(expected - 1) if kind == "lit" else str(expected - 1)) if expected > 1 else ""
            name = UNIT_NAMES[kind]
            if previous:
                self._jump(f"{name} {previous}", f"{name} {typed}")
            else:
                self.carry.append(("start", {"current": f"{name} {typed}"}))
        self.count[kind] = value
        return typed

    def _jump(self, previous: str, current: str) -> None:
        self.carry.append(("jump", {"previous": previous, "current": current}))

    def _text(self, text: str) -> None:
        section = self.section
        if section.label.startswith("§") and not section.paragraphs:
            self.intro = self._append(section.label, text, 0)
            return
        self.unnumbered += 1
        label = f"{section.label} ({self.unnumbered})"
        if section.label.startswith("§"):
            self.carry.append(("unnumbered", {"text": excerpt(text), "label": section.label}))
        self._append(label, text, 0)

    def _append(self, label: str, text: str, depth: int) -> ParsedParagraph:
        if len(self.doc.paragraphs) >= MAX_PARAGRAPHS:
            raise DocumentError(TOO_MANY)
        paragraph = ParsedParagraph(label[:PARAGRAPH_LABEL_MAX], text, depth)
        self.section.paragraphs.append(paragraph)
        for code, params in self.carry:
            self.doc.notes.append(ParseNote(code, params, paragraph.key, paragraph.label))
        self.carry = []
        return paragraph

    def result(self) -> ParsedDocument:
        self._close_chapter()
        self.doc.notes.extend(ParseNote(code, params) for code, params in self.carry)
        for section in self.doc.sections:
            if not section.paragraphs:
                self.doc.notes.append(ParseNote("empty_section", {"label": section.label}))
        seen: set[str] = set()
        for paragraph in self.doc.paragraphs:
            if paragraph.label in seen:
                note = ParseNote("duplicate", {"label": paragraph.label}, paragraph.key, paragraph.label)
                self.doc.notes.append(note)
            seen.add(paragraph.label)
        if not self.doc.paragraphs:
            raise DocumentError(NO_PARAGRAPHS)
        return self.doc


def build(blocks: list[Block]) -> ParsedDocument:
    blocks = _refine(blocks)
    chapters_are_sections = not any(b.kind == "heading" for b in blocks)
    title, preamble, body = _front_matter(blocks)
    builder = _Builder(chapters_are_sections)
    builder.doc.title, builder.doc.preamble = title, preamble
    if preamble:
        builder.doc.notes.append(ParseNote("preamble"))
    for block in body:
        builder.add(block)
    return builder.result()
