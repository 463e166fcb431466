"""Revised versions: the Markdown round trip, keys carried over, publishing, the word-level diff and its reasons."""

from __future__ import annotations

import io
import re
from html import unescape

import pytest
from sqlalchemy import event
from sqlmodel import select

from consult.consultations.actions import current_version, document_of
from consult.consultations.document import ParsedDocument, parse_docx, parse_markdown
from consult.consultations.versions import carry_keys, serialise_parsed, serialise_view, word_diff
from consult.models import Answer, AnswerLink, Consultation, DocumentVersion, Paragraph, Record
from tests.factories import (
    FIXTURES,
    PROGRAMME_MD,
    docx_with_paragraphs,
    fresh,
    ledger_events,
    make_comment,
    make_consultation,
    make_official,
    make_organisation,
    make_proposal,
    make_user,
    paragraph_by_label,
    signed_in,
)
from tests.html import page

OLD_32 = "Gmina udostępnia organizacjom informacje o planowanych konkursach ofert nie później niż 30 dni przed ich ogłoszeniem."  # noqa: E501
NEW_32 = OLD_32.replace(" 30 ", " 45 ")
SHORT = "## § 1. Postanowienia ogólne\n\n1. Program określa zasady współpracy.\n"


def textarea(response, name: str) -> str:
    """A textarea's content exactly as typed (the page reader folds white space)."""
    match = re.search(rf'<textarea id="field-{name}"[^>]*>(.*?)</textarea>', response.text, re.S)
    assert match, f"no textarea {name}"
    return unescape(match.group(1))


def shape(doc: ParsedDocument) -> tuple:
    """What a reader sees of a document: title, preamble, sections, and each paragraph's label, text and depth."""
    return (
        doc.title,
        doc.preamble,
        [(s.label, s.title, [(p.label, p.text, p.depth) for p in s.paragraphs]) for s in doc.sections],
    )


def revised(text: str = PROGRAMME_MD.read_text(encoding="utf-8"), **replacements: str) -> str:
    for old, new in replacements.items():
        assert old in text
        text = text.replace(old, new)
    return text


def keys_by_label(db, consultation: Consultation) -> dict[str, str]:
    fresh(db)
    version = current_version(db, consultation)
    return {p.label: p.key for p in db.exec(select(Paragraph).where(Paragraph.version_id == version.id)).all()}


def publish(client, consultation: Consultation, document: str, note: str = "Wydłużono termin w § 3 ust. 2.", **kw):
    return client.submit(
        f"/consultations/{consultation.slug}/versions/new",
        {"note": note, "document": document},
        follow_redirects=False,
        **kw,
    )


def answer(db, consultation: Consultation, kind: str, contribution_id: int, position: str = "accepted") -> None:
    """An answer recorded as the review screen would (the answers feature owns that screen)."""
    given = Answer(consultation_id=consultation.id, position=position, justification="Uwzględniono.")
    db.add(given)
    db.flush()
    db.add(
        AnswerLink(
            answer_id=given.id,
            consultation_id=consultation.id,
            contribution_kind=kind,
            contribution_id=contribution_id,
        )
    )
    db.commit()


@pytest.fixture
def official(db):
    municipality = make_organisation(db, kind="municipality", name="Gmina Wierzbno", verified=True)
    person, _ = make_official(db, municipality, email="k.nowak@wierzbno.pl")
    return person, municipality


@pytest.fixture
def consultation(db, official) -> Consultation:
    person, municipality = official
    return make_consultation(db, official=person, municipality=municipality, slug="program-2027")


# --- the document back to Markdown ---------------------------------------------------------------


@pytest.mark.parametrize(
    "name", ["program-wspolpracy-2027.md", "program-wspolpracy-2027.docx", "program-wspolpracy-2027-autonumbered.docx"]
)
def test_serialise_round_trips_the_fixture_programme(name):
    source = FIXTURES / name
    doc = (
        parse_markdown(source.read_text(encoding="utf-8")) if name.endswith(".md") else parse_docx(source.read_bytes())
    )

    again = parse_markdown(serialise_parsed(doc))

    assert shape(again) == shape(doc)
    assert len(again.paragraphs) == 37


