"""The consultation record in Chromium: an official publishes it, a resident downloads every format and checks its hash.

In Polish (the consult_lang cookie), with JavaScript on and off; axe-core on the publish page (also when refused) and
on the record page. The PDF is the worker's: the page says it is being prepared until the worker has run once.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
from datetime import timedelta
from pathlib import Path

import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect
from pypdf import PdfReader
from sqlmodel import Session

from consult.answers.actions import AnswerInput, answer_contribution
from consult.jobs import run_due_jobs
from consult.models import utcnow
from consult.proposals.votes import cast_vote
from tests.factories import (
    make_comment,
    make_consultation,
    make_official,
    make_organisation,
    make_proposal,
    make_user,
    paragraph_by_label,
    principal,
)

JS = pytest.mark.parametrize("js", [True, False], ids=["js", "no-js"])
LABEL = "§ 6 ust. 1"


class ClosedConsultation:
    """Gmina Wierzbno's programme consultation, closed, every contribution answered (unless told otherwise).

    Klub Sportowy Orzeł (KRS 0000123456) commented on § 6 ust. 1 with the official form's fields; the Koło Gospodyń
    Wiejskich w Lipnie (no KRS) commented on the whole document and proposed a task, which the club voted for.
    urzednik@example.pl is an official of the municipality.
    """

    def __init__(self, db: Session, *, answered: bool = True) -> None:
        municipality = make_organisation(db, kind="municipality", name="Gmina Wierzbno", verified=True)
        self.official, _ = make_official(db, municipality, email="urzednik@example.pl")
        self.consultation = make_consultation(db, official=self.official, municipality=municipality)
        club_admin = make_user(db, email="klub@example.pl", display_name="Piotr Lis")
        club = make_organisation(db, admin=club_admin, verified=True, name="Klub Sportowy Orzeł", krs="0000123456")
        kgw_admin = make_user(db, email="kgw@example.pl", display_name="Helena Wójcik")
        kgw = make_organisation(db, admin=kgw_admin, verified=True, name="Koło Gospodyń Wiejskich w Lipnie")
        self.club_comment = make_comment(
            db,
            self.consultation,
            author=club_admin,
            organisation=club,
            paragraph=paragraph_by_label(db, self.consultation, LABEL),
            body="Prosimy o dopisanie sportu seniorów.",
            current_wording="Zadania priorytetowe obejmują sport dzieci i młodzieży.",
            proposed_wording="Zadania priorytetowe obejmują sport dzieci, młodzieży i seniorów.",
            justification="Seniorzy to co piąty mieszkaniec gminy.",
        )
        self.general_comment = make_comment(
            db, self.consultation, author=kgw_admin, organisation=kgw, body="Program powinien być krótszy."
        )
        self.proposal = make_proposal(
            db, self.consultation, author=kgw_admin, organisation=kgw, title="Dożynki gminne jako zadanie publiczne"
        )
        cast_vote(db, principal(db, club_admin), self.proposal, club.id, "for")
        self.consultation.closes_at = utcnow() - timedelta(minutes=1)
        db.add(self.consultation)
        db.commit()
        official = principal(db, self.official)
        answers = [
            (("comment", self.club_comment.id), AnswerInput(position="accepted")),
            (("proposal", self.proposal.id), AnswerInput(position="rejected", justification="Brak środków w 2027.")),
        ]
        if answered:
            answers.append(
                (
                    ("comment", self.general_comment.id),
                    AnswerInput(position="explained", justification="Układ wynika z ustawy."),
                )
            )
        for ref, data in answers:
            answer_contribution(db, official, self.consultation, ref, data)


def publish_through_the_page(visitor, page, scene: ClosedConsultation, check_accessible) -> str:
    """The official opens the consultation, follows "Opublikuj protokół", writes a conclusion and publishes."""
    visitor.log_in(page, "urzednik@example.pl")
    page.goto(f"/consultations/{scene.consultation.slug}")
    page.get_by_role("link", name="Opublikuj protokół").click()
    expect(page).to_have_url(re.compile(rf"/consultations/{scene.consultation.slug}/record/publish$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Opublikuj protokół")
    expect(page.locator("#missing-title")).to_have_count(0)
    check_accessible(page)
    page.get_by_label("Podsumowanie").fill("Projekt trafia pod obrady rady **bez zmian**.")
    page.get_by_role("button", name="Opublikuj protokół").click()
    expect(page).to_have_url(re.compile(rf"/consultations/{scene.consultation.slug}/record$"))
    return page.url


def download(page, name: str, tmp_path: Path, timeout: float = 10_000) -> bytes:
    """Click a download link of the record page; the file's bytes."""
    with page.expect_download(timeout=timeout) as event:
        page.get_by_role("list", name="Pobierz protokół").get_by_role("link", name=name).click()
    saved = tmp_path / event.value.suggested_filename
    event.value.save_as(saved)
    return saved.read_bytes()


