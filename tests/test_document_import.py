"""Importing a draft: the programme as Markdown and as two kinds of Word file gives the same labelled paragraphs."""

from __future__ import annotations

import io
import os
import re
import zipfile
from contextlib import contextmanager
from xml.sax.saxutils import escape

import pytest

from consult.consultations.document import DocumentError, ParsedDocument, parse_docx, parse_markdown, parse_text
from consult.consultations.parsing.units import letter, ordinal
from consult.consultations.versions import serialise_parsed
from consult.i18n import current_locale
from tests.factories import FIXTURES, PROGRAMME_DOCX, PROGRAMME_MD, docx_with_paragraphs, rezipped

AUTONUMBERED = FIXTURES / "program-wspolpracy-2027-autonumbered.docx"
NO_PARAGRAPHS = "The document has no paragraphs"
UNREADABLE = "could not be read as a Word document"


def imported(name: str) -> ParsedDocument:
    if name == "markdown":
        return parse_markdown(PROGRAMME_MD.read_text(encoding="utf-8"))
    return parse_docx((PROGRAMME_DOCX if name == "docx" else AUTONUMBERED).read_bytes())


def labels(document: ParsedDocument) -> list[str]:
    return [p.label for p in document.paragraphs]


# --- the fixture programme, whichever file it comes from ---------------------------------------

SOURCES = ["markdown", "docx", "autonumbered"]


@pytest.mark.parametrize("source", SOURCES)
def test_import_finds_twelve_sections_labelled_from_section_1_to_12(source):
    document = imported(source)

    assert [s.label for s in document.sections] == [f"§ {n}" for n in range(1, 13)]
    assert document.sections[0].title == "Postanowienia ogólne"
    assert document.title.startswith("Program współpracy Gminy Wierzbno")


@pytest.mark.parametrize("source", SOURCES)
def test_import_labels_paragraphs_and_points_as_the_law_cites_them(source):
    found = labels(imported(source))

    assert found[0] == "§ 1 ust. 1"
    assert found[-1] == "§ 12 ust. 3"
    assert "§ 2 ust. 2 pkt 3" in found
    assert "§ 5 ust. 2 pkt 5" in found


@pytest.mark.parametrize("source", SOURCES)
def test_import_restarts_the_numbering_in_every_section(source):
    """Word's automatic numbering runs on across sections; every section must start again at ust. 1."""
    document = imported(source)

    for section in document.sections:
        assert section.paragraphs, f"{section.label} has no paragraphs"
        assert section.paragraphs[0].label == f"{section.label} ust. 1"
        assert all(p.label.startswith(f"{section.label} ") for p in section.paragraphs)


@pytest.mark.parametrize("source", SOURCES)
def test_import_keeps_the_text_of_each_point(source):
    document = imported(source)
    by_label = {p.label: p for p in document.paragraphs}

    point = by_label["§ 6 ust. 1 pkt 4"]
    assert point.text.startswith("działalności na rzecz osób z niepełnosprawnością")
    assert point.depth == 1
    assert by_label["§ 6 ust. 1"].depth == 0
    assert not re.match(r"^\d+[.)]", point.text), "the typed number stays out of the text"


def test_import_of_markdown_and_both_word_files_gives_the_same_paragraphs():
    markdown, docx, autonumbered = (imported(source) for source in SOURCES)

    expected = [(p.label, p.text) for p in markdown.paragraphs]
    assert len(expected) > 30
    assert [(p.label, p.text) for p in docx.paragraphs] == expected
    assert [(p.label, p.text) for p in autonumbered.paragraphs] == expected
    assert [s.title for s in docx.sections] == [s.title for s in markdown.sections]


@pytest.mark.parametrize("source", SOURCES)
def test_import_gives_every_paragraph_a_distinct_key(source):
    keys = [p.key for p in imported(source).paragraphs]

    assert len(set(keys)) == len(keys)
    assert all(re.fullmatch(r"[0-9a-z]+", key) for key in keys), "keys are used in DOM ids and URLs"


