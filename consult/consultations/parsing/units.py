"""The units of a Polish legal text as they are typed: "Rozdział 1", "§ 1.", "1.", "1)", "a)", "–"."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

# "Rozdział 1", "ROZDZIAŁ IV", "Rozdział 2. Cele programu", "Rozdział 2 Cele programu"
CHAPTER_RE = re.compile(r"^(?i:rozdzia[łl])\s+(\d+[a-z]?|[IVXLCDM]+)\b\.?\s*(.*)$")
SECTION_RE = re.compile(r"^§\s*(\d+[a-z]?)\.?\s*(.*)$")
# A line "§ 3", "§ 3." or "§ 3. Title" is a section heading; "§ 3 ust. 2 …" at the start of a line is a reference.
SECTION_LINE_RE = re.compile(r"^§\s*\d+[a-z]?(?:\.(?:\s+\S.*)?)?$")
UST_RE = re.compile(r"^(\d+[a-z]?)\.\s+(\S.*)$")
PKT_RE = re.compile(r"^(\d+[a-z]?)\)\s+(\S.*)$")
LIT_RE = re.compile(r"^([a-z]{1,2})\)\s+(\S.*)$")
TIRET_RE = re.compile(r"^[–—\-•·▪*]\s+(\S.*)$")
NUMBERED_HEADING_RE = re.compile(r"^(\d+)\.\s+(\S.*)$")  # "1. Wprowadzenie": a strategy's chapter
TERMINAL = (".", ";", ":", "!", "?", ",")
SENTENCE_END = (".", "!", "?")
# The lines of an annex's or a resolution's heading: "Załącznik / do uchwały Nr … / Rady Gminy … / z dnia …"
HEADER_RE = re.compile(r"^(?i:załącznik|uchwała)\b")
HEADER_CONT_RE = re.compile(r"^(?i:do uchwały|do zarządzenia|nr\b|rady\b|rada\b|z dnia\b|w sprawie\b)")

UNIT_KINDS = ("ust", "pkt", "lit", "tiret")
CONTENT_KINDS = (*UNIT_KINDS, "text")


@dataclass
class Block:
    """One paragraph of the source, classified: title, chapter, heading (§ or other), a unit, or plain text."""

    kind: str  # title | chapter | heading | ust | pkt | lit | tiret | text
    text: str
    number: str | None = None  # as typed ("2", "b"); None when Word numbered it automatically
    notes: list[tuple[str, dict[str, str]]] = field(default_factory=list)  # (code, params) about this block


def unit_of(text: str) -> Block | None:
    """ "1. …" an ustęp, "1) …" a punkt, "a) …" a litera, "– …" a tiret; None for anything else."""
    for kind, pattern in (("ust", UST_RE), ("pkt", PKT_RE), ("lit", LIT_RE)):
        if match := pattern.match(text):
            return Block(kind, match.group(2), match.group(1))
    if match := TIRET_RE.match(text):
        return Block("tiret", match.group(1))
    return None


def classify(text: str) -> Block:
    """A whole paragraph (a Word paragraph, or lines already joined): its unit, a heading, or plain text."""
    if match := CHAPTER_RE.match(text):
        return Block("chapter", match.group(2).strip(), match.group(1))
    if SECTION_RE.match(text) and SECTION_LINE_RE.match(text):
        return Block("heading", text)
    return unit_of(text) or Block("text", text)


def chapter_label(number: str) -> str:
    return f"Rozdział {number}"


def chapter_heading(number: str, title: str) -> str:
    return f"{chapter_label(number)}. {title}" if title else chapter_label(number)


def title_like(text: str) -> bool:
    """A short line without closing punctuation, starting with a capital: a heading rather than a sentence."""
    return bool(text) and len(text) <= 100 and text[0].isupper() and not text.endswith(TERMINAL)


_ORDINALS = ["pierwsze", "drugie", "trzecie", "czwarte", "piąte", "szóste", "siódme", "ósme", "dziewiąte"]
_TEENS = ["dziesiąte", "jedenaste", "dwunaste", "trzynaste", "czternaste", "piętnaste", "szesnaste", "siedemnaste"]
_TEENS += ["osiemnaste", "dziewiętnaste"]
_TENS = ["dwudzieste", "trzydzieste", "czterdzieste", "pięćdziesiąte", "sześćdziesiąte", "siedemdziesiąte"]
_TENS += ["osiemdziesiąte", "dziewięćdziesiąte"]


def ordinal(n: int) -> str:
    """ "pierwsze", "dwudzieste pierwsze": a tiret is cited by its ordinal ("lit. a tiret drugie")."""
    if 1 <= n <= 9:
        return _ORDINALS[n - 1]
    if 10 <= n <= 19:
        return _TEENS[n - 10]
    if 20 <= n <= 99:
        tens = _TENS[n // 10 - 2]
        return f"{tens} {_ORDINALS[n % 10 - 1]}" if n % 10 else tens
    return str(n)


def letter(n: int) -> str:
    """The n-th litera: a … z, then aa, ab …"""
    out = ""
    while n > 0:
        n, rest = divmod(n - 1, 26)
        out = chr(ord("a") + rest) + out
    return out


def letter_index(value: str) -> int:
    index = 0
    for char in value:
        index = index * 26 + ord(char) - ord("a") + 1
    return index
