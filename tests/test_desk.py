"""The official's desk: creating from Word, the desk list, confirming before publishing, correcting, extending and
cancelling a published consultation with its public history, the review numbered as the record, outside senders."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import select

from consult.consultations import changes
from consult.forms import DomainError
from consult.models import Consultation, ConsultationChange, PendingUpload, utcnow
from tests.factories import (
    FIXTURES,
    close_consultation,
    fresh,
    ledger_events,
    make_comment,
    make_consultation,
    make_official,
    make_organisation,
    principal,
    signed_in,
)
from tests.html import page

WARSAW = ZoneInfo("Europe/Warsaw")
DOCX = FIXTURES / "program-wspolpracy-2027.docx"
DOCX_MIME = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def local(moment) -> str:
    return moment.astimezone(WARSAW).strftime("%Y-%m-%dT%H:%M")


@pytest.fixture
def official(db):
    municipality = make_organisation(db, kind="municipality", name="Gmina Wierzbno", verified=True)
    person, _ = make_official(db, municipality, email="k.nowak@wierzbno.pl")
    return person, municipality


def form_values(municipality, **over) -> dict:
    opens = utcnow() + timedelta(days=2)
    return {
        "organisation_id": str(municipality.id),
        "title": "Program współpracy na rok 2027",
        "summary": "Gmina co roku uchwala program współpracy z organizacjami.",
        "responsible_unit": "Referat Promocji",
        "contact_person": "Katarzyna Nowak",
        "participation": "verified_organisations",
        "opens_at": local(opens),
        "closes_at": local(opens + timedelta(days=21)),
    } | over


def stored(db, slug: str) -> Consultation | None:
    fresh(db)
    return db.exec(select(Consultation).where(Consultation.slug == slug)).first()


# --- (1) the create form --------------------------------------------------------------------


def test_create_form_puts_the_word_file_first_and_states_the_minimum(client, db, official):
    person, municipality = official
    response = signed_in(client, person).get("/consultations/new")
    html, text = page(response), response.text
    assert text.index('name="docx"') < text.index('name="document"') < text.index('name="title"')
    assert html.one("details.paste-text summary")
    assert "At least 14 days after the opening" in html.one("#field-closes_at-hint").text


def test_error_summary_names_each_field(client, db, official):
    person, municipality = official
    signed_in(client, person)
    response = client.submit("/consultations/new", form_values(municipality, title="", contact_person=""))
    assert response.status_code == 422
    links = [a.text for a in page(response).select(".error-summary a")]
    assert "Title: This field is required." in links
    assert "Contact person: This field is required." in links


def test_create_from_word_keeps_the_file_across_an_error(client, db, official):
    person, municipality = official
    signed_in(client, person)
    files = {"docx": (DOCX.name, DOCX.read_bytes(), DOCX_MIME)}
    failed = client.submit("/consultations/new", form_values(municipality, title=""), files=files)
    assert failed.status_code == 422
    html = page(failed)
    token = html.one("input[name=upload_token]").get("value")
    assert DOCX.name in html.one(".kept-file").text
    fresh(db)
    assert db.exec(select(PendingUpload.filename)).all() == [DOCX.name]

    response = client.submit(
        "/consultations/new", form_values(municipality, upload_token=token), follow_redirects=False
    )

    assert response.status_code == 303
    consultation = stored(db, "program-wspolpracy-na-rok-2027")
    assert consultation is not None and consultation.published_at is None
    assert db.exec(select(PendingUpload)).all() == []  # used, then forgotten


def test_a_kept_file_is_only_its_uploaders(client, other_client, db, official):
    person, municipality = official
    colleague, _ = make_official(db, municipality)
    signed_in(client, person)
    files = {"docx": (DOCX.name, DOCX.read_bytes(), DOCX_MIME)}
    token = (
        page(client.submit("/consultations/new", form_values(municipality, title=""), files=files))
        .one("input[name=upload_token]")
        .get("value")
    )
    signed_in(other_client, colleague)
    response = other_client.submit("/consultations/new", form_values(municipality, upload_token=token))
    assert response.status_code == 422
    assert "Paste the document or upload a .docx file." in page(response).one(".error-summary").text


# --- (2) the desk --------------------------------------------------------------------------


def test_desk_lists_each_consultation_with_its_next_step(client, db, official):
    person, municipality = official
    draft = make_consultation(db, official=person, municipality=municipality, published=False, slug="szkic")
    scheduled = make_consultation(
        db, official=person, municipality=municipality, opens_in=timedelta(days=3), slug="zaplanowane"
    )
    running = make_consultation(db, official=person, municipality=municipality, slug="otwarte")
    closed = make_consultation(
        db, official=person, municipality=municipality, opens_in=timedelta(days=-30), slug="zamkniete"
    )
    make_comment(db, running)
    elsewhere = make_consultation(db, slug="cudze")  # another municipality's
    response = signed_in(client, person).get("/desk")
    assert response.status_code == 200 and response.template.name == "desk/index.html"
    html = page(response)
    stages = {row.consultation.slug: stage for stage, rows in response.context["groups"] for row in rows}
    assert stages == {"szkic": "draft", "zaplanowane": "scheduled", "otwarte": "open", "zamkniete": "record"}
    assert html.one(f"#consultation-{draft.id}-desk a.button").get("href") == "/consultations/szkic/publish"
    assert "/consultations/zaplanowane/dates" in [
        a.get("href") for a in html.select(f"#consultation-{scheduled.id}-desk a")
    ]
    assert "1 contribution so far" in html.one(f"#consultation-{running.id}-desk").text
    assert html.one(f"#consultation-{closed.id}-desk a.button").get("href") == "/consultations/zamkniete/record/publish"
    assert elsewhere.slug not in response.text
    assert html.one("nav.main-nav a[href=/desk]")


def test_desk_counts_what_is_left_to_answer(client, db, official):
    person, municipality = official
    consultation = make_consultation(db, official=person, municipality=municipality, opens_in=timedelta(days=-1))
    make_comment(db, consultation)
    make_comment(db, consultation)
    close_consultation(db, consultation)
    html = page(signed_in(client, person).get("/desk"))
    row = html.one(f"#consultation-{consultation.id}-desk")
    assert "Answered 0 of 2" in row.text
    assert row.one("a.button").text == "Answer 2 contributions"


# --- (3) confirmation before publishing -------------------------------------------------------


def test_publishing_asks_for_confirmation_with_the_dates_written_out(client, db, official):
    person, municipality = official
    consultation = make_consultation(
        db, official=person, municipality=municipality, published=False, opens_in=timedelta(days=2), slug="szkic"
    )
    signed_in(client, person)
    response = client.get("/consultations/szkic/publish")
    assert response.status_code == 200 and response.template.name == "consultations/publish.html"
    summary = page(response).one(f"#consultation-{consultation.id}-publish-summary").text
    assert consultation.title in summary and "37 paragraphs" in summary
    assert stored(db, "szkic").published_at is None  # looking publishes nothing

    done = client.submit("/consultations/szkic/publish", follow_redirects=False)

    assert done.status_code == 303
    assert stored(db, "szkic").published_at is not None


# --- (4) correcting, moving, extending and cancelling -------------------------------------------


def test_correct_contact_person_is_public_with_its_reason_and_in_the_ledger(client, db, official):
    person, municipality = official
    consultation = make_consultation(db, official=person, municipality=municipality, slug="otwarte")
    signed_in(client, person)
    form = client.get("/consultations/otwarte/correct")
    assert page(form).one("input#field-contact_person").get("value") == "Katarzyna Nowak"
    values = {name: getattr(consultation, name) for name in changes.CORRECTABLE}
    values |= {"contact_person": "Jan Kowalski, tel. 22 100 20 30", "reason": "Zmiana osoby prowadzącej sprawę."}

    response = client.submit("/consultations/otwarte/correct", values, follow_redirects=False)

    assert response.status_code == 303
    assert stored(db, "otwarte").contact_person == "Jan Kowalski, tel. 22 100 20 30"
    history = page(client.get("/consultations/otwarte")).one(f"#consultation-{consultation.id}-history")
    assert "Details corrected" in history.text and "Zmiana osoby prowadzącej sprawę." in history.text
    assert "Jan Kowalski" in history.text
    event = ledger_events(db, "consultation.corrected")[-1]
    assert "Jan Kowalski" not in event.payload  # personal data: bound by its hash only
    assert '"fields":["contact_person"]' in event.payload


def test_correction_without_a_reason_is_refused_naming_the_field(client, db, official):
    person, municipality = official
    consultation = make_consultation(db, official=person, municipality=municipality, slug="otwarte")
    signed_in(client, person)
    values = {name: getattr(consultation, name) for name in changes.CORRECTABLE} | {"title": "Nowy tytuł programu"}
    response = client.submit("/consultations/otwarte/correct", values)
    assert response.status_code == 422
    assert page(response).one(".error-summary a").get("href") == "#field-reason"
    assert stored(db, "otwarte").title == consultation.title


def test_extend_an_open_consultation_but_never_shorten_it(db, official):
    person, municipality = official
    consultation = make_consultation(db, official=person, municipality=municipality)
    who = principal(db, person)
    earlier = changes.DatesInput(closes_at=consultation.closes_at - timedelta(days=1), reason="Krócej.")
    with pytest.raises(DomainError) as refused:
        changes.change_dates(db, who, consultation, earlier)
    assert refused.value.field == "closes_at"
    db.rollback()
    later = consultation.closes_at + timedelta(days=7)
    change = changes.change_dates(db, who, consultation, changes.DatesInput(closes_at=later, reason="Na prośbę NGO."))
    assert change.kind == "extended"
    assert stored(db, consultation.slug).closes_at == later
    assert ledger_events(db, "consultation.extended")[-1].subject_id == str(consultation.id)


def test_extend_through_the_page(client, db, official):
    person, municipality = official
    consultation = make_consultation(db, official=person, municipality=municipality, slug="otwarte")
    signed_in(client, person)
    form = page(client.get("/consultations/otwarte/dates"))
    assert form.select("input#field-opens_at") == []  # open: only the closing time can move
    later = consultation.closes_at + timedelta(days=7)
    response = client.submit(
        "/consultations/otwarte/dates", {"closes_at": local(later), "reason": "Na prośbę organizacji."}
    )
    assert response.status_code == 200
    assert "Deadline extended" in page(response).one("#history").text


def test_reschedule_a_scheduled_consultation_keeps_the_minimum(db, official):
    person, municipality = official
    consultation = make_consultation(db, official=person, municipality=municipality, opens_in=timedelta(days=2))
    who = principal(db, person)
    opens = utcnow() + timedelta(days=5)
    short = changes.DatesInput(opens_at=opens, closes_at=opens + timedelta(days=7), reason="Przesunięcie.")
    with pytest.raises(DomainError) as refused:
        changes.change_dates(db, who, consultation, short)
    assert refused.value.field == "short_window_reason"
    db.rollback()
    change = changes.change_dates(
        db, who, consultation, short.model_copy(update={"closes_at": opens + timedelta(days=20)})
    )
    assert change.kind == "rescheduled"
    assert [c[0] for c in changes.changes_of(db, consultation)[0].changes] == ["opens_at", "closes_at"]


def test_cancel_closes_the_consultation_and_shows_why(client, db, official):
    person, municipality = official
    consultation = make_consultation(db, official=person, municipality=municipality, slug="otwarte")
    signed_in(client, person)
    response = client.submit(
        "/consultations/otwarte/cancel", {"reason": "Rada wycofała projekt uchwały z porządku obrad."}
    )
    assert response.status_code == 200
    html = page(response)
    assert "Rada wycofała projekt uchwały" in html.one(f"#consultation-{consultation.id}-cancelled").text
    assert html.one(".status-line .badge").text == "Cancelled"
    with pytest.raises(DomainError):  # no more comments
        make_comment(db, stored(db, "otwarte"))
    db.rollback()
    item = client.get("/api/consultations/otwarte").json()
    assert item["status"] == "closed" and item["cancel_reason"].startswith("Rada wycofała")
    assert ledger_events(db, "consultation.cancelled")
    assert db.exec(select(ConsultationChange.kind)).all() == ["cancelled"]
    listing = client.get("/consultations?status=open")
    assert "otwarte" not in [c.slug for c, _m in listing.context["rows"]]


def test_a_short_cancel_reason_is_refused(client, db, official):
    person, municipality = official
    make_consultation(db, official=person, municipality=municipality, slug="otwarte")
    response = signed_in(client, person).submit("/consultations/otwarte/cancel", {"reason": "bo"})
    assert response.status_code == 422
    assert page(response).one(".error-summary a").text.startswith("Reason:")


def test_changes_are_refused_to_others_and_after_the_record(db, official):
    person, municipality = official
    consultation = make_consultation(db, official=person, municipality=municipality)
    stranger, _ = make_official(db)
    with pytest.raises(DomainError) as refused:
        changes.cancel_consultation(db, principal(db, stranger), consultation, changes.CancelInput(reason="x" * 12))
    assert refused.value.status_code == 403


# --- (5) the review screen, numbered as the record ----------------------------------------------


@pytest.fixture
def discussed(db, official):
    """An open consultation: a comment on a later paragraph first, then one on the whole document, then one on an
    earlier paragraph; a proposal; a reply and a co-signature."""
    from consult.cosign.actions import CosignInput, cosign_contribution, load_contribution
    from tests.factories import make_proposal, make_user, paragraph_by_label

    person, municipality = official
    consultation = make_consultation(db, official=person, municipality=municipality, slug="otwarte")
    later = paragraph_by_label(db, consultation, "§ 5 ust. 1")
    earlier = paragraph_by_label(db, consultation, "§ 1 ust. 1")
    first = make_comment(db, consultation, paragraph=later, body="Uwaga do § 5.")
    general = make_comment(db, consultation, body="Uwaga ogólna.")
    third = make_comment(db, consultation, paragraph=earlier, body="Uwaga do § 1.")
    proposal = make_proposal(db, consultation)
    replier = make_user(db)
    make_comment(db, consultation, parent=first, author=replier, body="Popieramy tę uwagę.")
    signer = make_user(db)
    ally = make_organisation(db, admin=signer, verified=True, name="Fundacja Sojusznik")
    cosign_contribution(
        db, principal(db, signer), load_contribution(db, "comment", first.id), CosignInput(organisation_id=ally.id)
    )
    return consultation, {"first": first, "general": general, "third": third, "proposal": proposal}


def test_review_numbers_contributions_as_the_record_will(client, db, official, discussed):
    from consult.records.live import live_table

    consultation, found = discussed
    person, municipality = official
    table = live_table(db, consultation, municipality)
    in_record = {("comment", row["id"]): n for n, row in enumerate(table["contributions"], start=1)}
    assert in_record[("comment", found["general"].id)] == 1  # the whole document first, then by paragraph
    assert in_record[("comment", found["third"].id)] == 2 and in_record[("comment", found["first"].id)] == 3

    response = signed_in(client, person).get("/consultations/otwarte/review")

    html = page(response)
    for key in ("first", "general", "third"):
        comment = found[key]
        title = html.one(f"#contribution-comment-{comment.id}-title").text
        assert title.startswith(f"Comment no. {in_record[('comment', comment.id)]} ")
    assert html.one(f"#contribution-proposal-{found['proposal'].id}-title").text.startswith("Proposal no. 1:")


def test_review_shows_co_signatures_and_replies(client, db, official, discussed):
    consultation, found = discussed
    html = page(signed_in(client, official[0]).get("/consultations/otwarte/review"))
    row = f"#contribution-comment-{found['first'].id}"
    assert "Fundacja Sojusznik" in html.one(f"{row}-cosigners").text
    replies = html.one(f"{row}-replies")
    assert "1 reply" in replies.one("summary").text and "Popieramy tę uwagę." in replies.text


def test_review_filter_lists_only_parts_with_contributions(client, db, official, discussed):
    response = signed_in(client, official[0]).get("/consultations/otwarte/review")
    options = [o.text for o in page(response).select("#field-filter-paragraph option")]
    assert options == ["All parts", "The whole document", "§ 1 ust. 1", "§ 5 ust. 1"]


# --- (8) the table of comments during the consultation ------------------------------------------------


def test_table_of_comments_as_xlsx_during_the_consultation(client, db, official, discussed):
    import io

    from openpyxl import load_workbook

    consultation, found = discussed
    response = signed_in(client, official[0]).get("/consultations/otwarte/review/table.xlsx")
    assert response.status_code == 200
    assert "zestawienie-uwag-otwarte" in response.headers["content-disposition"]
    sheet = load_workbook(io.BytesIO(response.content)).worksheets[0]
    rows = [r for r in sheet.iter_rows(values_only=True) if isinstance(r[0], int)]
    assert [r[0] for r in rows] == [1, 2, 3, 4]  # three comments, then the proposal numbered on
    assert "Uwaga ogólna." in rows[0][5] and "Uwaga do § 1." in rows[1][5]
    assert "not the consultation record" in " ".join(str(c) for r in sheet.iter_rows(values_only=True) for c in r if c)


def test_table_of_comments_is_for_officials_only(client, db, official, discussed):
    from tests.factories import make_user

    signed_in(client, make_user(db))
    assert client.get("/consultations/otwarte/review/table.xlsx").status_code == 403


# --- (6) entries from people and groups without an account ----------------------------------------


def test_entry_from_a_person_without_an_account(client, db, official):
    from consult.records.live import live_table

    person, municipality = official
    consultation = make_consultation(db, official=person, municipality=municipality, slug="otwarte")
    signed_in(client, person)
    values = {
        "sender": "person",
        "sender_name": "Jan Nowak",
        "sender_address": "ul. Polna 3, 00-001 Wierzbno",
        "channel": "paper",
        "received_at": utcnow().astimezone(WARSAW).date().isoformat(),
        "body": "Proszę dopisać sport seniorów.",
    }
    response = client.submit(f"/consultations/{consultation.slug}/entries/new", values)
    assert response.status_code == 200
    article = page(response).one("article.comment")
    assert "Jan Nowak" in article.text
    assert "Polna" not in response.text  # the address is never shown publicly
    assert "Katarzyna Nowak" not in article.text  # nor the official who entered it
    table = live_table(db, consultation, municipality)
    assert table["contributions"][0]["sender"] == "Jan Nowak" and table["contributions"][0]["organisation"] is None
    event = ledger_events(db, "comment.entered")[-1]
    assert "Jan Nowak" not in event.payload and '"sender":' in event.payload
    review = page(client.get(f"/consultations/{consultation.slug}/review"))
    assert "Jan Nowak" in review.one(".task .meta").text and "Katarzyna" not in review.one(".task .meta").text


def test_entry_from_a_person_needs_a_name(client, db, official):
    person, municipality = official
    consultation = make_consultation(db, official=person, municipality=municipality, slug="otwarte")
    values = {"sender": "person", "channel": "paper", "received_at": "2026-01-01", "body": "Treść."}
    response = signed_in(client, person).submit(f"/consultations/{consultation.slug}/entries/new", values)
    assert response.status_code == 422
    assert "Name of the person or group: Give the name" in page(response).one(".error-summary").text


def test_after_the_record_the_official_is_offered_no_form_that_would_be_refused(client, db, official):
    """A published record freezes the consultation: no entry of a letter, no revised version, no hiding."""
    from consult.answers.actions import AnswerInput, answer_contribution
    from consult.records.actions import RecordInput, publish_record

    person, municipality = official
    consultation = make_consultation(db, official=person, municipality=municipality)
    comment = make_comment(db, consultation, body="Uwaga przed protokołem.")
    signed_in(client, person)
    before = page(client.get(f"/consultations/{consultation.slug}"))
    assert "Enter a comment received outside the platform" in [a.text for a in before.select("a")]
    hide = f"/comments/{comment.id}/hide"
    assert hide in [a.get("href") for a in before.select(f"#comment-{comment.id} a")]
    close_consultation(db, consultation)
    answer = AnswerInput(position="explained", justification="Wyjaśniono.")
    answer_contribution(db, principal(db, person), consultation, ("comment", comment.id), answer)
    publish_record(db, principal(db, person), consultation, RecordInput())

    after = page(client.get(f"/consultations/{consultation.slug}"))
    texts = [a.text for a in after.select("a")]
    assert "Enter a comment received outside the platform" not in texts
    assert "Publish a revised version" not in texts
    assert hide not in [a.get("href") for a in after.select(f"#comment-{comment.id} a")]
    assert "Review and answer the contributions" in texts  # reading it stays
