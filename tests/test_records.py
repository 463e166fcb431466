"""The consultation record: published once by an official, frozen, the same data in every format, verifiable."""

from __future__ import annotations

import csv
import hashlib
import io
import json
from datetime import timedelta

import pytest
from sqlalchemy import text

from consult.answers.actions import AnswerInput, answer_contribution
from consult.comments.actions import CommentInput, edit_comment
from consult.consultations.actions import gate_for
from consult.forms import DomainError
from consult.models import utcnow
from consult.records.actions import RecordInput, publish_record, verify_records
from tests.factories import (
    close_consultation,
    make_comment,
    make_consultation,
    make_official,
    make_organisation,
    make_user,
    paragraph_by_label,
    principal,
    signed_in,
)
from tests.html import page


@pytest.fixture
def closed(db):
    """A closed consultation of the fixture programme with one answered comment on § 6 ust. 1."""
    official, municipality = make_official(db)
    consultation = make_consultation(db, official=official, municipality=municipality)
    member = make_user(db)
    ngo = make_organisation(db, admin=member, name="Klub Sportowy Orzeł Wierzbno", krs="0000123456", verified=True)
    comment = make_comment(
        db,
        consultation,
        organisation=ngo,
        author=member,
        paragraph=paragraph_by_label(db, consultation, "§ 6 ust. 1"),
        body="Prosimy o dłuższy termin.",
        current_wording="Termin 14 dni.",
        proposed_wording="Termin 21 dni.",
        justification="Małe organizacje nie zdążą.",
    )
    close_consultation(db, consultation)
    answer_contribution(
        db, principal(db, official), consultation, ("comment", comment.id), AnswerInput(position="accepted")
    )
    return official, municipality, consultation, comment


def test_official_publishes_the_record_and_every_format_carries_one_hash(db, client, closed):
    official, _municipality, consultation, comment = closed
    signed_in(client, official).cookies.set("consult_lang", "pl")  # the record as Polish readers see it
    form = client.get(f"/consultations/{consultation.slug}/record/publish")
    assert form.status_code == 200
    response = client.submit(
        f"/consultations/{consultation.slug}/record/publish", {"conclusion": "Projekt trafia do rady ze zmianą."}
    )
    assert response.status_code == 200
    html = page(response)
    sha = html.one("code#record-sha256").text
    row = html.one(f"#record-comment-{comment.id}").text
    assert "Klub Sportowy Orzeł Wierzbno" in row and "uwzględniona" in row

    downloaded = client.get(f"/consultations/{consultation.slug}/record.json")
    data = json.loads(downloaded.content)
    assert data["sha256"] == sha
    body = {k: v for k, v in data.items() if k != "sha256"}
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    assert hashlib.sha256(canonical).hexdigest() == sha
    [row] = data["contributions"]
    assert row["paragraph"] == "§ 6 ust. 1"
    assert row["organisation"] == {"name": "Klub Sportowy Orzeł Wierzbno", "krs": "0000123456"}
    assert row["position"] == "accepted" and row["proposed_wording"] == "Termin 21 dni."
    assert data["consultation"]["slug"] == consultation.slug
    assert data["participants"] == [{"name": "Klub Sportowy Orzeł Wierzbno", "krs": "0000123456"}]

    table = client.get(f"/consultations/{consultation.slug}/record.csv")
    assert table.content.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(table.content.decode("utf-8-sig"))))
    assert rows[0][:9] == [
        "Lp.",
        "Podmiot zgłaszający",
        "KRS",
        "Część dokumentu",
        "Dotychczasowy zapis",
        "Proponowany zapis lub treść uwagi",
        "Uzasadnienie",
        "Stanowisko",
        "Uzasadnienie stanowiska",
    ]
    assert rows[1][:9] == [
        "1",
        "Klub Sportowy Orzeł Wierzbno",
        "0000123456",
        "§ 6 ust. 1",
        "Termin 14 dni.",
        "Termin 21 dni.\n\nProsimy o dłuższy termin.",
        "Małe organizacje nie zdążą.",
        "uwzględniona",
        "",
    ]
    assert rows[-1] == ["SHA-256 protokołu", sha]


