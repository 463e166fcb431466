"""Receipts: an organisation can prove that its submission reached the server in time."""

from __future__ import annotations

import hashlib
import json

from consult.receipts.actions import recomputed_hash
from tests.factories import make_comment, make_consultation
from tests.html import page, summary_list


def test_a_comment_has_a_receipt_with_its_text_hash_and_ledger_position(db, client):
    consultation = make_consultation(db)
    comment = make_comment(db, consultation, body="Prosimy o dłuższy termin naboru.")
    response = client.get(f"/receipts/comment/{comment.id}", follow_redirects=False)
    assert response.status_code == 303
    shown = client.get(response.headers["location"])
    assert shown.status_code == 200
    facts = summary_list(page(shown))
    assert facts["Czego dotyczy"] == "Złożenie uwagi"
    expected = hashlib.sha256(
        json.dumps([comment.body, "", "", ""], sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    ).hexdigest()
    assert facts["SHA-256 treści"] == expected


def test_the_json_receipt_can_be_recomputed_by_anyone(db, client):
    consultation = make_consultation(db)
    comment = make_comment(db, consultation)
    seq = client.get(f"/receipts/comment/{comment.id}", follow_redirects=False).headers["location"].rsplit("/", 1)[1]
    response = client.get(f"/receipts/{seq}.json")
    assert response.status_code == 200
    assert "attachment" in response.headers["content-disposition"]
    data = response.json()
    assert data["ledger_seq"] == int(seq)
    assert recomputed_hash(data) == data["hash"]
    data["event"]["payload"]["sha256"] = "0" * 64  # a forged text hash no longer matches
    assert recomputed_hash(data) != data["hash"]


def test_events_that_are_not_submissions_have_no_receipt(db, client):
    make_consultation(db)  # its creation is ledger event 1…
    assert client.get("/receipts/1").status_code == 404
    assert client.get("/receipts/999999").status_code == 404
    assert client.get("/receipts/user/1").status_code == 404


def test_the_author_finds_the_receipt_under_their_comment(db, client):
    from tests.factories import make_organisation, make_user, paragraph_by_label, signed_in

    consultation = make_consultation(db)
    author = make_user(db)
    ngo = make_organisation(db, admin=author, verified=True)
    paragraph = paragraph_by_label(db, consultation, "§ 6 ust. 1")
    comment = make_comment(db, consultation, author=author, organisation=ngo, paragraph=paragraph)
    signed_in(client, author)
    html = page(client.get(f"/comments/{comment.id}", follow_redirects=True))
    links = [a.get("href") for a in html.select(f"#comment-{comment.id} .comment-actions a")]
    assert any(link.endswith(f"/receipts/comment/{comment.id}") for link in links)
