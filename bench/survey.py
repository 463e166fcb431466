"""A survey's results page and CSV at 10,000 responses to a 20-question survey.

Builds, in a fresh SQLite file (or in the PostgreSQL database given: its tables are DROPPED and recreated, so give it
a database of its own), a municipality with its official, a survey of 20 questions added through the builder's
actions (7 single choice, 4 multiple choice, 5 scales from 1 to 5, 2 rankings of 5, a short and a long text) opened
through `open_survey`, then 10,000 anonymous responses inserted in batches with random answers (a text answer in one
response of four). Then:

- results_ms: the results page as its owner sees it (charts, tables, the first text answers), fetched through the
  real app in this process (Starlette's TestClient, signed in through the log-in form): the median of 15 requests
  after 3 not counted, so the server's time with no network in between;
- csv_seconds and peak_mb: the CSV export's generator (`consult.surveys.export.survey_csv`, what the route streams)
  read to the end, once timed, once under tracemalloc: peak_mb is the most it held at once on the Python heap, which
  stays flat (a batch of 500 responses) whatever the number of responses; a "#" line gives the CSV's size.

It prints

    db=<sqlite|postgresql> responses=<n> results_ms=<n> csv_seconds=<n> peak_mb=<n>

Run from the project root:

    .venv/bin/python bench/survey.py [DATABASE_URL] [--responses 10000]
"""

from __future__ import annotations

import argparse
import random
import re
import secrets
import statistics
import sys
import tempfile
import time
import tracemalloc
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script: bench/ is on the path, the project root is not
    sys.path.insert(0, str(ROOT))

from sqlalchemy import insert, update  # noqa: E402
from sqlmodel import Session, SQLModel  # noqa: E402

from bench.consultation_page import BENCH_PASSWORD, new_user, principal  # noqa: E402
from consult.db import make_engine  # noqa: E402
from consult.models import Membership, SurveyAnswer, SurveyResponse, SurveyTally, utcnow  # noqa: E402
from consult.organisations.actions import OrganisationInput, create_organisation  # noqa: E402
from consult.surveys import actions  # noqa: E402

CHOICES = [f"Odpowiedź {n}" for n in range(1, 6)]
KINDS = ["single"] * 7 + ["multiple"] * 4 + ["scale"] * 5 + ["ranking"] * 2 + ["short_text", "long_text"]
CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')
BATCH = 1000


def build(url: str, responses: int) -> tuple[str, str, int]:
    """The survey and its answers; returns the official's e-mail, the survey's slug and id."""
    engine = make_engine(url)
    SQLModel.metadata.drop_all(engine)
    SQLModel.metadata.create_all(engine)
    with Session(engine, expire_on_commit=False) as session:
        admin = new_user(session, "admin@bench.example", "Administrator", is_admin=True)
        gmina = create_organisation(
            session, principal(session, admin), OrganisationInput(name="Gmina Ławkowo", kind="municipality")
        )
        official = new_user(session, "urzednik@bench.example", "Katarzyna Nowak")
        session.add(Membership(organisation_id=gmina.id, user_id=official.id, role="official"))
        session.commit()
        who = principal(session, official)
        data = actions.SurveyInput(
            owner=f"organisation:{gmina.id}",
            title="Ankieta porównawcza",
            audience="organisations",
            anonymous=True,
            opens_at=utcnow() - timedelta(days=1),
            closes_at=utcnow() + timedelta(days=14),
        )
        survey = actions.create_survey(session, who, data)
        for number, kind in enumerate(KINDS, start=1):
            options = "\n".join(CHOICES) if kind in ("single", "multiple", "ranking") else ""
            question = actions.QuestionInput(kind=kind, text=f"Pytanie {number}", options=options)
            actions.add_question(session, who, survey, question)
        actions.open_survey(session, who, survey)
        questions = [(q.id, q.kind) for q in actions.queries.questions_of(session, survey.id)]
        _answers(session, survey.id, questions, responses)
        return official.email, survey.slug, survey.id