def test_serialise_round_trips_a_stored_version(db, consultation):
    view = document_of(db, current_version(db, consultation))

    again = parse_markdown(serialise_view(view))

    stored = [(p.label, p.text) for _s, ps in view.sections for p in ps]
    assert [(p.label, p.text) for p in again.paragraphs] == stored
    assert again.title == view.version.title and again.preamble == view.version.preamble


def test_serialise_round_trips_points_without_a_paragraph_unnumbered_text_and_one_line_sections():
    doc = parse_markdown(
        "# Uchwała nr X/1/2026\n\nWstęp do uchwały.\n\nDrugi akapit wstępu.\n\n"
        "## § 1. Zakres\n\n1) pierwszy punkt;\n2) drugi punkt.\n\nTekst bez numeru.\n\n1. Ustęp po tekście.\n"
        "   1) punkt ustępu.\n\n## Postanowienia końcowe\n\nZwykły akapit.\n\nDrugi zwykły akapit.\n\n"
        "## § 2. Wykonanie uchwały powierza się Wójtowi.\n"
    )

    again = parse_markdown(serialise_parsed(doc))

    assert shape(again) == shape(doc)
    assert [p.label for p in doc.paragraphs] == [
        "§ 1 pkt 1", "§ 1 pkt 2", "§ 1 (1)", "§ 1 ust. 1", "§ 1 ust. 1 pkt 1",
        "Postanowienia końcowe (1)", "Postanowienia końcowe (2)", "§ 2",
    ]  # fmt: skip


# --- keys across versions ------------------------------------------------------------------------


def test_carry_keys_follows_labels_moves_and_rewordings():
    before = parse_markdown(
        "## § 1. Cele\n\n1. Program wspiera organizacje pozarządowe w gminie.\n"
        "2. Gmina ogłasza konkursy ofert co roku w styczniu.\n3. Sprawozdanie składa się do końca maja.\n"
        "## § 2. Środki\n\n1. Na program przeznacza się 480 000 zł.\n"
    )
    old = [Paragraph(key=p.key, label=p.label, text=p.text, position=i, version_id=1, section_id=1)
           for i, p in enumerate(before.paragraphs)]  # fmt: skip
    key = {p.label: p.key for p in before.paragraphs}
    after = parse_markdown(
        "## § 1. Cele\n\n1. Program wspiera organizacje pozarządowe w gminie.\n"
        "2. Nowy ustęp o wolontariacie młodzieżowym.\n"  # inserted: the old ust. 2 and 3 move down
        "3. Gmina ogłasza konkursy ofert co roku w styczniu.\n"  # moved, unchanged: found by its text
        "4. Sprawozdanie składa się do końca czerwca.\n"  # moved and reworded: found by similarity
        "## § 2. Środki\n\n1. Na program przeznacza się 520 000 zł.\n"  # reworded in place: found by its label
    )

    carried = carry_keys(old, after)

    got = {p.label: p.key for p in after.paragraphs}
    assert carried == 4
    assert got["§ 1 ust. 1"] == key["§ 1 ust. 1"]
    assert got["§ 1 ust. 3"] == key["§ 1 ust. 2"]
    assert got["§ 1 ust. 4"] == key["§ 1 ust. 3"]
    assert got["§ 2 ust. 1"] == key["§ 2 ust. 1"]
    assert got["§ 1 ust. 2"] not in key.values()
    assert len(set(got.values())) == 5


def test_word_diff_marks_the_changed_words_only():
    assert word_diff(OLD_32, NEW_32) == [
        ("equal", OLD_32.split(" 30 ")[0]),
        ("delete", "30"),
        ("insert", "45"),
        ("equal", "dni przed ich ogłoszeniem."),
    ]
    assert word_diff("a b c", "a b c") == [("equal", "a b c")]


# --- publishing a version ------------------------------------------------------------------------


def test_new_version_form_is_prefilled_with_the_current_text(client, db, official, consultation):
    signed_in(client, official[0])

    response = client.get("/consultations/program-2027/versions/new")

    assert response.status_code == 200 and response.template.name == "consultations/new_version.html"
    typed = textarea(response, "document")
    assert shape(parse_markdown(typed)) == shape(parse_markdown(PROGRAMME_MD.read_text(encoding="utf-8")))