def test_import_reads_sections_pasted_without_markdown_headings():
    """The form's hint says sections start with "§ 1. Title": text pasted from Word has no "##"."""
    pasted = re.sub(r"^## ", "", PROGRAMME_MD.read_text(encoding="utf-8"), flags=re.MULTILINE)

    document = parse_markdown(pasted)

    assert [(p.label, p.text) for p in document.paragraphs] == [
        (p.label, p.text) for p in imported("markdown").paragraphs
    ]


def test_import_keeps_a_reference_to_a_section_inside_a_paragraph():
    document = parse_markdown(
        "## § 1. Zasady\n\n1. Przepis stosuje się odpowiednio do spraw, o których mowa w\n§ 3 ust. 2 uchwały.\n"
    )

    assert [(p.label, p.text) for p in document.paragraphs] == [
        ("§ 1 ust. 1", "Przepis stosuje się odpowiednio do spraw, o których mowa w § 3 ust. 2 uchwały.")
    ]


def test_import_keeps_a_long_heading_without_section_sign_as_title_under_a_short_label():
    heading = "Rozdział pierwszy: postanowienia ogólne dotyczące programu współpracy z organizacjami"
    document = parse_markdown(f"## Wstęp\n\nTekst wstępu.\n\n## {heading}\n\n1. Program określa zasady.\n")

    short, long = document.sections
    assert (short.label, short.title) == ("Wstęp", "")
    assert long.title == heading
    assert long.label == "Rozdział pierwszy: postanowienia…"
    assert len(long.label) <= 40, "labels are stored in a column of 40 characters"
    assert labels(document) == ["Wstęp (1)", "Rozdział pierwszy: postanowienia… ust. 1"]


# --- documents that cannot be consulted paragraph by paragraph ----------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "Zapraszamy do konsultacji.\n\nProjekt dotyczy współpracy z organizacjami.",
        "# Program współpracy na rok 2027\n\nTekst bez podziału na paragrafy.",
        "1. Pierwszy ustęp bez paragrafu.\n2. Drugi ustęp.",
        "",
    ],
    ids=["prose", "title-only", "numbers-without-sections", "empty"],
)
def test_import_of_markdown_without_sections_is_refused_with_a_clear_message(text):
    with pytest.raises(DocumentError) as refused:
        parse_markdown(text)

    assert NO_PARAGRAPHS in str(refused.value)
    assert "“§ 1. Title”" in str(refused.value), "the message says how to fix the document"


def test_import_of_a_word_file_without_sections_is_refused_with_a_clear_message():
    data = docx_with_paragraphs("Program współpracy", "Zapraszamy do konsultacji.", "Projekt dotyczy organizacji.")

    with pytest.raises(DocumentError) as refused:
        parse_docx(data)

    assert NO_PARAGRAPHS in str(refused.value)


def test_import_of_a_word_file_with_sections_typed_by_hand_is_accepted():
    data = docx_with_paragraphs("Program współpracy", "§ 1. Zasady", "1. Pierwszy ustęp.", "1) punkt;", "2. Drugi.")

    document = parse_docx(data)

    assert labels(document) == ["§ 1 ust. 1", "§ 1 ust. 1 pkt 1", "§ 1 ust. 2"]


