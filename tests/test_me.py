"""My page: open consultations (ours first), what our organisation submitted with the answers, co-signatures, votes."""

from __future__ import annotations

from datetime import timedelta

import pytest

from consult.answers.actions import AnswerInput, answer_contribution
from consult.cosign.actions import CosignInput, cosign_contribution, load_contribution
from consult.me.actions import my_page, serves
from consult.models import Organisation
from consult.proposals.votes import cast_vote
from consult.records.actions import RecordInput, publish_record
from tests.factories import (
    add_member,
    close_consultation,
    make_comment,
    make_consultation,
    make_official,
    make_organisation,
    make_proposal,
    make_user,
    paragraph_by_label,
    principal,
    signed_in,
)
from tests.html import page


@pytest.fixture
def world(db):
    """KGW Wierzbno (area "Gmina Wierzbno") and its admin Ewa; an open consultation in Wierzbno and one elsewhere."""
    official, wierzbno = make_official(db)
    wierzbno.name = "Gmina Wierzbno"
    db.add(wierzbno)
    db.commit()
    here = make_consultation(
        db, official=official, municipality=wierzbno, title="Program Wierzbna 2027", lasts=timedelta(days=30)
    )
    elsewhere = make_consultation(db, title="Program Olszyna 2027", lasts=timedelta(days=20))  # closes sooner
    ewa = make_user(db, email="ewa.kgw@example.pl", display_name="Ewa Kowal")
    kgw = make_organisation(db, admin=ewa, verified=True, name="KGW Wierzbno", area_served="Gmina Wierzbno")
    return official, wierzbno, here, elsewhere, ewa, kgw


def test_consultations_where_our_organisation_works_come_first(db, world):
    _official, _wierzbno, here, elsewhere, ewa, _kgw = world
    titles = [item.consultation.title for item in my_page(db, principal(db, ewa)).consultations]
    assert titles == [here.title, elsewhere.title]
    assert [item.ours for item in my_page(db, principal(db, ewa)).consultations] == [True, False]


@pytest.mark.parametrize(
    ("area", "municipality", "expected"),
    [
        ("Gmina Wierzbno", "Gmina Wierzbno", True),
        ("Wierzbno i okolice", "Gmina Wierzbno", True),
        ("Powiat wierzbnowski", "Gmina Wierzbno", True),  # the county's organisations work in its gminas
        ("Łódź", "Miasto Łódź", True),
        ("Olszanka", "Gmina Wierzbno", False),
    ],
)
def test_an_organisation_serves_the_municipality_its_area_names(area, municipality, expected):
    assert serves(area, Organisation(name=municipality, slug="x", kind="municipality")) is expected


def test_what_we_submitted_shows_the_answer_and_the_record_once_published(db, client, world):
    official, _wierzbno, here, _elsewhere, ewa, kgw = world
    paragraph = paragraph_by_label(db, here, "§ 6 ust. 1")
    comment = make_comment(db, here, author=ewa, organisation=kgw, paragraph=paragraph, body="Dłuższy termin naboru.")
    proposal = make_proposal(db, here, author=ewa, organisation=kgw, title="Dożynki gminne")
    signed_in(client, ewa)
    html = page(client.get("/me"))
    item = html.one(f"#my-comment-{comment.id}")
    assert "§ 6 ust. 1" in item.one("h3").text and "KGW Wierzbno" in item.one(".meta").text
    assert item.one(".awaiting").text == "The municipality answers after the consultation closes."
    assert html.one(f"#my-proposal-{proposal.id} h3").text == "Proposal: Dożynki gminne"

    close_consultation(db, here)
    answer = AnswerInput(position="partly_accepted", justification="Termin wydłużony do 21 dni.")
    answer_contribution(db, principal(db, official), here, ("comment", comment.id), answer)
    answer_contribution(db, principal(db, official), here, ("proposal", proposal.id), AnswerInput(position="accepted"))
    html = page(client.get("/me"))
    assert html.one(f"#my-comment-{comment.id}-answer .position").text == "partly accepted"
    assert "Termin wydłużony do 21 dni." in html.one(f"#my-comment-{comment.id}-answer").text
    assert not [a for a in html.select(f"#my-comment-{comment.id} a") if a.text == "The consultation record"]

    publish_record(db, principal(db, official), here, RecordInput())
    links = {a.text: a.get("href") for a in page(client.get("/me")).select(f"#my-comment-{comment.id} a")}
    assert links["The consultation record"] == f"/consultations/{here.slug}/record"
    assert links["Receipt"] == f"/receipts/comment/{comment.id}"
    assert links["See it in the consultation"] == f"/comments/{comment.id}"


