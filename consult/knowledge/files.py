"""What a file really is, read from its first bytes (and, for DOCX and ODT, from the ZIP's own declaration), never
from its name; and the refusal, with a message for the form, when it is too large, of a type not accepted, or not
what its extension says."""

from __future__ import annotations

import hashlib
import io
import zipfile
from dataclasses import dataclass

from consult.errors import DomainError
from consult.i18n import _

MAX_ATTACHMENT_BYTES = 5 * 1024 * 1024
MAX_PHOTO_BYTES = 3 * 1024 * 1024
MAX_DECLARATION_BYTES = 256 * 1024  # of [Content_Types].xml or mimetype inside a ZIP: more is not a real one

ATTACHMENT_TYPES = ("pdf", "docx", "odt", "jpeg", "png")
PHOTO_TYPES = ("jpeg", "png")
EXTENSIONS = {".pdf": "pdf", ".docx": "docx", ".odt": "odt", ".jpg": "jpeg", ".jpeg": "jpeg", ".png": "png"}
CONTENT_TYPES = {
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "odt": "application/vnd.oasis.opendocument.text",
    "jpeg": "image/jpeg",
    "png": "image/png",
}
DOCX_MAIN = b"application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"
ODT_MIMETYPE = b"application/vnd.oasis.opendocument.text"


@dataclass(frozen=True)
class CheckedFile:
    filename: str
    file_type: str
    content: bytes

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.content).hexdigest()


def _zip_type(content: bytes) -> str | None:
    """DOCX by its [Content_Types].xml naming the Word document, ODT by its `mimetype` entry; else None."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
        names = {info.filename: info for info in archive.infolist()}
        declared = names.get("[Content_Types].xml")
        small = [i for i in (declared, names.get("mimetype")) if i is not None and i.file_size <= MAX_DECLARATION_BYTES]
        for info in small:
            declaration = archive.read(info)
            if info.filename != "mimetype" and DOCX_MAIN in declaration and "word/document.xml" in names:
                return "docx"
            if info.filename == "mimetype" and declaration.strip() == ODT_MIMETYPE and "content.xml" in names:
                return "odt"
    except (zipfile.BadZipFile, zipfile.LargeZipFile, KeyError, OSError, ValueError, NotImplementedError, EOFError):
        return None
    return None


def sniff(content: bytes) -> str | None:
    """The type the content shows: pdf, docx, odt, jpeg, png, or None."""
    if content.startswith(b"%PDF-"):
        return "pdf"
    if content.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if content.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if content.startswith(b"PK\x03\x04"):
        return _zip_type(content)
    return None


def extension_type(filename: str) -> str | None:
    dot = filename.rfind(".")
    return EXTENSIONS.get(filename[dot:].lower()) if dot >= 0 else None


def check_file(field: str, filename: str, content: bytes, *, photo: bool) -> CheckedFile:
    """The file, its type read from its content; a DomainError on `field` when it must be refused."""
    allowed = PHOTO_TYPES if photo else ATTACHMENT_TYPES
    limit = MAX_PHOTO_BYTES if photo else MAX_ATTACHMENT_BYTES
    if len(content) > limit:
        message = _("The photo is larger than 3 MB.") if photo else _("The file is larger than 5 MB.")
        raise DomainError(field, message)
    if not content:
        raise DomainError(field, _("The file is empty."))
    named, found = extension_type(filename), sniff(content)
    refused = (
        _("Choose a photo in JPEG or PNG format.")
        if photo
        else _("This type of file is not accepted: choose a PDF, DOCX, ODT, JPEG or PNG file.")
    )
    if named not in allowed or found is None:
        raise DomainError(field, refused)
    if found != named:
        raise DomainError(
            field,
            _("The file's content does not match its extension: it is named .%(ext)s but contains %(found)s."),
            ext=filename.rsplit(".", 1)[-1].lower()[:10],
            found=found.upper(),
        )
    if found not in allowed:
        raise DomainError(field, refused)
    name = filename.replace("\\", "/").rsplit("/", 1)[-1].strip()[:255] or f"file.{found}"
    return CheckedFile(name, found, content)