def broken_files() -> dict[str, bytes]:
    not_a_docx = io.BytesIO()
    with zipfile.ZipFile(not_a_docx, "w") as archive:
        archive.writestr("photo.txt", "holiday pictures")
    real = PROGRAMME_DOCX.read_bytes()
    return {
        "random-bytes": os.urandom(4096),
        "zip-that-is-not-a-docx": not_a_docx.getvalue(),
        "text-file-renamed": PROGRAMME_MD.read_bytes(),
        "empty-file": b"",
        "truncated-docx": real[: len(real) // 2],
        "damaged-xml": rezipped(zipfile.ZipFile(PROGRAMME_DOCX), {"word/document.xml": b"<w:document><w:body><w:p>"}),
    }


@pytest.mark.parametrize("name", list(broken_files()))
def test_import_of_a_broken_word_file_is_refused_with_document_error(name):
    data = broken_files()[name]

    with pytest.raises(DocumentError) as refused:
        parse_docx(data)

    assert UNREADABLE in str(refused.value) or NO_PARAGRAPHS in str(refused.value)


# --- resolutions as councils write them: chapters, § with ustępy, punkty, litery and tirets ---------------------

ANNEX = FIXTURES / "uchwala-zalacznik.txt"
STRATEGY = FIXTURES / "strategia.txt"
FROM_PDF = FIXTURES / "uchwala-z-pdf.txt"
POLISH_DOCX = FIXTURES / "uchwala-polskie-style.docx"
CHAPTER_1 = "Rozdział 1. Postanowienia ogólne"

ANNEX_PARAGRAPHS = [
    ("§ 1 ust. 1", 0),
    ("§ 1 ust. 2", 0),
    ("§ 1 ust. 2 pkt 1", 1),
    ("§ 1 ust. 2 pkt 2", 1),
    ("§ 1 ust. 2 pkt 2 lit. a", 2),
    ("§ 1 ust. 2 pkt 2 lit. b", 2),
    ("§ 1 ust. 2 pkt 3", 1),
    ("§ 2", 0),
    ("§ 3 ust. 1", 0),
    ("§ 3 ust. 2", 0),
    ("§ 3 ust. 2 pkt 1", 1),
    ("§ 3 ust. 2 pkt 1 lit. a", 2),
    ("§ 3 ust. 2 pkt 1 lit. b", 2),
    ("§ 3 ust. 2 pkt 1 lit. b tiret pierwsze", 3),
    ("§ 3 ust. 2 pkt 1 lit. b tiret drugie", 3),
    ("§ 3 ust. 2 pkt 1 lit. b tiret trzecie", 3),
    ("§ 3 ust. 2 pkt 2", 1),
    ("§ 4", 0),
    ("§ 4 pkt 1", 1),
    ("§ 4 pkt 2", 1),
    ("§ 4 pkt 3", 1),
    ("§ 5 ust. 1", 0),
    ("§ 5 ust. 2", 0),
    ("§ 5 ust. 2 pkt 1", 1),
    ("§ 5 ust. 2 pkt 2", 1),
    ("§ 6", 0),
    ("§ 7 ust. 1", 0),
    ("§ 7 ust. 2", 0),
]
STRATEGY_PARAGRAPHS = [
    ("Rozdział I ust. 1", 0),
    ("Rozdział I ust. 2", 0),
    ("Rozdział I ust. 2 pkt 1", 1),
    ("Rozdział I ust. 2 pkt 2", 1),
    ("Rozdział I ust. 2 pkt 3", 1),
    ("Rozdział II (1)", 0),
    ("Rozdział II ust. 1", 0),
    ("Rozdział II ust. 2", 0),
    ("Rozdział II ust. 2 lit. a", 1),
    ("Rozdział II ust. 2 lit. b", 1),
    ("Rozdział III ust. 1", 0),
    ("Rozdział III ust. 2", 0),
]
PDF_PARAGRAPHS = [
    ("§ 1 ust. 1", 0),
    ("§ 1 ust. 2", 0),
    ("§ 1 ust. 2 lit. a", 1),
    ("§ 1 ust. 2 lit. b", 1),
    ("§ 2", 0),
    ("§ 2 pkt 1", 1),
    ("§ 2 pkt 2", 1),
    ("§ 3", 0),
]
POLISH_DOCX_PARAGRAPHS = [
    ("§ 1 ust. 1", 0),
    ("§ 1 ust. 2", 0),
    ("§ 1 ust. 2 pkt 1", 1),
    ("§ 1 ust. 2 pkt 2", 1),
    ("§ 1 ust. 2 pkt 2 lit. a", 2),
    ("§ 1 ust. 2 pkt 2 lit. b", 2),
    ("§ 2", 0),
    ("§ 2 pkt 1", 1),
    ("§ 2 pkt 2", 1),
    ("§ 3 ust. 1", 0),
    ("§ 3 ust. 2", 0),
    ("§ 3 ust. 2 pkt 1", 1),
    ("§ 3 ust. 2 pkt 2", 1),
    ("§ 3 ust. 2 pkt 2 tiret pierwsze", 2),
    ("§ 3 ust. 2 pkt 2 tiret drugie", 2),
    ("§ 4", 0),
]


def resolution(name: str) -> ParsedDocument:
    if name == "docx":
        return parse_docx(POLISH_DOCX.read_bytes())
    return parse_text({"annex": ANNEX, "strategy": STRATEGY, "pdf": FROM_PDF}[name].read_text(encoding="utf-8"))


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("annex", ANNEX_PARAGRAPHS),
        ("strategy", STRATEGY_PARAGRAPHS),
        ("pdf", PDF_PARAGRAPHS),
        ("docx", POLISH_DOCX_PARAGRAPHS),
    ],
)
def test_import_labels_every_unit_of_a_resolution_as_a_lawyer_cites_it(name, expected):
    document = resolution(name)

    assert [(p.label, p.depth) for p in document.paragraphs] == expected