def test_the_record_cannot_be_published_while_a_contribution_is_unanswered(db, client, closed):
    official, _municipality, consultation, _comment = closed
    consultation.closes_at = utcnow() + timedelta(days=1)
    db.add(consultation)
    db.commit()
    make_comment(db, consultation, body="Druga uwaga.")
    close_consultation(db, consultation)
    signed_in(client, official)
    response = client.submit(f"/consultations/{consultation.slug}/record/publish", {"conclusion": "Bez zmian."})
    assert response.status_code == 409
    html = page(response)
    assert "Druga uwaga." in html.one("#missing-title").text or "Druga uwaga." in response.text
    assert html.one("textarea#field-conclusion").text == "Bez zmian."


def test_only_officials_of_the_municipality_publish(db, client, closed):
    _official, _municipality, consultation, _comment = closed
    other, _elsewhere = make_official(db)
    signed_in(client, other)
    assert client.get(f"/consultations/{consultation.slug}/record/publish").status_code == 403
    with pytest.raises(DomainError) as refused:
        publish_record(db, principal(db, other), consultation, RecordInput())
    assert refused.value.status_code == 403


def test_an_open_consultation_has_no_record_yet(db, client):
    official, municipality = make_official(db)
    consultation = make_consultation(db, official=official, municipality=municipality)
    with pytest.raises(DomainError) as refused:
        publish_record(db, principal(db, official), consultation, RecordInput())
    assert refused.value.status_code == 409
    assert client.get(f"/consultations/{consultation.slug}/record").status_code == 404


def test_a_consultation_without_contributions_yields_a_complete_record(db, client):
    official, municipality = make_official(db)
    consultation = make_consultation(db, official=official, municipality=municipality)
    close_consultation(db, consultation)
    publish_record(db, principal(db, official), consultation, RecordInput())
    html = page(client.get(f"/consultations/{consultation.slug}/record"))
    assert "Nie zgłoszono żadnych uwag ani propozycji" in html.one("section[aria-labelledby=record-4]").text
    assert "bez zmian" in html.one("section[aria-labelledby=record-5]").text
    data = client.get(f"/consultations/{consultation.slug}/record.json").json()
    assert data["contributions"] == [] and data["counts"]["total"] == 0
    assert data["conclusion"]["outcome"] == "unchanged"


def test_after_publication_nothing_changes(db, closed):
    official, municipality, consultation, comment = closed
    publish_record(db, principal(db, official), consultation, RecordInput())
    with pytest.raises(DomainError) as refused:
        answer_contribution(
            db,
            principal(db, official),
            consultation,
            ("comment", comment.id),
            AnswerInput(position="rejected", justification="Zmiana zdania."),
        )
    assert refused.value.status_code == 409
    with pytest.raises(DomainError) as twice:
        publish_record(db, principal(db, official), consultation, RecordInput())
    assert twice.value.status_code == 409
    with pytest.raises(DomainError):
        edit_comment(db, None, comment, gate_for(consultation, municipality), CommentInput(body="x"))


def test_the_record_is_served_from_its_snapshot_not_from_live_data(db, client, closed):
    official, _municipality, consultation, comment = closed
    publish_record(db, principal(db, official), consultation, RecordInput())
    assert verify_records(db) == (None, 1)
    db.execute(text("UPDATE comment SET proposed_wording = 'Termin 7 dni.' WHERE id = :id"), {"id": comment.id})
    db.commit()
    assert verify_records(db) == (None, 1)
    assert client.get(f"/consultations/{consultation.slug}/record.json").json()["contributions"][0][
        "proposed_wording"
    ] == ("Termin 21 dni.")


def _tamper_snapshot(db) -> None:
    content = db.execute(text("SELECT content FROM record_file WHERE format = 'json'")).scalar_one()
    changed = bytes(content).replace(b"Termin 21 dni.", b"Termin 7 dni.")
    db.execute(text("UPDATE record_file SET content = :c WHERE format = 'json'"), {"c": changed})
    return hashlib.sha256(changed).hexdigest()


def _tamper_snapshot_and_hashes(db) -> None:
    sha = _tamper_snapshot(db)
    db.execute(text("UPDATE record_file SET sha256 = :s WHERE format = 'json'"), {"s": sha})
    db.execute(text("UPDATE record SET sha256 = :s"), {"s": sha})


TAMPERING = {
    "the snapshot's bytes": _tamper_snapshot,
    "the snapshot and both its hashes (the ledger still holds the published one)": _tamper_snapshot_and_hashes,
    "the record's hash": lambda db: db.execute(text("UPDATE record SET sha256 = '" + "a" * 64 + "'")),
    "the snapshot deleted": lambda db: db.execute(text("DELETE FROM record_file")),
    "the PDF's bytes": lambda db: db.execute(
        text("UPDATE record_file SET content = :c WHERE format = 'pdf'"), {"c": b"%PDF-1.7 x"}
    ),
}


