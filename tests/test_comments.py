"""Comments on a consultation: posting on a paragraph, who may speak, the clock, threads, editing, withdrawing,
flags, moderation, the ledger and paging, through HTTP (with and without HTMX) and through the actions."""

from __future__ import annotations

import json
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from sqlmodel import select

from consult import ledger
from consult.comments import actions, flags
from consult.consultations.actions import gate_for, get_or_create_thread
from consult.forms import DomainError
from consult.models import Comment, CommentFlag, CommentRevision, Consultation, LedgerEvent, Organisation, utcnow
from tests.factories import (
    add_member,
    ledger_events,
    make_admin,
    make_comment,
    make_consultation,
    make_official,
    make_organisation,
    make_user,
    paragraph_by_label,
    principal,
    signed_in,
)
from tests.html import Element, page

HTMX = {"HX-Request": "true"}
LABEL = "§ 6 ust. 1 pkt 4"
CLOSED = "This consultation is closed. Comments can no longer be posted or changed."
NOT_OPEN = "This consultation has not opened yet. Comments can be posted once it opens."

# --- reading pages as a user sees them -------------------------------------------------------


def target(response) -> str:
    """Where a 303 sends the browser: path, query and anchor."""
    assert response.status_code == 303, (response.status_code, response.text[:500])
    parts = urlsplit(response.headers["location"])
    return parts.path + (f"?{parts.query}" if parts.query else "") + (f"#{parts.fragment}" if parts.fragment else "")


def field(html: Element, name: str) -> str:
    """What a form field on the page holds."""
    element = html.one(f"[name={name}]")
    if element.tag == "select":
        chosen = [o.get("value") for o in element.select("option[selected]")]
        return chosen[0] if chosen else ""
    return element.text if element.tag == "textarea" else element.get("value", "")


def error_of(html: Element, name: str) -> str:
    """The message beside a form field (field ids carry the form's prefix)."""
    [found] = [e for e in html.select("p.field-error") if e.get("id", "").endswith(f"-{name}-error")]
    return found.text


# --- people, places and posting --------------------------------------------------------------


def ngo_member(db, *, verified: bool = True, name: str = "Anna Kowalska", org: str | None = None):
    """A confirmed user and the NGO they belong to."""
    user = make_user(db, display_name=name)
    organisation = make_organisation(
        db, admin=user, verified=verified, name=org or f"Fundacja {name.split()[-1]}", kind="ngo"
    )
    return user, organisation


def paragraph_url(consultation, paragraph) -> str:
    return f"/consultations/{consultation.slug}/paragraphs/{paragraph.key}"


def discussion_url(consultation) -> str:
    return f"/consultations/{consultation.slug}/discussion"


def post_comment(client, consultation, body="Proponujemy dodać konsultacje online.", *, headers=None, **fields):
    data = {"paragraph": "", "organisation_id": "", "body": body, **fields}
    return client.submit(
        f"/consultations/{consultation.slug}/comments", data, headers=headers or {}, follow_redirects=False
    )


def set_window(db, consultation: Consultation, opens_in: timedelta, lasts: timedelta) -> None:
    """Move a consultation on the clock (comments were posted while it was open)."""
    consultation.opens_at = utcnow() + opens_in
    consultation.closes_at = consultation.opens_at + lasts
    db.add(consultation)
    db.commit()


def gate(db, consultation: Consultation):
    return gate_for(consultation, db.get(Organisation, consultation.organisation_id))


def fresh(db, comment: Comment) -> Comment:
    db.expire_all()
    return db.get(Comment, comment.id)


WINDOWS = {
    "scheduled": (timedelta(days=1), timedelta(days=21), NOT_OPEN),
    "closed": (timedelta(days=-30), timedelta(days=14), CLOSED),
}


# --- commenting on a paragraph ---------------------------------------------------------------


def test_paragraph_form_offers_the_current_wording_and_the_members_organisation(client, db):
    consultation = make_consultation(db)
    paragraph = paragraph_by_label(db, consultation, LABEL)
    user, organisation = ngo_member(db)
    signed_in(client, user)

    response = client.get(paragraph_url(consultation, paragraph))

    assert response.status_code == 200
    form = page(response).one(f"#thread-{paragraph.key}-form form")
    # without JavaScript a refused comment comes back scrolled to its form (the fragment of the address posted to)
    assert form.get("action") == f"/consultations/{consultation.slug}/comments#thread-{paragraph.key}-form"
    assert field(form, "current_wording") == " ".join(paragraph.text.split())
    assert field(form, "paragraph") == paragraph.key
    assert field(form, "organisation_id") == str(organisation.id)
    assert field(form, "justification") == field(form, "body") == ""
    # The fields of the form councils publish, in its order; the comment itself is the proposed wording or content.
    assert form.texts("label") == [
        "On behalf of",
        "Current wording (optional)",
        "Proposed wording or the content of the comment",
        "Justification (optional)",
    ]
    assert form.one(".form-part strong").text == LABEL