@pytest.mark.parametrize(
    ("name", "chapters"),
    [
        (
            "annex",
            [CHAPTER_1, CHAPTER_1, "Rozdział 2. Cele programu", "Rozdział 3. Formy współpracy",
             "Rozdział 3. Formy współpracy", "Rozdział 4. Postanowienia końcowe", "Rozdział 4. Postanowienia końcowe"],
        ),
        ("pdf", ["Rozdział 1. POSTANOWIENIA OGÓLNE"] * 2 + ["Rozdział 2. POSTANOWIENIA KOŃCOWE"]),
        (
            "docx",
            [CHAPTER_1, CHAPTER_1, "Rozdział 2. Formy współpracy", "Rozdział 3. Postanowienia końcowe"],
        ),
    ],
)  # fmt: skip
def test_import_groups_sections_under_their_chapter_and_makes_no_section_of_it(name, chapters):
    document = resolution(name)

    assert [s.chapter for s in document.sections] == chapters
    assert all(s.label.startswith("§ ") for s in document.sections)
    assert not any(p.text.lower().startswith(("rozdział", "postanowienia")) for p in document.paragraphs)


@pytest.mark.parametrize("name", ["annex", "pdf", "docx"])
def test_import_takes_the_annex_heading_as_preamble_and_the_programme_as_title(name):
    document = resolution(name)

    assert document.title.startswith("Program współpracy Gminy Wierzbno z organizacjami pozarządowymi")
    assert document.preamble == ("Załącznik do uchwały Nr XII/85/2026 Rady Gminy Wierzbno z dnia 20 listopada 2026 r.")
    assert [n.code for n in document.notes if n.paragraph_key is None] == ["preamble"]


def test_import_of_an_annex_keeps_the_first_ustep_out_of_the_section_title():
    document = resolution("annex")
    by_label = {p.label: p for p in document.paragraphs}

    assert [(s.label, s.title) for s in document.sections][:2] == [("§ 1", ""), ("§ 2", "")]
    assert by_label["§ 1 ust. 1"].text.startswith("Program określa cele, zasady")
    assert by_label["§ 2"].text == "Program obowiązuje od dnia 1 stycznia 2027 r. do dnia 31 grudnia 2027 r."
    assert by_label["§ 4"].text == "Współpraca pozafinansowa obejmuje w szczególności:"
    assert by_label["§ 3 ust. 2 pkt 1 lit. b tiret drugie"].text == "rozliczania dotacji,"


def test_import_of_a_strategy_makes_its_chapters_the_sections():
    document = resolution("strategy")

    assert [(s.label, s.title, s.chapter) for s in document.sections] == [
        ("Rozdział I", "DIAGNOZA", ""),
        ("Rozdział II", "Cele strategiczne", ""),
        ("Rozdział III", "Wdrażanie i monitorowanie", ""),
    ]
    assert document.title.startswith("Strategia rozwoju współpracy")
    assert document.notes[0].code == "preamble"
    assert len(document.notes) == 1, "unnumbered prose in a strategy's chapter is not a fault"


def test_import_of_a_strategy_with_numbered_chapters_and_no_chapter_word():
    document = parse_text(
        "Strategia współpracy na lata 2027–2030\n\n1. Wprowadzenie\n1. Strategia wyznacza kierunki.\n"
        "2. Obejmuje lata 2027–2030.\n2. Cele\n1. Silne organizacje.\n"
    )

    assert [(s.label, s.title) for s in document.sections] == [("Rozdział 1", "Wprowadzenie"), ("Rozdział 2", "Cele")]
    assert labels(document) == ["Rozdział 1 ust. 1", "Rozdział 1 ust. 2", "Rozdział 2 ust. 1"]