def test_publish_version_edited_in_place_keeps_keys_and_threads(client, db, official, consultation):
    paragraph = paragraph_by_label(db, consultation, "§ 3 ust. 2")
    comment = make_comment(db, consultation, paragraph=paragraph, body="Prosimy o dłuższy termin.")
    before = keys_by_label(db, consultation)
    signed_in(client, official[0])

    response = publish(client, consultation, revised(**{OLD_32: NEW_32}))

    assert response.status_code == 303
    assert response.headers["location"].endswith("/consultations/program-2027/diff?from=1&to=2")
    assert keys_by_label(db, consultation) == before
    version = current_version(db, consultation)
    assert (version.number, version.note) == (2, "Wydłużono termin w § 3 ust. 2.")
    reader = client.get("/consultations/program-2027")
    assert page(reader).select(f"#p-{paragraph.key} p")[0].text == "§ 3 ust. 2 " + NEW_32
    assert page(reader).one(f"#paragraph-{paragraph.key}-count").text == "1"
    thread = client.get(f"/consultations/program-2027/paragraphs/{paragraph.key}")
    assert page(thread).one(f"#comment-{comment.id}")
    [event_] = ledger_events(db, "document.version_published")
    assert event_.subject_id == str(consultation.id)
    assert '"version":2' in event_.payload and '"paragraphs":37' in event_.payload
    assert '"document_sha256":"' in event_.payload


def test_checking_a_new_version_shows_how_it_was_read_and_publishes_nothing(client, db, official, consultation):
    signed_in(client, official[0])
    text = revised(**{"2. Gmina udostępnia": "4. Gmina udostępnia"})

    response = client.submit(
        f"/consultations/{consultation.slug}/versions/new", {"note": "", "document": text, "action": "preview"}
    )

    assert response.status_code == 200 and response.template.name == "consultations/new_version.html"
    preview = page(response).one("section.import-preview")
    [jump] = [li for li in preview.select(".import-notes li") if "jumps" in li.text]
    assert jump.select("a")[0].text == "§ 3 ust. 4" and "Numbering jumps from ust. 1 to ust. 4." in jump.text
    assert preview.one(jump.select("a")[0].get("href")).text.startswith("§ 3 ust. 4 Gmina udostępnia")
    assert textarea(response, "document") == text
    assert not page(response).select("p.field-error"), "the note is asked for only when publishing"
    assert current_version(db, consultation).number == 1


def test_checking_an_uploaded_word_file_puts_its_text_in_the_field(client, db, official, consultation):
    signed_in(client, official[0])
    name = "uchwala-polskie-style.docx"

    response = client.submit(
        f"/consultations/{consultation.slug}/versions/new",
        {"note": "Nowy tekst z Worda.", "document": "", "action": "preview"},
        files={"upload": (name, (FIXTURES / name).read_bytes(), "application/octet-stream")},
    )

    assert response.status_code == 200
    typed = textarea(response, "document")
    assert "## Rozdział 1. Postanowienia ogólne" in typed and "– zespołu do spraw sportu," in typed
    assert [p.label for p in parse_markdown(typed).paragraphs] == [
        p.label for p in parse_docx((FIXTURES / name).read_bytes()).paragraphs
    ]
    assert current_version(db, consultation).number == 1


def test_a_comment_follows_its_paragraph_when_a_new_one_is_inserted_before_it(client, db, official, consultation):
    paragraph = paragraph_by_label(db, consultation, "§ 3 ust. 2")
    comment = make_comment(db, consultation, paragraph=paragraph, body="Prosimy o dłuższy termin.")
    signed_in(client, official[0])
    inserted = revised(**{f"2. {OLD_32}": f"2. Gmina prowadzi rejestr organizacji.\n3. {OLD_32}"})

    assert publish(client, consultation, inserted).status_code == 303

    keys = keys_by_label(db, consultation)
    assert keys["§ 3 ust. 3"] == paragraph.key and keys["§ 3 ust. 2"] != paragraph.key
    reader = page(client.get("/consultations/program-2027"))
    assert reader.one(f"#paragraph-{paragraph.key}-count").text == "1"
    assert page(client.get(f"/consultations/program-2027/paragraphs/{paragraph.key}")).one(f"#comment-{comment.id}")
    client.cookies.clear()
    moved = page(client.get("/consultations/program-2027/diff?from=1&to=2")).one(f"#paragraph-{paragraph.key}-diff")
    assert moved.one(".diff-moved").text == "(dawniej § 3 ust. 2)"
    assert moved.one(".badge").text == "bez zmian"


