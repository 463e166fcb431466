"""The record as published: its canonical JSON stored once, the files made from it, and the check that nothing moved.

The snapshot is the canonical JSON without its sha256 key (exactly the bytes the hash covers), kept in `record_file`
with format "json". The page, CSV and XLSX parse it; the JSON is served as those bytes with the sha256 key appended;
the worker renders the PDF from it once (job "record.pdf") and stores it beside it, binding its hash in the ledger.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session, col, select

from consult import i18n, jobs, ledger
from consult.models import Consultation, LedgerEvent, Organisation, Record, RecordFile
from consult.records import build
from consult.settings import Settings

CHUNK = 65_536
PDF_JOB = "record.pdf"


def canonical_bytes(head: dict[str, Any], rows: Iterator[dict]) -> bytes:
    return "".join(build.canonical_chunks(head, rows)).encode("utf-8")


def store(session: Session, record: Record, fmt: str, content: bytes) -> RecordFile:
    """Keep a file of the record in the caller's transaction."""
    found = RecordFile(record_id=record.id, format=fmt, content=content, sha256=hashlib.sha256(content).hexdigest())
    session.add(found)
    return found


def built(
    session: Session, record: Record, consultation: Consultation, municipality: Organisation, discussion: bool = True
) -> bytes:
    """The record's canonical bytes built from the live tables (`discussion=False`: without replies, as records
    were published before they carried them)."""
    head, draft_id = build.head(
        session,
        consultation,
        municipality,
        published_at=record.published_at,
        conclusion=record.conclusion,
        ledger_seq=record.ledger_seq,
        ledger_hash=record.ledger_hash,
        discussion=discussion,
    )
    return canonical_bytes(head, build.contributions(session, consultation, draft_id, discussion))


def take(session: Session, record: Record, content: bytes) -> str:
    """Store the record's snapshot and queue its PDF, in the caller's transaction; its SHA-256."""
    snapshot = store(session, record, "json", content)
    jobs.enqueue(session, PDF_JOB, record.id)
    return snapshot.sha256


# --- reading ------------------------------------------------------------------------------------------------


def stored(session: Session, record: Record, fmt: str) -> bytes | None:
    return session.exec(
        select(RecordFile.content).where(RecordFile.record_id == record.id, RecordFile.format == fmt)
    ).first()


def has(session: Session, record: Record, fmt: str) -> bool:
    found = select(RecordFile.id).where(RecordFile.record_id == record.id, RecordFile.format == fmt)
    return session.exec(found).first() is not None


def load(session: Session, record: Record) -> dict[str, Any] | None:
    """The record's data as published, parsed; None when it has no snapshot (see backfill)."""
    content = stored(session, record, "json")
    return json.loads(content) if content is not None else None


def json_chunks(snapshot: bytes, sha256: str) -> Iterator[bytes]:
    """The published JSON: the snapshot with "sha256" as its last key (it sorts after every other), in chunks."""
    body = memoryview(snapshot)[:-1]  # without the closing brace
    for start in range(0, len(body), CHUNK):
        yield bytes(body[start : start + CHUNK])
    yield b"," + ledger.canonical_json("sha256").encode() + b":" + ledger.canonical_json(sha256).encode() + b"}"


# --- the worker's PDF ---------------------------------------------------------------------------------------


def render_pdf_job(session: Session, settings: Settings, subject: str) -> None:
    """Job "record.pdf": render the record's PDF from its snapshot, store it, and bind its hash in the ledger."""
    from consult.records import pdf

    record = session.get(Record, int(subject))
    if record is None or has(session, record, "pdf"):
        session.rollback()
        return
    data = load(session, record)
    if data is None:
        raise LookupError(f"record {record.id} has no snapshot")
    session.rollback()  # no transaction held while the PDF renders (seconds at 10,000 contributions)
    token = i18n.current_locale.set(settings.default_locale)
    try:
        content = pdf.render(data, record, settings.base_url)
    finally:
        i18n.current_locale.reset(token)
    record = session.get(Record, int(subject))
    if record is None or has(session, record, "pdf"):
        session.rollback()
        return
    found = store(session, record, "pdf", content)
    ledger.append(
        session,
        actor_id=None,
        action="record.pdf_rendered",
        subject_kind="consultation",
        subject_id=record.consultation_id,
        payload={"record_sha256": record.sha256, "sha256": found.sha256},
    )
    session.commit()