def test_import_of_text_from_a_pdf_joins_broken_lines_and_hyphenated_words():
    by_label = {p.label: p.text for p in resolution("pdf").paragraphs}

    assert by_label["§ 1 ust. 1"] == (
        "Program określa cele, zasady, zakres i formy współpracy Gminy Wierzbno z organizacjami pozarządowymi"
        " w roku 2027."
    )
    assert "z dnia 24 kwietnia 2003 r." in by_label["§ 1 ust. 2 lit. a"]
    assert by_label["§ 2 pkt 1"].endswith("w tym przez spotkania sieci organizacji;")
    assert by_label["§ 3"].startswith("Wykonanie uchwały powierza się Wójtowi Gminy Wierzbno, który składa Radzie")


def test_import_of_text_from_a_pdf_drops_page_numbers_and_says_so_beside_the_paragraph():
    document = resolution("pdf")

    dropped = [(n.label, n.params["text"]) for n in document.notes if n.code == "page_number"]
    assert dropped == [("§ 1 ust. 2 lit. b", "Strona 1 z 2"), ("§ 2 pkt 2", "2"), ("§ 3", "Strona 2 z 2")]
    assert not any(re.search(r"Strona \d", p.text) for p in document.paragraphs)
    keys = {p.key for p in document.paragraphs}
    assert all(n.paragraph_key in keys for n in document.notes if n.code == "page_number")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("§ 1. 1. Pierwszy ustęp.\n2. Drugi ustęp.",
         [("§ 1 ust. 1", "Pierwszy ustęp."), ("§ 1 ust. 2", "Drugi ustęp.")]),
        ("§ 1. Uchwała wchodzi w życie z dniem podjęcia.", [("§ 1", "Uchwała wchodzi w życie z dniem podjęcia.")]),
        ("§ 5. Zasady\n1. Pierwszy.\n2. Drugi.", [("§ 5 ust. 1", "Pierwszy."), ("§ 5 ust. 2", "Drugi.")]),
        ("§ 2. Tekst pierwszego ustępu.\n2. Drugi ustęp.", [("§ 2 ust. 1", "Tekst pierwszego ustępu."),
                                                           ("§ 2 ust. 2", "Drugi ustęp.")]),
        ("§ 2. Celami są:\n1) pierwszy;\na) litera,\nb) litera;\n2) drugi:\na) znów a,\n– tiret,\n– drugi tiret.",
         [("§ 2", "Celami są:"), ("§ 2 pkt 1", "pierwszy;"), ("§ 2 pkt 1 lit. a", "litera,"),
          ("§ 2 pkt 1 lit. b", "litera;"), ("§ 2 pkt 2", "drugi:"), ("§ 2 pkt 2 lit. a", "znów a,"),
          ("§ 2 pkt 2 lit. a tiret pierwsze", "tiret,"), ("§ 2 pkt 2 lit. a tiret drugie", "drugi tiret.")]),
        ("§ 3\nTekst paragrafu bez numeru.", [("§ 3", "Tekst paragrafu bez numeru.")]),
        ("§ 4. 1. Ustęp:\n- tiret z dywizu,\n— tiret z pauzy.",
         [("§ 4 ust. 1", "Ustęp:"), ("§ 4 ust. 1 tiret pierwsze", "tiret z dywizu,"),
          ("§ 4 ust. 1 tiret drugie", "tiret z pauzy.")]),
    ],
    ids=["first-ustep-on-the-section-line", "one-sentence", "title", "text-then-ust-2", "points-letters-tirets",
         "section-sign-alone", "tiret-dashes"],
)  # fmt: skip
def test_import_reads_each_way_a_section_can_start(text, expected):
    document = parse_text(text)

    assert [(p.label, p.text) for p in document.paragraphs] == expected


def test_import_reads_a_section_title_on_the_section_line():
    document = parse_text("§ 5. Zasady\n1. Pierwszy.")

    assert [(s.label, s.title) for s in document.sections] == [("§ 5", "Zasady")]