def test_publish_version_from_an_uploaded_word_file(client, db, official, consultation):
    signed_in(client, official[0])
    data = docx_with_paragraphs("Program współpracy", "§ 1. Postanowienia ogólne", "1. Program określa zasady.")

    response = client.submit(
        "/consultations/program-2027/versions/new",
        {"note": "Nowy, krótszy tekst.", "document": ""},
        files={"upload": ("program.docx", io.BytesIO(data), "application/octet-stream")},
        follow_redirects=False,
    )

    assert response.status_code == 303
    fresh(db)
    version = current_version(db, consultation)
    assert (version.number, version.source) == (2, "docx")
    assert [p.label for _s, ps in document_of(db, version).sections for p in ps] == ["§ 1 ust. 1"]


def test_publish_version_from_an_uploaded_markdown_file(client, db, official, consultation):
    signed_in(client, official[0])
    upload = ("program.md", io.BytesIO(revised(**{OLD_32: NEW_32}).encode("utf-8")), "text/markdown")

    response = client.submit(
        "/consultations/program-2027/versions/new",
        {"note": "Plik z poprawkami.", "document": "tekst pola, zastąpiony przez plik"},
        files={"upload": upload},
        follow_redirects=False,
    )

    assert response.status_code == 303
    assert current_version(db, consultation).number == 2


def test_publish_version_twice_numbers_them_in_order(client, db, official, consultation):
    signed_in(client, official[0])
    publish(client, consultation, revised(**{OLD_32: NEW_32}))

    publish(client, consultation, revised(**{OLD_32: NEW_32.replace("45", "60")}), note="Jeszcze dłuższy termin.")

    fresh(db)
    numbers = db.exec(select(DocumentVersion.number).where(DocumentVersion.consultation_id == consultation.id)).all()
    assert sorted(numbers) == [1, 2, 3]
    listing = page(client.get("/consultations/program-2027/versions"))
    assert [row.one("th").text.split(" current")[0] for row in listing.select("tbody tr")] == [
        "Version 1",
        "Version 2",
        "Version 3",
    ]
    assert listing.one("#version-3-row").text.endswith("Jeszcze dłuższy termin.")


# --- refusals ------------------------------------------------------------------------------------


def test_publish_version_by_a_non_official_is_refused(client, db, consultation):
    outsider = make_user(db)
    make_organisation(db, admin=outsider, verified=True)
    signed_in(client, outsider)

    for response in (client.get("/consultations/program-2027/versions/new"), publish(client, consultation, SHORT)):
        assert response.status_code == 403 and response.template.name == "errors/403.html"
    assert current_version(db, consultation).number == 1
    assert ledger_events(db, "document.version_published") == []


def test_publish_version_signed_out_asks_to_log_in(client, consultation):
    response = client.get("/consultations/program-2027/versions/new", follow_redirects=False)

    assert response.status_code == 303 and "/login" in response.headers["location"]


def test_publish_version_of_a_draft_is_refused(client, db, official):
    person, municipality = official
    draft = make_consultation(db, official=person, municipality=municipality, slug="szkic", published=False)
    signed_in(client, person)

    response = publish(client, draft, SHORT)

    assert response.status_code == 409
    assert "editing the draft" in page(response).one("main").text
    assert current_version(db, draft).number == 1


def test_publish_version_after_the_record_is_refused(client, db, official, consultation):
    db.add(Record(consultation_id=consultation.id, sha256="0" * 64))
    db.commit()
    signed_in(client, official[0])

    response = publish(client, consultation, SHORT)

    assert response.status_code == 409
    assert current_version(db, consultation).number == 1


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ("", "Paste the document or upload a file."),
        ("Sam tekst bez paragrafów.", "The document has no paragraphs"),
        (PROGRAMME_MD.read_text(encoding="utf-8"), "The text is the same as the current version."),
    ],
    ids=["empty", "no-paragraphs", "unchanged"],
)
def test_publish_version_without_a_readable_document_keeps_the_text(
    client, db, official, consultation, document, message
):
    signed_in(client, official[0])

    response = publish(client, consultation, document, note="Poprawki redakcyjne.")

    assert response.status_code == 422
    html = page(response)
    assert message in html.one("#field-document-error").text
    assert textarea(response, "document") == document
    assert textarea(response, "note") == "Poprawki redakcyjne."
    assert current_version(db, consultation).number == 1


