"""The yearly report's lifecycle: drafted (figures live, the official enters the rest), reviewed (optional), published
and frozen. Queries first, then the actions; every action checks `report.manage` and refuses any change (409) once
the report is published."""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from consult import ledger
from consult.errors import DomainError
from consult.i18n import _
from consult.models import ImplementationReport, Organisation, utcnow
from consult.permissions import Principal, can
from consult.reports import build, rules, snapshot
from consult.reports.entered import Entered
from consult.reports.programme import read_programme

__all__ = ["rules"]  # registered on import
FIRST_YEAR, LAST_YEAR = 2000, 2999


# --- queries ------------------------------------------------------------------------------------------------


def get_report(session: Session, municipality: Organisation, year: int) -> ImplementationReport | None:
    return session.exec(
        select(ImplementationReport).where(
            ImplementationReport.municipality_id == municipality.id, ImplementationReport.year == year
        )
    ).first()


def reports_of(session: Session, municipality: Organisation, drafts: bool = False) -> list[ImplementationReport]:
    """The municipality's reports, newest year first: published ones only, or drafts too (for its officials)."""
    query = select(ImplementationReport).where(ImplementationReport.municipality_id == municipality.id)
    if not drafts:
        query = query.where(ImplementationReport.status == "published")
    return list(session.exec(query.order_by(col(ImplementationReport.year).desc())).all())


def may_manage(principal: Principal | None, municipality: Organisation) -> bool:
    return can(principal, "report.manage", municipality)


# --- actions ------------------------------------------------------------------------------------------------


def _guard(principal: Principal | None, municipality: Organisation, report: ImplementationReport | None) -> None:
    if not may_manage(principal, municipality):
        raise DomainError("", _("Only the municipality's officials prepare its yearly report."), 403)
    if report is not None and report.status == "published":
        raise DomainError("", _("This report is published and can no longer change."), 409)


def start_report(session: Session, principal: Principal | None, municipality: Organisation, year: int):
    """A draft for the year, its priority tasks and indicators read from the year's programme when it was consulted
    here, else carried over from the year before's report."""
    found = get_report(session, municipality, year)
    _guard(principal, municipality, found)
    if found is not None:
        return found
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise DomainError("year", _("Enter a year between %(first)s and %(last)s."), first=FIRST_YEAR, last=LAST_YEAR)
    programme = read_programme(session, municipality.id, year)
    before = get_report(session, municipality, year - 1)
    report = ImplementationReport(
        municipality_id=municipality.id,
        year=year,
        programme_id=programme.consultation.id if programme.consultation else None,
        priority_tasks="\n".join(programme.priority_tasks) or (before.priority_tasks if before else ""),
        indicators="\n".join(programme.indicators) or (before.indicators if before else ""),
        created_by_id=principal.id,
    )
    session.add(report)
    try:
        session.flush()
    except IntegrityError:  # another official started it a moment ago
        session.rollback()
        return get_report(session, municipality, year)
    ledger.append(
        session, actor_id=principal.id, action="report.started", subject_kind="report", subject_id=report.id,
        payload={"municipality": municipality.id, "year": year},
    )  # fmt: skip
    session.commit()
    return report


def save_report(
    session: Session, principal: Principal | None, municipality: Organisation, report: ImplementationReport, e: Entered
) -> ImplementationReport:
    """Keep the entered figures, tasks, indicators and conclusions; a reviewed report goes back to draft."""
    _guard(principal, municipality, report)
    report.priority_tasks = "\n".join(e.priority_tasks)
    report.indicators = "\n".join(e.indicators)
    report.entered = e.to_json()
    report.conclusions = e.conclusions
    report.status, report.reviewed_at, report.reviewed_by_id = "draft", None, None
    report.updated_at = utcnow()
    session.add(report)
    ledger.append(
        session, actor_id=principal.id, action="report.saved", subject_kind="report", subject_id=report.id,
        payload={"entered_sha256": ledger.sha256_hex(report.entered), "conclusions_sha256":
                 ledger.sha256_hex(report.conclusions)},
    )  # fmt: skip
    session.commit()
    return report


def review_report(
    session: Session, principal: Principal | None, municipality: Organisation, report: ImplementationReport
) -> ImplementationReport:
    """An official marks the draft as checked (optional before publication; a later edit clears it)."""
    _guard(principal, municipality, report)
    report.status, report.reviewed_at, report.reviewed_by_id = "reviewed", utcnow(), principal.id
    session.add(report)
    ledger.append(session, actor_id=principal.id, action="report.reviewed", subject_kind="report", subject_id=report.id)
    session.commit()
    return report


def publish_report(
    session: Session, principal: Principal | None, municipality: Organisation, report: ImplementationReport
) -> ImplementationReport:
    """Freeze the report: its snapshot stored with its SHA-256 and anchored in the ledger; refused while a required
    figure is blank (each named)."""
    _guard(principal, municipality, report)
    data = build.build(session, report, municipality)
    if missing := build.missing(data, report):
        raise DomainError(
            "", _("The report cannot be published yet. Still missing: %(names)s."), 409, names="; ".join(missing)
        )
    # Take the row (a guarded UPDATE) so that two officials publishing at once cannot both succeed.
    taken = session.execute(
        ImplementationReport.__table__.update()
        .where(ImplementationReport.__table__.c.id == report.id, ImplementationReport.__table__.c.status != "published")
        .values(status="published")
    )
    if taken.rowcount != 1:
        session.rollback()
        raise DomainError("", _("This report is published and can no longer change."), 409)
    last = ledger.head(session)
    report.status, report.published_at, report.published_by_id = "published", utcnow(), principal.id
    report.ledger_seq, report.ledger_hash = (last.seq, last.hash) if last else (None, "")
    data = build.build(session, report, municipality, published_at=report.published_at)
    report.sha256 = snapshot.take(session, report, snapshot.canonical_bytes(data))
    session.add(report)
    ledger.append(
        session, actor_id=principal.id, action="report.published", subject_kind="report", subject_id=report.id,
        payload={"sha256": report.sha256, "ledger_seq": report.ledger_seq, "year": report.year},
    )  # fmt: skip
    session.commit()
    return report
