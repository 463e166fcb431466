"""The worker's jobs: queued once, claimed by one worker, retried with a growing delay, left failed with the error."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import Session, select

from consult import jobs
from consult.models import Job, utcnow

CALLS: list[str] = []


def succeed(session, settings, subject: str) -> None:
    CALLS.append(subject)


def fail(session, settings, subject: str) -> None:
    raise RuntimeError(f"the printer is on fire ({subject})")


@pytest.fixture(autouse=True)
def kinds(monkeypatch):
    CALLS.clear()
    monkeypatch.setitem(jobs.HANDLERS, "test.ok", f"{__name__}:succeed")
    monkeypatch.setitem(jobs.HANDLERS, "test.fail", f"{__name__}:fail")


def test_a_job_is_queued_once_per_kind_and_subject(db):
    first = jobs.enqueue(db, "test.ok", 7)
    db.commit()
    assert jobs.enqueue(db, "test.ok", "7").id == first.id
    db.commit()
    assert len(db.exec(select(Job)).all()) == 1


def test_two_workers_claim_a_job_once(db, app, settings):
    jobs.enqueue(db, "test.ok", 1)
    db.commit()
    with Session(app.state.engine) as other:
        taken = jobs.claim(db)
        assert taken is not None and taken.status == "running" and taken.attempts == 1
        assert jobs.claim(other) is None
    assert jobs.run_job(db, settings, taken) is True
    assert CALLS == ["1"]
    db.refresh(taken)
    assert taken.status == "done" and taken.finished_at is not None


def test_a_job_not_yet_due_waits(db, settings):
    jobs.enqueue(db, "test.ok", 2, run_after=utcnow() + timedelta(minutes=5))
    db.commit()
    assert jobs.run_due_jobs(db, settings) == 0 and CALLS == []


def test_a_failing_job_is_retried_later_then_left_failed_with_its_error(db, settings):
    job = jobs.enqueue(db, "test.fail", 3)
    db.commit()
    for attempt in range(1, jobs.MAX_ATTEMPTS + 1):
        assert jobs.run_due_jobs(db, settings) == 0
        db.refresh(job)
        assert job.attempts == attempt and "the printer is on fire (3)" in job.last_error
        if attempt < jobs.MAX_ATTEMPTS:
            assert job.status == "queued"
            assert job.run_after - utcnow() > jobs.BACKOFF * 2 ** (attempt - 1) - timedelta(seconds=5)
            assert jobs.run_due_jobs(db, settings) == 0  # not due yet
            job.run_after = utcnow() - timedelta(seconds=1)
            db.add(job)
            db.commit()
    assert job.status == "failed" and job.finished_at is not None
    assert jobs.claim(db) is None


def test_a_job_left_running_by_a_dead_worker_is_taken_again(db, settings):
    job = jobs.enqueue(db, "test.ok", 4)
    db.commit()
    assert jobs.claim(db) is not None  # the worker then died
    assert jobs.claim(db) is None
    job.started_at = utcnow() - jobs.STALE - timedelta(minutes=1)
    db.add(job)
    db.commit()
    assert jobs.run_due_jobs(db, settings) == 1 and CALLS == ["4"]
