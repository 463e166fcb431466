"""Pasted text (Markdown, or plain text from Word or a PDF) into blocks: one block per unit, broken lines joined."""

from __future__ import annotations

import re

from consult.consultations.parsing.units import (
    CHAPTER_RE,
    HEADER_CONT_RE,
    HEADER_RE,
    SECTION_LINE_RE,
    SECTION_RE,
    SENTENCE_END,
    TERMINAL,
    Block,
    unit_of,
)

# "2", "- 2 -", "Strona 2 z 5", "str. 2", "2/5": a page number left behind by a PDF
PAGE_NUMBER_RE = re.compile(
    r"^(?:[-–]\s*)?\d{1,3}(?:\s*[-–])?$|^(?i:strona|str\.)\s*\d+(?:\s*(?:z|/)\s*\d+)?$|^\d+\s*/\s*\d+$"
)
RULE_RE = re.compile(r"^(?:[-*_]\s*){3,}$")  # a Markdown horizontal rule
HEADING_WRAP = 60  # a "§ N. …" line this long may have been wrapped by a PDF; a title is shorter
HYPHENATED_RE = re.compile(r"\w-$")
REPLACEMENTS = {"\u00ad": "", "\u00a0": " ", "\u202f": " ", "\t": " ", "\ufb01": "fi", "\ufb02": "fl"}


def _clean(line: str) -> str:
    for old, new in REPLACEMENTS.items():
        line = line.replace(old, new)
    return " ".join(line.split())


def _wraps(heading: str) -> bool:
    """A "§ N. …" line that a PDF may have broken: long, hyphenated, or already holding a unit's text."""
    match = SECTION_RE.match(heading)
    rest = match.group(2) if match else ""
    return len(heading) >= HEADING_WRAP or bool(HYPHENATED_RE.search(heading)) or unit_of(rest) is not None


def _continues(pending: Block, line: str) -> bool:
    """Whether a line that starts no unit goes on the previous line: a hard line break inside a sentence."""
    previous = pending.text
    if pending.kind == "heading":  # "§ 5. Title" then a plain line: the § text, if it is long enough to wrap
        return (_wraps(previous) or line[0].islower()) and not previous.endswith(TERMINAL)
    if HEADER_RE.match(previous):
        return bool(HEADER_CONT_RE.match(line))
    return not previous.endswith(TERMINAL) or line[0].islower() or not line[0].isalnum()


def _joined(previous: str, line: str) -> str:
    """ "współ-" + "pracy" is "współpracy": a word hyphenated at the end of a PDF line."""
    if HYPHENATED_RE.search(previous) and line[0].islower():
        return previous[:-1] + line
    return f"{previous} {line}"


class _Reader:
    def __init__(self) -> None:
        self.blocks: list[Block] = []
        self.pending: Block | None = None
        self.dropped: list[tuple[str, dict[str, str]]] = []  # notes waiting for the next block

    def feed(self, raw: str) -> None:
        line = _clean(raw)
        if not line or RULE_RE.match(line):
            self.flush()
        elif PAGE_NUMBER_RE.match(line):
            note = ("page_number", {"text": line})
            (self.pending.notes if self.pending else self.dropped).append(note)
        elif line.startswith("#"):
            level = len(line) - len(line.lstrip("#"))
            self._start(Block("title" if level == 1 else "heading", line.lstrip("#").strip()))
            self.flush()
        elif match := CHAPTER_RE.match(line):
            self._start(Block("chapter", match.group(2).strip(), match.group(1)))
            self.flush()
        elif SECTION_LINE_RE.match(line):
            self._start(Block("heading", line))
        elif unit := unit_of(line):
            self._start(unit)
        elif self.pending is None and self.blocks and self.blocks[-1].kind == "chapter" and not self.blocks[-1].text:
            self.blocks[-1].text = line  # "Rozdział 1" with its title on the next line
        elif self.pending is not None and _continues(self.pending, line):
            self.pending.text = _joined(self.pending.text, line)
        else:
            self._start(Block("text", line))

    def _start(self, block: Block) -> None:
        self.flush()
        block.notes, self.dropped = self.dropped + block.notes, []
        self.pending = block

    def flush(self) -> None:
        if self.pending is not None:
            self.blocks.append(self.pending)
            self.pending = None


def mend(blocks: list[Block]) -> list[Block]:
    """Join a paragraph that starts in lower case to the unit before it: a sentence cut by a page break."""
    out: list[Block] = []
    for block in blocks:
        previous = out[-1] if out else None
        if (
            block.kind == "text"
            and block.text[:1].islower()
            and previous is not None
            and previous.kind in ("ust", "pkt", "lit", "tiret", "text")
            and not previous.text.endswith(SENTENCE_END)
        ):
            previous.text = _joined(previous.text, block.text)
            previous.notes.extend(block.notes)
        else:
            out.append(block)
    return out


def text_blocks(source: str) -> list[Block]:
    reader = _Reader()
    for raw in source.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        reader.feed(raw)
    reader.flush()
    return mend(reader.blocks)
