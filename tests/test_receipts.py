"""Receipts: an organisation can prove that its submission reached the server in time."""

from __future__ import annotations

import hashlib
import json

import pytest

from consult.models import User, Vote
from consult.proposals.votes import cast_vote
from consult.receipts.actions import RECEIPTS_BY_SUBJECT, recomputed_hash
from tests.factories import (
    add_member,
    ledger_events,
    make_admin,
    make_comment,
    make_consultation,
    make_organisation,
    make_proposal,
    make_user,
    paragraph_by_label,
    principal,
)
from tests.html import page, summary_list


def as_author(client, db, comment):
    client.login(db.get(User, comment.author_id).email)
    return client


def test_a_comment_has_a_receipt_with_its_text_hash_and_ledger_position(db, client):
    consultation = make_consultation(db)
    comment = make_comment(db, consultation, body="Prosimy o dłuższy termin naboru.")
    as_author(client, db, comment)
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
    as_author(client, db, comment)
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


# --- who sees a receipt: the ledger names the actor by user id ----------------------------


@pytest.fixture
def vote_of_razem(db):
    """Stowarzyszenie Razem's vote on a proposal, cast by its admin Ewa: the vote, Ewa, the NGO, the consultation."""
    consultation = make_consultation(db)
    proposal = make_proposal(db, consultation)
    ewa = make_user(db, email="ewa.nowak@example.pl")
    razem = make_organisation(db, admin=ewa, verified=True, name="Stowarzyszenie Razem")
    vote = cast_vote(db, principal(db, ewa), proposal, razem.id, "for")
    return vote, ewa, razem, consultation


def receipt_path(client, vote: Vote) -> str:
    return client.get(f"/receipts/vote/{vote.id}", follow_redirects=False).headers["location"]


def test_a_vote_receipt_does_not_tell_a_stranger_who_voted(client, other_client, db, vote_of_razem):
    vote, ewa, _, _ = vote_of_razem
    stranger = make_user(db)
    client.login(ewa.email)
    path = receipt_path(client, vote)
    assert client.get(f"{path}.json").json()["event"]["actor"] == ewa.id  # the voter's own copy verifies
    assert other_client.get(path).status_code == 404
    assert other_client.get(f"{path}.json").status_code == 404
    other_client.login(stranger.email)
    assert other_client.get(path).status_code == 404
    assert other_client.get(f"{path}.json").status_code == 404


def test_a_vote_receipt_is_shown_to_the_organisations_members_and_admins(client, db, vote_of_razem):
    vote, ewa, razem, _ = vote_of_razem
    colleague = make_user(db, email="jan.kowal@example.pl")
    add_member(db, razem, colleague)
    admin = make_admin(db)
    client.login(ewa.email)
    path = receipt_path(client, vote)
    client.submit("/logout")
    for viewer in (colleague, admin):
        client.login(viewer.email)
        assert client.get(path).status_code == 200
        client.submit("/logout")


@pytest.mark.parametrize("kind", sorted(RECEIPTS_BY_SUBJECT))
def test_no_receipt_of_any_kind_is_shown_to_someone_signed_out(client, db, vote_of_razem, kind):
    vote, _, _, consultation = vote_of_razem
    make = {
        "comment": lambda: make_comment(db, consultation).id,
        "proposal": lambda: make_proposal(db, consultation).id,
        "vote": lambda: vote.id,
    }
    response = client.get(f"/receipts/{kind}/{make[kind]()}", follow_redirects=False)
    assert response.status_code == 303
    assert client.get(response.headers["location"]).status_code == 404


# --- the receipt a volunteer reads and prints, and the e-mail with it ----------------------------


@pytest.fixture
def kgw_comment(db):
    """KGW Wierzbno's comment on § 6 ust. 1, by its admin Ewa, with the fields of the official form."""
    consultation = make_consultation(db, title="Program współpracy Wierzbna na 2027 rok")
    ewa = make_user(db, email="ewa.kgw@example.pl")
    kgw = make_organisation(db, admin=ewa, verified=True, name="KGW Wierzbno")
    paragraph = paragraph_by_label(db, consultation, "§ 6 ust. 1")
    comment = make_comment(
        db,
        consultation,
        author=ewa,
        organisation=kgw,
        paragraph=paragraph,
        body="Dopisać warsztaty kulinarne dla seniorów.",
        justification="Seniorzy pytają o nie od dwóch lat.",
    )
    return comment, ewa, consultation