def test_publish_version_with_a_file_of_another_kind_keeps_the_text(client, db, official, consultation):
    signed_in(client, official[0])

    response = client.submit(
        "/consultations/program-2027/versions/new",
        {"note": "Poprawki.", "document": SHORT},
        files={"upload": ("program.pdf", io.BytesIO(b"%PDF-1.4"), "application/pdf")},
    )

    assert response.status_code == 422
    assert "(.docx) or a Markdown file" in page(response).one("#field-upload-error").text
    assert textarea(response, "document") == SHORT


def test_publish_version_without_a_note_is_refused(client, db, official, consultation):
    signed_in(client, official[0])

    response = publish(client, consultation, SHORT, note="")

    assert response.status_code == 422
    assert page(response).one("#field-note-error")
    assert current_version(db, consultation).number == 1


# --- reading versions and the diff ---------------------------------------------------------------


@pytest.fixture
def revised_consultation(client, db, official, consultation):
    """Version 2: § 3 ust. 2 reworded, § 7 ust. 1 removed, a new § 12 ust. 4, the rest unchanged."""
    signed_in(client, official[0])
    seven = "1. Program realizowany jest od dnia 1 stycznia 2027 r. do dnia 31 grudnia 2027 r.\n"
    text = revised(**{OLD_32: NEW_32, seven: "", "## § 7. Okres realizacji programu\n": "## § 7. Okres\n"})
    text += "4. Komisja działa jawnie.\n"
    assert publish(client, consultation, text).status_code == 303
    client.cookies.clear()
    return consultation


def test_diff_is_public_and_shows_words_added_and_removed(client, db, revised_consultation):
    key = keys_by_label(db, revised_consultation)["§ 3 ust. 2"]

    response = client.get("/consultations/program-2027/diff?from=1&to=2")

    assert response.status_code == 200 and response.template.name == "consultations/diff.html"
    html = page(response)
    assert html.one("h1").text == "Zmiany między wersją 1 a wersją 2"
    assert html.texts("ul.diff-summary li") == ["1 zmieniony ustęp", "1 dodany ustęp", "1 usunięty ustęp"]
    changed = html.one(f"#paragraph-{key}-diff")
    assert changed.one("del").text == "[usunięto: 30 ]" and changed.one("ins").text == "[dodano: 45 ]"
    assert changed.texts("del span.visually-hidden") == ["[usunięto:", "]"]
    assert changed.one(".badge").text == "zmieniony"
    assert [p.one(".label").text for p in html.select(".diff-removed")] == ["§ 7 ust. 1"]
    assert [p.one(".label").text for p in html.select(".diff-added")] == ["§ 12 ust. 4"]
    assert html.one(".diff-added ins").text == "[dodano: Komisja działa jawnie. ]"
    folded = html.select("details.diff-unchanged")
    assert sum(len(d.select(".diff-paragraph")) for d in folded) == 35
    runs = html.texts("details.diff-unchanged summary")
    assert runs[0].startswith("10 niezmienionych ustępów (§ 1 ust. 1 – ")
    assert runs[1] == "14 niezmienionych ustępów (§ 4 ust. 1 – § 6 ust. 1 pkt 5)"


def test_diff_defaults_to_the_last_two_versions_and_has_a_form_to_choose(client, revised_consultation):
    listing = client.get("/consultations/program-2027/versions")
    assert listing.status_code == 200 and listing.template.name == "consultations/versions.html"
    assert page(listing).select("a[href=/consultations/program-2027/versions/new]") == []  # not for the public

    response = client.get("/consultations/program-2027/diff")

    html = page(response)
    assert html.one("h1").text == "Zmiany między wersją 1 a wersją 2"
    form = html.one("form.compare-form")
    assert form.get("method") == "get" and form.get("action") == "/consultations/program-2027/diff"
    assert html.one("select#compare-from option[selected]").get("value") == "1"
    assert html.one("select#compare-to option[selected]").get("value") == "2"