def test_post_paragraph_comment_redirects_to_its_anchor_and_shows_it(client, db):
    consultation = make_consultation(db)
    paragraph = paragraph_by_label(db, consultation, LABEL)
    user, organisation = ngo_member(db, org="Fundacja Równe Szanse")
    signed_in(client, user)

    response = post_comment(
        client,
        consultation,
        "Prosimy o **doprecyzowanie** zakresu.",
        paragraph=paragraph.key,
        organisation_id=str(organisation.id),
        current_wording=paragraph.text,
        proposed_wording="działalności na rzecz osób z niepełnosprawnością i ich opiekunów",
        justification="Opiekunowie także potrzebują wsparcia.",
    )

    comment = db.exec(select(Comment)).one()
    assert target(response) == f"{paragraph_url(consultation, paragraph)}?page=1#comment-{comment.id}"
    assert comment.organisation_id == organisation.id and comment.author_id == user.id
    shown = client.get(response.headers["location"])
    article = page(shown).one(f"article#comment-{comment.id}")
    assert "Fundacja Równe Szanse" in article.one("header").text
    wording = dict(zip([t.text for t in article.select("dt")], [d.text for d in article.select("dd")], strict=True))
    assert wording == {
        "Current wording": " ".join(paragraph.text.split()),
        "Proposed wording": "działalności na rzecz osób z niepełnosprawnością i ich opiekunów",
    }
    assert article.one(".justification").text == "Justification: Opiekunowie także potrzebują wsparcia."
    assert article.one(".prose strong").text == "doprecyzowanie"
    assert "Your comment is posted." in page(shown).text


def test_markdown_in_a_comment_is_sanitised(client, db):
    consultation = make_consultation(db)
    user, organisation = ngo_member(db)
    signed_in(client, user)

    body = (
        "Zob. [program](javascript:alert(1)) i [BIP](https://bip.example.pl) <script>alert(2)</script>\n\n"
        "<img src=x onerror=alert(3)> *ważne*"
    )
    response = post_comment(client, consultation, body, organisation_id=str(organisation.id))

    comment = db.exec(select(Comment)).one()
    article = page(client.get(response.headers["location"])).one(f"article#comment-{comment.id}")
    assert article.select("script") == [] and article.select("img") == []
    assert [a.get("href") for a in article.select(".prose a")] == ["https://bip.example.pl"]
    assert article.one(".prose em").text == "ważne"
    assert "<script" not in comment.body_html and 'href="javascript' not in comment.body_html


def test_post_comment_with_htmx_returns_the_comment_a_fresh_form_and_the_count(client, db):
    consultation = make_consultation(db)
    paragraph = paragraph_by_label(db, consultation, LABEL)
    user, organisation = ngo_member(db)
    signed_in(client, user)

    response = post_comment(
        client,
        consultation,
        "Uwaga do punktu.",
        headers=HTMX,
        paragraph=paragraph.key,
        organisation_id=str(organisation.id),
        current_wording=paragraph.text,
        justification="uzasadnienie",
    )

    assert response.status_code == 200
    assert response.template.name == "comments/_posted.html"
    comment = db.exec(select(Comment)).one()
    html = page(response)
    assert html.one(f"li#comment-{comment.id}-item article .prose").text == "Uwaga do punktu."
    fresh_form = html.one(f"#thread-{paragraph.key}-form")
    assert fresh_form.get("hx-swap-oob") == "true"
    assert field(fresh_form, "body") == field(fresh_form, "justification") == ""
    assert field(fresh_form, "current_wording") == " ".join(paragraph.text.split())
    link = html.one(f"#paragraph-{paragraph.key}-link")  # the paragraph's link: "Comment on this" until now
    assert link.get("hx-swap-oob") == "true" and link.text.replace(" ", "") == "Comments(1)"
    assert html.one(f"#paragraph-{paragraph.key}-count").text == "1"
    assert "<html" not in response.text


def test_comment_without_text_comes_back_with_what_was_typed(client, db):
    consultation = make_consultation(db)
    paragraph = paragraph_by_label(db, consultation, LABEL)
    user, organisation = ngo_member(db)
    signed_in(client, user)
    typed = {
        "paragraph": paragraph.key,
        "organisation_id": str(organisation.id),
        "current_wording": "brzmienie obecne, skrócone",
        "justification": "uzasadnienie wpisane",
    }

    plain = post_comment(client, consultation, "", **typed)
    htmx = post_comment(client, consultation, "", headers=HTMX, **typed)

    assert plain.status_code == htmx.status_code == 422
    assert plain.template.name == "consultations/thread.html"
    assert htmx.template.name == "comments/_form.html"
    assert htmx.headers["HX-Retarget"] == f"#thread-{paragraph.key}-form"
    for response in (plain, htmx):
        form = page(response).one(f"#thread-{paragraph.key}-form form")
        assert field(form, "current_wording") == "brzmienie obecne, skrócone"
        assert field(form, "justification") == "uzasadnienie wpisane"
        assert error_of(form, "body") == "Error: This field is required."
    assert db.exec(select(Comment)).all() == []


