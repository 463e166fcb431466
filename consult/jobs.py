"""Heavy work outside the request: a jobs table that the worker (`python -m consult worker`) runs.

A job is queued once per (kind, subject), in the transaction of the change that needs it. Two workers may run: a
job is claimed by a guarded UPDATE (`WHERE status = 'queued'`), after a `SELECT … FOR UPDATE SKIP LOCKED` on
PostgreSQL, so exactly one of them runs it. A failure is recorded and retried with a growing delay; after
MAX_ATTEMPTS the job is left failed, with its error. A worker that died while running a job leaves it "running": after
STALE it may be claimed again.
"""

from __future__ import annotations

import importlib
import logging
import traceback
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import update
from sqlmodel import Session, col, or_, select

from consult.models import Job, utcnow
from consult.settings import Settings

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
BACKOFF = timedelta(seconds=30)  # then 1, 2, 4 minutes…
STALE = timedelta(minutes=30)
# kind → "module:function(session, settings, subject)"; named, not imported, so that this module imports no feature.
HANDLERS = {
    "record.pdf": "consult.records.snapshot:render_pdf_job",
    "report.pdf": "consult.reports.snapshot:render_pdf_job",
}


def enqueue(session: Session, kind: str, subject: int | str, run_after: datetime | None = None) -> Job:
    """Queue a job in the caller's transaction (the caller commits); the same (kind, subject) is queued once."""
    found = session.exec(select(Job).where(Job.kind == kind, Job.subject == str(subject))).first()
    if found is not None:
        return found
    job = Job(kind=kind, subject=str(subject), run_after=run_after or utcnow())
    session.add(job)
    return job


def job_for(session: Session, kind: str, subject: int | str) -> Job | None:
    return session.exec(select(Job).where(Job.kind == kind, Job.subject == str(subject))).first()


def claim(session: Session, now: datetime | None = None) -> Job | None:
    """Take the next due job for this worker, committed as running; None when nothing is due."""
    now = now or utcnow()
    due = or_(
        (col(Job.status) == "queued") & (col(Job.run_after) <= now),
        (col(Job.status) == "running") & (col(Job.started_at) < now - STALE),
    )
    while True:
        candidate = session.exec(
            select(Job.id, Job.status)
            .where(due)
            .order_by(col(Job.run_after), col(Job.id))
            .limit(1)
            .with_for_update(skip_locked=True)  # PostgreSQL: another worker's job is skipped; SQLite ignores it
        ).first()
        if candidate is None:
            session.commit()
            return None
        job_id, status = candidate
        taken = session.execute(
            update(Job)
            .where(col(Job.id) == job_id, col(Job.status) == status, due)
            .values(status="running", attempts=Job.attempts + 1, started_at=now)
        )
        session.commit()
        if taken.rowcount == 1:
            return session.get(Job, job_id, populate_existing=True)
        # another worker took it between our SELECT and UPDATE (SQLite): look again


def _handler(kind: str) -> Callable[[Session, Settings, str], None]:
    module, _sep, name = HANDLERS[kind].partition(":")
    return getattr(importlib.import_module(module), name)


def run_job(session: Session, settings: Settings, job: Job) -> bool:
    """Run one claimed job; record its outcome. True when it succeeded."""
    try:
        _handler(job.kind)(session, settings, job.subject)
    except Exception as exc:  # noqa: BLE001  (any failure is recorded on the job, and the worker goes on)
        session.rollback()
        log.exception("job %s %s:%s failed", job.id, job.kind, job.subject)
        error = "".join(traceback.format_exception_only(exc)).strip()
        finished = job.attempts >= MAX_ATTEMPTS
        values = {"last_error": error[:2000], "status": "failed" if finished else "queued"}
        if finished:
            values["finished_at"] = utcnow()
        else:
            values["run_after"] = utcnow() + BACKOFF * 2 ** (job.attempts - 1)
        session.execute(update(Job).where(col(Job.id) == job.id).values(**values))
        session.commit()
        return False
    session.execute(update(Job).where(col(Job.id) == job.id).values(status="done", finished_at=utcnow(), last_error=""))
    session.commit()
    return True


def run_due_jobs(session: Session, settings: Settings, limit: int = 100) -> int:
    """Run the jobs that are due, up to `limit`; how many succeeded."""
    done = 0
    for _ in range(limit):
        job = claim(session)
        if job is None:
            break
        done += run_job(session, settings, job)
    return done