def test_votes_and_co_signatures_of_our_organisation_are_listed(db, client, world):
    _official, _wierzbno, here, _elsewhere, ewa, kgw = world
    proposal = make_proposal(db, here, title="Festyn rodzinny")
    other = make_comment(db, here, body="Uwaga innej organizacji.")
    cast_vote(db, principal(db, ewa), proposal, kgw.id, "against")
    cosign_contribution(
        db, principal(db, ewa), load_contribution(db, "comment", other.id), CosignInput(organisation_id=kgw.id)
    )
    signed_in(client, ewa)
    html = page(client.get("/me"))
    votes = [li.text for li in html.select("section[aria-labelledby=me-votes] li")]
    assert len(votes) == 1 and "Festyn rodzinny" in votes[0] and "Vote of KGW Wierzbno: against" in votes[0]
    assert html.select(f"section[aria-labelledby=me-cosigned] #my-comment-{other.id}")
    assert not html.select(f"section[aria-labelledby=me-submitted] #my-comment-{other.id}")


def test_a_resident_without_an_organisation_sees_their_own_comments(db, client):
    official, municipality = make_official(db)
    consultation = make_consultation(db, official=official, municipality=municipality, participation="signed_in")
    anna = make_user(db, email="mieszkanka@example.pl")
    from consult.comments.actions import CommentInput, submit_comment
    from consult.consultations.actions import gate_for, get_or_create_thread

    thread = get_or_create_thread(db, consultation, None)
    gate = gate_for(consultation, db.get(Organisation, municipality.id))
    mine = submit_comment(db, principal(db, anna), thread.id, gate, CommentInput(body="Więcej ławek w parku."))
    signed_in(client, anna)
    html = page(client.get("/me"))
    assert "in my own name" in html.one(f"#my-comment-{mine.id} .meta").text
    assert html.one("#me-submitted").text == "What I submitted and the answers"
    assert not html.select("#me-votes")


def test_logging_in_lands_on_my_page_and_the_header_links_to_it(db, client):
    user = make_user(db)
    response = client.login(user.email)
    assert response.headers["location"] == "/me"
    nav = [a.get("href") for a in page(client.get("/me")).select(".main-nav a")]
    assert "/me" in nav


def test_my_page_costs_the_same_queries_with_one_and_ten_contributions(app, db, client, world):
    from sqlalchemy import event

    _official, _wierzbno, here, _elsewhere, ewa, kgw = world
    signed_in(client, ewa)

    def statements() -> int:
        seen: list[str] = []
        listener = lambda *args: seen.append(args[2])  # noqa: E731
        event.listen(app.state.engine, "before_cursor_execute", listener)
        try:
            assert client.get("/me").status_code == 200
        finally:
            event.remove(app.state.engine, "before_cursor_execute", listener)
        return len(seen)

    make_comment(db, here, author=ewa, organisation=kgw, paragraph=paragraph_by_label(db, here, "§ 6 ust. 1"))
    make_proposal(db, here, author=ewa, organisation=kgw)
    one = statements()
    for n in range(9):
        colleague = make_user(db)
        add_member(db, kgw, colleague)
        make_comment(db, here, author=colleague, organisation=kgw, paragraph=paragraph_by_label(db, here, "§ 6 ust. 1"))
        make_proposal(db, here, author=ewa, organisation=kgw, title=f"Wniosek {n}")
    assert statements() == one