@pytest.mark.parametrize("line", ["Rozdział 1", "ROZDZIAŁ 1", "Rozdział I", "rozdział 1", "Rozdzial 1"], ids=str.lower)
def test_import_reads_a_chapter_with_its_title_on_the_next_line(line):
    document = parse_text(f"{line}\nPostanowienia ogólne\n§ 1. Uchwała dotyczy programu.")

    number = "I" if line.endswith("I") else "1"
    assert [s.chapter for s in document.sections] == [f"Rozdział {number}. Postanowienia ogólne"]
    assert labels(document) == ["§ 1"]


def test_import_reads_a_chapter_with_its_title_on_the_same_line_in_markdown_and_text():
    for text in ("## Rozdział 2. Cele programu\n\n## § 3. Cele\n\n1. Cel.", "Rozdział 2 Cele programu\n§ 3. 1. Cel."):
        document = parse_text(text)

        assert [(s.label, s.chapter) for s in document.sections] == [("§ 3", "Rozdział 2. Cele programu")]


# --- notes for the preview ------------------------------------------------------------------------------------


@contextmanager
def locale(name: str):
    token = current_locale.set(name)
    try:
        yield
    finally:
        current_locale.reset(token)


def notes_of(document: ParsedDocument) -> list[tuple[str | None, str]]:
    """Each note as the preview shows it: the label it links to, and the message (in English)."""
    with locale("en"):
        return [(n.label or None, n.translated()) for n in document.notes]


def test_import_notes_what_it_could_not_structure_paragraph_by_paragraph():
    document = parse_text(
        "Rozdział 1\nPostanowienia ogólne\n"
        "§ 1. 1. Pierwszy ustęp.\n2. Drugi ustęp.\n4. Czwarty ustęp.\nTekst bez numeru po ustępach.\n"
        "Rozdział 2\nPusty rozdział\n"
        "Rozdział 3\nPostanowienia końcowe\n§ 3. 1. Ustęp.\n1. Ten sam numer.\n"
    )

    assert notes_of(document) == [
        ("§ 1 ust. 4", "Numbering jumps from ust. 2 to ust. 4."),
        ("§ 1 (1)", "“Tekst bez numeru po ustępach.” does not start with a unit number: kept as plain text in § 1."),
        (None, "Rozdział 2. Pusty rozdział has no paragraphs."),
        ("§ 3 ust. 1", "Numbering jumps from § 1 to § 3."),
        ("§ 3 ust. 1", "The label § 3 ust. 1 appears more than once: check the numbering."),
    ]
    by_key = {p.key: p for p in document.paragraphs}
    assert by_key[document.notes[3].paragraph_key].text == "Ustęp."
    assert by_key[document.notes[4].paragraph_key].text == "Ten sam numer."


def test_import_notes_a_list_that_starts_late_and_a_section_without_text():
    document = parse_text("§ 1. Zakres:\n3) trzeci punkt.\n§ 2. Tytuł bez treści\n")

    assert notes_of(document) == [
        ("§ 1 pkt 3", "Numbering starts at pkt 3."),
        (None, "§ 2 has no text to comment on."),
    ]


def test_import_notes_are_translated_into_polish():
    note = parse_text("§ 1. 1. Pierwszy.\n3. Trzeci.").notes[0]

    with locale("pl"):
        assert note.translated() == "Numeracja przeskakuje z ust. 1 do ust. 3."


def test_import_refuses_more_than_five_thousand_paragraphs():
    text = "§ 1. Zakres\n" + "\n".join(f"{n}. Ustęp numer {n}." for n in range(1, 5002))

    with pytest.raises(DocumentError) as refused:
        parse_text(text)

    assert "more than 5,000 paragraphs" in str(refused.value)


def test_tirets_are_cited_by_their_ordinal_and_letters_run_on_past_z():
    assert [ordinal(n) for n in (1, 2, 10, 12, 20, 21, 35)] == [
        "pierwsze", "drugie", "dziesiąte", "dwunaste", "dwudzieste", "dwudzieste pierwsze", "trzydzieste piąte",
    ]  # fmt: skip
    assert [letter(n) for n in (1, 26, 27, 28)] == ["a", "z", "aa", "ab"]


# --- every fixture survives the round trip through the editable Markdown of a new version ---------------------


