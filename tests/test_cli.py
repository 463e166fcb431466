"""The command line: migrate, demo (idempotent), createadmin."""

from __future__ import annotations

from sqlalchemy import func
from sqlmodel import Session, select

from consult.cli import main as cli
from consult.db import make_engine
from consult.demo import DEMO_PASSWORD
from consult.models import LedgerEvent, Membership, Organisation, User


def _counts(url: str) -> tuple[int, int, int, int]:
    engine = make_engine(url)
    with Session(engine) as s:
        counts = tuple(
            s.exec(select(func.count()).select_from(m)).one() for m in (User, Organisation, Membership, LedgerEvent)
        )
    engine.dispose()
    return counts


def test_demo_loads_wierzbno_its_neighbours_five_ngos_and_a_support_centre_once(settings, monkeypatch, capsys):
    monkeypatch.setenv("DATABASE_URL", settings.database_url)
    assert cli(["demo"]) == 0
    first = _counts(settings.database_url)
    assert cli(["demo"]) == 0
    assert _counts(settings.database_url) == first
    out = capsys.readouterr().out
    assert "urzednik@wierzbno.example" in out and DEMO_PASSWORD in out
    engine = make_engine(settings.database_url)
    with Session(engine) as s:
        kinds = [o.kind for o in s.exec(select(Organisation)).all()]
        names = {o.name for o in s.exec(select(Organisation)).all()}
        centres = [o.name for o in s.exec(select(Organisation).where(Organisation.support_centre)).all()]
        official = s.exec(select(Membership).join(User).where(User.email == "urzednik@wierzbno.example")).one()
    engine.dispose()
    assert kinds.count("municipality") == 4 and kinds.count("ngo") == 6  # five NGOs and the support centre
    assert centres == ["Centrum Wspierania Organizacji Pozarządowych w Wierzbnie"]
    assert {"Gmina Wierzbno", "Gmina Brzezinka", "Gmina Stare Pole", "Gmina Lipno Małe"} <= names
    assert official.role == "official"
    assert cli(["verify"]) == 0


def test_demo_official_can_log_in(settings, monkeypatch, client):
    monkeypatch.setenv("DATABASE_URL", settings.database_url)
    cli(["demo"])
    client.login("urzednik@wierzbno.example", DEMO_PASSWORD)
    page = client.get("/my/organisations")
    assert "Gmina Wierzbno" in page.text


def test_createadmin_makes_a_confirmed_platform_admin(settings, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", settings.database_url)
    assert cli(["createadmin", "--email", "Szef@Example.pl", "--password", "bardzo-tajne-haslo"]) == 0
    assert cli(["createadmin", "--email", "szef@example.pl", "--password", "bardzo-tajne-haslo"]) == 1
    assert cli(["createadmin", "--email", "inny@example.pl", "--password", "krotkie"]) == 1
    engine = make_engine(settings.database_url)
    with Session(engine) as s:
        admin = s.exec(select(User).where(User.email == "szef@example.pl")).one()
    engine.dispose()
    assert admin.is_admin and admin.confirmed_at is not None


def test_migrate_builds_an_empty_sqlite_database(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    assert cli(["migrate"]) == 0
    assert _counts(url) == (0, 0, 0, 0)


def test_demo_has_last_years_consultation_with_a_published_record(settings, monkeypatch, client):
    monkeypatch.setenv("DATABASE_URL", settings.database_url)
    cli(["demo"])
    record = client.get("/consultations/program-wspolpracy-2026/record")
    assert record.status_code == 200
    assert "Ochotnicza Straż Pożarna w Wierzbnie" in record.text and "480 000 zł" in record.text
    data = client.get("/consultations/program-wspolpracy-2026/record.json").json()
    assert {c["position"] for c in data["contributions"]} == {"accepted", "partly_accepted", "explained", "rejected"}
    assert data["conclusion"]["outcome"] == "amended"
    assert [p["tally"] for p in data["proposals"]] == [{"for": 2, "against": 0, "abstain": 1}]
    assert client.get("/consultations/program-wspolpracy-2027").status_code == 200