# --- who may speak ---------------------------------------------------------------------------


def test_member_of_unverified_organisation_is_refused_and_keeps_the_text(client, db):
    consultation = make_consultation(db)  # participation: verified organisations
    user, organisation = ngo_member(db, verified=False)
    signed_in(client, user)

    response = post_comment(client, consultation, "Tekst, którego szkoda.", organisation_id=str(organisation.id))

    assert response.status_code == 403
    assert field(page(response).one("#thread-general-form form"), "body") == "Tekst, którego szkoda."
    assert "Only verified organisations take part in this consultation." in page(response).text
    assert db.exec(select(Comment)).all() == []


def test_posting_for_someone_elses_organisation_is_refused(client, db):
    consultation = make_consultation(db)
    user, _own = ngo_member(db)
    _other_user, other = ngo_member(db, name="Jan Nowak", org="Stowarzyszenie Cudze")
    signed_in(client, user)

    response = post_comment(client, consultation, "Podszywam się.", organisation_id=str(other.id))

    assert response.status_code == 403
    assert "You can write only on behalf of an organisation you belong to." in page(response).text
    assert field(page(response).one("#thread-general-form form"), "body") == "Podszywam się."
    assert db.exec(select(Comment)).all() == []


def test_resident_comments_as_themselves_where_any_signed_in_user_may(client, db):
    consultation = make_consultation(db, participation="signed_in")
    resident = make_user(db, display_name="Piotr Mieszkaniec")
    signed_in(client, resident)

    form = page(client.get(discussion_url(consultation))).one("#thread-general-form form")
    response = post_comment(client, consultation, "Piszę jako mieszkaniec.")

    assert [o.get("value") for o in form.select("select[name=organisation_id] option")] == [""]
    comment = db.exec(select(Comment)).one()
    assert target(response) == f"{discussion_url(consultation)}?page=1#comment-{comment.id}"
    assert comment.organisation_id is None
    article = page(client.get(response.headers["location"])).one(f"article#comment-{comment.id}")
    assert article.one("header strong").text == "Piotr Mieszkaniec"


def test_resident_without_organisation_is_refused_where_only_verified_organisations_may(client, db):
    consultation = make_consultation(db)
    resident = make_user(db)
    signed_in(client, resident)

    response = post_comment(client, consultation, "Piszę jako mieszkaniec.")

    assert response.status_code == 403
    assert "Choose the organisation on whose behalf you write." in page(response).text
    assert field(page(response).one("#thread-general-form form"), "body") == "Piszę jako mieszkaniec."


def test_anonymous_comment_is_refused(client, db):
    consultation = make_consultation(db, participation="signed_in")
    client.cookies.set("consult_lang", "en")

    response = post_comment(client, consultation, "Anonim.")

    assert response.status_code in (401, 403) or "/login" in response.headers.get("location", "")
    assert db.exec(select(Comment)).all() == []


def test_unconfirmed_user_may_not_comment(db):
    consultation = make_consultation(db, participation="signed_in")
    user = make_user(db, confirmed=False)
    thread = get_or_create_thread(db, consultation, None)

    with pytest.raises(DomainError) as refused:
        actions.submit_comment(
            db, principal(db, user), thread.id, gate(db, consultation), actions.CommentInput(body="Nie potwierdziłem.")
        )

    assert refused.value.status_code == 403
    assert refused.value.message == "Confirm your e-mail address first: open the link we sent you."


# --- the clock -------------------------------------------------------------------------------


@pytest.mark.parametrize("window", ["scheduled", "closed"])
def test_new_comment_outside_the_window_is_refused_and_keeps_the_text(client, db, window):
    opens_in, lasts, message = WINDOWS[window]
    consultation = make_consultation(db, opens_in=opens_in, lasts=lasts)
    paragraph = paragraph_by_label(db, consultation, LABEL)
    user, organisation = ngo_member(db)
    signed_in(client, user)

    response = post_comment(
        client,
        consultation,
        "Spóźniona uwaga.",
        paragraph=paragraph.key,
        organisation_id=str(organisation.id),
        justification="moje uzasadnienie",
    )

    assert response.status_code == 409
    html = page(response)
    assert message in html.one(f"#thread-{paragraph.key}-form").text
    form = html.one(f"#thread-{paragraph.key}-form form")
    assert field(form, "body") == "Spóźniona uwaga."
    assert field(form, "justification") == "moje uzasadnienie"
    htmx = post_comment(
        client,
        consultation,
        "Spóźniona uwaga.",
        headers=HTMX,
        paragraph=paragraph.key,
        organisation_id=str(organisation.id),
    )
    assert htmx.status_code == 409 and htmx.headers["HX-Retarget"] == f"#thread-{paragraph.key}-form"
    assert field(page(htmx).one(f"#thread-{paragraph.key}-form form"), "body") == "Spóźniona uwaga."
    assert db.exec(select(Comment)).all() == []


