"""The report as published: its canonical JSON stored once, the PDF rendered from it, and the check that nothing moved.

As for the consultation record (consult/records/snapshot.py): the snapshot is the canonical JSON (`sort_keys`,
compact, UTF-8) of the report without its sha256, kept in `report_file` as "json"; the page and CSV parse it, the JSON
is served as those bytes with the sha256 key appended, and the worker renders the PDF once (job "report.pdf") and
binds its hash in the ledger.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session, col, select

from consult import i18n, jobs, ledger
from consult.models import ImplementationReport, LedgerEvent, Organisation, ReportFile
from consult.records.snapshot import check_stored
from consult.settings import Settings

PDF_JOB = "report.pdf"


def canonical_bytes(data: dict[str, Any]) -> bytes:
    return ledger.canonical_json(data).encode("utf-8")


def store(session: Session, report: ImplementationReport, fmt: str, content: bytes) -> ReportFile:
    found = ReportFile(report_id=report.id, format=fmt, content=content, sha256=hashlib.sha256(content).hexdigest())
    session.add(found)
    return found


def take(session: Session, report: ImplementationReport, content: bytes) -> str:
    """Store the report's snapshot and queue its PDF, in the caller's transaction; its SHA-256."""
    snapshot = store(session, report, "json", content)
    jobs.enqueue(session, PDF_JOB, report.id)
    return snapshot.sha256


def stored(session: Session, report: ImplementationReport, fmt: str) -> bytes | None:
    return session.exec(
        select(ReportFile.content).where(ReportFile.report_id == report.id, ReportFile.format == fmt)
    ).first()


def load(session: Session, report: ImplementationReport) -> dict[str, Any] | None:
    content = stored(session, report, "json")
    return json.loads(content) if content is not None else None


def pdf_state(session: Session, report: ImplementationReport) -> str:
    """ "ready", "preparing" or "failed": where the report's PDF is."""
    if stored(session, report, "pdf") is not None:
        return "ready"
    job = jobs.job_for(session, PDF_JOB, report.id)
    return "failed" if job is not None and job.status == "failed" else "preparing"


def render_pdf_job(session: Session, settings: Settings, subject: str) -> None:
    """Job "report.pdf": render the report's PDF from its snapshot, store it, and bind its hash in the ledger."""
    from consult.reports import pdf

    report = session.get(ImplementationReport, int(subject))
    if report is None or stored(session, report, "pdf") is not None:
        session.rollback()
        return
    data = load(session, report)
    if data is None:
        raise LookupError(f"report {report.id} has no snapshot")
    sha256, published_at = report.sha256, report.published_at
    session.rollback()  # no transaction held while the PDF renders
    token = i18n.current_locale.set(settings.default_locale)
    try:
        content = pdf.render(data, sha256, published_at, settings.base_url)
    finally:
        i18n.current_locale.reset(token)
    report = session.get(ImplementationReport, int(subject))
    if report is None or stored(session, report, "pdf") is not None:
        session.rollback()
        return
    found = store(session, report, "pdf", content)
    ledger.append(
        session,
        actor_id=None,
        action="report.pdf_rendered",
        subject_kind="report",
        subject_id=report.id,
        payload={"report_sha256": report.sha256, "sha256": found.sha256},
    )
    session.commit()


# --- verification -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BrokenReport:
    name: str  # "Gmina Wierzbno 2025"
    stored: str
    computed: str
    reason: str


def _published(session: Session, report: ImplementationReport, action: str) -> str | None:
    payload = session.exec(
        select(LedgerEvent.payload)
        .where(
            LedgerEvent.action == action, LedgerEvent.subject_kind == "report", LedgerEvent.subject_id == str(report.id)
        )
        .order_by(col(LedgerEvent.seq).desc())
    ).first()
    return json.loads(payload).get("sha256") if payload else None


def check(session: Session, report: ImplementationReport, name: str) -> BrokenReport | None:
    """The stored snapshot (and PDF) against the report's hash and the ledger's; what is broken, or None."""
    files = {f.format: f for f in session.exec(select(ReportFile).where(ReportFile.report_id == report.id))}
    broken = check_stored(files, report.sha256, lambda action: _published(session, report, action), "report")
    return BrokenReport(name, *broken) if broken else None


def verify_reports(session: Session) -> tuple[BrokenReport | None, int]:
    """Check every published report's stored bytes; the first that fails, and how many were checked."""
    session.expire_all()  # the stored rows, not objects this session cached
    rows = session.exec(
        select(ImplementationReport, Organisation.name)
        .join(Organisation, col(Organisation.id) == ImplementationReport.municipality_id)
        .where(ImplementationReport.status == "published")
        .order_by(col(ImplementationReport.id))
    ).all()
    for report, municipality in rows:
        broken = check(session, report, f"{municipality} {report.year}")
        if broken is not None:
            return broken, len(rows)
    return None, len(rows)
