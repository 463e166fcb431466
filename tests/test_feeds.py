"""What residents follow: the Atom feed, each municipality's page, and the API's record fields."""

from __future__ import annotations

from datetime import timedelta
from xml.etree import ElementTree

from consult.models import utcnow
from consult.records.actions import RecordInput, publish_record
from tests.factories import make_consultation, make_official, principal
from tests.html import page

ATOM = "{http://www.w3.org/2005/Atom}"


def closed_with_record(db):
    official, municipality = make_official(db)
    consultation = make_consultation(db, official=official, municipality=municipality, title="Program współpracy 2026")
    consultation.closes_at = utcnow() - timedelta(hours=1)
    db.add(consultation)
    db.commit()
    record = publish_record(db, principal(db, official), consultation, RecordInput(conclusion="Bez zmian."))
    return consultation, municipality, record


def test_the_feed_lists_new_consultations_and_published_records(db, client):
    consultation, municipality, _record = closed_with_record(db)
    other = make_consultation(db, title="Strategia rozwiązywania problemów społecznych")
    response = client.get("/feeds/consultations.atom")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/atom+xml")
    feed = ElementTree.fromstring(response.content)
    titles = [e.findtext(f"{ATOM}title") for e in feed.findall(f"{ATOM}entry")]
    assert "Opublikowano protokół: Program współpracy 2026" in titles
    assert "Program współpracy 2026" in titles and other.title in titles
    links = [e.find(f"{ATOM}link").get("href") for e in feed.findall(f"{ATOM}entry")]
    assert any(link.endswith(f"/consultations/{consultation.slug}/record") for link in links)
    assert len({e.findtext(f"{ATOM}id") for e in feed.findall(f"{ATOM}entry")}) == len(titles)

    own = ElementTree.fromstring(client.get(f"/feeds/consultations.atom?municipality={municipality.slug}").content)
    own_titles = [e.findtext(f"{ATOM}title") for e in own.findall(f"{ATOM}entry")]
    assert other.title not in own_titles and "Program współpracy 2026" in own_titles
    assert client.get("/feeds/consultations.atom?municipality=nie-ma-takiej").status_code == 404


def test_drafts_are_not_in_the_feed(db, client):
    draft = make_consultation(db, published=False, title="Projekt jeszcze nieopublikowany")
    assert draft.title not in client.get("/feeds/consultations.atom").text


def test_the_municipality_page_shows_the_outcome_of_past_consultations(db, client):
    consultation, municipality, _record = closed_with_record(db)
    html = page(client.get(f"/municipalities/{municipality.slug}"))
    past = html.one("section[aria-labelledby=municipality-closed]")
    assert consultation.title in past.text
    assert past.one(".outcome a").get("href").endswith(f"/consultations/{consultation.slug}/record")
    assert client.get("/municipalities/nie-ma-takiej").status_code == 404


def test_the_api_gives_the_record_url_and_hash_once_published(db, client):
    consultation, _municipality, record = closed_with_record(db)
    still_open = make_consultation(db)
    listed = {item["slug"]: item for item in client.get("/api/consultations").json()}
    assert listed[consultation.slug]["record_sha256"] == record.sha256
    assert listed[consultation.slug]["record_url"].endswith(f"/consultations/{consultation.slug}/record")
    assert "record_url" not in listed[still_open.slug]
    one = client.get(f"/api/consultations/{consultation.slug}").json()
    assert one["record_sha256"] == record.sha256


def test_the_list_shows_the_outcome_of_closed_consultations(db, client):
    consultation, _municipality, _record = closed_with_record(db)
    html = page(client.get("/consultations", params={"status": "closed"}))
    card = html.one(f"#consultation-{consultation.id}")
    assert card.one(".outcome a").get("href").endswith("/record")
