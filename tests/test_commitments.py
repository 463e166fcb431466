"""Commitments: every accepted or partly accepted contribution becomes one when the record is published; officials
follow it (planned, in force, done, dropped with a reason), residents read it, and next year's draft shows it."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, timedelta
from urllib.parse import urlsplit

import pytest
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from consult.answers.actions import AnswerInput, answer_contribution
from consult.commitments.actions import CommitmentInput, backfill_commitments, change_commitment
from consult.commitments.queries import commitment_counts, same_series
from consult.errors import DomainError
from consult.models import Comment, Commitment, CommitmentChange, Consultation, Organisation, Proposal, User, utcnow
from consult.records.actions import RecordInput, publish_record
from tests.factories import (
    add_member,
    close_consultation,
    fresh,
    ledger_events,
    make_comment,
    make_consultation,
    make_official,
    make_organisation,
    make_proposal,
    make_user,
    paragraph_by_label,
    principal,
    signed_in,
)
from tests.html import page


@dataclass
class LastYear:
    official: User
    municipality: Organisation
    consultation: Consultation
    accepted: Comment  # on § 9 ust. 1
    partly: Comment  # on § 6 ust. 1
    rejected: Comment
    explained: Comment
    proposal: Proposal  # accepted, on the whole document


def last_years_programme(db: Session, *, publish: bool = True) -> LastYear:
    """Last year's programme, closed a month ago, with one contribution of each position; its record published."""
    official, municipality = make_official(db)
    consultation = make_consultation(
        db, official=official, municipality=municipality, title="Program współpracy Gminy Testowej na rok 2026"
    )
    ngo_admin = make_user(db, display_name="Ewa Nowak")
    ngo = make_organisation(db, admin=ngo_admin, name="Klub Sportowy Orzeł", verified=True)

    def comment(label: str | None, body: str, proposed: str = "") -> Comment:
        paragraph = paragraph_by_label(db, consultation, label) if label else None
        return make_comment(
            db, consultation, author=ngo_admin, organisation=ngo, paragraph=paragraph, body=body,
            proposed_wording=proposed, current_wording=paragraph.text if paragraph and proposed else "",
        )  # fmt: skip

    accepted = comment("§ 9 ust. 1", "Proponujemy wyższą kwotę.", "Na realizację programu planuje się 500 000 zł.")
    partly = comment("§ 6 ust. 1", "Prosimy dopisać sport seniorów.", "zadania z zakresu sportu seniorów;")
    rejected = comment("§ 3 ust. 2", "Prosimy o 60 dni.", "nie później niż 60 dni przed ich ogłoszeniem.")
    explained = comment(None, "Czy ogłoszenia trafią do sołectw?")
    proposal = make_proposal(db, consultation, author=ngo_admin, organisation=ngo, title="Małe granty dla młodzieży")
    close_consultation(db, consultation)
    consultation.opens_at = utcnow() - timedelta(days=30)
    db.add(consultation)
    db.commit()
    who = principal(db, official)
    for kind, item, position, why in (
        ("comment", accepted, "accepted", ""),
        ("comment", partly, "partly_accepted", "Dopisano sport, bez wskazania grupy wiekowej."),
        ("comment", rejected, "rejected", "Ustawa nie wymaga tak długiego terminu."),
        ("comment", explained, "explained", "Tak, na tablicach sołeckich."),
        ("proposal", proposal, "accepted", ""),
    ):
        answer_contribution(db, who, consultation, (kind, item.id), AnswerInput(position=position, justification=why))
    if publish:
        publish_record(db, who, consultation, RecordInput(conclusion="Projekt trafia do rady ze zmianami."))
    return LastYear(official, municipality, consultation, accepted, partly, rejected, explained, proposal)


def commitments_of(db: Session, consultation: Consultation) -> list[Commitment]:
    fresh(db)
    query = select(Commitment).where(Commitment.consultation_id == consultation.id).order_by(Commitment.id)
    return list(db.exec(query).all())


def commitment_for(db: Session, item: Comment | Proposal) -> Commitment:
    kind = "proposal" if isinstance(item, Proposal) else "comment"
    fresh(db)
    query = select(Commitment).where(Commitment.contribution_kind == kind, Commitment.contribution_id == item.id)
    return db.exec(query).one()


# --- made when the record is published -----------------------------------------------------------------------