def test_the_receipt_shows_the_consultation_part_organisation_and_text_then_the_proof(db, client, kgw_comment):
    comment, ewa, consultation = kgw_comment
    client.login(ewa.email)
    html = page(client.get(f"/receipts/comment/{comment.id}"))
    facts = summary_list(html)
    assert facts["Konsultacja"] == consultation.title
    assert facts["Część dokumentu"] == "§ 6 ust. 1"
    assert facts["W imieniu"] == "KGW Wierzbno"
    assert " r., godz. " in facts["Otrzymano na serwerze"]  # the time written out in Polish
    texts = [dd.text for dd in html.select("dl.receipt-texts dd")]
    assert texts == ["Dopisać warsztaty kulinarne dla seniorów.", "Seniorzy pytają o nie od dwóch lat."]
    assert html.one(".receipt-match").text.startswith("SHA-256 treści powyżej")
    headings = [h.text for h in html.select("h2")]
    assert headings.index("Dowód") > headings.index("Treść, jaka wpłynęła")  # the proof beneath
    link = html.one(".receipt-links a").get("href")
    assert link == f"/comments/{comment.id}"


def test_the_receipt_of_an_edited_comment_keeps_the_text_as_first_received(db, client, kgw_comment):
    from consult.comments.actions import CommentInput, edit_comment
    from consult.consultations.actions import gate_for
    from consult.models import Organisation

    comment, ewa, consultation = kgw_comment
    municipality = db.get(Organisation, consultation.organisation_id)
    data = CommentInput(body="Zupełnie inna treść.", organisation_id=comment.organisation_id)
    edit_comment(db, principal(db, ewa), comment, gate_for(consultation, municipality), data)
    client.login(ewa.email)
    seq = min(e.seq for e in ledger_events(db, "comment.submitted") if e.subject_id == str(comment.id))
    html = page(client.get(f"/receipts/{seq}"))
    assert html.select("dl.receipt-texts dd")[0].text == "Dopisać warsztaty kulinarne dla seniorów."


def test_the_receipt_has_a_print_stylesheet_that_drops_the_navigation(client):
    css = client.get("/static/css/consult.css").text
    print_rules = " ".join(block for block in css.split("@media print")[1:])
    assert ".site-header" in print_rules and ".receipt-links" in print_rules


def test_posting_a_comment_mails_its_author_the_receipt(db, client, mailbox):
    consultation = make_consultation(db, title="Program współpracy Wierzbna na 2027 rok")
    ewa = make_user(db, email="ewa.mail@example.pl")
    kgw = make_organisation(db, admin=ewa, verified=True, name="KGW Wierzbno")
    client.login(ewa.email)
    posted = client.submit(
        f"/consultations/{consultation.slug}/comments",
        {"paragraph": "", "organisation_id": str(kgw.id), "body": "Prosimy o spotkanie konsultacyjne."},
        follow_redirects=False,
    )
    assert posted.status_code == 303
    message = mailbox.last_to("ewa.mail@example.pl")
    text = message.get_content()
    assert message["Subject"].startswith("Potwierdzenie nr ") and consultation.title in message["Subject"]
    for expected in (consultation.title, "Cały dokument", "KGW Wierzbno", "Prosimy o spotkanie konsultacyjne."):
        assert expected in text
    assert " r., godz. " in text and "SHA-256" in text
    receipt = client.get(mailbox.link_in(message).replace("http://testserver", ""))
    assert receipt.status_code == 200 and "Prosimy o spotkanie konsultacyjne." in receipt.text


def test_submitting_a_proposal_mails_its_author_the_receipt(db, client, mailbox):
    consultation = make_consultation(db)
    ewa = make_user(db, email="ewa.wniosek@example.pl")
    kgw = make_organisation(db, admin=ewa, verified=True, name="KGW Wierzbno")
    client.login(ewa.email)
    response = client.submit(
        f"/consultations/{consultation.slug}/proposals/new",
        {"organisation_id": str(kgw.id), "title": "Dożynki gminne", "body": "Wsparcie organizacji dożynek."},
        follow_redirects=False,
    )
    assert response.status_code == 303
    text = mailbox.last_to("ewa.wniosek@example.pl").get_content()
    assert "Dożynki gminne" in text and "KGW Wierzbno" in text


def test_receipt_mails_past_their_limit_are_skipped_and_the_comment_still_stands(db, client, mailbox, monkeypatch):
    from datetime import timedelta

    from consult import throttle

    monkeypatch.setitem(throttle.LIMITS, "receipt.mail", (throttle.Limit(1, timedelta(hours=1)),))
    consultation = make_consultation(db)
    ewa = make_user(db, email="ewa.limit@example.pl")
    ngo = make_organisation(db, admin=ewa, verified=True)
    client.login(ewa.email)
    for body in ("Pierwsza uwaga.", "Druga uwaga."):
        data = {"paragraph": "", "organisation_id": str(ngo.id), "body": body}
        assert client.submit(f"/consultations/{consultation.slug}/comments", data).status_code == 200
    assert len([m for m in mailbox.messages if m["To"] == "ewa.limit@example.pl"]) == 1
    assert "Druga uwaga." in client.get(f"/consultations/{consultation.slug}").text
