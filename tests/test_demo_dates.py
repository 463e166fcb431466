"""The demo reads as things happened: a record published after its consultation closed, entries received before
they were entered, and the ledger's times in the order of its events."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import select

from consult import ledger
from consult.demo import load_demo
from consult.demo_last_year import SLUG
from consult.models import Answer, Comment, Consultation, LedgerEvent, Proposal, Record, Vote, clock_at, utcnow


def test_demo_dates_are_coherent(db):
    load_demo(db)
    now = utcnow()
    consultation = db.exec(select(Consultation).where(Consultation.slug == SLUG)).one()
    record = db.exec(select(Record).where(Record.consultation_id == consultation.id)).one()
    assert consultation.published_at < consultation.opens_at < consultation.closes_at < record.published_at < now
    assert record.published_at - consultation.closes_at <= timedelta(days=14)
    for each in db.exec(select(Consultation)).all():
        assert each.created_at <= each.published_at <= each.opens_at, each.slug
    for comment in db.exec(select(Comment)).all():
        if comment.received_at is not None:
            assert comment.received_at <= comment.created_at, comment.body
    contributions = [*db.exec(select(Comment.created_at)).all(), *db.exec(select(Proposal.created_at)).all()]
    contributions += db.exec(select(Vote.created_at)).all()
    assert all(moment <= now for moment in contributions)
    for answer in db.exec(select(Answer)).all():
        assert consultation.closes_at < answer.created_at < record.published_at
    times = db.exec(select(LedgerEvent.at).order_by(LedgerEvent.seq)).all()
    assert times == sorted(times), "the ledger's times go back"
    assert ledger.verify(db) is None


def test_demo_loaded_twice_changes_nothing(db):
    load_demo(db)
    count = len(db.exec(select(LedgerEvent.seq)).all())
    load_demo(db)
    assert len(db.exec(select(LedgerEvent.seq)).all()) == count


def test_clock_at_sets_the_time_and_gives_it_back():
    moment = utcnow() - timedelta(days=400)
    with clock_at(moment):
        assert utcnow() == moment
    assert utcnow() - moment > timedelta(days=399)
