"""Flags and the moderation queue: a reader reports a comment saying why; the municipality's officials (and the
platform's admins) find every flagged comment on their desk's queue, with each flag's reason and time, and hide it with
a public reason or keep it, dismissing its flags; each step in the ledger. Through HTTP, with and without htmx."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from sqlmodel import select

from consult.comments import flags
from consult.consultations.actions import gate_for
from consult.forms import DomainError
from consult.models import Comment, CommentFlag, Organisation, utcnow
from consult.records.actions import RecordInput, publish_record
from tests.factories import (
    close_consultation,
    ledger_events,
    make_admin,
    make_comment,
    make_consultation,
    make_official,
    make_organisation,
    make_user,
    principal,
    signed_in,
)
from tests.html import page

HTMX = {"HX-Request": "true"}
QUEUE = "/desk/moderation"


@pytest.fixture
def flagged(db):
    """An open consultation of Gmina Wierzbno, its official, a comment by one NGO and a member of another."""
    municipality = make_organisation(db, kind="municipality", name="Gmina Wierzbno", verified=True)
    official, _ = make_official(db, municipality, email="k.nowak@wierzbno.pl")
    consultation = make_consultation(db, official=official, municipality=municipality)
    author = make_user(db, display_name="Piotr Autor")
    ngo = make_organisation(db, admin=author, name="Stowarzyszenie Głośne", verified=True)
    comment = make_comment(db, consultation, author=author, organisation=ngo, body="Urzędnicy to złodzieje!")
    reader = make_user(db, display_name="Ewa Czytelniczka")
    make_organisation(db, admin=reader, name="Fundacja Spokojna", verified=True)
    return official, municipality, consultation, comment, reader


def flag_url(comment: Comment) -> str:
    return f"/comments/{comment.id}/flag"


def flag(db, reader, comment, consultation, category="offensive", reason="") -> CommentFlag:
    gate = gate_for(consultation, db.get(Organisation, consultation.organisation_id))
    return flags.flag_comment(
        db, principal(db, reader), comment, gate, flags.FlagInput(category=category, reason=reason)
    )


def stored(db, comment: Comment) -> Comment:
    db.expire_all()
    return db.get(Comment, comment.id)


# --- a reader reports a comment, saying why ------------------------------------------------------


def test_a_member_reports_a_comment_with_a_reason_and_the_official_finds_it_in_the_queue(db, client, flagged):
    official, _municipality, consultation, comment, reader = flagged
    signed_in(client, reader)

    form = page(client.get(flag_url(comment)))
    choices = [i.get("value") for i in form.select("input[name=category]")]
    assert choices == ["offensive", "personal_data", "spam", "off_topic", "other"]
    assert form.one("textarea[name=reason]") is not None
    sent = client.submit(flag_url(comment), {"category": "offensive", "reason": "Obraża urzędników."})
    assert sent.status_code == 200
    assert "Thank you. The moderators will look at this comment." in page(sent).one("main").text

    [stored_flag] = db.exec(select(CommentFlag)).all()
    assert stored_flag.reason == "offensive: Obraża urzędników."
    [event] = ledger_events(db, "comment.flagged")
    assert '"category":"offensive"' in event.payload and "Obraża" not in event.payload

    client.cookies.clear()
    signed_in(client, official)
    desk = page(client.get("/desk"))
    assert desk.one("#desk-moderation a").get("href") == QUEUE
    assert desk.one("#desk-moderation .count").text == "(1 open flag)"
    queue = page(client.get(QUEUE))
    item = queue.one(f"#moderation-comment-{comment.id}")
    assert "Stowarzyszenie Głośne" in item.one("h2").text
    assert item.one(".prose").text == "Urzędnicy to złodzieje!"
    [reported] = item.select(".flag-list li")
    assert reported.one(".flag-reason").text == "Offensive or abusive language: Obraża urzędników."
    assert reported.one("time").get("datetime")
    assert f"/comments/{comment.id}" in [a.get("href") for a in item.select("a")]
    assert consultation.title in item.text and "General discussion" in item.text
    assert "Ewa Czytelniczka" not in queue.text  # who reported it is not shown


def test_a_report_without_a_reason_is_refused_in_polish_keeping_the_text(db, client, flagged):
    _official, _municipality, _consultation, comment, reader = flagged
    signed_in(client, reader).cookies.set("consult_lang", "pl")

    nothing = client.submit(flag_url(comment), {"reason": "  "})
    other = client.submit(flag_url(comment), {"category": "other"})
    words_only = client.submit(flag_url(comment), {"category": "off_topic", "reason": "x" * 401})

    assert nothing.status_code == other.status_code == words_only.status_code == 422
    summary = page(nothing).one(".error-summary")
    assert "Podaj, dlaczego zgłaszasz tę uwagę" in summary.text
    assert summary.one("a").get("href") == f"#field-flag-{comment.id}-category"
    assert "Opisz problem w kilku słowach." in page(other).one(f"#field-flag-{comment.id}-reason-error").text
    assert page(other).one(f"#field-flag-{comment.id}-category-other").get("checked") is not None
    kept = page(words_only)
    assert kept.one("textarea[name=reason]").text == "x" * 401
    assert kept.one(f"#field-flag-{comment.id}-category-off_topic").get("checked") is not None
    assert db.exec(select(CommentFlag)).all() == []


def test_with_htmx_the_report_form_opens_in_place_of_the_comment(db, client, flagged):
    _official, _municipality, consultation, comment, reader = flagged
    signed_in(client, reader)

    opened = client.get(flag_url(comment) + "?heading=4", headers=HTMX)
    sent = client.submit(flag_url(comment), {"category": "spam"}, headers=HTMX)

    assert opened.template.name == "comments/_flag_form.html"
    form = page(opened).one(f"form#comment-{comment.id}")
    assert form.get("hx-target") == "this" and form.one("h4") is not None
    assert "<html" not in opened.text
    assert sent.template.name == "comments/_article.html"
    assert page(sent).one(f"article#comment-{comment.id} .notice").text.startswith("Thank you.")
    assert db.exec(select(CommentFlag.reason)).all() == ["spam"]


def test_an_empty_report_with_htmx_comes_back_as_the_form_with_the_words_kept(db, client, flagged):
    _official, _municipality, _consultation, comment, reader = flagged
    signed_in(client, reader)

    response = client.submit(flag_url(comment), {"category": "other", "reason": ""}, headers=HTMX)

    assert response.status_code == 422 and response.template.name == "comments/_flag_form.html"
    html = page(response)
    assert html.one(".error-summary") is not None
    assert html.one(f"#field-flag-{comment.id}-category-other").get("checked") is not None


def test_one_flag_per_person_and_comment_the_form_says_so_instead(db, client, flagged):
    _official, _municipality, consultation, comment, reader = flagged
    flag(db, reader, comment, consultation)
    signed_in(client, reader)

    shown = page(client.get(flag_url(comment)))
    again = client.submit(flag_url(comment), {"category": "spam"})

    assert shown.select("form.flag-form") == []
    assert "You have already flagged this comment." in shown.one("main").text
    assert again.status_code == 409
    assert len(db.exec(select(CommentFlag)).all()) == 1
    with pytest.raises(DomainError) as refused:
        flag(db, reader, comment, consultation, "spam")
    assert refused.value.status_code == 409


def test_the_author_and_the_moderators_are_not_offered_the_report(db, client, flagged):
    official, _municipality, consultation, comment, _reader = flagged
    author = db.get(type(official), comment.author_id)
    thread = f"/consultations/{consultation.slug}/discussion"
    for who in (author, official):
        client.cookies.clear()
        article = page(signed_in(client, who).get(thread))
        actions = article.one(f"#comment-{comment.id} .comment-actions")
        assert flag_url(comment) not in [a.get("href") for a in actions.select("a")], who.display_name
    client.cookies.clear()
    assert "You cannot flag your own comment." in page(signed_in(client, author).get(flag_url(comment))).text


def test_a_visitor_is_sent_to_log_in_to_report(client, flagged):
    *_rest, comment, _reader = flagged
    response = client.get(flag_url(comment), follow_redirects=False)
    assert response.status_code == 303 and urlsplit(response.headers["location"]).path == "/login"


# --- the queue: hide with a public reason, or keep ------------------------------------------------


def test_the_official_hides_a_flagged_comment_from_the_queue_without_javascript(db, client, flagged):
    official, _municipality, consultation, comment, reader = flagged
    flag(db, reader, comment, consultation, "offensive", "Obraża urzędników.")
    signed_in(client, official)
    hide = f"/desk/moderation/comments/{comment.id}/hide"

    empty = client.submit(hide, {"reason": ""}, follow_redirects=False)
    done = client.submit(hide, {"reason": "Obraźliwy język."}, follow_redirects=False)

    assert empty.status_code == 422 and empty.template.name == "desk/moderation.html"
    item = page(empty).one(f"#moderation-comment-{comment.id}")
    assert item.one(".error-summary").text.endswith("This field is required.")
    assert done.status_code == 303 and urlsplit(done.headers["location"]).path == QUEUE
    after = page(client.get(QUEUE))
    assert after.one("div.banner-success").text == "The comment is hidden. The reason is shown in its place."
    assert after.select(f"#moderation-comment-{comment.id}") == []
    assert after.one("#moderation-count").text == "No flag waits for you."
    hidden = stored(db, comment)
    assert (hidden.status, hidden.moderation_reason, hidden.moderated_by_id) == (
        "hidden",
        "Obraźliwy język.",
        official.id,
    )
    [event] = ledger_events(db, "comment.hidden")
    assert '"reason":"Obraźliwy język."' in event.payload
    public = page(client.get(f"/consultations/{consultation.slug}/discussion"))
    note = public.one(f"article#comment-{comment.id} .moderation-note").text
    assert note == "Hidden by the moderators. Reason: Obraźliwy język."


def test_the_official_hides_with_htmx_and_the_item_gives_way_to_a_notice(db, client, flagged):
    official, _municipality, consultation, comment, reader = flagged
    flag(db, reader, comment, consultation)
    signed_in(client, official)
    hide = f"/desk/moderation/comments/{comment.id}/hide"

    empty = client.submit(hide, {"reason": "ab"}, headers=HTMX)
    done = client.submit(hide, {"reason": "Dane osobowe."}, headers=HTMX)

    assert empty.status_code == 422 and empty.template.name == "desk/_moderation_item.html"
    assert page(empty).one(f"li#moderation-comment-{comment.id} input[name=reason]").get("value") == "ab"
    assert done.template.name == "desk/_moderation_done.html"
    html = page(done)
    assert html.one(f"li#moderation-comment-{comment.id} .notice").text.startswith("The comment is hidden.")
    count = html.one("#moderation-count")
    assert count.get("hx-swap-oob") == "true" and count.text == "No flag waits for you."


def test_keeping_a_comment_dismisses_its_flags_until_someone_flags_it_again(db, client, flagged):
    official, _municipality, consultation, comment, reader = flagged
    first = flag(db, reader, comment, consultation, "spam")
    second = flag(db, make_user(db), comment, consultation, "off_topic")
    signed_in(client, official)

    kept = client.submit(f"/desk/moderation/comments/{comment.id}/keep", headers=HTMX)

    assert kept.status_code == 200 and kept.template.name == "desk/_moderation_done.html"
    assert stored(db, comment).status == "visible"
    [event] = ledger_events(db, "comment.flags_dismissed")
    assert event.payload == f'{{"flags":[{first.id},{second.id}]}}' and event.actor_id == official.id
    assert page(client.get(QUEUE)).select(f"#moderation-comment-{comment.id}") == []
    assert len(db.exec(select(CommentFlag)).all()) == 2  # dismissed, not deleted
    twice = client.submit(f"/desk/moderation/comments/{comment.id}/keep", follow_redirects=False)
    assert twice.status_code == 409

    later = flag(db, make_user(db), comment, consultation, "personal_data", "Podaje numer telefonu.")
    item = page(client.get(QUEUE)).one(f"#moderation-comment-{comment.id}")
    assert [li.text for li in item.select(".flag-list .flag-reason")] == [
        "Someone's personal data: Podaje numer telefonu."
    ]
    assert later.id not in (first.id, second.id)


def test_each_official_sees_the_flags_of_their_municipality_and_the_admin_sees_all(db, client, flagged):
    official, _municipality, consultation, comment, reader = flagged
    elsewhere_official, elsewhere = make_official(db)
    elsewhere_consultation = make_consultation(db, official=elsewhere_official, municipality=elsewhere)
    far = make_comment(db, elsewhere_consultation, body="Komentarz gdzie indziej.")
    flag(db, reader, comment, consultation)
    flag(db, reader, far, elsewhere_consultation)

    seen = {}
    for who in (official, elsewhere_official, make_admin(db)):
        client.cookies.clear()
        html = page(signed_in(client, who).get(QUEUE))
        seen[who.email] = {int(li.get("id").rsplit("-", 1)[1]) for li in html.select("li.moderation-item")}
    assert list(seen.values()) == [{comment.id}, {far.id}, {comment.id, far.id}]
    client.cookies.clear()
    signed_in(client, elsewhere_official)
    refused = client.submit(f"/desk/moderation/comments/{comment.id}/hide", {"reason": "Nie moja gmina."})
    assert refused.status_code == 403 and stored(db, comment).status == "visible"


@pytest.mark.parametrize("who", ["resident", "ngo member"])
def test_the_queue_is_not_for_residents_or_ngo_members(db, client, flagged, who):
    _official, _municipality, consultation, comment, reader = flagged
    flag(db, reader, comment, consultation)
    person = make_user(db) if who == "resident" else reader
    signed_in(client, person)
    assert client.get(QUEUE).status_code == 403
    assert client.submit(f"/desk/moderation/comments/{comment.id}/keep").status_code == 403
    assert client.get("/desk").status_code == 403


def test_a_published_records_flags_leave_the_queue(db, client, flagged):
    official, _municipality, consultation, comment, reader = flagged
    flag(db, reader, comment, consultation)
    close_consultation(db, consultation)
    from consult.answers.actions import AnswerInput, answer_contribution

    answer_contribution(
        db,
        principal(db, official),
        consultation,
        ("comment", comment.id),
        AnswerInput(position="explained", justification="Nie dotyczy projektu."),
    )
    signed_in(client, official)
    assert len(page(client.get(QUEUE)).select("li.moderation-item")) == 1  # closed: still moderated until the record
    publish_record(db, principal(db, official), consultation, RecordInput())
    assert page(client.get(QUEUE)).select("li.moderation-item") == []
    assert page(client.get("/desk")).one("#desk-moderation .count").text == "(no open flags)"


def test_a_flag_waits_longest_first(db, client, flagged):
    official, _municipality, consultation, comment, reader = flagged
    newer = make_comment(db, consultation, body="Druga uwaga do zgłoszenia.")
    flag(db, reader, newer, consultation)
    old = flag(db, make_user(db), comment, consultation)
    old.created_at = utcnow() - timedelta(hours=2)
    db.add(old)
    db.commit()
    signed_in(client, official)
    ids = [li.get("id") for li in page(client.get(QUEUE)).select("li.moderation-item")]
    assert ids == [f"moderation-comment-{comment.id}", f"moderation-comment-{newer.id}"]
