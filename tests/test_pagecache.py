"""Readers without an account get consultation pages from a cache that every state change and the clock renew."""

from __future__ import annotations

from sqlmodel import select

from consult.models import Membership
from consult.pagecache import PageCache
from tests.factories import make_comment, make_consultation, make_official, make_user, signed_in
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


def hide_links(response) -> list:
    return [a for a in page(response).select(".comment-actions a") if a.get("href", "").endswith("/hide")]


def test_a_signed_in_reader_gets_their_own_page_again_from_the_cache(db, client):
    consultation = make_consultation(db)
    make_comment(db, consultation)
    url = f"/consultations/{consultation.slug}"
    signed_in(client, make_user(db, display_name="Jan Zalogowany"))
    client.get(url)  # shows the "you are logged in" banner: never kept
    first = client.get(url)
    assert client.get(url).text == first.text
    kept = [key for key in client.app.state.page_cache.pages if key[-1]]
    assert len(kept) == 1 and "Jan Zalogowany" in kept[0][-1]
    assert first.headers["cache-control"] == "no-store"  # kept by us, never by a shared cache on the way


def test_a_role_taken_away_is_seen_on_the_next_request(db, client):
    """The official's Hide buttons go at once, although removing the row directly leaves the ledger as it was."""
    official, municipality = make_official(db)
    consultation = make_consultation(db, official=official, municipality=municipality)
    make_comment(db, consultation)
    url = f"/consultations/{consultation.slug}"
    signed_in(client, official)
    assert hide_links(client.get(url)) and hide_links(client.get(url))  # the second one from the cache
    membership = db.exec(select(Membership).where(Membership.user_id == official.id)).one()
    membership.role = "member"
    db.add(membership)
    db.commit()
    assert hide_links(client.get(url)) == []
    db.delete(membership)
    db.commit()
    assert client.get(url).status_code == 200 and hide_links(client.get(url)) == []


def test_many_members_pages_do_not_push_out_the_readers_copy():
    cache = PageCache(size=2, member_bytes=10)
    cache.put(("reader", ()), ((b"x" * 100,), {}))
    for n in range(5):
        cache.put((f"member {n}", (n,)), ((b"y" * 2, b"z" * 2), {}))
    assert ("reader", ()) in cache.pages
    assert [key[0] for key in cache.pages if key[-1]] == ["member 3", "member 4"]