def test_publishing_the_record_makes_a_commitment_for_each_accepted_contribution_only(db):
    year = last_years_programme(db)
    made = {(c.contribution_kind, c.contribution_id): c for c in commitments_of(db, year.consultation)}
    assert set(made) == {("comment", year.accepted.id), ("comment", year.partly.id), ("proposal", year.proposal.id)}
    amount = made[("comment", year.accepted.id)]
    assert amount.paragraph_label == "§ 9 ust. 1" and amount.wording == "Na realizację programu planuje się 500 000 zł."
    assert (
        amount.status == "planned"
        and amount.position == "accepted"
        and amount.organisation_name == "Klub Sportowy Orzeł"
    )
    assert amount.municipality_id == year.municipality.id
    assert made[("comment", year.partly.id)].position == "partly_accepted"
    grant = made[("proposal", year.proposal.id)]
    assert grant.paragraph_label == "" and grant.wording.startswith("Małe granty dla młodzieży")
    assert len(ledger_events(db, "commitment.created")) == 3


def test_no_commitment_before_the_record_is_published(db):
    year = last_years_programme(db, publish=False)
    assert commitments_of(db, year.consultation) == []


def test_making_commitments_again_makes_none(db):
    year = last_years_programme(db)
    assert backfill_commitments(db, year.consultation) == []
    assert len(commitments_of(db, year.consultation)) == 3
    assert len(ledger_events(db, "commitment.created")) == 3


def test_the_database_holds_one_commitment_per_contribution(db):
    year = last_years_programme(db)
    twin = commitment_for(db, year.accepted).model_copy(update={"id": None})
    db.add(Commitment(**twin.model_dump(exclude={"id"})))
    with pytest.raises(IntegrityError):
        db.commit()
    db.rollback()


def test_the_database_refuses_a_dropped_commitment_without_a_reason(db):
    year = last_years_programme(db)
    commitment = commitment_for(db, year.accepted)
    commitment.status = "dropped"
    db.add(commitment)
    with pytest.raises(IntegrityError):
        db.commit()
    db.rollback()


# --- changed by officials ------------------------------------------------------------------------------------


def test_an_official_marks_a_commitment_done_and_the_change_is_kept_with_who_and_when(db):
    year = last_years_programme(db)
    commitment = commitment_for(db, year.accepted)
    data = CommitmentInput(status="in_force", responsible="Referat Finansowy", due_on=date(2026, 1, 1))
    change_commitment(db, principal(db, year.official), commitment, data)
    change_commitment(db, principal(db, year.official), commitment, data.model_copy(update={"status": "done"}))
    commitment = commitment_for(db, year.accepted)
    assert (commitment.status, commitment.responsible, commitment.due_on) == (
        "done",
        "Referat Finansowy",
        date(2026, 1, 1),
    )
    history = db.exec(
        select(CommitmentChange).where(CommitmentChange.commitment_id == commitment.id).order_by(CommitmentChange.id)
    ).all()
    assert [(h.from_status, h.to_status, h.changed_by_id) for h in history] == [
        ("planned", "in_force", year.official.id),
        ("in_force", "done", year.official.id),
    ]
    events = ledger_events(db, "commitment.changed")
    assert [(json.loads(e.payload)["from"], json.loads(e.payload)["to"]) for e in events] == [
        ("planned", "in_force"),
        ("in_force", "done"),
    ]
    assert "Referat Finansowy" not in str(events[0].payload)


def test_dropping_without_a_reason_is_refused(db):
    year = last_years_programme(db)
    commitment = commitment_for(db, year.accepted)
    with pytest.raises(DomainError) as refused:
        change_commitment(db, principal(db, year.official), commitment, CommitmentInput(status="dropped", reason="  "))
    assert refused.value.field == "reason"
    db.rollback()
    assert commitment_for(db, year.accepted).status == "planned"


@pytest.mark.parametrize("role", ["member", "admin"])
def test_a_member_of_another_organisation_cannot_change_a_commitment(db, role):
    year = last_years_programme(db)
    someone = make_user(db)
    add_member(db, make_organisation(db, verified=True), someone, role=role)
    with pytest.raises(DomainError) as refused:
        change_commitment(db, principal(db, someone), commitment_for(db, year.accepted), CommitmentInput(status="done"))
    assert refused.value.status_code == 403