@pytest.mark.parametrize("window", ["scheduled", "closed"])
def test_reply_outside_the_window_is_refused_and_keeps_the_text(client, db, window):
    opens_in, lasts, message = WINDOWS[window]
    consultation = make_consultation(db)
    comment = make_comment(db, consultation)
    user, organisation = ngo_member(db)
    set_window(db, consultation, opens_in, lasts)
    signed_in(client, user)

    response = client.submit(
        f"/comments/{comment.id}/reply",
        {"body": "Odpowiedź po czasie.", "organisation_id": str(organisation.id)},
        follow_redirects=False,
    )

    assert response.status_code == 409
    assert message in page(response).one(".error-summary").text
    assert field(page(response).one(f"#comment-{comment.id}-reply-form form"), "body") == "Odpowiedź po czasie."
    assert len(db.exec(select(Comment)).all()) == 1


@pytest.mark.parametrize("window", ["scheduled", "closed"])
def test_edit_outside_the_window_is_refused_and_keeps_the_text(client, db, window):
    opens_in, lasts, message = WINDOWS[window]
    consultation = make_consultation(db)
    user, organisation = ngo_member(db)
    comment = make_comment(db, consultation, author=user, organisation=organisation, body="Pierwsza wersja.")
    set_window(db, consultation, opens_in, lasts)
    signed_in(client, user)

    response = client.submit(f"/comments/{comment.id}/edit", {"body": "Poprawka po czasie."}, follow_redirects=False)

    assert response.status_code == 409
    assert message in page(response).one(".error-summary").text
    assert field(page(response).one(f"form#comment-{comment.id}"), "body") == "Poprawka po czasie."
    assert fresh(db, comment).body == "Pierwsza wersja."


@pytest.mark.parametrize("window", ["scheduled", "closed"])
@pytest.mark.parametrize("verb", ["withdraw", "flag"])
def test_withdraw_and_flag_outside_the_window_are_refused(client, db, window, verb):
    opens_in, lasts, message = WINDOWS[window]
    consultation = make_consultation(db)
    author, organisation = ngo_member(db)
    comment = make_comment(db, consultation, author=author, organisation=organisation)
    reader = make_user(db)
    set_window(db, consultation, opens_in, lasts)
    signed_in(client, author if verb == "withdraw" else reader)

    response = client.submit(f"/comments/{comment.id}/{verb}", follow_redirects=False)

    assert response.status_code == 409
    assert message in page(response).one("main").text
    assert fresh(db, comment).status == "visible"
    assert db.exec(select(CommentFlag)).all() == []


def test_sixth_comment_within_a_minute_is_refused_and_keeps_the_text(client, db):
    consultation = make_consultation(db)
    user, organisation = ngo_member(db)
    for n in range(5):
        make_comment(db, consultation, author=user, organisation=organisation, body=f"Uwaga {n}.")
    signed_in(client, user)

    response = post_comment(client, consultation, "Szósta uwaga.", organisation_id=str(organisation.id))

    assert response.status_code == 429
    assert "You are posting too quickly. Wait a moment and try again." in page(response).text
    assert field(page(response).one("#thread-general-form form"), "body") == "Szósta uwaga."
    assert len(db.exec(select(Comment)).all()) == 5


# --- threads ---------------------------------------------------------------------------------


def test_replies_nest_four_levels_then_say_whom_they_answer(client, db):
    consultation = make_consultation(db)
    paragraph = paragraph_by_label(db, consultation, LABEL)
    names = ["Anna Root", "Bogdan Jeden", "Celina Dwa", "Dariusz Trzy", "Ewa Cztery", "Filip Pięć"]
    chain: list[Comment] = []
    for n, name in enumerate(names):
        author, organisation = ngo_member(db, name=name)
        parent = chain[-1] if chain else None
        chain.append(
            make_comment(
                db,
                consultation,
                author=author,
                organisation=organisation,
                paragraph=paragraph,
                parent=parent,
                body=f"Poziom {n}.",
            )
        )
    assert [c.depth for c in chain] == [0, 1, 2, 3, 4, 5]

    html = page(client.get(paragraph_url(consultation, paragraph)))

    for upper, lower in zip(chain[:2], chain[1:3], strict=True):
        assert [li.get("id") for li in html.one(f"ol#comment-{upper.id}-replies").items()] == [
            f"comment-{lower.id}-item"
        ]
    level_three = html.one(f"li#comment-{chain[3].id}-item")
    assert level_three.select("ol.replies") == [] and level_three.select(".in-reply-to") == []
    assert [li.get("id") for li in html.one(f"ol#comment-{chain[2].id}-replies").items()] == [
        f"comment-{c.id}-item" for c in chain[3:]
    ]
    for deeper, parent, name in ((chain[4], chain[3], "Dariusz Trzy"), (chain[5], chain[4], "Ewa Cztery")):
        link = html.one(f"article#comment-{deeper.id} .in-reply-to a")
        assert link.get("href") == f"#comment-{parent.id}" and link.text == name