@pytest.mark.parametrize("query", ["from=1&to=9", "from=x&to=2"])
def test_diff_of_a_version_that_does_not_exist_is_not_found(client, revised_consultation, query):
    assert client.get(f"/consultations/program-2027/diff?{query}").status_code == 404


def test_versions_and_diff_of_a_draft_are_not_public(client, db, official):
    person, municipality = official
    make_consultation(db, official=person, municipality=municipality, slug="szkic", published=False)

    assert client.get("/consultations/szkic/versions").status_code == 404
    assert client.get("/consultations/szkic/diff").status_code == 404


def test_consultation_page_shows_the_current_version_and_links_the_diff(client, db, revised_consultation):
    html = page(client.get("/consultations/program-2027"))

    line = html.one(f"#consultation-{revised_consultation.id}-version")
    assert line.text.startswith("Wersja 2 dokumentu, opublikowana")
    assert line.one("a[href=/consultations/program-2027/diff]").text == "Zobacz, co się zmieniło"
    assert "§ 7 ust. 1" not in html.texts("article.document span.label")


def test_diff_links_the_accepted_contributions_behind_a_change(client, db, official, consultation):
    paragraph = paragraph_by_label(db, consultation, "§ 3 ust. 2")
    accepted = make_comment(db, consultation, paragraph=paragraph, body="Trzydzieści dni to za mało.")
    partly = make_comment(db, consultation, paragraph=paragraph, body="Prosimy o 60 dni.")
    rejected = make_comment(db, consultation, paragraph=paragraph, body="Termin jest dobry.")
    elsewhere = make_comment(db, consultation, paragraph=paragraph_by_label(db, consultation, "§ 1 ust. 1"))
    proposal = make_proposal(db, consultation, title="Dłuższy termin informacji", paragraph_key=paragraph.key)
    answer(db, consultation, "comment", accepted.id)
    answer(db, consultation, "comment", partly.id, "partly_accepted")
    answer(db, consultation, "comment", rejected.id, "rejected")
    answer(db, consultation, "comment", elsewhere.id)  # its paragraph does not change: no reason shown
    answer(db, consultation, "proposal", proposal.id)
    signed_in(client, official[0])
    publish(client, consultation, revised(**{OLD_32: NEW_32}))
    client.cookies.clear()

    html = page(client.get("/consultations/program-2027/diff?from=1&to=2"))

    reasons = html.one(f"#paragraph-{paragraph.key}-reasons")
    assert reasons.one("strong").text == "3 uwagi doprowadziły do tej zmiany"
    links = [a.get("href") for a in reasons.select("a")]
    thread = f"/consultations/program-2027/paragraphs/{paragraph.key}?page=1"
    assert links == [
        f"{thread}#comment-{accepted.id}",
        f"{thread}#comment-{partly.id}",
        f"/consultations/program-2027/proposals/{proposal.id}",
    ]
    assert "Stanowisko: częściowo uwzględniona" in reasons.texts("li")[1]
    assert len(html.select(".diff-reasons")) == 1


def test_diff_costs_the_same_queries_with_one_or_many_contributions(app, client, db, official):
    person, municipality = official
    signed_in(client, person)
    urls = []
    for slug, n in (("jedna", 1), ("wiele", 6)):
        consultation = make_consultation(db, official=person, municipality=municipality, slug=slug)
        paragraph = paragraph_by_label(db, consultation, "§ 3 ust. 2")
        for _ in range(n):
            answer(db, consultation, "comment", make_comment(db, consultation, paragraph=paragraph).id)
        publish(client, consultation, revised(**{OLD_32: NEW_32}))
        urls.append(f"/consultations/{slug}/diff?from=1&to=2")
    client.get(urls[0])

    def statements(url: str) -> tuple[int, object]:
        seen: list[str] = []
        listener = lambda *args: seen.append(args[2])  # noqa: E731
        event.listen(app.state.engine, "before_cursor_execute", listener)
        try:
            response = client.get(url)
        finally:
            event.remove(app.state.engine, "before_cursor_execute", listener)
        assert response.status_code == 200
        return len(seen), page(response)

    (few, _), (many, html_) = statements(urls[0]), statements(urls[1])
    assert few == many
    assert len(html_.select(".diff-reason")) == 6