def test_an_official_of_another_municipality_cannot_change_it(db):
    year = last_years_programme(db)
    other, _gmina = make_official(db)
    with pytest.raises(DomainError) as refused:
        change_commitment(db, principal(db, other), commitment_for(db, year.accepted), CommitmentInput(status="done"))
    assert refused.value.status_code == 403


def test_commitment_counts_give_the_status_at_the_end_of_the_year(db):
    year = last_years_programme(db)
    who = principal(db, year.official)
    this_year = utcnow().year
    change_commitment(db, who, commitment_for(db, year.accepted), CommitmentInput(status="done"))
    change_commitment(
        db, who, commitment_for(db, year.partly), CommitmentInput(status="dropped", reason="Brak środków.")
    )
    counts = commitment_counts(db, year.municipality.id, this_year)
    assert counts == {"planned": 1, "in_force": 0, "done": 1, "dropped": 1}
    assert commitment_counts(db, year.municipality.id, this_year - 1) == {
        "planned": 0,
        "in_force": 0,
        "done": 0,
        "dropped": 0,
    }
    # next year, what was done or dropped this year is no longer counted
    assert commitment_counts(db, year.municipality.id, this_year + 1) == {
        "planned": 1,
        "in_force": 0,
        "done": 0,
        "dropped": 0,
    }


def test_titles_of_the_same_programme_in_two_years_are_one_series():
    assert same_series("Program współpracy na rok 2026", "Program współpracy na rok 2027")
    assert not same_series("Program współpracy na rok 2026", "Regulamin utrzymania czystości i porządku")


# --- through HTTP ------------------------------------------------------------------------------------------


def test_an_official_changes_the_status_and_sees_it_with_its_history(db, client):
    year = last_years_programme(db)
    commitment = commitment_for(db, year.accepted)
    signed_in(client, year.official)
    response = client.submit(
        f"/commitments/{commitment.id}", {"status": "done", "responsible": "Referat Finansowy", "due_on": "2026-01-15"}
    )
    assert response.status_code == 200 and response.template.name == "commitments/detail.html"
    html = page(response)
    assert "The commitment is updated: done." in html.text
    assert "planned → done" in html.one(f"#commitment-{commitment.id}-history").text
    assert commitment_for(db, year.accepted).status == "done"


def test_an_htmx_change_answers_with_the_commitments_region(db, client):
    year = last_years_programme(db)
    commitment = commitment_for(db, year.accepted)
    signed_in(client, year.official)
    response = client.submit(f"/commitments/{commitment.id}", {"status": "in_force"}, headers={"HX-Request": "true"})
    assert response.status_code == 200 and response.template.name == "commitments/_commitment.html"
    assert page(response).one(f"#commitment-{commitment.id}").get("class") == "commitment"


def test_dropping_without_a_reason_comes_back_with_the_typed_text_kept(db, client):
    year = last_years_programme(db)
    commitment = commitment_for(db, year.accepted)
    signed_in(client, year.official)
    response = client.submit(
        f"/commitments/{commitment.id}", {"status": "dropped", "reason": "", "responsible": "Skarbnik Gminy"}
    )
    assert response.status_code == 422
    html = page(response)
    assert "Say why the commitment is dropped" in html.one(".error-summary").text
    assert html.one("#field-reason-error")
    assert html.one("#field-responsible").get("value") == "Skarbnik Gminy"
    assert html.one("#field-status-dropped").get("checked") is not None
    assert commitment_for(db, year.accepted).status == "planned"


def test_an_unknown_status_or_a_bad_date_is_refused_beside_its_field(db, client):
    year = last_years_programme(db)
    commitment = commitment_for(db, year.accepted)
    signed_in(client, year.official)
    response = client.submit(f"/commitments/{commitment.id}", {"status": "forgotten", "due_on": "31.02.2026"})
    assert response.status_code == 422
    html = page(response)
    assert html.one("#field-status-error") and html.one("#field-due_on-error")


@pytest.mark.parametrize("role", ["visitor", "resident", "member", "ngo_admin", "other_official"])
def test_nobody_but_the_municipalitys_officials_changes_a_commitment(db, client, role):
    year = last_years_programme(db)
    commitment = commitment_for(db, year.accepted)
    if role != "visitor":
        user = make_user(db)
        if role == "member":
            add_member(db, make_organisation(db, verified=True), user)
        elif role == "ngo_admin":
            make_organisation(db, admin=user, verified=True)
        elif role == "other_official":
            make_official(db, email=f"other.{user.id}@gmina.example.pl")
            user = db.exec(select(User).where(User.email == f"other.{user.id}@gmina.example.pl")).one()
        signed_in(client, user)
    response = client.submit(f"/commitments/{commitment.id}", {"status": "done"}, follow_redirects=False)
    expected = 303 if role == "visitor" else 403
    assert response.status_code == expected
    if role == "visitor":
        assert urlsplit(response.headers["location"]).path == "/login"
    assert commitment_for(db, year.accepted).status == "planned"
    # and the page shows them no form
    assert page(client.get(f"/commitments/{commitment.id}")).select(f"form[action=/commitments/{commitment.id}]") == []