def test_plain_reply_redirects_to_its_anchor(client, db):
    consultation = make_consultation(db)
    paragraph = paragraph_by_label(db, consultation, LABEL)
    comment = make_comment(db, consultation, paragraph=paragraph)
    user, organisation = ngo_member(db, name="Jan Odpowiadający")
    signed_in(client, user)

    form = page(client.get(f"/comments/{comment.id}/reply")).one(f"#comment-{comment.id}-reply-form form")
    response = client.submit(
        form.get("action"),
        {"body": "Zgadzamy się.", "organisation_id": field(form, "organisation_id")},
        follow_redirects=False,
    )

    reply = db.exec(select(Comment).where(Comment.parent_id == comment.id)).one()
    assert target(response) == f"{paragraph_url(consultation, paragraph)}?page=1#comment-{reply.id}"
    assert reply.organisation_id == organisation.id and reply.depth == 1
    shown = page(client.get(response.headers["location"]))
    assert shown.one(f"ol#comment-{comment.id}-replies li#comment-{reply.id}-item .prose").text == "Zgadzamy się."


def test_reply_with_htmx_returns_the_reply_to_insert(client, db):
    consultation = make_consultation(db)
    comment = make_comment(db, consultation)
    user, organisation = ngo_member(db)
    signed_in(client, user)

    response = client.submit(
        f"/comments/{comment.id}/reply", {"body": "Krótko.", "organisation_id": str(organisation.id)}, headers=HTMX
    )

    assert response.status_code == 200 and response.template.name == "comments/_reply_posted.html"
    reply = db.exec(select(Comment).where(Comment.parent_id == comment.id)).one()
    html = page(response)
    assert html.one(f"li#comment-{reply.id}-item .prose").text == "Krótko."
    assert html.one(f"#comment-{comment.id}-reply-slot").get("hx-swap-oob") == "true"


def test_empty_reply_with_htmx_replaces_its_own_form(client, db):
    consultation = make_consultation(db)
    comment = make_comment(db, consultation)
    user, organisation = ngo_member(db)
    signed_in(client, user)

    response = client.submit(
        f"/comments/{comment.id}/reply", {"body": "", "organisation_id": str(organisation.id)}, headers=HTMX
    )

    assert response.status_code == 422 and response.template.name == "comments/_reply_form.html"
    assert response.headers["HX-Retarget"] == f"#comment-{comment.id}-reply-form"
    assert response.headers["HX-Reswap"] == "outerHTML"
    form = page(response).one(f"#comment-{comment.id}-reply-form form")
    assert error_of(form, "body") == "Error: This field is required."
    assert field(form, "organisation_id") == str(organisation.id)


def test_late_reply_goes_to_the_page_of_all_replies(client, db):
    consultation = make_consultation(db)
    root = make_comment(db, consultation, body="Korzeń dyskusji.")
    for n in range(actions.REPLIES_PER_ROOT):
        make_comment(db, consultation, parent=root, body=f"Odpowiedź {n}.")
    user, organisation = ngo_member(db)
    signed_in(client, user)

    response = client.submit(
        f"/comments/{root.id}/reply",
        {"body": "Dziewiąta odpowiedź.", "organisation_id": str(organisation.id)},
        follow_redirects=False,
    )

    late = db.exec(select(Comment).where(Comment.body == "Dziewiąta odpowiedź.")).one()
    assert target(response) == f"/comments/{root.id}/replies?page=1#comment-{late.id}"
    replies = page(client.get(response.headers["location"]))
    assert replies.one(f"article#comment-{late.id} .prose").text == "Dziewiąta odpowiedź."
    thread = page(client.get(discussion_url(consultation)))
    more = thread.one(f"li#comment-{root.id}-item .more-replies a")
    assert more.text == "Show all 9 replies" and more.get("href") == f"/comments/{root.id}/replies"
    assert thread.select(f"#comment-{late.id}") == []


# --- editing ---------------------------------------------------------------------------------


def test_author_edits_and_the_history_keeps_the_earlier_version(client, db):
    consultation = make_consultation(db)
    paragraph = paragraph_by_label(db, consultation, LABEL)
    user, organisation = ngo_member(db)
    comment = make_comment(
        db,
        consultation,
        author=user,
        organisation=organisation,
        paragraph=paragraph,
        body="Pierwsza wersja.",
        proposed_wording="stare brzmienie",
    )
    signed_in(client, user)

    form = page(client.get(f"/comments/{comment.id}/edit")).one(f"form#comment-{comment.id}")
    assert field(form, "body") == "Pierwsza wersja." and field(form, "proposed_wording") == "stare brzmienie"
    response = client.submit(
        f"/comments/{comment.id}/edit",
        {"body": "Druga wersja.", "proposed_wording": "nowe brzmienie", "current_wording": paragraph.text},
        follow_redirects=False,
    )

    assert target(response) == f"{paragraph_url(consultation, paragraph)}?page=1#comment-{comment.id}"
    article = page(client.get(response.headers["location"])).one(f"article#comment-{comment.id}")
    assert article.one(".prose").text == "Druga wersja."
    edited = [a for a in article.select("header a") if a.text == "edited"]
    assert [a.get("href") for a in edited] == [f"/comments/{comment.id}/history"]
    history = page(client.get(f"/comments/{comment.id}/history"))
    revision = history.one("section.revision")
    assert revision.one(".prose").text == "Pierwsza wersja."
    assert "stare brzmienie" in revision.one("dl.wording").text
    assert history.one(f"article#comment-{comment.id} .prose").text == "Druga wersja."
    assert [r.revision for r in db.exec(select(CommentRevision)).all()] == [1]