@pytest.mark.parametrize("change", TAMPERING.values(), ids=TAMPERING.keys())
def test_verify_command_names_the_record_changed_with_raw_sql(db, closed, settings, monkeypatch, capsys, change):
    from consult.cli import main as cli
    from consult.jobs import run_due_jobs

    official, _municipality, consultation, _comment = closed
    publish_record(db, principal(db, official), consultation, RecordInput())
    assert run_due_jobs(db, settings) == 1  # the PDF, bound in the ledger
    monkeypatch.setenv("DATABASE_URL", settings.database_url)
    assert cli(["verify"]) == 0
    change(db)
    db.commit()
    assert cli(["verify"]) == 1
    assert f"record BROKEN: {consultation.slug}" in capsys.readouterr().out


def test_moderation_is_refused_once_the_record_is_published(db, closed):
    from consult.comments.actions import ModerationInput, hide_comment
    from consult.consultations.threads import thread_context
    from consult.models import Thread

    official, municipality, consultation, comment = closed
    publish_record(db, principal(db, official), consultation, RecordInput())
    thread = db.get(Thread, comment.thread_id)
    ctx = thread_context(db, consultation, municipality, thread, None, lambda *a, **k: "/")
    with pytest.raises(DomainError) as refused:
        hide_comment(db, principal(db, official), comment, ctx.gate, ModerationInput(reason="Za późno."))
    assert refused.value.status_code == 409


def test_every_consultation_action_of_the_demo_is_in_the_ledger(db, settings, monkeypatch):
    """The demo runs a consultation end to end through the actions; each kind of change left its event."""
    from sqlmodel import select

    from consult.cli import main as cli
    from consult.models import LedgerEvent

    monkeypatch.setenv("DATABASE_URL", settings.database_url)
    assert cli(["demo"]) == 0
    seen = set(db.exec(select(LedgerEvent.action)).all())
    expected = {
        "consultation.created",
        "consultation.published",
        "comment.submitted",
        "comment.entered",
        "proposal.submitted",
        "vote.cast",
        "cosign.added",
        "answer.given",
        "document.version_published",
        "record.published",
        "record.pdf_rendered",  # the demo runs the worker's jobs once
    }
    assert expected <= seen, expected - seen


# --- a consultation's history in the record --------------------------------------------------------------------


def _golden_record_bytes(db) -> bytes:
    """A record built on fixed dates, names and ledger head (nothing random in it): a comment with a reply and an
    answer, an outside entry from a person without an account, a proposal with a vote; and no change of the
    consultation. Its canonical bytes, as publication would store them."""
    from datetime import UTC, datetime

    from consult.entries.actions import EntryInput, enter_comment
    from consult.models import Record, clock_at
    from consult.proposals.votes import cast_vote
    from consult.records.snapshot import built
    from tests.factories import add_member, make_proposal

    start = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    with clock_at(start):
        official = make_user(db, email="golden.official@example.pl", display_name="Urzędniczka")
        municipality = make_organisation(
            db, admin=_golden_admin(db), kind="municipality", name="Gmina Złota", verified=True
        )
        add_member(db, municipality, official, role="official")
        consultation = make_consultation(
            db, official=official, municipality=municipality, title="Program współpracy złoty"
        )
        member = make_user(db, email="golden.member@example.pl", display_name="Członkini")
        ngo = make_organisation(db, admin=member, name="Fundacja Złota", krs="0000111222", verified=True)
        other_admin = make_user(db, email="golden.other@example.pl", display_name="Inny")
        other = make_organisation(db, admin=other_admin, name="Klub Złoty", krs="0000333444", verified=True)
    with clock_at(start + timedelta(days=2)):
        comment = make_comment(
            db,
            consultation,
            organisation=ngo,
            author=member,
            paragraph=paragraph_by_label(db, consultation, "§ 6 ust. 1"),
            body="Prosimy o dłuższy termin.",
            proposed_wording="Termin 21 dni.",
        )
        make_comment(db, consultation, organisation=other, author=other_admin, parent=comment, body="Popieramy.")
        proposal = make_proposal(db, consultation, author=member, organisation=ngo, title="Sport seniorów")
        cast_vote(db, principal(db, other_admin), proposal, other.id, "for")
        letter = enter_comment(
            db,
            principal(db, official),
            consultation,
            EntryInput(
                sender="person", sender_name="Jan Kowalski", body="List mieszkańca.", channel="paper",
                received_at=(start + timedelta(days=1)).date(),
            ),
        )  # fmt: skip
    with clock_at(start + timedelta(days=30)):
        close_consultation(db, consultation)
        for ref in (("comment", comment.id), ("proposal", proposal.id), ("comment", letter.id)):
            answer_contribution(db, principal(db, official), consultation, ref, AnswerInput(position="accepted"))
        record = Record(
            consultation_id=consultation.id,
            published_at=start + timedelta(days=31),
            conclusion="Projekt trafia do rady.",
            sha256="",
            ledger_seq=42,
            ledger_hash="0" * 64,
        )
        return built(db, record, consultation, municipality)