def test_the_platform_admin_may_change_a_commitment(db, client):
    from tests.factories import make_admin

    year = last_years_programme(db)
    commitment = commitment_for(db, year.accepted)
    signed_in(client, make_admin(db))
    response = client.submit(f"/commitments/{commitment.id}", {"status": "dropped", "reason": "Zmiana ustawy."})
    assert response.status_code == 200
    assert commitment_for(db, year.accepted).reason == "Zmiana ustawy."


def test_the_consultation_page_shows_its_commitments_after_the_record(db, client):
    year = last_years_programme(db)
    change_commitment(
        db,
        principal(db, year.official),
        commitment_for(db, year.partly),
        CommitmentInput(status="dropped", reason="Brak środków."),
    )
    client.cookies.set("consult_lang", "en")
    html = page(client.get(f"/consultations/{year.consultation.slug}"))
    section = html.one(f"#consultation-{year.consultation.id}-commitments")
    assert section.one("h2").text == "What became of the accepted contributions"
    cards = section.select("li.commitment-card")
    assert len(cards) == 3
    assert "Brak środków." in section.text and "dropped" in section.text


def test_a_consultation_without_a_record_shows_no_commitments(db, client):
    year = last_years_programme(db, publish=False)
    html = page(client.get(f"/consultations/{year.consultation.slug}"))
    assert html.select(f"#consultation-{year.consultation.id}-commitments") == []


def test_the_municipality_page_lists_its_open_commitments_for_everyone(db, client):
    year = last_years_programme(db)
    change_commitment(
        db, principal(db, year.official), commitment_for(db, year.accepted), CommitmentInput(status="done")
    )
    client.cookies.set("consult_lang", "en")
    municipality = page(client.get(f"/municipalities/{year.municipality.slug}"))
    link = f"/municipalities/{year.municipality.slug}/commitments"
    assert municipality.select(f"a[href={link}]")
    response = client.get(link)
    assert response.status_code == 200 and response.template.name == "commitments/municipality.html"
    cards = page(response).select("li.commitment-card")
    assert len(cards) == 2  # the one done is not open
    assert {c.get("id") for c in cards} == {
        f"commitment-{commitment_for(db, year.partly).id}-card",
        f"commitment-{commitment_for(db, year.proposal).id}-card",
    }
    every = page(client.get(link + "?all=1")).select("li.commitment-card")
    assert len(every) == 3


def test_an_unknown_municipality_or_commitment_is_not_found(client):
    assert client.get("/municipalities/nie-ma/commitments").status_code == 404
    assert client.get("/commitments/999999").status_code == 404


# --- next year's draft -----------------------------------------------------------------------------------


def next_years_draft(db: Session, year: LastYear, **fields) -> Consultation:
    return make_consultation(
        db, official=year.official, municipality=year.municipality, published=False,
        title="Program współpracy Gminy Testowej na rok 2027", **fields,
    )  # fmt: skip


def test_the_official_sees_last_years_commitments_beside_the_paragraphs_they_touched(db, client):
    year = last_years_programme(db)
    change_commitment(
        db,
        principal(db, year.official),
        commitment_for(db, year.partly),
        CommitmentInput(status="dropped", reason="Brak środków."),
    )
    draft = next_years_draft(db, year)
    signed_in(client, year.official)
    html = page(client.get(f"/consultations/{draft.slug}"))
    amount = html.one(f"#p-{paragraph_by_label(db, draft, '§ 9 ust. 1').key}")
    assert "Na realizację programu planuje się 500 000 zł." in amount.one("aside.commitment-note").text
    priorities = html.one(f"#p-{paragraph_by_label(db, draft, '§ 6 ust. 1').key}")
    assert "dropped" in priorities.text and "Brak środków." in priorities.text
    assert html.select(f"#p-{paragraph_by_label(db, draft, '§ 1 ust. 1').key} aside") == []
    summary = html.one("#earlier-commitments")
    assert year.consultation.title in summary.text and "Małe granty dla młodzieży" in summary.text  # the whole document


