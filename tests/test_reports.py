"""The yearly implementation report: figures counted from a municipality's year made in the test, the official's
figures checked, publication refused while something is missing, then frozen, verifiable and read back."""

from __future__ import annotations

import csv
import hashlib
import io
import json
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import select

from consult.answers.actions import AnswerInput, answer_contribution
from consult.cli import main as cli
from consult.errors import DomainError
from consult.jobs import run_due_jobs
from consult.models import ReportFile, utcnow
from consult.reports import actions, entered, present
from consult.reports.figures import platform_figures
from tests.factories import (
    add_member,
    close_consultation,
    make_admin,
    make_comment,
    make_consultation,
    make_declaration,
    make_group,
    make_meeting,
    make_official,
    make_organisation,
    make_proposal,
    make_user,
    paragraph_by_label,
    principal,
    register_for,
    signed_in,
)
from tests.html import page

WARSAW = ZoneInfo("Europe/Warsaw")
COMPLETE = {
    "priority_tasks": "wspierania i upowszechniania kultury fizycznej\nkultury, sztuki, ochrony dóbr kultury",
    "task_amount_0": "120 000,00",
    "task_amount_1": "80 000,50",
    "competitions": "2",
    "offers": "9",
    "contracts": "6",
    "small_grants": "3",
    "small_grants_amount": "24 500",
    "indicators": "liczba ogłoszonych konkursów\nliczba zawartych umów\nwysokość przekazanych dotacji\n"
    "liczba organizacji uczestniczących w konsultacjach\nliczba wolontariuszy",
    "indicator_value_4": "około 40 osób",
    "conclusions": "Współpraca przebiegała zgodnie z programem.\n\nW przyszłym roku więcej małych grantów.",
}


@pytest.fixture
def year_of_work(db):
    """A municipality's year: one consultation with three contributions (accepted, rejected, no position yet), a
    meeting with three people registered, and a working group with one member organisation."""
    official, municipality = make_official(db)
    consultation = make_consultation(db, official=official, municipality=municipality)
    bobry = make_organisation(db, name="Stowarzyszenie Bobry", verified=True)
    sokol = make_organisation(db, name="Klub Sokół", verified=True)
    seniorzy = make_organisation(db, name="Fundacja Seniorzy", verified=True)
    bobry_admin, sokol_admin = (principal_user(db, o) for o in (bobry, sokol))
    accepted = make_comment(
        db, consultation, author=bobry_admin, organisation=bobry,
        paragraph=paragraph_by_label(db, consultation, "§ 6 ust. 1"),
    )  # fmt: skip
    rejected = make_comment(db, consultation, author=sokol_admin, organisation=sokol)
    make_proposal(db, consultation, author=bobry_admin, organisation=bobry)
    close_consultation(db, consultation)
    who = principal(db, official)
    answer_contribution(db, who, consultation, ("comment", accepted.id), AnswerInput(position="accepted"))
    answer_contribution(
        db,
        who,
        consultation,
        ("comment", rejected.id),
        AnswerInput(position="rejected", justification="Poza zakresem."),
    )
    meeting = make_meeting(db, organiser=official, organisation=municipality, starts_in=timedelta(days=3))
    register_for(db, meeting, user=principal_user(db, seniorzy), organisation=seniorzy, head_count=3)
    group = make_group(db, coordinator=official, organisation=municipality, name="Zespół ds. programu")
    make_declaration(db, group, organisation=sokol, accepted=True)
    year = consultation.opens_at.astimezone(WARSAW).year
    assert meeting.starts_at.astimezone(WARSAW).year == year, "the test's meeting must fall in the same year"
    return official, municipality, year


def principal_user(db, organisation):
    from consult.models import Membership, User

    return db.exec(
        select(User).join(Membership).where(Membership.organisation_id == organisation.id, Membership.role == "admin")
    ).first()


def test_the_platform_counts_the_municipalitys_year(db, year_of_work):
    _official, municipality, year = year_of_work
    figures = platform_figures(db, municipality.id, year)
    assert figures["consultations"]["held"] == 1
    assert figures["contributions"] | {"channels": None} == {
        "total": 3, "comments": 2, "proposals": 1, "channels": None,
    }  # fmt: skip
    assert figures["positions"] == {"accepted": 1, "partly_accepted": 0, "rejected": 1, "explained": 0, "none": 1}
    assert figures["organisations"] == {"total": 3, "in_consultations": 2, "in_meetings": 1, "in_working_groups": 1}
    assert figures["meetings"] == {"held": 1, "registered": 3, "attended": None}  # attendance not entered
    assert figures["working_groups"] == {"active": 1, "members": 1}
    assert figures["advice"]["requests"] == 0  # the advice feature exists: nothing asked is 0
    assert platform_figures(db, municipality.id, year - 1)["consultations"]["held"] == 0


