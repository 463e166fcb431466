"""Searching consultations, documents, comments and proposals, with and without Polish letters."""

from __future__ import annotations

from sqlmodel import select

from consult.comments.actions import ModerationInput, hide_comment
from consult.consultations.actions import gate_for
from consult.models import Organisation, SearchEntry
from consult.search.actions import fold, reindex, search
from tests.factories import make_admin, make_comment, make_consultation, paragraph_by_label, principal
from tests.html import page as parse_page


def test_fold_keeps_one_character_for_each():
    assert fold("Źródło Łódź GĘŚLĄ") == "zrodlo lodz gesla"
    assert len(fold("zażółć gęślą jaźń")) == len("zażółć gęślą jaźń")


def test_search_finds_document_text_without_polish_letters(db, client):
    consultation = make_consultation(db)
    response = client.get("/search", params={"q": "pozarzadowymi"})
    assert response.status_code == 200
    page = parse_page(response)
    links = [a.get("href") for a in page.select(".search-results a")]
    assert any(f"/consultations/{consultation.slug}" in link for link in links)


def test_search_finds_a_comment_and_links_to_its_place(db, client):
    consultation = make_consultation(db)
    paragraph = paragraph_by_label(db, consultation, "§ 6 ust. 1")
    comment = make_comment(db, consultation, paragraph=paragraph, body="Prosimy o żłobek przy świetlicy wiejskiej.")
    response = client.get("/search", params={"q": "zlobek swietlicy"})
    page = parse_page(response)
    assert page.one(".result-count").text == "1 wynik"
    link = page.one(".search-results a").get("href")
    assert link.endswith(f"/comments/{comment.id}")
    landing = client.get(link, follow_redirects=False)
    assert landing.status_code == 303
    assert landing.headers["location"].endswith(f"#comment-{comment.id}")


def test_search_does_not_show_drafts_or_hidden_comments(db, client):
    draft = make_consultation(db, published=False, title="Tajny projekt uchwały budżetowej")
    open_one = make_consultation(db)
    comment = make_comment(db, open_one, body="Obraźliwa treść o kotach.")
    municipality = db.get(Organisation, open_one.organisation_id)
    admin = make_admin(db)
    hide_comment(db, principal(db, admin), comment, gate_for(open_one, municipality), ModerationInput(reason="Obraża."))
    assert client.get("/search", params={"q": "tajny"}).text.count(draft.slug) == 0
    page = parse_page(client.get("/search", params={"q": "kotach"}))
    assert page.select(".search-results li") == []
    assert "Nic nie znaleziono" in page.one("#search-results").text


def test_search_with_nothing_to_search_shows_the_form(client):
    response = client.get("/search", params={"q": "  ?!  "})
    assert response.status_code == 200
    assert parse_page(response).one("input#search-q").get("value") == "?!"


def test_reindex_rebuilds_the_same_entries(db):
    consultation = make_consultation(db)
    make_comment(db, consultation, body="Wniosek o świadczenie usług.")
    before = sorted((e.kind, e.ref) for e in db.exec(select(SearchEntry)))
    reindex(db)
    after = sorted((e.kind, e.ref) for e in db.exec(select(SearchEntry)))
    assert before == after
    hits, total = search(db, "swiadczenie uslug")
    assert total == 1 and hits[0].kind == "comment"


def test_reindex_command_rebuilds_the_index(db, settings, monkeypatch, capsys):
    from consult.cli import main as cli

    make_consultation(db)
    monkeypatch.setenv("DATABASE_URL", settings.database_url)
    assert cli(["reindex"]) == 0
    assert "Search index rebuilt:" in capsys.readouterr().out
    assert search(db, "pozarzadowymi")[1] >= 1