# --- verification and backfill -------------------------------------------------------------------------------


@dataclass(frozen=True)
class BrokenRecord:
    consultation_slug: str
    stored: str
    computed: str
    reason: str


def _published(session: Session, record: Record, action: str) -> str | None:
    """The sha256 that the ledger's event of this record's publication (or PDF) holds."""
    payload = session.exec(
        select(LedgerEvent.payload)
        .where(
            LedgerEvent.action == action,
            LedgerEvent.subject_kind == "consultation",
            LedgerEvent.subject_id == str(record.consultation_id),
        )
        .order_by(col(LedgerEvent.seq).desc())
    ).first()
    return json.loads(payload).get("sha256") if payload else None


def check_stored(files: dict, own_sha256: str, published: Callable[[str], str | None], kind: str):
    """A published snapshot's stored files (format → row with `content` and `sha256`) against its own hash and the
    ledger's events `<kind>.published` and `<kind>.pdf_rendered`: (stored, computed, reason) of the first thing
    broken, or None. Records and yearly reports are checked alike."""
    snapshot = files.get("json")
    if snapshot is None:
        return own_sha256, "", "no stored snapshot"
    computed = hashlib.sha256(snapshot.content).hexdigest()
    for what, expected in (
        (kind, own_sha256),
        ("snapshot", snapshot.sha256),
        ("ledger", published(f"{kind}.published")),
    ):
        if computed != expected:
            return expected or "", computed, f"the snapshot does not give the {what}'s sha256"
    pdf = files.get("pdf")
    if pdf is not None:
        computed = hashlib.sha256(pdf.content).hexdigest()
        expected = published(f"{kind}.pdf_rendered")
        if computed != expected or computed != pdf.sha256:
            return expected or "", computed, "the PDF is not the one rendered"
    return None


def check(session: Session, record: Record, slug: str) -> BrokenRecord | None:
    """The stored snapshot (and PDF) against the record's hash and the ledger's; what is broken, or None."""
    files = {f.format: f for f in session.exec(select(RecordFile).where(RecordFile.record_id == record.id))}
    broken = check_stored(files, record.sha256, lambda action: _published(session, record, action), "record")
    return BrokenRecord(slug, *broken) if broken else None


def verify_records(session: Session) -> tuple[BrokenRecord | None, int]:
    """Check every published record's stored bytes; the first that fails, and how many were checked."""
    session.expire_all()  # the stored rows, not objects this session cached
    rows = session.exec(
        select(Record, Consultation.slug)
        .join(Consultation, col(Consultation.id) == Record.consultation_id)
        .order_by(col(Record.id))
    ).all()
    for record, slug in rows:
        broken = check(session, record, slug)
        if broken is not None:
            return broken, len(rows)
    return None, len(rows)


def _rebuilt(session: Session, record: Record) -> bytes | None:
    """The record's canonical bytes rebuilt from live data, in the shape it was published in, if they give its hash.

    Records published before replies were in the record had no `replies`/`discussion` keys: that shape first.
    """
    consultation = session.get(Consultation, record.consultation_id)
    municipality = session.get(Organisation, consultation.organisation_id)
    for discussion in (False, True):
        content = built(session, record, consultation, municipality, discussion)
        if hashlib.sha256(content).hexdigest() == record.sha256:
            return content
    return None


def backfill(session: Session) -> tuple[int, list[str]]:
    """Store the snapshot of records published before snapshots were (migration 0008), from the live data, when that
    data still gives the published hash; queue their PDFs. How many were stored, and the slugs that no longer match."""
    session.expire_all()  # the stored rows, not objects this session cached
    missing = session.exec(
        select(Record)
        .where(~select(RecordFile.id).where(RecordFile.record_id == Record.id, RecordFile.format == "json").exists())
        .order_by(col(Record.id))
    ).all()
    stored_count, mismatched = 0, []
    for record in missing:
        content = _rebuilt(session, record)
        if content is None:
            mismatched.append(session.get(Consultation, record.consultation_id).slug)
            continue
        take(session, record, content)
        session.commit()
        stored_count += 1
    session.commit()
    return stored_count, mismatched


def pdf_state(session: Session, record: Record) -> str:
    """ "ready", "preparing" or "failed": where the record's PDF is."""
    if has(session, record, "pdf"):
        return "ready"
    job = jobs.job_for(session, PDF_JOB, record.id)
    return "failed" if job is not None and job.status == "failed" else "preparing"