def test_a_figure_without_a_source_reads_not_recorded_never_zero(db, year_of_work):
    rows = {r.label: r for r in present.platform_rows({"meetings": {"held": 0, "registered": 0, "attended": None}})}
    assert rows["Spotkania, szkolenia i fora"].value == "0"
    assert rows["Uczestnicy obecni (tam, gdzie odnotowano obecność)"].value == "nie odnotowano na platformie"
    assert rows["Prośby o poradę skierowane do centrum wsparcia"].missing


def _start(client, municipality, year):
    return client.submit(f"/municipalities/{municipality.slug}/reports", {"year": str(year)})


def test_the_official_fills_the_figures_and_an_inconsistent_one_is_refused_with_the_text_kept(db, client, year_of_work):
    official, municipality, year = year_of_work
    client.login(official.email)
    form = page(_start(client, municipality, year))
    assert form.one("h1").text.startswith(f"Sprawozdanie za {year}")
    wrong = {**COMPLETE, "contracts": "12", "small_grants_amount": "-5"}
    response = client.submit(f"/municipalities/{municipality.slug}/reports/{year}/edit", wrong)
    assert response.status_code == 422
    html = page(response)
    assert "nie może być więcej niż złożonych ofert (9)" in html.one("#field-contracts-error").text
    assert "zero lub więcej" in html.one("#field-small_grants_amount-error").text
    assert html.one("#field-contracts").get("value") == "12"
    assert html.one("#field-small_grants_amount").get("value") == "-5"
    assert html.one("#field-task_amount_1").get("value") == "80 000,50"
    summary = html.one(".error-summary").text
    assert "Podpisane umowy" in summary and "Kwota małych grantów" in summary
    saved = client.submit(f"/municipalities/{municipality.slug}/reports/{year}/edit", COMPLETE)
    assert saved.status_code == 200 and "Sprawozdanie zostało zapisane" in saved.text
    report = actions.get_report(db, municipality, year)
    db.refresh(report)
    stored = entered.load(report)
    assert stored.task_amounts == [12_000_000, 8_000_050] and stored.small_grants_amount == 2_450_000
    assert stored.counts == {"competitions": 2, "offers": 9, "contracts": 6, "small_grants": 3}


@pytest.mark.parametrize(
    ("values", "field", "message"),
    [
        ({"competitions": "0", "offers": "3"}, "offers", "Oferty składa się w otwartych konkursach"),
        ({"small_grants": "1", "small_grants_amount": "10 000,01"}, "small_grants_amount", "najwyżej 10 000 zł"),
        ({"small_grants": "0", "small_grants_amount": "100"}, "small_grants_amount", "kwota wynosi 0"),
        ({"small_grants_amount": "250 000"}, "small_grants_amount", "Małe granty są częścią"),
        ({"offers": "dużo"}, "offers", "Wpisz liczbę całkowitą"),
        ({"task_amount_0": "12,345"}, "task_amount_0", "z groszami po przecinku"),
    ],
)
def test_bad_figures_are_refused_beside_their_field(values, field, message):
    _found, errors = entered.parse({**COMPLETE, "small_grants": "30", **values})
    assert message in errors[field], errors


def test_publication_is_refused_while_a_figure_is_missing_naming_each(db, client, year_of_work):
    official, municipality, year = year_of_work
    client.login(official.email)
    _start(client, municipality, year)
    partial = {**COMPLETE, "offers": "", "task_amount_1": "", "indicator_value_4": "", "conclusions": ""}
    client.submit(f"/municipalities/{municipality.slug}/reports/{year}/edit", partial)
    response = client.submit(f"/municipalities/{municipality.slug}/reports/{year}/publish")
    assert response.status_code == 409
    summary = page(response).one(".error-summary").text
    for name in ("Złożone oferty", "kultury, sztuki, ochrony dóbr kultury", "liczba wolontariuszy", "Wnioski"):
        assert name in summary, name
    assert actions.get_report(db, municipality, year).status == "draft"


def _publish(db, client, official, municipality, year):
    client.login(official.email)
    _start(client, municipality, year)
    client.submit(f"/municipalities/{municipality.slug}/reports/{year}/edit", COMPLETE)
    response = client.submit(f"/municipalities/{municipality.slug}/reports/{year}/publish")
    assert response.status_code == 200 and "Sprawozdanie zostało opublikowane" in response.text, response.text
    report = actions.get_report(db, municipality, year)
    db.refresh(report)
    return report


