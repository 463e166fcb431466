"""Consultations: an official drafts, previews and publishes; everyone reads the document, its counts and the API."""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import pytest
from babel.dates import format_datetime
from sqlalchemy import event
from sqlmodel import select

from consult import ledger
from consult.comments.actions import ModerationInput, hide_comment
from consult.consultations.actions import gate_for, get_or_create_thread
from consult.models import (
    Comment,
    Consultation,
    DocumentVersion,
    LedgerEvent,
    Organisation,
    Paragraph,
    Section,
    utcnow,
)
from tests.factories import (
    FIXTURES,
    PROGRAMME_MD,
    add_member,
    docx_with_paragraphs,
    fresh,
    make_comment,
    make_consultation,
    make_official,
    make_organisation,
    make_user,
    paragraph_by_label,
    principal,
    signed_in,
)
from tests.html import Element, page, summary_list

WARSAW = ZoneInfo("Europe/Warsaw")
DOCX_MIME = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
SHORT_DOCUMENT = "## § 1. Postanowienia ogólne\n\n1. Program określa zasady współpracy.\n"
API_KEYS = {"slug", "title", "municipality", "status", "opens_at", "closes_at", "url"}

# --- reading pages as a user sees them -------------------------------------------------------


def path_of(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def comment_ids(element: Element) -> list[int]:
    return [int(a.get("id").removeprefix("comment-")) for a in element.select("article.comment")]


# --- people, forms and data ------------------------------------------------------------------


def local(moment: datetime) -> str:
    """A datetime-local field's value, in Warsaw time."""
    return moment.astimezone(WARSAW).strftime("%Y-%m-%dT%H:%M")


def consultation_form(municipality: Organisation, *, opens_in=timedelta(hours=-1), lasts=timedelta(days=21), **over):
    opens = utcnow() + opens_in
    return {
        "organisation_id": str(municipality.id),
        "title": "Program współpracy z organizacjami pozarządowymi na rok 2027",
        "slug": "program-wspolpracy-2027",
        "summary": "Gmina co roku uchwala program współpracy. W tym roku proponujemy więcej małych grantów.",
        "responsible_unit": "Referat Promocji i Współpracy",
        "contact_person": "Katarzyna Nowak, k.nowak@wierzbno.pl",
        "participation": "verified_organisations",
        "opens_at": local(opens),
        "closes_at": local(opens + lasts),
        "short_window_reason": "",
        "document": PROGRAMME_MD.read_text(encoding="utf-8"),
    } | over


def stored(db, slug: str) -> Consultation | None:
    fresh(db)
    return db.exec(select(Consultation).where(Consultation.slug == slug)).first()


def stored_paragraphs(db, consultation: Consultation) -> list[tuple[str, str]]:
    fresh(db)
    version = db.exec(select(DocumentVersion).where(DocumentVersion.consultation_id == consultation.id)).one()
    rows = db.exec(select(Paragraph).where(Paragraph.version_id == version.id).order_by(Paragraph.position)).all()
    return [(p.label, p.text) for p in rows]


def api_slugs(client) -> list[str]:
    response = client.get("/api/consultations")
    assert response.status_code == 200
    return [item["slug"] for item in response.json()]


def listed_slugs(response) -> list[str]:
    return [c.slug for c, _m in response.context["rows"]]


def field_error(response, name: str) -> str:
    return page(response).one(f"p#field-{name}-error").text


def member_of_verified_ngo(db, **user):
    person = make_user(db, **user)
    return person, make_organisation(db, admin=person, verified=True)


@pytest.fixture
def official(db):
    """Katarzyna, an official of Gmina Wierzbno."""
    municipality = make_organisation(db, kind="municipality", name="Gmina Wierzbno", verified=True)
    person, _ = make_official(db, municipality, email="k.nowak@wierzbno.pl")
    return person, municipality


# --- creating, previewing and publishing -------------------------------------------------------


def test_create_from_markdown_saves_a_draft_and_shows_its_preview(client, db, official):
    person, municipality = official
    signed_in(client, person)
    form = client.get("/consultations/new")
    assert form.status_code == 200 and form.template.name == "consultations/form.html"

    response = client.submit("/consultations/new", consultation_form(municipality), follow_redirects=False)

    assert response.status_code == 303
    assert path_of(response.headers["location"]) == "/consultations/program-wspolpracy-2027"
    preview = client.get("/consultations/program-wspolpracy-2027")
    assert preview.status_code == 200 and preview.template.name == "consultations/detail.html"
    html = page(preview)
    assert html.one("#draft-title").text == "Preview of a draft"
    assert html.one("a[href=/consultations/program-wspolpracy-2027/publish]").text == "Check and publish"
    assert len(html.select("nav.toc li")) == 12 + 1  # the sections and the general discussion
    consultation = stored(db, "program-wspolpracy-2027")
    assert consultation.published_at is None
    assert len(stored_paragraphs(db, consultation)) == 37


def test_draft_is_seen_only_by_the_officials_of_its_municipality(client, other_client, db, official):
    person, municipality = official
    colleague, _ = make_official(db, municipality)
    other_official, _ = make_official(db)
    ngo_admin, _ = member_of_verified_ngo(db)
    make_consultation(db, official=person, municipality=municipality, slug="projekt-roboczy", published=False)
    url = "/consultations/projekt-roboczy"

    assert other_client.get(url).status_code == 404  # a resident without an account
    assert "projekt-roboczy" not in listed_slugs(other_client.get("/consultations"))
    assert "projekt-roboczy" not in api_slugs(other_client)
    assert other_client.get("/api/consultations/projekt-roboczy").status_code == 404
    for outsider in (other_official, ngo_admin):
        signed_in(client, outsider)
        assert client.get(url).status_code == 404
        assert client.get(f"{url}/discussion").status_code == 404
        client.submit("/logout")
    signed_in(client, colleague)
    assert client.get(url).status_code == 200


def test_publish_makes_the_consultation_public_without_an_account(client, other_client, db, official):
    person, municipality = official
    signed_in(client, person)
    client.submit("/consultations/new", consultation_form(municipality))

    response = client.submit("/consultations/program-wspolpracy-2027/publish", follow_redirects=False)

    assert response.status_code == 303
    assert path_of(response.headers["location"]) == "/consultations/program-wspolpracy-2027"
    assert stored(db, "program-wspolpracy-2027").published_at is not None
    public = other_client.get("/consultations/program-wspolpracy-2027")
    assert public.status_code == 200
    html = page(public)
    assert html.select("#draft-title") == []
    assert html.one("h1").text == "Program współpracy z organizacjami pozarządowymi na rok 2027"
    assert "program-wspolpracy-2027" in listed_slugs(other_client.get("/consultations"))
    listed = other_client.get("/api/consultations").json()
    assert [(c["slug"], c["status"]) for c in listed] == [("program-wspolpracy-2027", "open")]


def test_publish_by_an_official_of_another_municipality_is_refused(client, db, official):
    person, municipality = official
    make_consultation(db, official=person, municipality=municipality, slug="projekt-roboczy", published=False)
    stranger, _ = make_official(db)
    signed_in(client, stranger)

    response = client.submit("/consultations/projekt-roboczy/publish")

    assert response.status_code == 404
    assert stored(db, "projekt-roboczy").published_at is None


def test_publish_twice_is_refused(client, db, official):
    person, municipality = official
    make_consultation(db, official=person, municipality=municipality, slug="opublikowany")
    signed_in(client, person)

    response = client.submit("/consultations/opublikowany/publish")

    assert response.status_code == 409
    assert "already published" in page(response).one("main").text


def test_publish_after_the_closing_time_is_refused(client, db, official):
    person, municipality = official
    make_consultation(
        db, official=person, municipality=municipality, slug="spozniony", published=False,
        opens_in=timedelta(days=-30), lasts=timedelta(days=14),
    )  # fmt: skip
    signed_in(client, person)

    response = client.submit("/consultations/spozniony/publish")

    assert response.status_code == 409
    assert "closing time has passed" in page(response).one("main").text
    assert stored(db, "spozniony").published_at is None


def test_create_and_publish_are_recorded_in_the_ledger(client, db, official):
    person, municipality = official
    signed_in(client, person)
    client.submit("/consultations/new", consultation_form(municipality))
    client.submit("/consultations/program-wspolpracy-2027/publish")

    consultation = stored(db, "program-wspolpracy-2027")
    events = db.exec(
        select(LedgerEvent).where(LedgerEvent.subject_kind == "consultation").order_by(LedgerEvent.seq)
    ).all()
    assert [(e.action, e.actor_id, e.subject_id) for e in events] == [
        ("consultation.created", person.id, str(consultation.id)),
        ("consultation.published", person.id, str(consultation.id)),
    ]
    assert json.loads(events[0].payload)["paragraphs"] == 37
    assert ledger.verify(db) is None


# --- creating from a Word file ----------------------------------------------------------------


@pytest.mark.parametrize("name", ["program-wspolpracy-2027.docx", "program-wspolpracy-2027-autonumbered.docx"])
def test_create_from_docx_gives_the_same_paragraphs_as_markdown(client, db, official, name):
    person, municipality = official
    signed_in(client, person)
    client.submit("/consultations/new", consultation_form(municipality, slug="z-markdown"))

    response = client.submit(
        "/consultations/new",
        consultation_form(municipality, slug="z-worda", document=""),
        files={"docx": (name, (FIXTURES / name).read_bytes(), DOCX_MIME)},
        follow_redirects=False,
    )

    assert response.status_code == 303, page(response).select("p.field-error")
    from_word = stored(db, "z-worda")
    assert stored_paragraphs(db, from_word) == stored_paragraphs(db, stored(db, "z-markdown"))
    assert (
        db.exec(select(DocumentVersion.source).where(DocumentVersion.consultation_id == from_word.id)).one() == "docx"
    )
    preview = page(client.get("/consultations/z-worda"))
    assert len(preview.select("section.doc-section")) == 12


def unusable_uploads() -> dict[str, tuple[tuple[str, bytes, str], str]]:
    """Each upload, and what the message beside the field says about it."""
    real = (FIXTURES / "program-wspolpracy-2027.docx").read_bytes()
    unreadable = "could not be read as a Word document"
    return {
        "larger-than-5-mb": (("program.docx", b"PK" + b"\0" * (5 * 1024 * 1024), DOCX_MIME), "larger than 5 MB"),
        "not-a-docx-name": (("program.pdf", real, "application/pdf"), ".docx format"),
        "text-renamed": (("program.docx", b"a plain text file renamed to .docx", DOCX_MIME), unreadable),
        "truncated-docx": (("program.docx", real[:5000], DOCX_MIME), unreadable),
        "without-sections": (("program.docx", docx_with_paragraphs("Projekt", "Bez paragrafów."), DOCX_MIME), "§ 1"),
    }


@pytest.mark.parametrize("case", list(unusable_uploads()))
def test_create_with_an_unusable_docx_is_refused_beside_the_field_keeping_the_typed_values(client, db, official, case):
    person, municipality = official
    signed_in(client, person)
    values = consultation_form(municipality, document="", participation="signed_in", slug="moja-konsultacja")

    upload, message = unusable_uploads()[case]

    response = client.submit("/consultations/new", values, files={"docx": upload})

    assert response.status_code == 422
    assert response.template.name == "consultations/form.html"
    html = page(response)
    assert message in field_error(response, "docx")
    assert html.one("input#field-docx").get("aria-invalid") == "true"
    assert html.one("input#field-title").get("value") == values["title"]
    assert html.one("input#field-slug").get("value") == "moja-konsultacja"
    assert html.one("textarea#field-summary").text == values["summary"]
    assert html.one("input#field-opens_at").get("value") == values["opens_at"]
    assert html.one("select#field-participation option[selected]").get("value") == "signed_in"
    assert stored(db, "moja-konsultacja") is None


def test_create_without_any_document_is_refused_beside_the_document_field(client, db, official):
    person, municipality = official
    signed_in(client, person)

    response = client.submit("/consultations/new", consultation_form(municipality, document=""))

    assert response.status_code == 422
    assert "Paste the document" in field_error(response, "document")


def test_create_from_a_document_without_sections_is_refused_keeping_the_text(client, db, official):
    person, municipality = official
    signed_in(client, person)
    prose = "Zapraszamy organizacje do składania uwag do projektu."

    response = client.submit("/consultations/new", consultation_form(municipality, document=prose))

    assert response.status_code == 422
    assert "“§ 1. Title”" in field_error(response, "document")
    assert page(response).one("textarea#field-document").text == prose
    assert stored(db, "program-wspolpracy-2027") is None


def test_create_from_a_document_with_long_chapter_headings_is_saved(client, db, official):
    person, municipality = official
    signed_in(client, person)
    heading = "Rozdział pierwszy: postanowienia ogólne dotyczące programu współpracy z organizacjami"
    document = f"## {heading}\n\n1. Program określa zasady współpracy.\n"

    response = client.submit("/consultations/new", consultation_form(municipality, document=document))

    assert response.status_code == 200 and response.template.name == "consultations/detail.html"
    html = page(response)
    assert html.one("section.doc-section h3").text == heading
    assert html.select("nav.toc li a")[0].text == heading


# --- resolutions with chapters, and what the importer could not structure ----------------------


def test_create_from_a_pasted_annex_groups_its_sections_under_chapters(client, db, official):
    person, municipality = official
    signed_in(client, person)
    annex = (FIXTURES / "uchwala-zalacznik.txt").read_text(encoding="utf-8")

    response = client.submit("/consultations/new", consultation_form(municipality, document=annex))

    assert response.status_code == 200 and response.template.name == "consultations/detail.html"
    html = page(response)
    toc = html.one("nav.toc")
    assert [a.text for a in toc.select("ol li ol li a")][:2] == ["§ 1", "§ 2"]
    assert toc.select("ol li a")[0].text == "Rozdział 1. Postanowienia ogólne"
    chapters = html.select("section.doc-chapter")
    assert [c.one("h3").text for c in chapters] == [
        "Rozdział 1. Postanowienia ogólne", "Rozdział 2. Cele programu",
        "Rozdział 3. Formy współpracy", "Rozdział 4. Postanowienia końcowe",
    ]  # fmt: skip
    assert [h.text for h in chapters[0].select("section.doc-section h4")] == ["§ 1", "§ 2"]
    assert "§ 3 ust. 2 pkt 1 lit. b tiret drugie" in [s.text for s in html.select(".paragraph span.label")]
    consultation = stored(db, "program-wspolpracy-2027")
    version = db.exec(select(DocumentVersion).where(DocumentVersion.consultation_id == consultation.id)).one()
    chapters_stored = db.exec(select(Section.chapter).where(Section.version_id == version.id)).all()
    assert chapters_stored[0] == "Rozdział 1. Postanowienia ogólne" and len(chapters_stored) == 7


def test_create_from_a_word_file_with_polish_style_names_keeps_its_chapters(client, db, official):
    person, municipality = official
    signed_in(client, person)
    name = "uchwala-polskie-style.docx"

    response = client.submit(
        "/consultations/new",
        consultation_form(municipality, document=""),
        files={"docx": (name, (FIXTURES / name).read_bytes(), DOCX_MIME)},
    )

    assert response.status_code == 200, page(response).select("p.field-error")
    html = page(response)
    assert len(html.select("section.doc-chapter")) == 3
    assert "§ 3 ust. 2 pkt 2 tiret pierwsze" in [s.text for s in html.select(".paragraph span.label")]


def test_draft_preview_lists_what_the_importer_could_not_structure_linked_to_the_paragraph(
    client, other_client, db, official
):
    person, municipality = official
    signed_in(client, person)
    document = "## § 1. Zasady\n\n1. Pierwszy ustęp.\n3. Trzeci ustęp.\n\nTekst bez numeru.\n"

    response = client.submit("/consultations/new", consultation_form(municipality, document=document))

    notes = page(response).one("div.banner .import-notes")
    links = notes.select("li a")
    assert [a.text for a in links] == ["§ 1 ust. 3", "§ 1 (1)"]
    assert "Numbering jumps from ust. 1 to ust. 3." in notes.text
    key = paragraph_by_label(db, stored(db, "program-wspolpracy-2027"), "§ 1 ust. 3").key
    assert links[0].get("href") == f"#p-{key}"
    # The notes are kept with the draft: the official finds them again another day, in another browser.
    later = signed_in(other_client, person).get("/consultations/program-wspolpracy-2027")
    assert [a.text for a in page(later).one(".import-notes").select("li a")] == ["§ 1 ust. 3", "§ 1 (1)"]

    published = client.submit("/consultations/program-wspolpracy-2027/publish")

    assert not page(published).select(".import-notes")


def test_create_with_a_zip_bomb_is_refused_beside_the_file_field(client, db, official):
    from tests.test_document_import import zip_bomb

    person, municipality = official
    signed_in(client, person)

    response = client.submit(
        "/consultations/new",
        consultation_form(municipality, document=""),
        files={"docx": ("program.docx", zip_bomb(), DOCX_MIME)},
    )

    assert response.status_code == 422
    assert "unpacks to more than 20 MB" in field_error(response, "docx")


# --- rules of a consultation's window and address -------------------------------------------


def test_create_shorter_than_the_municipality_minimum_needs_a_reason(client, other_client, db, official):
    person, municipality = official
    signed_in(client, person)

    refused = client.submit("/consultations/new", consultation_form(municipality, lasts=timedelta(days=7)))

    assert refused.status_code == 422
    assert "14 days" in field_error(refused, "short_window_reason")
    assert page(refused).one("input#field-title").get("value").startswith("Program współpracy")
    reason = "Program musi trafić na sesję rady 15 listopada."
    accepted = client.submit(
        "/consultations/new",
        consultation_form(municipality, lasts=timedelta(days=7), short_window_reason=reason),
        follow_redirects=False,
    )
    assert accepted.status_code == 303
    client.submit("/consultations/program-wspolpracy-2027/publish")
    other_client.cookies.set("consult_lang", "en")
    public = page(other_client.get("/consultations/program-wspolpracy-2027"))
    terms = summary_list(public)
    assert terms["Why the consultation is shorter"] == reason


def test_create_follows_the_minimum_the_municipality_has_set(client, db, official):
    person, municipality = official
    municipality.min_consultation_days = 30
    db.add(municipality)
    db.commit()
    signed_in(client, person)

    response = client.submit("/consultations/new", consultation_form(municipality, lasts=timedelta(days=21)))

    assert response.status_code == 422
    assert "30 days" in field_error(response, "short_window_reason")


def test_create_closing_before_it_opens_is_refused(client, db, official):
    person, municipality = official
    signed_in(client, person)

    response = client.submit("/consultations/new", consultation_form(municipality, lasts=timedelta(days=-2)))

    assert response.status_code == 422
    assert "after the opening time" in field_error(response, "closes_at")


def test_create_with_an_address_already_taken_is_refused(client, db, official):
    person, municipality = official
    make_consultation(db, slug="program-wspolpracy-2027")
    signed_in(client, person)

    response = client.submit("/consultations/new", consultation_form(municipality))

    assert response.status_code == 422
    assert "already taken" in field_error(response, "slug")
    assert page(response).one("textarea#field-document").text.startswith("# Program współpracy")


def test_create_without_an_address_makes_one_from_the_title(client, db, official):
    person, municipality = official
    make_consultation(db, slug="program-wspolpracy-z-organizacjami-pozarzadowymi-na-rok-2027")
    signed_in(client, person)

    response = client.submit("/consultations/new", consultation_form(municipality, slug=""), follow_redirects=False)

    assert response.status_code == 303
    assert path_of(response.headers["location"]) == (
        "/consultations/program-wspolpracy-z-organizacjami-pozarzadowymi-na-rok-2027-2"
    )


@pytest.mark.parametrize(
    "slug", ["Program-2027", "program_2027", "program wspolpracy", "współpraca", "-program", "a/b"]
)
def test_create_with_bad_characters_in_the_address_is_refused(client, db, official, slug):
    person, municipality = official
    signed_in(client, person)

    response = client.submit("/consultations/new", consultation_form(municipality, slug=slug))

    assert response.status_code == 422
    assert "lower-case letters" in field_error(response, "slug")
    assert page(response).one("input#field-slug").get("value") == slug


def test_create_for_a_municipality_the_official_does_not_work_for_is_refused(client, db, official):
    person, _ = official
    _, elsewhere = make_official(db)
    signed_in(client, person)

    response = client.submit("/consultations/new", consultation_form(elsewhere))

    assert response.status_code == 403
    assert stored(db, "program-wspolpracy-2027") is None


@pytest.mark.parametrize("who", ["ngo-admin", "plain-user"])
def test_create_is_refused_to_anyone_but_an_official(client, db, official, who):
    _, municipality = official
    person = make_user(db)
    if who == "ngo-admin":
        make_organisation(db, admin=person, verified=True)
    signed_in(client, person)

    assert client.get("/consultations/new").status_code == 403
    assert client.submit("/consultations/new", consultation_form(municipality)).status_code == 403
    assert stored(db, "program-wspolpracy-2027") is None


def test_create_sends_a_visitor_without_an_account_to_log_in(client, db):
    response = client.get("/consultations/new", follow_redirects=False)

    assert response.status_code == 303
    assert path_of(response.headers["location"]) == "/login?next=%2Fconsultations%2Fnew"


def test_create_page_lists_only_the_municipalities_the_official_works_for(client, db, official):
    person, municipality = official
    other = make_organisation(db, kind="municipality", name="Gmina Sąsiednia", verified=True)
    add_member(db, other, person, role="official")
    make_organisation(db, kind="municipality", name="Gmina Obca", verified=True)
    signed_in(client, person)

    options = page(client.get("/consultations/new")).select("select#field-organisation_id option")

    assert sorted(o.text for o in options) == ["Gmina Sąsiednia", "Gmina Wierzbno"]


# --- status from the clock ----------------------------------------------------------------


def comment_attempt(client, db, consultation: Consultation, **kwargs):
    """A member of a verified NGO tries to comment on § 6 ust. 1 pkt 4."""
    person, ngo = member_of_verified_ngo(db)
    signed_in(client, person)
    paragraph = paragraph_by_label(db, consultation, "§ 6 ust. 1 pkt 4")
    text = "Proponujemy dopisać wsparcie opiekunów osób z niepełnosprawnością."
    data = {"paragraph": paragraph.key, "organisation_id": str(ngo.id), "body": text, "proposed_wording": "opiekunów"}
    return client.submit(f"/consultations/{consultation.slug}/comments", data, **kwargs), text


def status_seen(client, consultation: Consultation) -> tuple[str, str]:
    badge = page(client.get(f"/consultations/{consultation.slug}")).one("p.status-line span.badge")
    api = client.get(f"/api/consultations/{consultation.slug}").json()
    return badge.get("class").split()[-1].removeprefix("badge-"), api["status"]


def test_scheduled_consultation_is_readable_but_takes_no_comments(client, db):
    consultation = make_consultation(db, opens_in=timedelta(days=1))

    assert status_seen(client, consultation) == ("scheduled", "scheduled")
    response, text = comment_attempt(client, db, consultation)

    assert response.status_code == 409
    html = page(response)
    assert "has not opened yet" in html.one("main").text
    assert any(text in t.text for t in html.select("textarea")), "the typed text is kept"
    assert db.exec(select(Comment)).all() == []


def test_closed_consultation_takes_no_comments(client, db):
    consultation = make_consultation(db, opens_in=timedelta(days=-30), lasts=timedelta(days=14))

    assert status_seen(client, consultation) == ("closed", "closed")
    response, text = comment_attempt(client, db, consultation)

    assert response.status_code == 409
    html = page(response)
    assert "This consultation is closed" in html.one("main").text
    assert any(text in t.text for t in html.select("textarea")), "the typed text is kept"
    assert db.exec(select(Comment)).all() == []


def test_status_follows_the_clock_on_every_request(client, db):
    """No job moves a consultation along: moving its dates is enough for the next request to see it."""
    consultation = make_consultation(db, opens_in=timedelta(days=1))
    assert status_seen(client, consultation) == ("scheduled", "scheduled")

    consultation.opens_at = utcnow() - timedelta(minutes=1)
    db.add(consultation)
    db.commit()
    assert status_seen(client, consultation) == ("open", "open")

    consultation.closes_at = utcnow() - timedelta(seconds=1)
    db.add(consultation)
    db.commit()
    assert status_seen(client, consultation) == ("closed", "closed")


def test_open_consultation_takes_a_comment(client, db):
    consultation = make_consultation(db)

    response, text = comment_attempt(client, db, consultation, follow_redirects=False)

    assert response.status_code == 303
    fresh(db)
    comment = db.exec(select(Comment)).one()
    assert comment.body == text
    assert response.headers["location"].endswith(f"#comment-{comment.id}")


# --- the public list --------------------------------------------------------------------------


@pytest.fixture
def three_consultations(db):
    """In Gmina Wierzbno: one open, one scheduled; in Gmina Łąkowa: one closed."""
    official, wierzbno = make_official(db, make_organisation(db, kind="municipality", name="Gmina Wierzbno"))
    other, lakowa = make_official(db, make_organisation(db, kind="municipality", name="Gmina Łąkowa"))
    return {
        "open": make_consultation(
            db, official=official, municipality=wierzbno, slug="otwarta", title="PROGRAM WSPÓŁPRACY NA ROK 2027"
        ),
        "scheduled": make_consultation(
            db, official=official, municipality=wierzbno, slug="zaplanowana", title="Budżet obywatelski 2027",
            opens_in=timedelta(days=3),
        ),
        "closed": make_consultation(
            db, official=other, municipality=lakowa, slug="zamknieta", title="Strategia rozwiązywania problemów",
            opens_in=timedelta(days=-40), lasts=timedelta(days=14),
        ),
    }  # fmt: skip


@pytest.mark.parametrize("status", ["open", "scheduled", "closed"])
def test_list_filters_by_status(client, db, three_consultations, status):
    response = client.get("/consultations", params={"status": status})

    assert response.status_code == 200 and response.template.name == "consultations/list.html"
    assert listed_slugs(response) == [three_consultations[status].slug]
    card = page(response).one("li.card")
    assert f"badge-{status}" in card.one("span.badge").get("class")


def test_list_without_filters_shows_every_published_consultation(client, db, three_consultations):
    make_consultation(db, slug="szkic", published=False)

    response = client.get("/consultations")

    assert sorted(listed_slugs(response)) == ["otwarta", "zamknieta", "zaplanowana"]
    assert len(page(response).select("li.card")) == 3


def test_list_filters_by_municipality(client, db, three_consultations):
    lakowa = db.get(Organisation, three_consultations["closed"].organisation_id)

    response = client.get("/consultations", params={"municipality": lakowa.slug})

    assert listed_slugs(response) == ["zamknieta"]
    chosen = page(response).one("select#filter-municipality option[selected]")
    assert chosen.text == "Gmina Łąkowa"


@pytest.mark.parametrize("q", ["współpracy", "WSPÓŁPRACY", "Współpracy na rok"])
def test_list_search_by_title_ignores_case_with_polish_letters(client, db, three_consultations, q):
    response = client.get("/consultations", params={"q": q})

    assert listed_slugs(response) == ["otwarta"]
    assert page(response).one("input#filter-q").get("value") == q


@pytest.mark.parametrize("q", ["%", "_", "PROGRAM_WSP"])
def test_list_search_takes_wildcard_characters_literally(client, db, three_consultations, q):
    response = client.get("/consultations", params={"q": q})

    assert listed_slugs(response) == []


def test_list_search_finding_nothing_says_so(client, db, three_consultations):
    client.cookies.set("consult_lang", "en")

    response = client.get("/consultations", params={"q": "kanalizacja", "status": "open"})

    assert listed_slugs(response) == []
    assert "No consultation matches these filters." in page(response).one("#consultation-results").text


def test_list_pages_by_twenty(client, db):
    official, municipality = make_official(db)
    for n in range(23):
        make_consultation(
            db, official=official, municipality=municipality, slug=f"k-{n:02d}", document=SHORT_DOCUMENT,
            opens_in=timedelta(days=-1, minutes=n),
        )  # fmt: skip

    first = client.get("/consultations")
    second = client.get("/consultations" + page(first).one("nav.pagination a[rel=next]").get("href"))

    assert listed_slugs(first) == [f"k-{n:02d}" for n in range(22, 2, -1)]
    assert listed_slugs(second) == ["k-02", "k-01", "k-00"]
    assert page(second).select("nav.pagination a[rel=next]") == []


def test_list_with_htmx_returns_only_the_results(client, db, three_consultations):
    response = client.get("/consultations", params={"status": "open"}, headers={"HX-Request": "true"})

    assert response.status_code == 200
    assert response.template.name == "consultations/_results.html"
    assert "<html" not in response.text and "<form" not in response.text
    assert [a.text for a in page(response).select("h2.card-title a")] == ["PROGRAM WSPÓŁPRACY NA ROK 2027"]
    assert "HX-Request" in response.headers["vary"]
    restored = client.get("/consultations", headers={"HX-Request": "true", "HX-History-Restore-Request": "true"})
    assert restored.template.name == "consultations/list.html"


# --- the consultation page ----------------------------------------------------------------


def test_consultation_page_shows_summary_dates_contents_and_every_paragraph(client, db):
    consultation = make_consultation(db, summary="Proponujemy **więcej** małych grantów.")
    client.cookies.set("consult_lang", "en")

    response = client.get(f"/consultations/{consultation.slug}")

    assert response.status_code == 200 and response.template.name == "consultations/detail.html"
    html = page(response)
    assert html.one("div.lead strong").text == "więcej"
    terms = summary_list(html)
    period = " – ".join(
        format_datetime(moment.astimezone(WARSAW), "d MMMM y, HH:mm", locale="en")
        for moment in (consultation.opens_at, consultation.closes_at)
    )
    assert terms["Consultation period"] == period
    assert terms["Responsible unit"] == "Referat Promocji"
    assert re.fullmatch(r"\(\d+ days left\)", html.one("span.countdown").text)
    contents = [a.text for a in html.select("nav.toc li a")]
    assert contents[:2] == ["§ 1. Postanowienia ogólne", "§ 2. Cel główny i cele szczegółowe"]
    assert len(contents) == 13 and contents[-1] == "General discussion"
    fresh(db)
    keys = db.exec(select(Paragraph.key).order_by(Paragraph.position)).all()
    assert [d.get("id") for d in html.select("div.paragraph")] == [f"p-{key}" for key in keys]
    point = paragraph_by_label(db, consultation, "§ 6 ust. 1 pkt 4")
    assert html.one(f"#p-{point.key} span.label").text == "§ 6 ust. 1 pkt 4"


def test_consultation_page_counts_the_visible_comments_beside_each_paragraph(client, db):
    consultation = make_consultation(db)
    goals = paragraph_by_label(db, consultation, "§ 2 ust. 2 pkt 3")
    priorities = paragraph_by_label(db, consultation, "§ 6 ust. 1 pkt 4")
    first = make_comment(db, consultation, paragraph=goals)
    make_comment(db, consultation, paragraph=goals)
    make_comment(db, consultation, paragraph=goals, parent=first)
    make_comment(db, consultation, paragraph=priorities)
    rude = make_comment(db, consultation, paragraph=priorities)
    make_comment(db, consultation)
    spam = make_comment(db, consultation)
    municipality = db.get(Organisation, consultation.organisation_id)
    moderator = principal(db, make_official(db, municipality)[0])
    for hidden in (rude, spam):
        hide_comment(db, moderator, hidden, gate_for(consultation, municipality), ModerationInput(reason="Obraźliwe."))

    html = page(client.get(f"/consultations/{consultation.slug}"))

    keys = [d.get("id").removeprefix("p-") for d in html.select("div.paragraph")]
    counts = {key: html.one(f"#paragraph-{key}-count").text for key in keys}
    assert counts[goals.key] == "3"
    assert counts[priorities.key] == "1"
    assert {n for key, n in counts.items() if key not in (goals.key, priorities.key)} == {"0"}
    assert html.one("#thread-general-count").text == "1"
    assert len(html.select("#thread-general article.comment-visible")) == 1
    api = client.get(f"/api/consultations/{consultation.slug}").json()
    assert {p["id"]: p["comments"] for p in api["paragraphs"]} == {k: int(n) for k, n in counts.items()}
    assert api["general_comments"] == 1


def test_unknown_consultation_is_404(client, db):
    assert client.get("/consultations/nie-ma-takiej").status_code == 404
    assert client.get("/consultations/nie-ma-takiej/paragraphs/abc").status_code == 404


def test_unknown_paragraph_is_404(client, db):
    consultation = make_consultation(db)

    assert client.get(f"/consultations/{consultation.slug}/paragraphs/nieznany").status_code == 404


# --- the public API -----------------------------------------------------------------------


def test_api_lists_published_consultations_with_the_contract_fields(client, db, three_consultations):
    make_consultation(db, slug="szkic", published=False)

    response = client.get("/api/consultations")

    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    items = {item["slug"]: item for item in response.json()}
    assert sorted(items) == ["otwarta", "zamknieta", "zaplanowana"]
    for slug, item in items.items():
        assert set(item) == API_KEYS
        assert datetime.fromisoformat(item["opens_at"]).utcoffset() is not None
        assert datetime.fromisoformat(item["closes_at"]).utcoffset() is not None
        assert item["url"] == f"http://testserver/consultations/{slug}"
    assert items["otwarta"]["status"] == "open"
    assert items["zaplanowana"]["status"] == "scheduled"
    assert items["zamknieta"]["status"] == "closed"
    assert items["zamknieta"]["municipality"] == "Gmina Łąkowa"
    closed = three_consultations["closed"]
    assert datetime.fromisoformat(items["zamknieta"]["closes_at"]) == closed.closes_at


def test_api_detail_gives_the_paragraphs_with_their_comment_counts(client, db):
    consultation = make_consultation(db)
    priorities = paragraph_by_label(db, consultation, "§ 6 ust. 1 pkt 4")
    make_comment(db, consultation, paragraph=priorities)
    make_comment(db, consultation, paragraph=priorities)

    response = client.get(f"/api/consultations/{consultation.slug}")

    assert response.status_code == 200
    item = response.json()
    assert set(item) >= API_KEYS and item["status"] == "open"
    paragraphs = item["paragraphs"]
    assert len(paragraphs) == 37
    assert all(set(p) == {"id", "label", "text", "comments"} for p in paragraphs)
    assert paragraphs[0]["label"] == "§ 1 ust. 1" and paragraphs[-1]["label"] == "§ 12 ust. 3"
    by_label = {p["label"]: p for p in paragraphs}
    assert by_label["§ 6 ust. 1 pkt 4"] == {
        "id": priorities.key,
        "label": "§ 6 ust. 1 pkt 4",
        "text": priorities.text,
        "comments": 2,
    }
    assert sum(p["comments"] for p in paragraphs) == 2


@pytest.mark.parametrize("slug", ["nie-ma-takiej", "szkic"])
def test_api_detail_of_an_unknown_or_draft_consultation_is_404_json(client, db, slug):
    make_consultation(db, slug="szkic", published=False)

    response = client.get(f"/api/consultations/{slug}")

    assert response.status_code == 404
    assert response.headers["content-type"] == "application/json"
    assert response.json() == {"error": "not found"}


# --- scale: fixed queries, bounded rendering ------------------------------------------------------


def pile_of_comments(db, consultation, n: int, paragraph: Paragraph | None = None) -> list[Comment]:
    """n comments in one thread, inserted directly in one commit: a quarter are replies, ten to a root."""
    thread = get_or_create_thread(db, consultation, paragraph.key if paragraph else None)
    author, ngo = member_of_verified_ngo(db)
    start = utcnow() - timedelta(days=1)
    replies = n // 4
    roots = [
        Comment(
            thread_id=thread.id, author_id=author.id, organisation_id=ngo.id, body=f"Uwaga {i}",
            body_html=f"<p>Uwaga {i}</p>", created_at=start + timedelta(seconds=i),
        )
        for i in range(n - replies)
    ]  # fmt: skip
    db.add_all(roots)
    db.flush()
    answers = []
    for j in range(replies):
        root = roots[j // 10]
        root.root_id, root.reply_count = root.id, root.reply_count + 1
        answers.append(
            Comment(
                thread_id=thread.id, parent_id=root.id, root_id=root.id, depth=1, author_id=author.id,
                organisation_id=ngo.id, body=f"Odpowiedź {j}", body_html=f"<p>Odpowiedź {j}</p>",
                created_at=start + timedelta(seconds=n + j),
            )
        )  # fmt: skip
    for root in roots:
        root.root_id = root.id
    db.add_all(answers)
    db.commit()
    return roots


def statements_for(app, client, url: str, **kwargs) -> tuple[list[str], object]:
    """The SQL statements one request runs, and its response."""
    statements: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    event.listen(app.state.engine, "before_cursor_execute", record)
    try:
        response = client.get(url, **kwargs)
    finally:
        event.remove(app.state.engine, "before_cursor_execute", record)
    assert response.status_code == 200
    return statements, response


def test_consultation_page_costs_the_same_queries_at_10_and_1000_comments(app, client, db):
    official, municipality = make_official(db)
    small = make_consultation(db, official=official, municipality=municipality, slug="mala")
    large = make_consultation(db, official=official, municipality=municipality, slug="duza")
    for consultation, n in ((small, 10), (large, 1000)):
        pile_of_comments(db, consultation, n // 2)
        pile_of_comments(db, consultation, n - n // 2, paragraph_by_label(db, consultation, "§ 6 ust. 1 pkt 4"))
    reader, _ = member_of_verified_ngo(db)
    signed_in(client, reader)
    client.get("/consultations/mala")  # the first request after logging in may settle the session

    few, few_page = statements_for(app, client, "/consultations/mala")
    many, many_page = statements_for(app, client, "/consultations/duza")

    assert len(few) == len(many), "\n".join(many)
    point = paragraph_by_label(db, large, "§ 6 ust. 1 pkt 4")
    assert page(many_page).one(f"#paragraph-{point.key}-count").text == "500"
    assert page(few_page).one(f"#paragraph-{paragraph_by_label(db, small, '§ 6 ust. 1 pkt 4').key}-count").text == "5"
    fragment = {"headers": {"HX-Request": "true"}}
    small_key = paragraph_by_label(db, small, "§ 6 ust. 1 pkt 4").key
    few_thread, _ = statements_for(app, client, f"/consultations/mala/paragraphs/{small_key}", **fragment)
    many_thread, _ = statements_for(app, client, f"/consultations/duza/paragraphs/{point.key}", **fragment)
    assert len(few_thread) == len(many_thread), "\n".join(many_thread)


@pytest.fixture
def crowded(db):
    """A consultation with 1,000 comments on the whole document and 1,000 on § 6 ust. 1 pkt 4."""
    consultation = make_consultation(db, slug="tlum")
    point = paragraph_by_label(db, consultation, "§ 6 ust. 1 pkt 4")
    general_roots = pile_of_comments(db, consultation, 1000)
    point_roots = pile_of_comments(db, consultation, 1000, point)
    return consultation, point, general_roots, point_roots


def test_no_response_renders_more_than_about_200_comments(client, db, crowded):
    consultation, point, _, _ = crowded

    whole = page(client.get("/consultations/tlum"))
    thread = client.get(f"/consultations/tlum/paragraphs/{point.key}", headers={"HX-Request": "true"})
    thread_page = client.get(f"/consultations/tlum/paragraphs/{point.key}")
    discussion = client.get("/consultations/tlum/discussion")

    assert 20 <= len(whole.select("article.comment")) <= 200
    assert thread.template.name == "comments/_thread.html"
    assert 20 <= len(page(thread).select("article.comment")) <= 200
    assert 20 <= len(page(thread_page).select("article.comment")) <= 200
    assert 20 <= len(page(discussion).select("article.comment")) <= 200


def test_more_comments_link_pages_on_to_the_next_roots(client, db, crowded):
    consultation, point, general_roots, point_roots = crowded
    first = client.get(f"/consultations/tlum/paragraphs/{point.key}", headers={"HX-Request": "true"})
    more = page(first).one(f"#thread-{point.key} nav.pagination a[rel=next]")
    assert more.get("hx-get") == more.get("href"), "the same link works with and without JavaScript"

    second = client.get(path_of(more.get("href")), headers={"HX-Request": "true"})
    without_js = client.get(path_of(more.get("href")))

    roots_shown = [i for i in comment_ids(page(second)) if i in {r.id for r in point_roots}]
    assert roots_shown == [r.id for r in point_roots[20:40]]
    assert [i for i in comment_ids(page(without_js)) if i in {r.id for r in point_roots}] == roots_shown
    assert without_js.template.name == "consultations/thread.html"
    general = page(client.get("/consultations/tlum")).one("#thread-general nav.pagination a[rel=next]")
    on_page_2 = page(client.get(path_of(general.get("href"))))
    assert [i for i in comment_ids(on_page_2) if i in {r.id for r in general_roots}] == [
        r.id for r in general_roots[20:40]
    ]
