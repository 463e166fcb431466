"""The record's files: the PDF rendered once by the worker (tagged, Polish, with its header and signature lines), the
XLSX read back, and every format byte for byte the same after the organisations and the municipality change."""

from __future__ import annotations

import io
import re
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import text

from consult.answers.actions import AnswerInput, answer_contribution
from consult.jobs import run_due_jobs
from consult.models import Organisation
from consult.records.actions import RecordInput, get_record, publish_record, verify_records
from consult.records.snapshot import backfill
from tests.factories import (
    close_consultation,
    make_comment,
    make_consultation,
    make_official,
    make_organisation,
    make_user,
    paragraph_by_label,
    principal,
)
from tests.html import page

FORMATS = ("json", "csv", "xlsx", "pdf")


@pytest.fixture
def published(db, settings):
    """A published record with a comment on § 6 ust. 1 and one on the whole document, markup and a bell in its text."""
    official, municipality = make_official(db)
    consultation = make_consultation(db, official=official, municipality=municipality)
    member = make_user(db)
    ngo = make_organisation(db, admin=member, name="Stowarzyszenie Bobry", krs="0000654321", verified=True)
    on_paragraph = make_comment(
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
    general = make_comment(
        db, consultation, organisation=ngo, author=member, body="Całość: #strong[x] $x$ \u0007dzwonek"
    )
    close_consultation(db, consultation)
    for comment, position in ((on_paragraph, "accepted"), (general, "explained")):
        data = AnswerInput(
            position=position, justification="Wyjaśniamy w programie." if position == "explained" else ""
        )
        answer_contribution(db, principal(db, official), consultation, ("comment", comment.id), data)
    publish_record(db, principal(db, official), consultation, RecordInput(conclusion="Projekt trafia do rady."))
    return municipality, consultation, ngo, on_paragraph, general


def _walk(node, found: list[str]) -> list[str]:
    node = node.get_object()
    if isinstance(node, dict):
        if "/S" in node:
            found.append(node["/S"])
        kids = node.get("/K")
        for kid in kids if isinstance(kids, list) else [kids] if kids is not None else []:
            _walk(kid, found)
    return found


def test_the_pdf_is_prepared_by_the_worker_and_the_page_says_so_until_then(db, client, settings, published):
    _municipality, consultation, *_ = published
    url = f"/consultations/{consultation.slug}/record"
    assert page(client.get(url)).one("#record-pdf-pending").text.startswith("PDF jest przygotowywany")
    waiting = client.get(f"{url}.pdf")
    assert waiting.status_code == 503 and waiting.headers["retry-after"] == "30"
    assert waiting.template.name == "records/pending.html"
    assert run_due_jobs(db, settings) == 1
    assert run_due_jobs(db, settings) == 0  # done once
    client.app.state.page_cache.pages.clear()
    html = page(client.get(url))
    assert f"{url}.pdf" in [a.get("href") for a in html.select("#record-downloads a")]
    assert html.select("#record-pdf-pending") == []
    ready = client.get(f"{url}.pdf")
    assert ready.status_code == 200 and ready.headers["content-type"] == "application/pdf"
    assert ready.headers["x-record-sha256"] == client.get(f"{url}.json").headers["x-record-sha256"]


def test_the_pdf_is_a_tagged_polish_record_with_header_and_signature_lines(db, client, settings, published):
    from pypdf import PdfReader

    municipality, consultation, ngo, *_ = published
    run_due_jobs(db, settings)
    response = client.get(f"/consultations/{consultation.slug}/record.pdf")
    reader = PdfReader(io.BytesIO(response.content))
    pages = [p.extract_text() for p in reader.pages]
    everything = "\n".join(pages)
    first = pages[0]
    assert first.startswith(municipality.name) and "Protokół z konsultacji" in first  # the page header
    assert f"Strona 1 z {len(pages)}" in first
    for expected in (ngo.name, "KRS 0000654321", "§ 6 ust. 1", "Cały dokument", "#strong[x] $x$ dzwonek"):
        assert expected in everything, expected
    assert "I. Przedmiot konsultacji" in everything and "V. Podsumowanie" in everything
    sha = response.headers["x-record-sha256"]
    [last] = [text for text in pages if sha in text]
    assert last is pages[-1]  # the hash is with the place, date and signatures, never on a page of its own
    assert re.search(municipality.name.removeprefix("Gmina ") + r", \d{1,2} \w+ \d{4} r\.", last)
    assert "Sporządził(a):" in last and "Zatwierdził(a):" in last
    root = reader.trailer["/Root"]
    assert root["/Lang"] == "pl" and bool(root["/MarkInfo"]["/Marked"])
    structure = _walk(root["/StructTreeRoot"], [])
    assert {"/Table", "/TR", "/TH", "/TD", "/H1", "/H2"} <= set(structure)
    assert reader.metadata.title == f"Protokół z konsultacji: {consultation.title}"
    assert b"pdfuaid:part" in root["/Metadata"].get_object().get_data()


def test_a_long_table_goes_on_over_the_pages(db, published, settings):
    from pypdf import PdfReader

    from consult.records import pdf
    from consult.records.snapshot import load

    _municipality, consultation, *_ = published
    record = get_record(db, consultation)
    data = load(db, record)
    data["contributions"] = [{**data["contributions"][1], "body": f"Uwaga numer {i}."} for i in range(1, 61)]
    reader = PdfReader(io.BytesIO(pdf.render(data, record, settings.base_url)))
    text = "\n".join(p.extract_text() for p in reader.pages)
    assert len(reader.pages) > 3 and "Uwaga numer 1." in text and "Uwaga numer 60." in text


def test_the_xlsx_reads_back_in_polish(db, client, published):
    from openpyxl import load_workbook

    _municipality, consultation, ngo, on_paragraph, general = published
    response = client.get(f"/consultations/{consultation.slug}/record.xlsx")
    assert response.status_code == 200
    assert response.headers["content-disposition"].endswith(f'protokol-{consultation.slug}.xlsx"')
    book = load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == ["Uwagi i propozycje", "Propozycje i głosy"]
    sheet = book["Uwagi i propozycje"]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:9] == (
        "Lp.",
        "Podmiot zgłaszający",
        "KRS",
        "Część dokumentu",
        "Dotychczasowy zapis",
        "Proponowany zapis lub treść uwagi",
        "Uzasadnienie",
        "Stanowisko",
        "Uzasadnienie stanowiska",
    )
    assert sheet.freeze_panes == "A2"
    by_part = {row[3]: row for row in rows[1:] if row[0]}
    whole = by_part["Cały dokument"]
    assert whole[1:3] == (ngo.name, "0000654321") and whole[7] == "wyjaśniona"
    assert whole[5].startswith("Całość: #strong[x] $x$")
    paragraph = by_part["§ 6 ust. 1"]
    assert paragraph[5] == "Termin 21 dni.\n\nProsimy o dłuższy termin." and paragraph[7] == "uwzględniona"
    assert paragraph[11] == "Na platformie konsultacji" and paragraph[14] == "rozpatrzona"
    submitted = paragraph[13]
    local = on_paragraph.created_at.astimezone(ZoneInfo("Europe/Warsaw")).replace(tzinfo=None, microsecond=0)
    assert submitted.replace(microsecond=0) in (local, local + timedelta(seconds=1))
    assert sheet.cell(row=3, column=14).number_format == "dd.mm.yyyy hh:mm"
    assert rows[-1][:2] == ("SHA-256 protokołu", response.headers["x-record-sha256"])


