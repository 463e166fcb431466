"""A Word file (.docx) into blocks through mammoth: Word's styles, English or Polish, and automatic numbering."""

from __future__ import annotations

import html
import io
import zipfile
from html.parser import HTMLParser

import mammoth

from consult.consultations.parsing.model import DocumentError
from consult.consultations.parsing.units import UNIT_KINDS, Block, classify, unit_of
from consult.i18n import _

MAX_UNPACKED_BYTES = 20 * 1024 * 1024  # what the zip may unpack to: a 5 MB upload of text is far below it
UNREADABLE = _("This file could not be read as a Word document (.docx).")
TOO_LARGE = _("This Word file unpacks to more than 20 MB. Remove large pictures from it, or paste its text instead.")

# Word stores a built-in style's English name ("heading 1", "List Number 2"); a document made in Polish Word, or
# converted by other programs, may store the translated name ("Nagłówek 1", "Lista numerowana 2"). mammoth matches
# style names without regard to case, so each style is listed once in each language.
STYLE_NAMES = {
    "h1": ("Title", "Tytuł"),
    "h2": tuple(f"{name} {n}" for n in (1, 2, 3) for name in ("Heading", "Nagłówek")),
    "p.ust": ("List Number", "Lista numerowana"),
    "p.pkt": ("List Number 2", "Lista numerowana 2"),
    "p.lit": ("List Number 3", "Lista numerowana 3"),
    "p.tiret": tuple(f"{name}{n}" for n in ("", " 2", " 3") for name in ("List Bullet", "Lista punktowana")),
}
DOCX_STYLE_MAP = "\n".join(
    f"p[style-name='{name}'] => {target}:fresh" for target, names in STYLE_NAMES.items() for name in names
)
# Automatic numbering nested by level (w:ilvl): 1. ustęp, 1) punkt, a) litera, then tirets; a bulleted list: tirets.
LIST_LEVELS = ("ust", "pkt", "lit", "tiret")


def check_archive(data: bytes) -> None:
    """Refuse a file that is no zip, or whose members unpack to more than the limit (a zip bomb), before mammoth."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, ValueError, OSError) as exc:
        raise DocumentError(UNREADABLE) from exc
    # zipfile stops each member at its declared size, so the declared sizes bound what mammoth can unpack.
    if unpacked > MAX_UNPACKED_BYTES:
        raise DocumentError(TOO_LARGE)


class _HtmlBlocks(HTMLParser):
    """mammoth's HTML as blocks: h1 the title, h2 headings, p (with a unit class) and list items by their level."""

    BLOCK_TAGS = {"h1", "h2", "h3", "p", "li"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.blocks: list[Block] = []
        self.current: tuple[str, str | None] | None = None
        self.text: list[str] = []
        self.lists: list[str] = []  # the open ol/ul, outermost first

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("ol", "ul"):
            self._close()  # the item that opens a nested list is a level above it
            self.lists.append(tag)
        elif tag == "br":
            self.text.append(" ")
        if tag in self.BLOCK_TAGS:
            self._close()
            self.current = (tag, dict(attrs).get("class"))
            self.text = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("ol", "ul") and self.lists:
            self.lists.pop()
        if tag in self.BLOCK_TAGS:
            self._close()

    def handle_data(self, data: str) -> None:
        if self.current:
            self.text.append(data)

    def _close(self) -> None:
        if self.current is None:
            return
        tag, css = self.current
        text = " ".join(html.unescape("".join(self.text)).split())
        self.current = None
        if text:
            self.blocks.append(self._block(tag, css, text))

    def _block(self, tag: str, css: str | None, text: str) -> Block:
        if tag == "h1":
            return Block("title", text)
        if tag in ("h2", "h3"):
            return Block("heading", text)
        if css in UNIT_KINDS:
            typed = unit_of(text)  # a number typed into a numbered style as well: keep the typed one
            return typed if typed is not None and typed.kind == css else Block(css, text)
        if tag == "li":
            if self.lists and self.lists[-1] == "ul":
                return Block("tiret", text)
            return Block(LIST_LEVELS[min(len(self.lists), len(LIST_LEVELS)) - 1], text)
        return classify(text)


def _no_images(image) -> dict[str, str]:
    return {}  # pictures are not part of the consulted text; reading them would only cost time


def docx_blocks(data: bytes) -> list[Block]:
    check_archive(data)
    try:
        result = mammoth.convert_to_html(
            io.BytesIO(data), style_map=DOCX_STYLE_MAP, convert_image=mammoth.images.img_element(_no_images)
        )
    except Exception as exc:  # mammoth raises zipfile/KeyError/ValueError on broken files
        raise DocumentError(UNREADABLE) from exc
    parser = _HtmlBlocks()
    parser.feed(result.value)
    parser.close()
    return parser.blocks