@JS
def test_official_publishes_the_record_and_a_resident_downloads_every_format(
    visitor, db, settings, js, assert_accessible, tmp_path
):
    scene = ClosedConsultation(db)
    slug = scene.consultation.slug
    official = visitor.page(js=js, lang="pl")
    check_accessible = assert_accessible if js else lambda page: None  # axe runs in the page: it needs JavaScript
    record_url = publish_through_the_page(visitor, official, scene, check_accessible)
    expect(official.locator("main .banner[role=status]")).to_contain_text("Protokół jest opublikowany.")
    expect(official.get_by_role("heading", level=1)).to_contain_text("Protokół z konsultacji")
    row = official.locator(f"#record-comment-{scene.club_comment.id}")
    expect(row).to_contain_text("Klub Sportowy Orzeł")
    expect(row).to_contain_text("KRS 0000123456")
    expect(row).to_contain_text(LABEL)
    expect(row).to_contain_text("Zadania priorytetowe obejmują sport dzieci, młodzieży i seniorów.")
    expect(row.locator("td").nth(6)).to_have_text("uwzględniona")
    expect(official.locator(f"#record-comment-{scene.general_comment.id}")).to_contain_text("wyjaśniona")
    expect(official.locator(f"#record-proposal-{scene.proposal.id}")).to_contain_text("Brak środków w 2027.")
    expect(official.locator("section[aria-labelledby=record-5]")).to_contain_text("bez zmian")
    sha = official.locator("code#record-sha256").inner_text()
    assert re.fullmatch(r"[0-9a-f]{64}", sha), sha
    expect(official.locator("#record-pdf-pending")).to_have_text(re.compile("^PDF jest przygotowywany"))
    check_accessible(official)

    assert run_due_jobs(db, settings) == 1  # the worker renders the PDF, once
    resident = visitor.page(js=js, lang="pl")
    resident.goto(record_url)
    expect(resident.locator("code#record-sha256")).to_have_text(sha)
    expect(resident.locator("#record-pdf-pending")).to_have_count(0)

    published = download(resident, "JSON (dane wraz ze skrótem)", tmp_path)
    data = json.loads(published)
    assert data["sha256"] == sha
    body = {key: value for key, value in data.items() if key != "sha256"}
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    assert hashlib.sha256(canonical).hexdigest() == sha
    assert (tmp_path / f"protokol-{slug}.json").exists()
    assert [c["position"] for c in data["contributions"]] == ["explained", "accepted"]  # the whole document first

    table = download(resident, "CSV (arkusz kalkulacyjny)", tmp_path)
    assert table.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(table.decode("utf-8-sig"))))
    assert rows[0][:4] == ["Lp.", "Podmiot zgłaszający", "KRS", "Część dokumentu"]
    kgw, club = "Koło Gospodyń Wiejskich w Lipnie", "Klub Sportowy Orzeł"
    assert [(r[1], r[2], r[3]) for r in rows[1:4]] == [
        (kgw, "", "Cały dokument"),
        (club, "0000123456", LABEL),
        (kgw, "", "Dożynki gminne jako zadanie publiczne"),
    ]
    assert rows[-1] == ["SHA-256 protokołu", sha]

    book = load_workbook(io.BytesIO(download(resident, "XLSX (Excel)", tmp_path)))
    assert book.active["D2"].value == "Cały dokument" and book.active["H3"].value == "uwzględniona"

    pdf = download(resident, "PDF (do archiwum i druku)", tmp_path)
    reader = PdfReader(io.BytesIO(pdf))
    text = "\n".join(p.extract_text() for p in reader.pages)
    assert "Klub Sportowy Orzeł" in text and text.startswith("Gmina Wierzbno")
    assert sha in text.replace("\n", "")
    assert visitor.console_errors == [], "\n".join(visitor.console_errors)


def test_publishing_with_a_contribution_unanswered_is_refused_on_an_accessible_page(visitor, db, assert_accessible):
    scene = ClosedConsultation(db, answered=False)
    page = visitor.page(js=False, lang="pl")
    visitor.log_in(page, "urzednik@example.pl")
    page.goto(f"/consultations/{scene.consultation.slug}/record/publish")
    missing = page.locator("[aria-labelledby=missing-title]")
    expect(missing).to_contain_text("Program powinien być krótszy.")
    page.get_by_label("Podsumowanie").fill("Bez zmian.")
    with page.expect_response(lambda r: r.request.method == "POST") as posted:
        page.get_by_role("button", name="Opublikuj protokół").click()
    assert posted.value.status == 409
    expect(page.locator(".error-summary")).to_contain_text("Liczba uwag i propozycji bez stanowiska: 1.")
    expect(page.get_by_label("Podsumowanie")).to_have_value("Bez zmian.")
    expect(page.locator("code#record-sha256")).to_have_count(0)

    checked = visitor.page(js=True, lang="pl")
    visitor.log_in(checked, "urzednik@example.pl")
    checked.goto(f"/consultations/{scene.consultation.slug}/record/publish")
    expect(checked.locator("[aria-labelledby=missing-title]")).to_be_visible()
    assert_accessible(checked)
    checked.get_by_label("Podsumowanie").fill("Bez zmian.")
    checked.locator("main form").evaluate("form => form.submit()")  # natively, as without JavaScript
    expect(checked.locator(".error-summary")).to_be_visible()
    assert_accessible(checked)
