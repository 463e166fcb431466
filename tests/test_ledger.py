"""The ledger: every state change appends a chained event; tampering behind the application's back is caught."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import text

from consult import ledger
from consult.cli import main as cli
from consult.models import LedgerEvent
from tests.factories import make_admin, make_organisation, make_user


@pytest.fixture
def history(db):
    """A few real actions: registrations, an organisation, its verification."""
    make_organisation(db, verified=True, krs="0000123456")
    make_user(db)
    events = db.exec(ledger.select(LedgerEvent).order_by(LedgerEvent.seq)).all()
    assert len(events) >= 6
    return events


def test_actions_append_a_chain_that_verifies(db, history):
    assert [e.seq for e in history] == list(range(1, len(history) + 1))
    assert history[0].prev_hash == ledger.GENESIS_HASH
    assert all(later.prev_hash == earlier.hash for earlier, later in zip(history, history[1:], strict=False))
    assert ledger.verify(db) is None
    assert {"user.registered", "organisation.created", "organisation.verified"} <= {e.action for e in history}


def test_personal_data_never_enters_a_payload_in_clear(db):
    user = make_user(db, email="jan.kowalski@example.pl", display_name="Jan Kowalski")
    payloads = " ".join(e.payload for e in db.exec(ledger.select(LedgerEvent)).all())
    assert "jan.kowalski@example.pl" not in payloads and "Jan Kowalski" not in payloads
    assert ledger.commitment(user.personal_salt, user.email) in payloads


def _tamper(db, sql: str, **params) -> None:
    db.exec(text(sql), params=params)
    db.commit()


def test_verify_catches_a_changed_payload(db, history):
    target = history[2]
    changed = json.loads(target.payload) | {"forged": True}
    _tamper(db, "UPDATE ledger_event SET payload = :p WHERE seq = :s", p=ledger.canonical_json(changed), s=target.seq)
    broken = ledger.verify(db)
    assert broken is not None and broken.seq == target.seq


def test_verify_catches_a_changed_actor(db, history):
    _tamper(db, "UPDATE ledger_event SET actor_id = 999 WHERE seq = :s", s=history[1].seq)
    assert ledger.verify(db).seq == history[1].seq


def test_verify_catches_a_rehashed_event_by_the_broken_link_after_it(db, history):
    """Recomputing the changed event's own hash moves the break to the next event, which still points to the old one."""
    target = history[1]
    target.action = "user.deleted"
    new_hash = ledger.event_hash(target.prev_hash, target)
    _tamper(db, "UPDATE ledger_event SET action = 'user.deleted', hash = :h WHERE seq = :s", h=new_hash, s=target.seq)
    assert ledger.verify(db).seq == target.seq + 1


def test_verify_catches_a_deleted_event(db, history):
    _tamper(db, "DELETE FROM ledger_event WHERE seq = :s", s=history[3].seq)
    broken = ledger.verify(db)
    assert broken is not None and broken.seq == history[3].seq
    assert "missing" in broken.reason


def test_verify_catches_an_inserted_event(db, history):
    last = history[-1]
    _tamper(
        db,
        "INSERT INTO ledger_event (seq, at, actor_id, action, subject_kind, subject_id, payload, prev_hash, hash) "
        "VALUES (:seq, :at, 1, 'organisation.verified', 'organisation', '1', '{}', :prev, :hash)",
        seq=last.seq + 1,
        at=last.at,
        prev=last.hash,
        hash="f" * 64,
    )
    assert ledger.verify(db).seq == last.seq + 1


def test_verify_catches_an_event_inserted_in_the_middle(db, history):
    """Shifting later events up to make room breaks the chain where the stranger stands."""
    _tamper(db, "UPDATE ledger_event SET seq = seq + 1000 WHERE seq > 2")
    _tamper(db, "UPDATE ledger_event SET seq = seq - 999 WHERE seq > 1000")
    _tamper(
        db,
        "INSERT INTO ledger_event (seq, at, actor_id, action, subject_kind, subject_id, payload, prev_hash, hash) "
        "VALUES (3, :at, 1, 'user.confirmed', 'user', '1', '{}', :prev, :hash)",
        at=history[1].at,
        prev=history[1].hash,
        hash="e" * 64,
    )
    assert ledger.verify(db).seq == 3


def test_cli_verify_exits_0_when_intact_and_1_naming_the_event(db, history, settings, monkeypatch, capsys):
    monkeypatch.setenv("DATABASE_URL", settings.database_url)
    assert cli(["verify"]) == 0
    assert f"{len(history)} events" in capsys.readouterr().out
    _tamper(db, "UPDATE ledger_event SET subject_id = '42' WHERE seq = 2")
    assert cli(["verify"]) == 1
    assert "event 2" in capsys.readouterr().out


def test_a_refused_action_leaves_no_event(db):
    admin = make_admin(db)
    before = ledger.head(db).seq
    organisation = make_organisation(db, krs="0000111111")
    after_create = ledger.head(db).seq
    from consult.forms import DomainError
    from consult.organisations.actions import OrganisationInput, create_organisation
    from tests.factories import principal

    with pytest.raises(DomainError):
        create_organisation(
            db, principal(db, admin), OrganisationInput(name="Duplikat KRS", kind="ngo", krs="0000111111")
        )
    db.rollback()
    assert ledger.head(db).seq == after_create > before
    assert organisation.id is not None
