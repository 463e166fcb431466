"""Readers without an account get consultation pages from a cache that every state change and the clock renew."""

from __future__ import annotations

from tests.factories import make_comment, make_consultation, make_user, signed_in
from tests.html import page


def csrf_header(response) -> str:
    return page(response).one("body").get("hx-headers")


def test_a_new_comment_is_shown_at_once_to_readers_without_an_account(db, client):
    consultation = make_consultation(db)
    url = f"/consultations/{consultation.slug}"
    before = client.get(url)
    assert client.get(url).text == before.text  # the second reading comes from the cache
    assert len(client.app.state.page_cache.pages) == 1
    make_comment(db, consultation, body="Uwaga dodana po pierwszym czytaniu.")
    assert "Uwaga dodana po pierwszym czytaniu." in client.get(url).text


def test_each_reader_gets_their_own_csrf_token_from_the_cache(db, client, other_client):
    consultation = make_consultation(db)
    url = f"/consultations/{consultation.slug}"
    first, second = client.get(url), other_client.get(url)
    assert csrf_header(first) != csrf_header(second)
    assert client.csrf_token() in csrf_header(first) and other_client.csrf_token() in csrf_header(second)
    assert "\x00" not in second.text


def test_signed_in_members_get_their_own_page_not_the_readers_one(db, client, other_client):
    consultation = make_consultation(db)
    url = f"/consultations/{consultation.slug}"
    reader = other_client.get(url)
    member = make_user(db, display_name="Jan Zalogowany")
    signed_in(client, member)
    own = client.get(url)
    assert "Jan Zalogowany" in own.text and "Jan Zalogowany" not in reader.text
