"""Surveys: an official builds a questionnaire from a ready template, opens it; organisations answer it once each
(their admin or a designated member), within its window, with every bad answer refused beside its question and the
rest kept; the owner alone sees the results until making them public, moderates the text answers, downloads a CSV."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import inspect, text
from sqlmodel import Session, select

from consult.db import writing
from consult.errors import DomainError
from consult.models import (
    LedgerEvent,
    SurveyQuestion,
    SurveyRespondent,
    SurveyResponse,
    utcnow,
)
from consult.surveys import actions, queries
from consult.surveys.answers import parse_answers
from consult.surveys.results import results_of
from tests.factories import (
    add_member,
    fresh,
    make_network,
    make_official,
    make_organisation,
    make_survey,
    make_user,
    principal,
    signed_in,
)
from tests.html import page
from tests.test_comments import target


@pytest.fixture
def gmina(db):
    official, municipality = make_official(db, email="urzednik@gmina.example.pl")
    return official, municipality


@pytest.fixture
def ngo(db):
    ewa = make_user(db, email="ewa@razem.example.pl", display_name="Ewa Nowak")
    return ewa, make_organisation(db, admin=ewa, verified=True, name="Stowarzyszenie Razem")


def questions(db, survey) -> list[SurveyQuestion]:
    return [q for q in queries.questions_of(db, survey.id) if q.kind != "section"]


def full_answer(db, survey) -> dict:
    """A complete answer to every question: the first option, 4 on scales, a ranking in order, some text."""
    values: dict = {}
    for q in questions(db, survey):
        name = f"q-{q.id}"
        if q.kind in ("single",):
            values[name] = "1"
        elif q.kind == "multiple":
            values[f"{name}[]"] = ["1", "2"]
        elif q.kind == "scale":
            values[name] = "4"
        elif q.kind == "ranking":
            values |= {f"{name}-{n}": str(n) for n in range(1, len(queries.options_of(q)) + 1)}
        else:
            values[name] = "Więcej małych grantów i szybsze rozliczenia."
    return values


def answer(client, survey, values: dict, organisation=None):
    data = dict(values)
    if organisation is not None:
        data["organisation_id"] = str(organisation.id)
    return client.submit(f"/surveys/{survey.slug}/answer", data, follow_redirects=False)


# --- building ---------------------------------------------------------------------------------


def test_official_builds_the_evaluation_from_its_template_and_opens_it(client, db, gmina):
    official, municipality = gmina
    signed_in(client, official)
    form = page(client.get("/surveys/new"))
    assert form.one("select[name=owner]").text == municipality.name
    now = utcnow() + timedelta(hours=2)
    created = client.submit(
        "/surveys/new",
        {
            "owner": f"organisation:{municipality.id}",
            "template": "cooperation_evaluation",
            "audience": "organisations",
            "anonymous": "on",
            "opens_at": now.strftime("%Y-%m-%dT%H:%M"),
            "closes_at": (now + timedelta(days=14)).strftime("%Y-%m-%dT%H:%M"),
        },
        follow_redirects=False,
    )
    slug = "ocena-wspolpracy-samorzadu-z-organizacjami-pozarzadowymi"
    assert target(created) == f"/surveys/{slug}/edit"
    survey = queries.get_survey(db, slug)
    assert survey.template == "cooperation_evaluation" and survey.anonymous and survey.owner_organisation_id
    builder = page(client.get(f"/surveys/{slug}/edit"))
    assert len(builder.select("#survey-questions li")) == len(queries.questions_of(db, survey.id)) > 8

    added = client.submit(
        f"/surveys/{slug}/questions",
        {
            "kind": "single",
            "text": "Czy organizacja złożyła ofertę w konkursie?",
            "options": "tak\nnie",
            "required": "on",
        },
        follow_redirects=False,
    )
    assert added.status_code == 303
    fresh(db)
    last = queries.questions_of(db, survey.id)[-1]
    assert last.text.startswith("Czy organizacja złożyła") and last.required and last.options == "tak\nnie"
    client.submit(f"/surveys/{slug}/questions/{last.id}/move", {"direction": "up"})
    fresh(db)
    assert queries.questions_of(db, survey.id)[-2].id == last.id
    removed = last.id
    client.submit(f"/surveys/{slug}/questions/{removed}/remove")
    fresh(db)
    assert removed not in {q.id for q in queries.questions_of(db, survey.id)}

    assert client.submit(f"/surveys/{slug}/open", follow_redirects=False).status_code == 303
    fresh(db)
    assert queries.status_of(queries.get_survey(db, slug)) == "scheduled"
    frozen = client.submit(f"/surveys/{slug}/questions", {"kind": "short_text", "text": "Za późno?"})
    assert frozen.status_code == 409
    assert [e.action for e in db.exec(select(LedgerEvent)).all() if e.subject_kind == "survey"] == [
        "survey.created",
        "survey.opened",
    ]


def test_a_question_with_too_few_options_is_refused_with_its_text_kept(client, db, gmina):
    official, municipality = gmina
    survey = make_survey(db, official=official, municipality=municipality, template="", title="Pusta", opened=False)
    signed_in(client, official)
    refused = client.submit(
        f"/surveys/{survey.slug}/questions", {"kind": "single", "text": "Jedna opcja?", "options": "tak"}
    )
    assert refused.status_code == 422
    html = page(refused)
    assert "Options: Give between 2 and 20 options, one a line." in html.one(".error-summary").text
    assert html.one("#field-new-text").text == "Jedna opcja?"


def test_who_may_build_a_survey(client, db, gmina, ngo):
    official, municipality = gmina
    ewa, _ngo = ngo
    signed_in(client, ewa)
    assert client.get("/surveys/new").status_code == 403  # an NGO's admin runs no survey
    coordinator, neighbour = make_official(db, email="koordynatorka@siec.example.pl")
    network = make_network(db, coordinator=coordinator, municipalities=[municipality])
    owners = queries.owner_choices(db, principal(db, coordinator))
    assert [o.value for o in owners] == [f"organisation:{neighbour.id}", f"network:{network.id}"]
    survey = make_survey(db, official=official, municipality=municipality)
    signed_in(client, coordinator)
    assert client.get(f"/surveys/{survey.slug}/edit").status_code == 403
    assert client.get(f"/surveys/{survey.slug}/results").status_code == 403


def test_a_support_centre_member_builds_surveys_for_the_centre(db):
    advisor = make_user(db, email="doradca@centrum.example.pl")
    centre = make_organisation(db, admin=advisor, name="Centrum Wspierania Organizacji")
    centre.support_centre = True
    db.add(centre)
    db.commit()
    member = make_user(db)
    add_member(db, centre, member)
    assert [o.value for o in queries.owner_choices(db, principal(db, member))] == [f"organisation:{centre.id}"]


# --- answering --------------------------------------------------------------------------------


def test_a_required_answer_missing_keeps_the_others_and_names_it(client, db, gmina, ngo):
    official, municipality = gmina
    ewa, razem = ngo
    survey = make_survey(db, official=official, municipality=municipality)
    values = full_answer(db, survey)
    required = next(q for q in questions(db, survey) if q.required and q.kind == "scale")
    del values[f"q-{required.id}"]
    signed_in(client, ewa)
    refused = answer(client, survey, values, razem)
    assert refused.status_code == 422
    html = page(refused)
    summary = html.one(".error-summary")
    assert f"{required.text}: Answer this question: it is required." in summary.text
    assert summary.one("a").get("href") == f"#field-q-{required.id}"
    long_text = next(q for q in questions(db, survey) if q.kind == "long_text")
    assert html.one(f"#field-q-{long_text.id}").text == "Więcej małych grantów i szybsze rozliczenia."
    first_scale = next(q for q in questions(db, survey) if q.kind == "scale" and q.id != required.id)
    assert html.one(f"#field-q-{first_scale.id}-4").get("checked") is not None
    assert queries.response_count(db, survey.id) == 0

    values[f"q-{required.id}"] = "5"
    sent = answer(client, survey, values, razem)
    assert target(sent) == f"/surveys/{survey.slug}"
    fresh(db)
    assert queries.response_count(db, survey.id) == 1
    again = answer(client, survey, values, razem)
    assert again.status_code == 409
    assert "each answers the survey once" in page(again).one(".error-summary").text
    assert queries.response_count(db, survey.id) == 1


def test_an_answer_beyond_the_choices_or_the_scale_is_refused(db, gmina):
    official, municipality = gmina
    survey = make_survey(db, official=official, municipality=municipality)
    asked = questions(db, survey)
    single = next(q for q in asked if q.kind == "single")
    scale = next(q for q in asked if q.kind == "scale")
    multiple = next(q for q in asked if q.kind == "multiple")
    ranking = next(q for q in asked if q.kind == "ranking")
    values = full_answer(db, survey) | {
        f"q-{single.id}": "99",
        f"q-{scale.id}": "6",
        f"q-{multiple.id}[]": ["1", "42"],
        f"q-{ranking.id}-1": "1",
        f"q-{ranking.id}-2": "1",
    }
    parsed = parse_answers(queries.questions_of(db, survey.id), values)
    assert parsed.errors == {  # outside a request: in Polish, the default language
        f"q-{single.id}": "Wybierz jedną z podanych odpowiedzi.",
        f"q-{scale.id}": "Wybierz jedną z podanych odpowiedzi.",
        f"q-{multiple.id}": "Wybierz jedną z podanych odpowiedzi.",
        f"q-{ranking.id}": "Nadaj każdej odpowiedzi inne miejsce, od 1 do 5.",
    }


def test_answers_outside_the_window_are_refused_on_the_server(client, db, gmina, ngo):
    official, municipality = gmina
    ewa, razem = ngo
    later = make_survey(
        db,
        official=official,
        municipality=municipality,
        opens_at=utcnow() + timedelta(days=1),
        closes_at=utcnow() + timedelta(days=3),
    )
    signed_in(client, ewa)
    assert answer(client, later, full_answer(db, later), razem).status_code == 409
    past = make_survey(db, official=official, municipality=municipality)
    past.closes_at = utcnow() - timedelta(minutes=1)
    db.add(past)
    db.commit()
    refused = answer(client, past, full_answer(db, past), razem)
    assert refused.status_code == 409 and "The survey is closed." in page(refused).one(".error-summary").text
    assert queries.response_count(db, past.id) == 0


def test_only_the_admin_or_a_designated_member_answers_for_an_organisation(client, db, gmina, ngo):
    official, municipality = gmina
    ewa, razem = ngo
    survey = make_survey(db, official=official, municipality=municipality)
    marek = make_user(db, email="marek@razem.example.pl")
    membership = add_member(db, razem, marek)
    signed_in(client, marek)
    refused = answer(client, survey, full_answer(db, survey), razem)
    assert refused.status_code == 403
    membership.votes = True
    db.add(membership)
    db.commit()
    assert answer(client, survey, full_answer(db, survey), razem).status_code == 303


def test_two_admins_sending_at_once_give_one_answer(app, db, gmina, ngo):
    """A database constraint holds the rule: two sessions, two threads, released together."""
    official, municipality = gmina
    ewa, razem = ngo
    second = make_user(db, email="druga@razem.example.pl")
    add_member(db, razem, second, role="admin")
    survey = make_survey(db, official=official, municipality=municipality)
    parsed = parse_answers(queries.questions_of(db, survey.id), full_answer(db, survey))
    barrier, outcomes = threading.Barrier(2), []

    def send(user):
        with Session(app.state.engine, expire_on_commit=False) as session:
            who, mine = principal(session, user), session.get(type(survey), survey.id)
            session.rollback()  # read first, then meet the other thread with no transaction open
            barrier.wait(timeout=30)
            writing.set(True)  # as for a POST: on SQLite the transaction takes the write lock first (BEGIN IMMEDIATE)
            try:
                actions.submit_response(session, who, mine, parsed, razem.id)
                outcomes.append("saved")
            except DomainError as error:
                outcomes.append(error.status_code)

    threads = [threading.Thread(target=send, args=(u,)) for u in (ewa, second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(outcomes, key=str) == [409, "saved"]
    fresh(db)
    assert queries.response_count(db, survey.id) == 1


def test_an_anonymous_survey_stores_nothing_that_links_an_answer_to_a_person(client, db, gmina, ngo):
    official, municipality = gmina
    ewa, razem = ngo
    survey = make_survey(db, official=official, municipality=municipality)  # the evaluation is anonymous
    assert survey.anonymous
    signed_in(client, ewa)
    assert answer(client, survey, full_answer(db, survey), razem).status_code == 303
    fresh(db)
    people = make_survey(
        db,
        official=official,
        municipality=municipality,
        template="needs_assessment",
        audience="people",
        anonymous=True,
    )
    assert answer(client, people, full_answer(db, people)).status_code == 303

    fresh(db)
    for response in db.exec(select(SurveyResponse)).all():
        assert response.organisation_id is None and response.user_id is None
        assert len(response.id) == 32 and not response.id.isdigit()  # random, not a sequence
    respondents = db.exec(select(SurveyRespondent)).all()
    assert {r.respondent for r in respondents} == {f"organisation:{razem.id}", f"user:{ewa.id}"}
    inspector = inspect(db.get_bind())
    for table in ("survey_response", "survey_answer", "survey_respondent"):
        columns = {c["name"]: str(c["type"]).upper() for c in inspector.get_columns(table)}
        assert not {"user_id", "organisation_id"} & set(columns) or table == "survey_response"
        assert not any("TIME" in kind for kind in columns.values()), (table, columns)  # the day at most
        assert not {"id", "created_at", "session_id"} & set(columns) or table == "survey_response"
    # the respondents' list points at nothing: no foreign key to an answer
    assert inspector.get_foreign_keys("survey_respondent") == [
        {**fk, "referred_table": "survey"} for fk in inspector.get_foreign_keys("survey_respondent")
    ]
    if db.get_bind().dialect.name == "sqlite":  # no rowid: rows lie in the order of their keys, not of arrival
        for table in ("survey_response", "survey_answer", "survey_respondent"):
            ddl = db.exec(text(f"SELECT sql FROM sqlite_master WHERE name = '{table}'")).one()[0]
            assert "WITHOUT ROWID" in ddl
    answered = db.exec(select(LedgerEvent).where(LedgerEvent.action == "survey.answered")).all()
    assert [(e.actor_id, e.payload) for e in answered] == [(None, "{}"), (None, "{}")]
    # the survey's page says how this is guaranteed
    privacy = page(client.get(f"/surveys/{survey.slug}")).one("section[aria-labelledby=survey-privacy-title]")
    assert "no name, no account, no organisation" in privacy.text and "cannot be matched" in privacy.text


def test_a_named_survey_keeps_who_answered(client, db, gmina, ngo):
    official, municipality = gmina
    ewa, razem = ngo
    survey = make_survey(db, official=official, municipality=municipality, template="needs_assessment")
    assert not survey.anonymous
    signed_in(client, ewa)
    answer(client, survey, full_answer(db, survey), razem)
    fresh(db)
    response = db.exec(select(SurveyResponse)).one()
    assert response.organisation_id == razem.id and response.submitted_on == utcnow().date()


# --- results ----------------------------------------------------------------------------------


def test_only_the_owner_sees_results_until_they_are_public(client, other_client, db, gmina, ngo):
    official, municipality = gmina
    ewa, razem = ngo
    survey = make_survey(db, official=official, municipality=municipality)
    signed_in(client, ewa)
    answer(client, survey, full_answer(db, survey), razem)
    assert client.get(f"/surveys/{survey.slug}/results").status_code == 403
    assert client.get(f"/surveys/{survey.slug}/results.csv").status_code == 403
    assert other_client.get(f"/surveys/{survey.slug}/results", follow_redirects=False).status_code == 303  # log in

    signed_in(other_client, official)
    results = page(other_client.get(f"/surveys/{survey.slug}/results"))
    charts = results.select("svg.survey-chart")
    assert charts and all(c.get("role") == "img" and c.get("aria-labelledby") for c in charts)
    assert all(c.one("title").text for c in charts)
    assert len(results.select("table.survey-table")) == len(charts)
    texts = results.select("li.survey-text")
    assert len(texts) == 1 and "Not checked yet" in texts[0].text

    long_text = next(q for q in questions(db, survey) if q.kind == "long_text")
    fresh(db)
    response_id = db.exec(select(SurveyResponse.id)).one()
    other_client.submit(
        f"/surveys/{survey.slug}/texts", {"response": response_id, "question": str(long_text.id), "decision": "hidden"}
    )
    published = other_client.submit(
        f"/surveys/{survey.slug}/results/publish", {"public": "yes"}, follow_redirects=False
    )
    assert target(published) == f"/surveys/{survey.slug}/results"
    client.cookies.clear()
    public = page(client.get(f"/surveys/{survey.slug}/results"))
    assert public.select("svg.survey-chart") and public.select("li.survey-text") == []  # hidden stays hidden
    other_client.submit(
        f"/surveys/{survey.slug}/texts", {"response": response_id, "question": str(long_text.id), "decision": "shown"}
    )
    shown = page(client.get(f"/surveys/{survey.slug}/results"))
    assert "Więcej małych grantów" in shown.one("li.survey-text").text
    assert shown.select(".survey-text form") == []  # no moderation buttons for the public


def test_results_of_counts_each_option(db, gmina):
    official, municipality = gmina
    survey = make_survey(db, official=official, municipality=municipality)
    scale = next(q for q in questions(db, survey) if q.kind == "scale")
    for value in ("5", "4", "4"):
        admin = make_user(db)
        organisation = make_organisation(db, admin=admin)
        values = full_answer(db, survey) | {f"q-{scale.id}": value}
        parsed = parse_answers(queries.questions_of(db, survey.id), values)
        actions.submit_response(db, principal(db, admin), survey, parsed, organisation.id)
    found = results_of(db, survey)
    assert found.responses == 3
    rated = next(r for r in found.questions if r.question.id == scale.id)
    assert [(r.label, r.count, r.percent) for r in rated.rows] == [
        ("1", 0, 0.0),
        ("2", 0, 0.0),
        ("3", 0, 0.0),
        ("4", 2, 66.7),
        ("5", 1, 33.3),
    ]
    assert rated.mean == 4.33
    ranking = next(r for r in found.questions if r.question.kind == "ranking")
    assert ranking.rows[0].mean_rank == 1.0 and ranking.rows[0].count == 3


def test_the_csv_is_streamed_with_a_bom_and_semicolons(client, db, gmina, ngo):
    official, municipality = gmina
    ewa, razem = ngo
    survey = make_survey(db, official=official, municipality=municipality, template="needs_assessment")
    signed_in(client, ewa)
    answer(client, survey, full_answer(db, survey), razem)
    signed_in(client, official)
    response = client.get(f"/surveys/{survey.slug}/results.csv")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    body = response.content.decode("utf-8")
    assert body.startswith("\ufeffNo.;Day;Organisation or person;")
    lines = body.strip().splitlines()
    assert len(lines) == 2 and "Stowarzyszenie Razem" in lines[1] and ";stowarzyszenie;" in lines[1]