def _answers(session: Session, survey_id: int, questions: list[tuple[int, str]], responses: int) -> None:
    rng = random.Random(13)
    today = utcnow().date()
    tallies: dict[tuple[int, int], list[int]] = {}
    for start in range(0, responses, BATCH):
        rows, items = [], []
        for _ in range(min(BATCH, responses - start)):
            rid = secrets.token_hex(16)
            rows.append({"id": rid, "survey_id": survey_id, "submitted_on": today})
            for qid, kind in questions:
                base = {"response_id": rid, "question_id": qid, "survey_id": survey_id, "rank": None, "text": ""}
                if kind == "single":
                    items.append(base | {"option": rng.randint(1, 5)})
                elif kind == "scale":
                    items.append(base | {"option": min(5, max(1, round(rng.gauss(3.6, 1.0))))})
                elif kind == "multiple":
                    chosen = sorted(rng.sample(range(1, 6), rng.randint(1, 3)))
                    items += [base | {"option": n} for n in [0, *chosen]]  # 0: the "answered" marker
                elif kind == "ranking":
                    places = rng.sample(range(1, 6), 5)
                    items += [base | {"option": n, "rank": p} for n, p in enumerate(places, start=1)]
                elif rng.random() < 0.25:
                    items.append(base | {"option": 0, "text": f"Odpowiedź opisowa {rng.randint(1, 10**6)}"})
        session.execute(insert(SurveyResponse), rows)
        session.execute(insert(SurveyAnswer), [i | {"moderation": "pending"} for i in items])
        session.commit()
        for item in items:  # what submit_response adds to the running tallies, added here in one go
            tally = tallies.setdefault((item["question_id"], item["option"]), [0, 0, 0])
            tally[0] += 1
            tally[1] += item["rank"] or 0
            tally[2] += item["rank"] == 1
    for (question_id, option), (count, rank_sum, firsts) in sorted(tallies.items()):
        session.execute(
            update(SurveyTally)
            .where(
                SurveyTally.survey_id == survey_id, SurveyTally.question_id == question_id, SurveyTally.option == option
            )
            .values(count=count, rank_sum=rank_sum, firsts=firsts)
        )
    session.commit()


def results_ms(url: str, email: str, slug: str) -> float:
    from starlette.testclient import TestClient

    from consult.app import create_app
    from consult.settings import Settings

    app = create_app(Settings(environment="test", database_url=url, secret_key=secrets.token_hex(16)))
    with TestClient(app, base_url="http://testserver") as client:
        token = CSRF_RE.search(client.get("/login").text).group(1)
        signed = client.post("/login", data={"csrf_token": token, "email": email, "password": BENCH_PASSWORD})
        assert signed.status_code == 200, signed.status_code
        timings = []
        for n in range(18):
            started = time.perf_counter()
            response = client.get(f"/surveys/{slug}/results")
            elapsed = time.perf_counter() - started
            assert response.status_code == 200 and "survey-chart" in response.text, response.status_code
            if n >= 3:
                timings.append(elapsed)
    app.state.engine.dispose()
    return statistics.median(timings) * 1000


def csv_figures(url: str, survey_id: int) -> tuple[float, float, int]:
    from consult.models import Survey
    from consult.surveys.export import survey_csv

    engine = make_engine(url)
    with Session(engine) as session:
        survey = session.get(Survey, survey_id)
        started = time.perf_counter()
        size = sum(len(chunk) for chunk in survey_csv(session, survey))
        seconds = time.perf_counter() - started
    with Session(engine) as session:
        survey = session.get(Survey, survey_id)
        tracemalloc.start()
        for _chunk in survey_csv(session, survey):
            pass
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    engine.dispose()
    return seconds, peak / 2**20, size


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("url", nargs="?", default="")
    parser.add_argument("--responses", type=int, default=10_000)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        url = args.url or f"sqlite:///{tmp}/survey.db"
        started = time.perf_counter()
        email, slug, survey_id = build(url, args.responses)
        print(f"# built {args.responses} responses in {time.perf_counter() - started:.1f} s", flush=True)
        page_ms = results_ms(url, email, slug)
        seconds, peak_mb, size = csv_figures(url, survey_id)
        db = "postgresql" if url.startswith("postgresql") else "sqlite"
        print(f"# csv_mb={size / 2**20:.1f}")
        print(
            f"db={db} responses={args.responses} results_ms={page_ms:.0f} csv_seconds={seconds:.2f} "
            f"peak_mb={peak_mb:.1f}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
