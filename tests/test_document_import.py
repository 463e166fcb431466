"""Importing a draft: the programme as Markdown and as two kinds of Word file gives the same labelled paragraphs."""

from __future__ import annotations

import io
import os
import re
import zipfile

import pytest

from consult.consultations.document import DocumentError, ParsedDocument, parse_docx, parse_markdown
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