def test_edit_with_htmx_returns_the_updated_comment(client, db):
    consultation = make_consultation(db)
    user, organisation = ngo_member(db)
    comment = make_comment(db, consultation, author=user, organisation=organisation, body="Przed.")
    signed_in(client, user)

    response = client.submit(f"/comments/{comment.id}/edit", {"body": "Po *zmianie*."}, headers=HTMX)

    assert response.status_code == 200 and response.template.name == "comments/_article.html"
    article = page(response).one(f"article#comment-{comment.id}")
    assert article.one(".prose em").text == "zmianie"
    assert article.one(".notice").text == "Your changes are saved."


def test_only_the_author_edits(client, db):
    consultation = make_consultation(db)
    comment = make_comment(db, consultation, body="Moje zdanie.")
    other, _organisation = ngo_member(db)
    signed_in(client, other)

    shown = client.get(f"/comments/{comment.id}/edit", follow_redirects=False)
    posted = client.submit(f"/comments/{comment.id}/edit", {"body": "Cudze zdanie."}, follow_redirects=False)

    assert shown.status_code == posted.status_code == 403
    assert fresh(db, comment).body == "Moje zdanie."


# --- withdrawing -----------------------------------------------------------------------------


def test_author_withdraws_and_the_mark_stays_without_the_text(client, db):
    consultation = make_consultation(db)
    user, organisation = ngo_member(db)
    comment = make_comment(db, consultation, author=user, organisation=organisation, body="Wycofuję to zdanie.")
    signed_in(client, user)

    response = client.submit(f"/comments/{comment.id}/withdraw", follow_redirects=False)

    assert target(response) == f"{discussion_url(consultation)}?page=1#comment-{comment.id}"
    html = client.get(response.headers["location"])
    article = page(html).one(f"article#comment-{comment.id}")
    assert article.one(".moderation-note").text == "Withdrawn by the author."
    assert "Wycofuję to zdanie." not in html.text
    assert fresh(db, comment).status == "withdrawn"
    again = client.submit(f"/comments/{comment.id}/edit", {"body": "Jednak nie."}, follow_redirects=False)
    assert again.status_code == 409
    assert fresh(db, comment).body == "Wycofuję to zdanie."


def test_withdrawn_comment_does_not_show_its_earlier_versions(client, db):
    consultation = make_consultation(db)
    user, organisation = ngo_member(db)
    comment = make_comment(db, consultation, author=user, organisation=organisation, body="Pierwotne zdanie.")
    actions.edit_comment(
        db, principal(db, user), comment, gate(db, consultation), actions.CommentInput(body="Poprawione zdanie.")
    )
    actions.withdraw_comment(db, principal(db, user), comment, gate(db, consultation))

    thread = client.get(discussion_url(consultation))
    history = client.get(f"/comments/{comment.id}/history")

    assert "Pierwotne zdanie." not in thread.text and "Poprawione zdanie." not in thread.text
    assert "Pierwotne zdanie." not in history.text and "Poprawione zdanie." not in history.text


def test_only_the_author_withdraws(client, db):
    consultation = make_consultation(db)
    comment = make_comment(db, consultation)
    other, _organisation = ngo_member(db)
    signed_in(client, other)

    response = client.submit(f"/comments/{comment.id}/withdraw", follow_redirects=False)

    assert response.status_code == 403
    assert fresh(db, comment).status == "visible"


# --- flags -----------------------------------------------------------------------------------


def test_user_flags_a_comment_once(client, db):
    consultation = make_consultation(db)
    comment = make_comment(db, consultation)
    reader = make_user(db)
    signed_in(client, reader)

    first = client.submit(f"/comments/{comment.id}/flag", {"reason": "Obraźliwe."}, follow_redirects=False)
    second = client.submit(f"/comments/{comment.id}/flag", follow_redirects=False)

    assert target(first) == f"{discussion_url(consultation)}?page=1#comment-{comment.id}"
    assert second.status_code == 409
    assert "You have already flagged this comment." in page(second).one("main").text
    flag = db.exec(select(CommentFlag)).one()
    assert (flag.comment_id, flag.user_id) == (comment.id, reader.id)
    [event] = ledger_events(db, "comment.flagged")
    assert (event.subject_id, event.actor_id) == (str(comment.id), reader.id)
    assert "Obraźliwe" not in event.payload


