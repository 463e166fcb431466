"""The bulletin page: a municipality's month (consultations opened and closed with their outcome, meetings ahead,
funding deadlines, announcements) for anyone, printable on A4 and downloadable as a PDF that is read back here."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import timedelta

import pytest
from pypdf import PdfReader

from consult.answers.actions import AnswerInput, answer_contribution
from consult.bulletin.actions import Month, current_month, parse_month
from consult.models import Announcement, Consultation, Meeting, Organisation, utcnow
from consult.records.actions import RecordInput, publish_record
from tests.factories import (
    close_consultation,
    make_comment,
    make_consultation,
    make_meeting,
    make_official,
    make_organisation,
    make_user,
    principal,
)

ZONE = "Europe/Warsaw"


@dataclass
class Story:
    municipality: Organisation
    month: Month
    programme: Consultation  # opened and closed in the month, every contribution answered, record published
    rules: Consultation  # opened in the month, closing in the next
    budget: Consultation  # opened before, closed in the month, one contribution waiting for its answer
    meeting: Meeting
    grant: Announcement
    training: Announcement


def _move(db, consultation: Consultation, opens, closes) -> None:
    consultation.opens_at, consultation.closes_at = opens, closes
    db.add(consultation)
    db.commit()


def _announcement(db, **fields) -> Announcement:
    item = Announcement(**{"body": "", "body_html": "", **fields})
    db.add(item)
    db.commit()
    return item


@pytest.fixture
def story(db) -> Story:
    """Last month in Gmina Wierzbno, as the clerk will put it in the bulletin."""
    official, municipality = make_official(
        db, make_organisation(db, kind="municipality", name="Gmina Wierzbno", verified=True)
    )
    month = current_month(ZONE).previous
    start = month.start(ZONE)
    ngo_admin = make_user(db)
    ngo = make_organisation(db, admin=ngo_admin, name="Stowarzyszenie Bobry", verified=True)

    programme = make_consultation(
        db, official=official, municipality=municipality, title="Program współpracy na rok 2027"
    )
    comments = [make_comment(db, programme, author=ngo_admin, organisation=ngo, body=f"Uwaga {i}.") for i in (1, 2)]
    close_consultation(db, programme)
    for comment in comments:
        data = AnswerInput(position="accepted", justification="")
        answer_contribution(db, principal(db, official), programme, ("comment", comment.id), data)
    publish_record(db, principal(db, official), programme, RecordInput(conclusion="Projekt trafia do rady."))
    _move(db, programme, start + timedelta(days=1), start + timedelta(days=20))

    rules = make_consultation(
        db, official=official, municipality=municipality, title="Regulamin konsultacji społecznych"
    )
    _move(db, rules, start + timedelta(days=25), month.next.start(ZONE) + timedelta(days=20))

    strategy = make_consultation(db, official=official, municipality=municipality, title="Strategia rozwoju gminy")
    _move(db, strategy, start - timedelta(days=12), month.next.start(ZONE) + timedelta(days=5))  # all month long

    budget = make_consultation(db, official=official, municipality=municipality, title="Budżet obywatelski 2027")
    make_comment(db, budget, author=ngo_admin, organisation=ngo, body="Więcej na kulturę.")
    _move(db, budget, start - timedelta(days=10), start + timedelta(days=12))

    draft = make_consultation(db, official=official, municipality=municipality, title="Szkic, nie dla mieszkańców")
    draft.published_at = None
    _move(db, draft, start + timedelta(days=3), start + timedelta(days=24))
    elsewhere = make_consultation(db, title="Konsultacja innej gminy")
    _move(db, elsewhere, start + timedelta(days=3), start + timedelta(days=24))

    meeting = make_meeting(db, organiser=official, organisation=municipality, title="Forum organizacji pozarządowych")
    meeting.starts_at = start + timedelta(days=27, hours=16)
    meeting.ends_at = meeting.starts_at + timedelta(hours=3)
    db.add(meeting)
    db.commit()

    published = start + timedelta(days=2)
    grant = _announcement(
        db,
        slug="otwarty-konkurs-ofert-2027",
        title="Otwarty konkurs ofert na wspieranie kultury",
        category="funding",
        audience_kind="municipality",
        audience_id=municipality.id,
        organisation_id=municipality.id,
        funder="Gmina Wierzbno",
        amount_min=5000,
        amount_max=20000,
        deadline=month.first_day + timedelta(days=16),
        published_at=published,
    )
    training = _announcement(
        db,
        slug="szkolenie-z-generatora-ofert",
        title="Szkolenie z generatora ofert",
        category="training",
        audience_kind="everyone",
        body_html="<p>Zapraszamy na bezpłatne szkolenie.</p>",
        published_at=published,
    )
    other, _municipality = make_official(db)
    _announcement(
        db,
        slug="konkurs-innej-gminy",
        title="Konkurs innej gminy",
        category="funding",
        audience_kind="municipality",
        audience_id=_municipality.id,
        deadline=month.first_day + timedelta(days=10),
        published_at=published,
    )
    _announcement(
        db,
        slug="wycofane",
        title="Ogłoszenie wycofane",
        category="general",
        audience_kind="everyone",
        published_at=published,
        withdrawn_at=published + timedelta(days=1),
    )
    return Story(municipality, month, programme, rules, budget, meeting, grant, training)


def url(story: Story, month: Month | None = None, suffix: str = "") -> str:
    return f"/municipalities/{story.municipality.slug}/bulletin/{(month or story.month).key}{suffix}"


def test_the_bulletin_shows_the_months_consultations_with_their_outcome(client, story):
    page = client.get(url(story))
    assert page.status_code == 200 and page.template.name == "bulletin/month.html"
    b = page.context["b"]
    opened = [line.consultation.title for line in b.opened]  # the budget opened before and closed: told once
    assert opened == ["Strategia rozwoju gminy", story.programme.title, story.rules.title]
    assert [line.consultation.title for line in b.closed] == [story.budget.title, story.programme.title]
    programme = next(line for line in b.closed if line.consultation.id == story.programme.id)
    budget = next(line for line in b.closed if line.consultation.id == story.budget.id)
    assert (programme.record_published, programme.contributions, programme.answered) == (True, 2, 2)
    assert (budget.record_published, budget.contributions, budget.answered) == (False, 1, 0)
    text = page.text
    assert "Zgłoszono 2 uwagi lub propozycje." in text and "wobec których gmina zajęła stanowisko: 2." in text
    assert "Sprawozdanie z konsultacji" in text and f"/consultations/{story.programme.slug}/record" in text
    assert "Szkic, nie dla mieszkańców" not in text and "Konsultacja innej gminy" not in text


def test_the_bulletin_lists_meetings_funding_deadlines_and_announcements_for_the_municipality(client, story):
    page = client.get(url(story))
    b = page.context["b"]
    assert [m.title for m in b.meetings] == ["Forum organizacji pozarządowych"]
    assert [a.title for a in b.funding] == [story.grant.title]
    assert [a.title for a in b.announcements] == [story.training.title]
    deadline = story.grant.deadline
    assert f"Termin składania wniosków: {deadline.day} " in page.text and f"{deadline.year} r." in page.text
    assert "od 5\xa0000 zł do 20\xa0000 zł" in page.text or "od 5 000 zł do 20 000 zł" in page.text
    assert "Zapraszamy na bezpłatne szkolenie." in page.text
    assert "Konkurs innej gminy" not in page.text and "Ogłoszenie wycofane" not in page.text


def test_the_month_picker_links_the_months_around_it(client, story):
    page = client.get(url(story))
    assert url(story, story.month.previous) in page.text and url(story, story.month.next) in page.text
    assert url(story, suffix=".pdf") in page.text
    assert Month(2026, 12).next == Month(2027, 1) and Month(2027, 1).previous == Month(2026, 12)


def test_an_empty_month_says_so_in_each_section(client, story):
    page = client.get(url(story, Month(2020, 2)))
    assert page.status_code == 200 and page.context["b"].empty
    assert "W tym miesiącu gmina nie prowadziła żadnych konsultacji." in page.text
    assert "luty 2020" in page.text


@pytest.mark.parametrize("month", ["2026-13", "2026-00", "1999-12", "2026-1", "grudzien", "2026-12-01"])
def test_a_month_that_is_not_one_is_not_found(client, story, month):
    assert parse_month(month) is None
    assert client.get(f"/municipalities/{story.municipality.slug}/bulletin/{month}").status_code == 404
    assert client.get(f"/municipalities/{story.municipality.slug}/bulletin/{month}.pdf").status_code == 404


def test_an_organisation_that_is_not_a_municipality_has_no_bulletin(client, db, story):
    ngo = make_organisation(db, name="Fundacja Bez Biuletynu")
    assert client.get(f"/municipalities/{ngo.slug}/bulletin/{story.month.key}").status_code == 404
    assert client.get(f"/municipalities/nie-ma-takiej/bulletin/{story.month.key}").status_code == 404


def test_the_pdf_holds_the_months_consultations_and_the_funding_deadline(client, story):
    answer = client.get(url(story, suffix=".pdf"))
    assert answer.status_code == 200 and answer.headers["content-type"] == "application/pdf"
    assert f"biuletyn-{story.municipality.slug}-{story.month.key}.pdf" in answer.headers["content-disposition"]
    reader = PdfReader(io.BytesIO(answer.content))
    text = " ".join(" ".join((page.extract_text() or "").split()) for page in reader.pages)
    for title in (story.programme.title, story.rules.title, story.budget.title, story.grant.title):
        assert title in text, title
    deadline = story.grant.deadline
    assert f"Termin składania wniosków: {deadline.day}" in text and "Gmina Wierzbno" in text
    assert "Zaloguj" not in text and "Następny miesiąc" not in text  # no menu, no picker
    assert reader.pdf_header.startswith("%PDF-") and "/StructTreeRoot" in str(reader.trailer["/Root"].keys())


def test_the_municipality_page_links_this_months_bulletin(client, story):
    page = client.get(f"/municipalities/{story.municipality.slug}")
    assert url(story, current_month(ZONE)) in page.text


def test_a_bulletin_reads_the_same_for_a_signed_in_reader_and_a_visitor(client, other_client, db, story):
    visitor = client.get(url(story)).context["b"]
    reader = make_user(db)
    other_client.login(reader.email)
    signed_in = other_client.get(url(story)).context["b"]
    assert [line.consultation.id for line in visitor.closed] == [line.consultation.id for line in signed_in.closed]
    assert utcnow() > story.month.next.start(ZONE)  # the story's month is over: nothing in it can change by the clock
