"""A working group's discussion and its documents: everyone reads, the members and the coordinator write; the
coordinator writes a road map (from text or a Word file) with the consultation's document engine, the members comment
on it paragraph by paragraph, and a new version keeps each paragraph's comments. Read in English."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import select

from consult.groups.documents import PARAGRAPH_THREAD
from consult.models import Comment, GroupDocument, Meeting, Paragraph, Thread, User, utcnow
from tests.factories import (
    PROGRAMME_DOCX,
    ROAD_MAP,
    add_member,
    fresh,
    ledger_events,
    make_admin,
    make_declaration,
    make_group,
    make_group_document,
    make_organisation,
    make_user,
    signed_in,
)
from tests.html import Element
from tests.html import page as tree


def one(response, selector: str) -> Element:
    return tree(response).one(selector)


def coordinator_of(db, group) -> User:
    return db.get(User, group.coordinator_id)


def member_of(db, group, **overrides) -> User:
    declaration = make_declaration(db, group, accepted=True, **overrides)
    return db.get(User, declaration.user_id)


def paragraph_key(db, document: GroupDocument, label: str) -> str:
    return db.exec(
        select(Paragraph.key).where(Paragraph.version_id == document.version_id, Paragraph.label == label)
    ).one()


# --- the discussion ---------------------------------------------------------------------------


def test_a_member_writes_in_the_discussion_and_everyone_reads_it(client, other_client, db):
    group = make_group(db)
    member = member_of(db, group, user=make_user(db, display_name="Jan Lider"))
    signed_in(client, member)
    response = client.submit(
        f"/groups/{group.slug}/comments", {"body": "Proponuję spotkanie w **marcu**."}, follow_redirects=False
    )
    assert response.status_code == 303
    assert f"/groups/{group.slug}/discussion?page=1#comment-" in response.headers["location"]
    other_client.cookies.set("consult_lang", "en")
    page = other_client.get(f"/groups/{group.slug}")
    comment = one(page, "#thread-general-list article.comment")
    assert "Jan Lider" in comment.text and comment.one(".prose strong").text == "marcu"
    assert one(page, "#thread-general-form").text.startswith("Log in to comment")
    fresh(db)
    thread = db.exec(select(Thread).where(Thread.owner_kind == "group")).one()
    assert thread.owner_id == str(group.id) and thread.consultation_id is None


def test_a_signed_in_person_outside_the_group_is_refused_403_with_the_text_kept(client, db):
    group = make_group(db)
    pending = make_declaration(db, group)  # declared, not yet accepted: not a member
    signed_in(client, db.get(User, pending.user_id))
    page = client.get(f"/groups/{group.slug}/discussion")
    assert "Only the group's members and its coordinator take part in its discussion." in page.text
    response = client.submit(f"/groups/{group.slug}/comments", {"body": "Czy mogę coś dodać?"})
    assert response.status_code == 403
    assert one(response, "#field-general-body").text == "Czy mogę coś dodać?"
    assert "Only the group's members and its coordinator" in one(response, ".error-summary").text
    assert db.exec(select(Comment)).first() is None


def test_a_visitor_posting_is_refused_403(client, db):
    group = make_group(db)
    client.cookies.set("consult_lang", "en")
    response = client.submit(f"/groups/{group.slug}/comments", {"body": "Anonimowo"})
    assert response.status_code == 403
    assert "Log in to take part." in response.text


def test_the_coordinator_writes_without_declaring(client, db):
    group = make_group(db)
    signed_in(client, coordinator_of(db, group))
    response = client.submit(f"/groups/{group.slug}/comments", {"body": "Witam w grupie."}, follow_redirects=False)
    assert response.status_code == 303


def test_the_people_of_a_member_organisation_write_for_it_and_not_for_another(client, db):
    group = make_group(db)
    ngo = make_organisation(db, name="Stowarzyszenie Razem")
    make_declaration(db, group, organisation=ngo, accepted=True)
    volunteer = make_user(db)
    add_member(db, ngo, volunteer)
    elsewhere = make_organisation(db, admin=volunteer, name="Fundacja Obok")
    signed_in(client, volunteer)
    page = client.get(f"/groups/{group.slug}/discussion")
    assert [o.text for o in tree(page).select("#field-general-organisation_id option")] == [
        "Myself",
        "Stowarzyszenie Razem",
    ]
    ok = client.submit(f"/groups/{group.slug}/comments", {"body": "Od nas", "organisation_id": str(ngo.id)})
    assert ok.status_code == 200 and "Your comment is posted." in ok.text
    refused = client.submit(f"/groups/{group.slug}/comments", {"body": "Obok", "organisation_id": str(elsewhere.id)})
    assert refused.status_code == 403
    fresh(db)
    assert [c.organisation_id for c in db.exec(select(Comment)).all()] == [ngo.id]


def test_a_post_with_htmx_returns_the_comment_in_place(client, db):
    group = make_group(db)
    signed_in(client, member_of(db, group))
    response = client.submit(
        f"/groups/{group.slug}/comments?heading=4", {"body": "Zgoda."}, headers={"HX-Request": "true"}
    )
    assert response.status_code == 200
    assert response.template.name == "comments/_posted.html"
    assert "Zgoda." in one(response, "article.comment").text


def test_an_empty_comment_is_refused_422(client, db):
    group = make_group(db)
    signed_in(client, member_of(db, group))
    response = client.submit(f"/groups/{group.slug}/comments", {"body": ""})
    assert response.status_code == 422
    assert response.template.name == "groups/thread.html"


def test_replies_through_the_comment_engine_are_for_members_too(client, db):
    group = make_group(db)
    member = member_of(db, group)
    signed_in(client, member)
    client.submit(f"/groups/{group.slug}/comments", {"body": "Pierwszy głos."})
    fresh(db)
    comment = db.exec(select(Comment)).one()
    client.cookies.clear()
    outsider = make_user(db)
    signed_in(client, outsider)
    reply_page = client.get(f"/comments/{comment.id}/reply")  # the page without JavaScript names the group
    assert reply_page.status_code == 200
    assert [a.text for a in tree(reply_page).select("nav.breadcrumbs a")][:2] == ["Working groups", group.name]
    refused = client.submit(f"/comments/{comment.id}/reply", {"body": "Wtrącę się."})
    assert refused.status_code == 403
    client.cookies.clear()
    signed_in(client, member)
    answered = client.submit(f"/comments/{comment.id}/reply", {"body": "Dopowiem."}, follow_redirects=False)
    assert answered.status_code == 303
    assert (
        client.get(f"/comments/{comment.id}", follow_redirects=False)
        .headers["location"]
        .startswith(f"http://testserver/groups/{group.slug}/discussion")
    )


def test_the_municipalitys_official_moderates_its_groups_discussion(client, db):
    group = make_group(db)
    member = member_of(db, group)
    signed_in(client, member)
    client.submit(f"/groups/{group.slug}/comments", {"body": "Coś niestosownego."})
    fresh(db)
    comment = db.exec(select(Comment)).one()
    client.cookies.clear()
    signed_in(client, coordinator_of(db, group))  # an official of the municipality that runs the group
    response = client.submit(f"/comments/{comment.id}/hide", {"reason": "Język obraźliwy"}, follow_redirects=False)
    assert response.status_code == 303
    fresh(db)
    assert db.get(Comment, comment.id).status == "hidden"


# --- documents ----------------------------------------------------------------------------------


def test_the_coordinator_writes_a_road_map_that_members_read_paragraph_by_paragraph(client, db):
    group = make_group(db)
    signed_in(client, coordinator_of(db, group))
    assert client.get(f"/groups/{group.slug}/documents/new").status_code == 200
    response = client.submit(
        f"/groups/{group.slug}/documents/new",
        {"title": "Mapa drogowa 2027", "document": ROAD_MAP},
        follow_redirects=False,
    )
    assert response.status_code == 303
    page = client.get(response.headers["location"])
    fresh(db)
    assert page.template.name == "groups/document.html"
    assert one(page, "h1").text == "Mapa drogowa 2027"
    assert tree(page).texts("article.document .doc-section h3") == ["§ 1. Cele", "§ 2. Harmonogram"]
    labels = tree(page).texts("article.document .paragraph .label")
    assert labels == ["§ 1 ust. 1", "§ 1 ust. 2", "§ 2 ust. 1", "§ 2 ust. 2"]
    document = db.exec(select(GroupDocument)).one()
    link = tree(page).select(".paragraph .thread-link")[0].get("href")
    assert link == f"/groups/{group.slug}/documents/{document.id}/p/{paragraph_key(db, document, '§ 1 ust. 1')}"
    assert ledger_events(db, "group.document_created")
    detail = client.get(f"/groups/{group.slug}")
    assert "Mapa drogowa 2027" in one(detail, f'a[href="/groups/{group.slug}/documents/{document.id}"]').text


def test_a_road_map_from_a_word_file(client, db):
    group = make_group(db)
    signed_in(client, coordinator_of(db, group))
    with PROGRAMME_DOCX.open("rb") as handle:
        response = client.post(
            f"/groups/{group.slug}/documents/new",
            data={"csrf_token": client.csrf_token(), "title": "Program z pliku"},
            files={"docx": ("program.docx", handle.read(), "application/octet-stream")},
            follow_redirects=False,
        )
    assert response.status_code == 303
    fresh(db)
    document = db.exec(select(GroupDocument)).one()
    assert db.exec(select(Paragraph).where(Paragraph.version_id == document.version_id)).first() is not None


def test_a_document_without_text_or_with_a_wrong_file_is_refused_with_the_title_kept(client, db):
    group = make_group(db)
    signed_in(client, coordinator_of(db, group))
    empty = client.submit(f"/groups/{group.slug}/documents/new", {"title": "Mapa drogowa", "document": ""})
    assert empty.status_code == 422
    assert one(empty, "#field-title").get("value") == "Mapa drogowa"
    assert "Paste the document or upload a file." in one(empty, ".error-summary").text
    wrong = client.post(
        f"/groups/{group.slug}/documents/new",
        data={"csrf_token": client.csrf_token(), "title": "Mapa drogowa"},
        files={"docx": ("mapa.pdf", b"%PDF-1.4", "application/pdf")},
    )
    assert wrong.status_code == 422
    assert "Upload a Word document in .docx format." in wrong.text
    assert db.exec(select(GroupDocument)).first() is None


def test_only_the_coordinator_writes_documents(client, db):
    group = make_group(db)
    document = make_group_document(db, group)
    for person in (member_of(db, group), make_admin(db)):
        client.cookies.clear()
        signed_in(client, person)
        assert client.get(f"/groups/{group.slug}/documents/new").status_code == 403
        assert (
            client.submit(f"/groups/{group.slug}/documents/new", {"title": "X", "document": ROAD_MAP}).status_code
            == 403
        )
        assert client.get(f"/groups/{group.slug}/documents/{document.id}/revise").status_code == 403
    assert len(db.exec(select(GroupDocument)).all()) == 1


def test_a_member_comments_on_one_paragraph_of_the_road_map(client, db):
    group = make_group(db)
    document = make_group_document(db, group)
    key = paragraph_key(db, document, "§ 2 ust. 1")
    signed_in(client, member_of(db, group))
    response = client.submit(
        f"/groups/{group.slug}/documents/{document.id}/comments",
        {"paragraph": key, "body": "Proponuję termin w lutym."},
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert f"/groups/{group.slug}/documents/{document.id}/p/{key}" in response.headers["location"]
    fresh(db)
    thread = db.exec(select(Thread).where(Thread.owner_kind == PARAGRAPH_THREAD)).one()
    assert thread.owner_id == f"{document.id}:{key}"
    page = client.get(f"/groups/{group.slug}/documents/{document.id}")
    assert one(page, f"#paragraph-{key}-count").text == "1"
    thread_page = client.get(f"/groups/{group.slug}/documents/{document.id}/p/{key}")
    assert thread_page.template.name == "groups/thread.html"
    assert one(thread_page, "blockquote.paragraph-quote").text.startswith("§ 2 ust. 1")
    assert "Proponuję termin w lutym." in one(thread_page, f"#thread-{key}-list").text


def test_a_paragraph_thread_opens_in_place_with_htmx(client, db):
    group = make_group(db)
    document = make_group_document(db, group)
    key = paragraph_key(db, document, "§ 1 ust. 1")
    client.cookies.set("consult_lang", "en")
    response = client.get(
        f"/groups/{group.slug}/documents/{document.id}/p/{key}?heading=4", headers={"HX-Request": "true"}
    )
    assert response.template.name == "comments/_thread.html"
    assert one(response, "h4").text.startswith("Comments on § 1 ust. 1")


def test_a_non_member_commenting_on_a_paragraph_is_refused_403_with_the_text_kept(client, db):
    group = make_group(db)
    document = make_group_document(db, group)
    key = paragraph_key(db, document, "§ 1 ust. 2")
    signed_in(client, make_user(db))
    response = client.submit(
        f"/groups/{group.slug}/documents/{document.id}/comments", {"paragraph": key, "body": "Mój głos z zewnątrz."}
    )
    assert response.status_code == 403
    assert one(response, f"#field-{key}-body").text == "Mój głos z zewnątrz."
    fresh(db)
    assert db.exec(select(Comment)).first() is None
    unknown = client.submit(
        f"/groups/{group.slug}/documents/{document.id}/comments", {"paragraph": "nie-ma", "body": "x"}
    )
    assert unknown.status_code == 403


def test_a_new_version_keeps_the_paragraph_keys_and_their_comments(client, db):
    group = make_group(db)
    document = make_group_document(db, group)
    key = paragraph_key(db, document, "§ 2 ust. 1")
    member = member_of(db, group)
    signed_in(client, member)
    client.submit(
        f"/groups/{group.slug}/documents/{document.id}/comments", {"paragraph": key, "body": "Raczej w lutym."}
    )
    client.cookies.clear()
    signed_in(client, coordinator_of(db, group))
    form = client.get(f"/groups/{group.slug}/documents/{document.id}/revise")
    assert "1. Pierwsze spotkanie odbywa się po terminie składania deklaracji." in form.text
    revised = ROAD_MAP.replace("po terminie składania deklaracji", "w lutym, po terminie składania deklaracji")
    page = client.submit(
        f"/groups/{group.slug}/documents/{document.id}/revise", {"document": revised, "note": "Termin po uwagach."}
    )
    assert "Version 2 is published." in page.text
    assert "Version 2, published" in one(page, ".version-line").text
    fresh(db)
    document = db.get(GroupDocument, document.id)
    assert paragraph_key(db, document, "§ 2 ust. 1") == key
    assert one(page, f"#paragraph-{key}-count").text == "1"
    assert "w lutym, po terminie" in one(page, f"#p-{key}").text
    same = client.submit(
        f"/groups/{group.slug}/documents/{document.id}/revise", {"document": revised, "note": "Bez zmian"}
    )
    assert same.status_code == 422
    assert "The text is the same as the current version." in same.text
    assert ledger_events(db, "group.document_revised")


def test_the_group_page_lists_its_upcoming_meetings_by_plain_path(client, db):
    group = make_group(db)
    starts = utcnow() + timedelta(days=20)
    db.add(
        Meeting(
            slug="pierwsze-spotkanie",
            title="Pierwsze spotkanie grupy",
            organisation_id=group.organisation_id,
            starts_at=starts,
            ends_at=starts + timedelta(hours=2),
            published_at=utcnow(),
            audience="group",
            group_id=group.id,
        )
    )
    db.commit()
    client.cookies.set("consult_lang", "en")
    page = client.get(f"/groups/{group.slug}")
    link = one(page, 'a[href="/meetings/pierwsze-spotkanie"]')
    assert link.text == "Pierwsze spotkanie grupy"