@pytest.mark.parametrize("name", ["annex", "strategy", "pdf", "docx"])
def test_serialise_round_trips_chapters_letters_and_tirets(name):
    document = resolution(name)

    again = parse_text(serialise_parsed(document))

    def shape(doc: ParsedDocument) -> tuple:
        return (
            doc.title,
            doc.preamble,
            [(s.label, s.title, s.chapter, [(p.label, p.text, p.depth) for p in s.paragraphs]) for s in doc.sections],
        )

    assert shape(again) == shape(document)


# --- Word files: style names in any case and either language; a zip bomb ---------------------------------------


def docx_with_styles(*paragraphs: tuple[str, str]) -> bytes:
    """The fixture Word file with these (style name, text) paragraphs, each style declared under that name."""
    source = zipfile.ZipFile(POLISH_DOCX)
    namespace = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
    names = sorted({name for name, _text in paragraphs if name})
    ids = {name: f"S{n}" for n, name in enumerate(names)}
    styles = "".join(
        f'<w:style w:type="paragraph" w:styleId="{ids[name]}"><w:name w:val="{escape(name)}"/></w:style>'
        for name in names
    )
    body = "".join(
        (f'<w:p><w:pPr><w:pStyle w:val="{ids[name]}"/></w:pPr>' if name else "<w:p>")
        + f"<w:r><w:t>{escape(text)}</w:t></w:r></w:p>"
        for name, text in paragraphs
    )
    head = f'<?xml version="1.0" encoding="UTF-8"?><w:{{0}} xmlns:w="{namespace}">'
    return rezipped(
        source,
        {
            "word/document.xml": (head.format("document") + f"<w:body>{body}</w:body></w:document>").encode(),
            "word/styles.xml": (head.format("styles") + f"{styles}</w:styles>").encode(),
        },
    )


@pytest.mark.parametrize(
    ("title", "heading", "ust", "pkt"),
    [
        ("Title", "Heading 1", "List Number", "List Number 2"),
        ("title", "heading 1", "list number", "list number 2"),
        ("Tytuł", "Nagłówek 1", "Lista numerowana", "Lista numerowana 2"),
        ("TYTUŁ", "nagłówek 2", "lista numerowana", "LISTA NUMEROWANA 2"),
    ],
    ids=["english", "english-lower-case", "polish", "polish-any-case"],
)
def test_import_of_word_reads_built_in_style_names_in_either_language_and_any_case(title, heading, ust, pkt):
    data = docx_with_styles(
        (title, "Program współpracy"),
        (heading, "Rozdział 1"),
        (heading, "Postanowienia ogólne"),
        (heading, "§ 1."),
        (ust, "Pierwszy ustęp:"),
        (pkt, "punkt;"),
        (ust, "Drugi ustęp."),
    )

    document = parse_docx(data)

    assert document.title == "Program współpracy"
    assert [(s.label, s.chapter) for s in document.sections] == [("§ 1", CHAPTER_1)]
    assert labels(document) == ["§ 1 ust. 1", "§ 1 ust. 1 pkt 1", "§ 1 ust. 2"]


def zip_bomb() -> bytes:
    """A .docx whose document.xml unpacks to 40 MB of one repeated paragraph: a few kilobytes compressed."""
    paragraph = "<w:p><w:r><w:t>1. Ustęp powtarzany bez końca.</w:t></w:r></w:p>"
    body = paragraph * (40 * 1024 * 1024 // len(paragraph))
    namespace = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
    document = (
        f'<w:document xmlns:w="{namespace}"><w:body><w:p><w:r><w:t>§ 1.</w:t></w:r></w:p>{body}</w:body></w:document>'
    )
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as target:
        source = zipfile.ZipFile(POLISH_DOCX)
        for name in source.namelist():
            if name != "word/document.xml":
                target.writestr(name, source.read(name))
        target.writestr("word/document.xml", document)
    return out.getvalue()


def test_import_of_a_zip_bomb_is_refused_before_it_is_unpacked():
    data = zip_bomb()
    assert len(data) < 5 * 1024 * 1024 // 10, "small enough to pass the upload limit"

    with pytest.raises(DocumentError) as refused:
        parse_docx(data)

    assert "unpacks to more than 20 MB" in str(refused.value)