def _golden_admin(db):
    return make_user(db, email="golden.admin@example.pl", display_name="Admin", is_admin=True)


# The canonical bytes of that record as the code built them before a consultation's history entered the record.
GOLDEN_SHA256 = "1f225eeb46448f9d84ed362e2d796e8bd658d3848368a4ba7ca7b18d36111888"


def test_a_record_without_changes_has_the_bytes_it_had_before_history_entered_the_record(db):
    content = _golden_record_bytes(db)
    data = json.loads(content)
    assert "history" not in data["course"] and "history" not in data
    assert hashlib.sha256(content).hexdigest() == GOLDEN_SHA256


def test_a_record_shows_the_consultations_corrections_and_extension_in_every_format(db, client, settings, closed):
    """The history of changes is part of the record: in its JSON, its page and its PDF, with the public reasons."""
    from pypdf import PdfReader

    from consult.consultations import changes
    from consult.jobs import run_due_jobs

    official, _municipality, consultation, _comment = closed
    consultation.closes_at = utcnow() + timedelta(days=2)  # open again, to change it as the official did
    db.add(consultation)
    db.commit()
    who = principal(db, official)
    correction = changes.CorrectionInput(
        title=consultation.title,
        summary=consultation.summary,
        responsible_unit=consultation.responsible_unit,
        contact_person="Jan Nowak, tel. 48 123 45 67",
        reason="Zmiana osoby do kontaktu.",
    )
    changes.correct_consultation(db, who, consultation, correction)
    later = consultation.closes_at + timedelta(days=7)
    changes.change_dates(db, who, consultation, changes.DatesInput(closes_at=later, reason="Na prośbę organizacji."))
    close_consultation(db, consultation)
    record = publish_record(db, who, consultation, RecordInput())

    data = client.get(f"/consultations/{consultation.slug}/record.json").json()
    corrected, extended = data["course"]["history"]
    assert corrected["kind"] == "corrected" and corrected["reason"] == "Zmiana osoby do kontaktu."
    assert corrected["changes"] == [
        {"field": "contact_person", "before": "Katarzyna Nowak", "after": "Jan Nowak, tel. 48 123 45 67"}
    ]
    assert extended["kind"] == "extended" and extended["reason"] == "Na prośbę organizacji."
    [moved] = extended["changes"]
    assert moved["field"] == "closes_at" and moved["after"] == later.isoformat() and moved["after"].endswith("+00:00")
    assert data["sha256"] == record.sha256

    html = page(client.get(f"/consultations/{consultation.slug}/record"))
    section = html.one("section[aria-labelledby=record-2]")
    assert section.one("h3#record-history").text == "Historia zmian"
    first, second = section.select("li.change")
    assert first.text.startswith("Poprawienie informacji") and second.text.startswith("Przedłużenie terminu")
    assert "Jan Nowak, tel. 48 123 45 67" in first.text and "Zmiana osoby do kontaktu." in first.text
    assert "Na prośbę organizacji." in second.text

    assert run_due_jobs(db, settings) == 1
    pdf = client.get(f"/consultations/{consultation.slug}/record.pdf")
    text_of_pdf = " ".join(" ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.content)).pages).split())
    for expected in ("Historia zmian", "Zmiana osoby do kontaktu.", "Na prośbę organizacji.", "Jan Nowak"):
        assert expected in text_of_pdf, expected


def test_a_record_of_a_consultation_that_never_changed_has_no_history_key(db, client, closed):
    official, _municipality, consultation, _comment = closed
    publish_record(db, principal(db, official), consultation, RecordInput())
    data = client.get(f"/consultations/{consultation.slug}/record.json").json()
    assert set(data["course"]) == {"forms", "short_window_reason"}
    assert page(client.get(f"/consultations/{consultation.slug}/record")).select("#record-history") == []