def _formats(client, slug: str) -> dict[str, bytes]:
    base = f"/consultations/{slug}/record"
    found = {fmt: client.get(f"{base}.{fmt}").content for fmt in FORMATS}
    client.app.state.page_cache.pages.clear()
    html = client.get(base).text
    found["html"] = re.search(r'<article id="record".*</article>', html, re.S).group(0).encode()
    return found


def test_a_rename_after_publication_leaves_the_record_byte_for_byte(db, client, settings, published, monkeypatch):
    from consult.cli import main as cli

    municipality, consultation, ngo, *_ = published
    run_due_jobs(db, settings)
    before = _formats(client, consultation.slug)
    assert b"Stowarzyszenie Bobry" in before["html"] and municipality.name.encode() in before["html"]
    ngo.name, ngo.krs = "Fundacja Nowa Nazwa", "0000999999"
    db.get(Organisation, municipality.id).name = "Miasto i Gmina Inna"
    db.add(ngo)
    db.commit()
    after = _formats(client, consultation.slug)
    for fmt in (*FORMATS, "html"):
        assert after[fmt] == before[fmt], fmt
    assert b"Fundacja Nowa Nazwa" not in after["html"]
    monkeypatch.setenv("DATABASE_URL", settings.database_url)
    assert cli(["verify"]) == 0


def test_migrate_stores_the_snapshot_of_a_record_published_before_snapshots(db, client, settings, published):
    _municipality, consultation, *_ = published
    sha = client.get(f"/consultations/{consultation.slug}/record.json").headers["x-record-sha256"]
    db.execute(text("DELETE FROM record_file"))  # a database as migration 0008 finds it
    db.execute(text("DELETE FROM job"))
    db.commit()
    assert verify_records(db)[0].reason == "no stored snapshot"
    assert client.get(f"/consultations/{consultation.slug}/record").status_code == 503
    assert backfill(db) == (1, [])
    assert backfill(db) == (0, [])
    assert verify_records(db) == (None, 1)
    assert client.get(f"/consultations/{consultation.slug}/record.json").headers["x-record-sha256"] == sha
    assert db.execute(text("SELECT kind FROM job")).scalars().all() == ["record.pdf"]


def test_migrate_stores_no_snapshot_for_a_record_whose_data_changed(db, settings, published):
    _municipality, consultation, _ngo, on_paragraph, _general = published
    db.execute(text("DELETE FROM record_file"))
    db.execute(text("UPDATE comment SET body = 'Inna treść.' WHERE id = :id"), {"id": on_paragraph.id})
    db.commit()
    assert backfill(db) == (0, [consultation.slug])
    assert verify_records(db)[0].consultation_slug == consultation.slug


def test_the_worker_once_sends_the_outbox_and_renders_the_pdf(db, settings, published, monkeypatch):
    from consult.cli import main as cli

    monkeypatch.setenv("DATABASE_URL", settings.database_url)
    monkeypatch.setenv("SMTP_URL", settings.smtp_url)
    assert cli(["worker", "--once"]) == 0
    db.expire_all()
    [job] = db.execute(text("SELECT status, attempts FROM job")).all()
    assert tuple(job) == ("done", 1)