def test_the_published_report_is_frozen_hashed_and_served_from_its_snapshot(db, client, settings, year_of_work):
    from pypdf import PdfReader

    official, municipality, year = year_of_work
    report = _publish(db, client, official, municipality, year)
    base = f"/municipalities/{municipality.slug}/reports/{year}"
    served = client.get(f"{base}.json")
    data = json.loads(served.content)
    assert data.pop("sha256") == report.sha256 == served.headers["x-report-sha256"]
    canonical = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    assert hashlib.sha256(canonical).hexdigest() == report.sha256
    assert data["platform"]["contributions"]["total"] == 3 and data["entered"]["total_amount"] == 20_000_050
    indicators = {i["name"]: i["value"] for i in data["indicators"]}
    assert indicators["liczba zawartych umów"] == 6
    assert indicators["liczba organizacji uczestniczących w konsultacjach"] == 2
    assert indicators["liczba wolontariuszy"] == "około 40 osób"
    # later activity does not move the published report
    make_comment(db, make_consultation(db, official=official, municipality=municipality))
    assert client.get(f"{base}.json").content == served.content
    rows = list(csv.reader(io.StringIO(client.get(f"{base}.csv").content.decode("utf-8-sig"))))
    assert ["II. Formy współpracy: dane z platformy", "Przeprowadzone konsultacje", "1"] in rows
    assert rows[-1] == ["SHA-256 sprawozdania", "", report.sha256]
    assert client.get(f"{base}.pdf").status_code == 503  # until the worker renders it
    assert run_due_jobs(db, settings) == 1
    pdf = client.get(f"{base}.pdf")
    reader = PdfReader(io.BytesIO(pdf.content))
    text = "\n".join(p.extract_text() for p in reader.pages)
    for expected in (
        "Sprawozdanie z realizacji programu współpracy",
        "Przeprowadzone konsultacje",
        "200 000,50",
        "liczba wolontariuszy",
        "W przyszłym roku więcej małych grantów.",
        report.sha256,
    ):
        assert expected in text, expected  # fmt: skip
    assert reader.trailer["/Root"]["/Lang"] == "pl"
    html = page(client.get(base))
    assert html.one("#report-sha256").text == report.sha256
    assert [a.get("href") for a in html.select("#report-downloads a")][0] == f"{base}.pdf"


def test_any_change_after_publication_is_409(db, client, year_of_work):
    official, municipality, year = year_of_work
    report = _publish(db, client, official, municipality, year)
    base = f"/municipalities/{municipality.slug}/reports/{year}"
    for path in ("/edit", "/review", "/publish"):
        assert client.submit(base + path, COMPLETE).status_code == 409, path
    assert client.get(base + "/edit").status_code == 409
    with pytest.raises(DomainError) as refused:
        actions.save_report(db, principal(db, official), municipality, report, entered.parse(COMPLETE)[0])
    assert refused.value.status_code == 409


def test_verify_covers_published_reports_and_finds_a_tampered_snapshot(db, client, settings, year_of_work, monkeypatch):
    official, municipality, year = year_of_work
    report = _publish(db, client, official, municipality, year)
    run_due_jobs(db, settings)
    monkeypatch.setenv("DATABASE_URL", settings.database_url)
    assert cli(["verify"]) == 0
    snapshot = db.exec(select(ReportFile).where(ReportFile.report_id == report.id, ReportFile.format == "json")).one()
    snapshot.content = snapshot.content.replace(b'"contracts":6', b'"contracts":7')
    db.add(snapshot)
    db.commit()
    assert cli(["verify"]) == 1


def test_only_the_municipalitys_officials_prepare_and_publish_it(db, client, year_of_work):
    official, municipality, year = year_of_work
    signed_in(client, official)
    _start(client, municipality, year)
    client.get("/logout")
    client.cookies.clear()
    base = f"/municipalities/{municipality.slug}/reports/{year}"
    ngo = make_organisation(db, verified=True)
    member = make_user(db)
    add_member(db, ngo, member)
    other_official, _other = make_official(db)
    people = {
        "resident": make_user(db),
        "member": member,
        "ngo_admin": principal_user(db, ngo),
        "official_elsewhere": other_official,
    }
    db.commit()  # no read transaction of the test's session held open across the requests
    assert client.get(base).status_code == 404  # a draft is not public
    assert client.get(base + "/edit", follow_redirects=False).status_code == 303  # to the log-in page
    for role, user in people.items():
        client.cookies.clear()
        signed_in(client, user)
        assert client.get(base).status_code == 404, role
        for path in ("/edit", "/publish"):
            assert client.get(base + path).status_code == 403, (role, path)
        for path in ("/edit", "/review", "/publish"):
            assert client.submit(base + path, COMPLETE).status_code == 403, (role, path)
        assert _start(client, municipality, year + 1).status_code == 403, role
    with pytest.raises(DomainError):
        actions.start_report(db, principal(db, other_official), municipality, year + 1)
    db.rollback()
    client.cookies.clear()
    signed_in(client, make_admin(db))
    assert client.get(base + "/edit").status_code == 200  # the platform admin, as for the record
    assert actions.get_report(db, municipality, year).status == "draft"
    assert actions.get_report(db, municipality, year + 1) is None