def test_residents_do_not_see_last_years_notes_on_the_published_draft(db, client):
    year = last_years_programme(db)
    draft = make_consultation(
        db,
        official=year.official,
        municipality=year.municipality,
        title="Program współpracy Gminy Testowej na rok 2027",
    )
    client.cookies.set("consult_lang", "en")
    html = page(client.get(f"/consultations/{draft.slug}"))
    assert html.select("aside.commitment-note") == [] and html.select("#earlier-commitments") == []
    signed_in(client, make_user(db))
    assert page(client.get(f"/consultations/{draft.slug}")).select("aside.commitment-note") == []


def test_another_programme_of_the_same_municipality_shows_no_notes(db, client):
    year = last_years_programme(db)
    draft = make_consultation(
        db, official=year.official, municipality=year.municipality, published=False,
        title="Regulamin utrzymania czystości i porządku",
    )  # fmt: skip
    signed_in(client, year.official)
    assert page(client.get(f"/consultations/{draft.slug}")).select("aside.commitment-note") == []


def test_the_ledger_still_verifies_after_commitments_change(db):
    from consult import ledger

    year = last_years_programme(db)
    change_commitment(
        db, principal(db, year.official), commitment_for(db, year.accepted), CommitmentInput(status="done")
    )
    assert ledger.verify(db) is None


def test_status_changed_at_follows_only_status_changes(db):
    year = last_years_programme(db)
    who = principal(db, year.official)
    commitment = commitment_for(db, year.accepted)
    before = commitment.status_changed_at
    change_commitment(db, who, commitment, CommitmentInput(status="planned", responsible="Referat Promocji"))
    assert commitment_for(db, year.accepted).status_changed_at == before
    with pytest.raises(DomainError):
        change_commitment(
            db,
            who,
            commitment_for(db, year.accepted),
            CommitmentInput(status="planned", responsible="Referat Promocji"),
        )
    db.rollback()


def test_an_empty_form_is_refused_and_nothing_is_written(db, client):
    year = last_years_programme(db)
    commitment = commitment_for(db, year.accepted)
    before = len(ledger_events(db))
    signed_in(client, year.official)
    response = client.submit(f"/commitments/{commitment.id}", {})
    assert response.status_code == 422
    assert "Choose the status of the commitment." in page(response).one("#field-status-error").text
    assert len(ledger_events(db)) == before and commitment_for(db, year.accepted).status == "planned"


def test_a_responsible_too_long_is_refused_with_the_reason_kept(db, client):
    year = last_years_programme(db)
    commitment = commitment_for(db, year.accepted)
    signed_in(client, year.official)
    response = client.submit(
        f"/commitments/{commitment.id}", {"status": "dropped", "reason": "Brak środków.", "responsible": "x" * 201}
    )
    assert response.status_code == 422
    html = page(response)
    assert html.one("#field-responsible-error") and html.one("#field-reason").text == "Brak środków."


def test_the_demo_follows_last_years_commitments_beside_this_years_draft(db, client):
    from consult.demo import DEMO_PASSWORD, DOMAIN, load_demo
    from consult.demo_last_year import SLUG

    load_demo(db)
    last = db.exec(select(Consultation).where(Consultation.slug == SLUG)).one()
    statuses = {c.paragraph_label: c.status for c in commitments_of(db, last)}
    assert statuses == {"§ 9 ust. 1": "in_force", "§ 6 ust. 1 pkt 3": "done", "§ 8 ust. 2": "planned", "": "dropped"}
    dropped = next(c for c in commitments_of(db, last) if c.status == "dropped")
    assert "art. 19a" in dropped.reason
    count = len(ledger_events(db))
    load_demo(db)
    assert len(ledger_events(db)) == count  # loaded twice, changed nothing
    client.cookies.set("consult_lang", "en")
    client.login(f"urzednik@{DOMAIN}", DEMO_PASSWORD)
    html = page(client.get("/consultations/program-wspolpracy-2027"))
    notes = html.select("aside.commitment-note")
    assert len(notes) == 3  # § 6 ust. 1 pkt 3, § 8 ust. 2, § 9 ust. 1
    assert "art. 19a" in html.one("#earlier-commitments").text