def test_author_cannot_flag_their_own_comment(client, db):
    consultation = make_consultation(db)
    user, organisation = ngo_member(db)
    comment = make_comment(db, consultation, author=user, organisation=organisation)
    signed_in(client, user)

    response = client.submit(f"/comments/{comment.id}/flag", follow_redirects=False)

    assert response.status_code == 409
    assert "You cannot flag your own comment." in page(response).one("main").text
    assert db.exec(select(CommentFlag)).all() == []


# --- moderation ------------------------------------------------------------------------------


@pytest.mark.parametrize("moderator", ["official", "admin"])
def test_moderator_hides_with_a_public_reason_and_restores(client, db, moderator):
    official, municipality = make_official(db)
    consultation = make_consultation(db, official=official, municipality=municipality)
    comment = make_comment(db, consultation, body="Numer PESEL 80010112345.")
    signed_in(client, official if moderator == "official" else make_admin(db))

    form = client.get(f"/comments/{comment.id}/hide")
    empty = client.submit(f"/comments/{comment.id}/hide", {"reason": ""}, follow_redirects=False)
    hidden = client.submit(f"/comments/{comment.id}/hide", {"reason": "Dane osobowe."}, follow_redirects=False)

    assert form.status_code == 200 and page(form).select("form [name=reason]")
    assert empty.status_code == 422
    assert error_of(page(empty), "reason") == "Error: This field is required."
    html = client.get(hidden.headers["location"])
    article = page(html).one(f"article#comment-{comment.id}")
    assert article.one(".moderation-note").text == "Hidden by the moderators. Reason: Dane osobowe."
    assert "80010112345" not in html.text
    restored = client.submit(f"/comments/{comment.id}/restore", follow_redirects=False)
    article = page(client.get(restored.headers["location"])).one(f"article#comment-{comment.id}")
    assert article.one(".prose").text == "Numer PESEL 80010112345."
    assert article.select(".moderation-note") == []
    assert fresh(db, comment).status == "visible"


def test_ngo_member_cannot_moderate(client, db):
    consultation = make_consultation(db)
    comment = make_comment(db, consultation)
    member, _organisation = ngo_member(db)
    signed_in(client, member)

    shown = client.get(f"/comments/{comment.id}/hide", follow_redirects=False)
    empty = client.submit(f"/comments/{comment.id}/hide", {"reason": ""}, follow_redirects=False)
    hidden = client.submit(f"/comments/{comment.id}/hide", {"reason": "Nie podoba mi się."}, follow_redirects=False)
    actions.hide_comment(
        db,
        principal(db, make_official(db, db.get(Organisation, consultation.organisation_id))[0]),
        comment,
        gate(db, consultation),
        actions.ModerationInput(reason="Powód moderatora."),
    )
    restored = client.submit(f"/comments/{comment.id}/restore", follow_redirects=False)

    assert shown.status_code == empty.status_code == hidden.status_code == restored.status_code == 403
    assert fresh(db, comment).moderation_reason == "Powód moderatora."


def test_hidden_comment_stays_in_the_database(db):
    consultation = make_consultation(db)
    official = make_official(db, db.get(Organisation, consultation.organisation_id))[0]
    comment = make_comment(db, consultation, body="Do ukrycia.")

    actions.hide_comment(
        db, principal(db, official), comment, gate(db, consultation), actions.ModerationInput(reason="Spam.")
    )

    stored = fresh(db, comment)
    assert (stored.status, stored.body, stored.moderation_reason) == ("hidden", "Do ukrycia.", "Spam.")
    assert stored.moderated_by_id == official.id
    with pytest.raises(DomainError) as refused:
        actions.hide_comment(
            db, principal(db, official), stored, gate(db, consultation), actions.ModerationInput(reason="Znowu.")
        )
    assert refused.value.status_code == 409


# --- the ledger ------------------------------------------------------------------------------


def test_ledger_records_every_change_by_hash_without_the_text(db):
    consultation = make_consultation(db)
    paragraph = paragraph_by_label(db, consultation, LABEL)
    author, organisation = ngo_member(db)
    reader = make_user(db)
    official = make_official(db, db.get(Organisation, consultation.organisation_id))[0]
    secret = "Tajna treść uwagi"
    comment = make_comment(
        db,
        consultation,
        author=author,
        organisation=organisation,
        paragraph=paragraph,
        body=secret,
        proposed_wording="Tajne brzmienie",
        justification="Tajne uzasadnienie",
    )
    g = gate(db, consultation)
    actions.edit_comment(db, principal(db, author), comment, g, actions.CommentInput(body=f"{secret} 2"))
    flags.flag_comment(db, principal(db, reader), comment, g, flags.FlagInput(reason="Tajny powód"))
    actions.hide_comment(db, principal(db, official), comment, g, actions.ModerationInput(reason="Publiczny powód"))
    actions.restore_comment(db, principal(db, official), comment, g)
    actions.withdraw_comment(db, principal(db, author), comment, g)

    trail = db.exec(select(LedgerEvent).where(LedgerEvent.subject_kind == "comment")).all()
    assert [(e.action, e.subject_id) for e in trail] == [
        (f"comment.{verb}", str(comment.id))
        for verb in ("submitted", "edited", "flagged", "hidden", "restored", "withdrawn")
    ]
    submitted = json.loads(trail[0].payload)
    assert submitted["sha256"] == ledger.sha256_hex(
        ledger.canonical_json([secret, "", "Tajne brzmienie", "Tajne uzasadnienie"])
    )
    assert json.loads(trail[1].payload)["sha256"] == ledger.sha256_hex(
        ledger.canonical_json([f"{secret} 2", "", "", ""])
    )
    assert json.loads(trail[3].payload)["reason"] == "Publiczny powód"
    assert not [e for e in trail if "Tajn" in e.payload]
    assert ledger.verify(db) is None