def test_the_draft_reads_its_priority_tasks_and_indicators_from_the_consulted_programme(db, year_of_work):
    official, municipality, year = year_of_work
    make_consultation(
        db, official=official, municipality=municipality, title=f"Program współpracy na rok {year + 1}",
        opens_in=timedelta(days=-2),
    )  # fmt: skip
    report = actions.start_report(db, principal(db, official), municipality, year + 1)
    assert report.priority_tasks.splitlines()[3] == "działalności na rzecz osób z niepełnosprawnością"
    assert report.indicators.splitlines() == [
        "liczba ogłoszonych konkursów",
        "liczba zawartych umów",
        "wysokość przekazanych dotacji",
        "liczba organizacji uczestniczących w konsultacjach",
    ]
    assert report.created_at <= utcnow()


def test_the_evaluation_surveys_results_enter_the_report(db, client, settings, year_of_work):
    from consult.surveys.actions import submit_response
    from consult.surveys.answers import field_name, parse_answers
    from consult.surveys.queries import questions_of
    from tests.factories import make_survey

    official, municipality, year = year_of_work
    survey = make_survey(db, official=official, municipality=municipality, title=f"Ocena współpracy w {year} r.")
    questions = [q for q in questions_of(db, survey.id) if q.kind != "section"]
    overall = next(q for q in questions if q.text.startswith("Jak oceniasz współpracę"))
    for rating in (5, 4, 4):
        organisation = make_organisation(db, verified=True)
        values = {field_name(q): "1" for q in questions if q.required and q.kind != "multiple"}
        values |= {field_name(q) + "[]": ["1", "3"] for q in questions if q.kind == "multiple"}
        values[field_name(overall)] = str(rating)
        parsed = parse_answers(questions, values)
        assert not parsed.errors, parsed.errors
        submit_response(db, principal(db, principal_user(db, organisation)), survey, parsed, organisation.id)
    report = _publish(db, client, official, municipality, year)
    data = json.loads(client.get(f"/municipalities/{municipality.slug}/reports/{year}.json").content)
    evaluation = data["evaluation"]
    assert evaluation["responses"] == 3 and evaluation["slug"] == survey.slug
    found = next(q for q in evaluation["questions"] if q["text"] == overall.text)
    assert found["mean"] == 4.33 and [o["count"] for o in found["options"]] == [0, 0, 0, 2, 1]
    html = page(client.get(f"/municipalities/{municipality.slug}/reports/{year}"))
    assert "średnia: 4,33 z 5" in html.one("#report").text
    assert report.status == "published"
    from pypdf import PdfReader

    assert run_due_jobs(db, settings) == 1
    pdf = client.get(f"/municipalities/{municipality.slug}/reports/{year}.pdf").content
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)
    assert "Średnia: 4,33 w skali od 1 do 5." in text and "V. Ocena współpracy przez organizacje" in text


def test_a_reviewed_draft_goes_back_to_draft_when_edited_and_each_step_is_in_the_ledger(db, client, year_of_work):
    from tests.factories import ledger_events

    official, municipality, year = year_of_work
    client.login(official.email)
    _start(client, municipality, year)
    base = f"/municipalities/{municipality.slug}/reports/{year}"
    reviewed = page(client.submit(base + "/review"))
    assert "Projekt sprawdzony" in reviewed.one("#report-draft").text
    assert actions.get_report(db, municipality, year).status == "reviewed"
    db.rollback()  # the test's session reads the database afresh, after the request's write
    client.submit(base + "/edit", COMPLETE)
    report = actions.get_report(db, municipality, year)
    db.refresh(report)
    assert report.status == "draft" and report.reviewed_at is None
    actions_seen = [e.action for e in ledger_events(db) if e.subject_kind == "report"]
    assert actions_seen == ["report.started", "report.reviewed", "report.saved"]
