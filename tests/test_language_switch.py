"""The language switch: back to the very page it was clicked on, query included, and never to another site."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from tests.factories import make_comment, make_consultation
from tests.html import page


def switch_link(response) -> str:
    (link,) = [a.get("href") for a in page(response).select("a[hreflang]")]
    return link


def test_language_switch_keeps_the_path_and_the_query(client):
    response = client.get("/organisations", params={"q": "Koło Gospodyń", "kind": "ngo", "page": "2"})
    link = switch_link(response)
    assert parse_qs(urlsplit(link).query)["next"] == ["/organisations?q=Ko%C5%82o+Gospody%C5%84&kind=ngo&page=2"]
    switched = client.get(link, follow_redirects=False)
    assert switched.status_code == 303
    assert switched.headers["location"] == "/organisations?q=Ko%C5%82o+Gospody%C5%84&kind=ngo&page=2"
    back = client.get(switched.headers["location"])
    assert page(back).one("html").get("lang") == "en"
    assert parse_qs(urlsplit(switch_link(back)).query)["next"] == [switched.headers["location"]]


def test_language_switch_without_a_query_goes_back_to_the_path(client):
    link = switch_link(client.get("/accessibility"))
    assert client.get(link, follow_redirects=False).headers["location"] == "/accessibility"


@pytest.mark.parametrize(
    "target",
    ["/\t/evil.example", "/\n/evil.example", "/\r\n/evil.example", "\t//evil.example", "/%0a", "//evil.example"],
)
def test_language_switch_refuses_control_characters_and_other_sites(client, target):
    response = client.get("/language/en", params={"next": target}, follow_redirects=False)
    location = urlsplit(response.headers["location"])
    assert (location.scheme, location.netloc) == ("", "")
    assert not location.path.startswith("//")
    assert response.headers["location"] in ("/", target)


def test_polish_content_is_marked_polish_in_the_english_interface(client, db):
    consultation = make_consultation(db, title="Program współpracy z organizacjami")
    make_comment(db, consultation, body="Prosimy o zmianę.", justification="Bo tak.")
    client.cookies.set("consult_lang", "en")
    html = page(client.get(f"/consultations/{consultation.slug}"))
    assert html.one("html").get("lang") == "en"
    assert html.one("h1").get("lang") == "pl"
    assert html.one("article.document").get("lang") == "pl"
    assert {p.get("lang") for p in html.select("article.document .paragraph-actions")} == {"en"}
    assert [d.get("lang") for d in html.select(".comment .prose")] == ["pl"]
    assert html.one(".toc").select("li")[-1].get("lang") == "en"  # "General discussion": the interface's words


def test_polish_interface_needs_no_marks(client, db):
    consultation = make_consultation(db)
    make_comment(db, consultation)
    html = page(client.get(f"/consultations/{consultation.slug}"))
    assert html.one("html").get("lang") == "pl"
    assert [e.tag for e in html.descendants() if e.get("lang") and e.tag != "html" and e.get("hreflang") is None] == []