# --- paging ----------------------------------------------------------------------------------


def test_general_discussion_pages_twenty_comments_at_a_time(client, db):
    consultation = make_consultation(db)
    organisation = make_organisation(db, verified=True)
    authors = [make_user(db) for _ in range(9)]
    for author in authors:
        add_member(db, organisation, author)
    comments = [
        make_comment(db, consultation, author=authors[n // 5], organisation=organisation, body=f"Uwaga nr {n}.")
        for n in range(45)
    ]
    client.cookies.set("consult_lang", "en")

    first = page(client.get(discussion_url(consultation)))
    more = first.one("#thread-general nav.pagination a[rel=next]")
    second = client.get(more.get("href"))
    second_htmx = client.get(more.get("hx-get"), headers=HTMX)
    third = page(client.get(f"{discussion_url(consultation)}?page=3"))

    def shown(html: Element) -> list[str]:
        return [li.get("id") for li in html.one("ol#thread-general-list").items()]

    def ids(chosen: list[Comment]) -> list[str]:
        return [f"comment-{c.id}-item" for c in chosen]

    assert shown(first) == ids(comments[:20])
    assert more.text == "More comments"
    assert more.get("href") == more.get("hx-get") == f"{discussion_url(consultation)}?page=2"
    assert shown(page(second)) == shown(page(second_htmx)) == ids(comments[20:40])
    assert second.template.name == "consultations/thread.html"
    assert second_htmx.template.name == "comments/_thread.html" and "<html" not in second_htmx.text
    assert shown(third) == ids(comments[40:])
    assert third.select("nav.pagination a[rel=next]") == []


def test_a_resident_is_not_offered_reply_in_an_organisations_only_consultation_and_is_told_why(client, db):
    consultation = make_consultation(db)  # verified organisations only
    comment = make_comment(db, consultation)
    signed_in(client, make_user(db, display_name="Anna Mieszkanka"))
    html = page(client.get(f"/consultations/{consultation.slug}"))
    actions_of = [a.text for a in html.select(f"#comment-{comment.id} .comment-actions a")]
    assert "Reply" not in actions_of
    assert "Only members of verified organisations comment" in html.one("#thread-general-form").text
    assert not html.select("#thread-general-form form")
    reply_page = page(client.get(f"/comments/{comment.id}/reply"))  # the address typed by hand: the reason, no form
    assert "Only members of verified organisations comment" in reply_page.one(f"#comment-{comment.id}-reply-form").text
    assert not reply_page.select(f"#comment-{comment.id}-reply-form form")


# --- replies to an entry an official made -----------------------------------------------------------


@pytest.mark.parametrize("sender", ["person", "organisation"])
def test_a_reply_to_an_outside_entry_names_its_sender_never_the_official(client, db, sender):
    """A letter an official entered is the sender's: "in reply to" and the reply form name the sender (the person,
    or the organisation), never the official who typed it in."""
    from consult.entries.actions import EntryInput, enter_comment

    official, municipality = make_official(db, display_name="Katarzyna Urzędniczka")
    consultation = make_consultation(db, official=official, municipality=municipality)
    club = make_organisation(db, name="Klub Seniora Jesień", verified=True)
    entry = EntryInput(
        sender=sender,
        sender_name="Jan Kowalski" if sender == "person" else "",
        organisation_id=club.id if sender == "organisation" else None,
        body="List w sprawie programu.",
        channel="paper",
        received_at=utcnow().date(),
    )
    letter = enter_comment(db, principal(db, official), consultation, entry)
    replier, organisation = ngo_member(db, name="Ewa Odpowiadająca")
    reply = make_comment(db, consultation, author=replier, organisation=organisation, parent=letter, body="Zgoda.")
    named = "Jan Kowalski" if sender == "person" else "Klub Seniora Jesień"
    signed_in(client, make_user(db))

    replies = page(client.get(f"/comments/{letter.id}/replies"))
    form = page(client.get(f"/comments/{letter.id}/reply"))

    assert replies.one(f"#comment-{reply.id} .in-reply-to").text == f"in reply to {named}"
    assert replies.one("h1").text == f"Replies to {named}" and form.one("h1").text == f"Reply to {named}"
    assert "Urzędniczka" not in replies.text and "Urzędniczka" not in form.text
