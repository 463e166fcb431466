"""The knowledge base: the support centre and network coordinators publish guides with files; files are checked on
their content; organisations propose good practices that a reviewer publishes or rejects; search and filters."""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass

import pytest
from sqlmodel import select

from consult.errors import DomainError
from consult.knowledge import files
from consult.knowledge.demo import checklist_pdf, garden_png
from consult.knowledge.demo import load as load_demo
from consult.models import KnowledgeFile, KnowledgeItem, Organisation, PendingUpload, User
from tests.factories import (
    PROGRAMME_DOCX,
    add_member,
    fresh,
    ledger_events,
    make_network,
    make_official,
    make_organisation,
    make_user,
    signed_in,
)
from tests.html import page

PDF = checklist_pdf()
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + b"\x00" * 64 + b"\xff\xd9"


def odt_bytes() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("mimetype", "application/vnd.oasis.opendocument.text", compress_type=zipfile.ZIP_STORED)
        z.writestr("content.xml", "<office:document-content/>")
    return out.getvalue()


def plain_zip() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("notes.txt", "nie jest dokumentem Worda")
    return out.getvalue()


@dataclass
class KnowledgeWorld:
    advisor: User
    centre: Organisation
    coordinator: User
    network_name: str
    proposer: User
    ngo: Organisation
    resident: User
    other_admin: User


@pytest.fixture
def kb(db) -> KnowledgeWorld:
    advisor = make_user(db, email="doradca@example.pl", display_name="Agnieszka Kamińska")
    centre = make_organisation(db, admin=advisor, name="Centrum Wspierania NGO", verified=True)
    centre.support_centre = True
    db.add(centre)
    db.commit()
    coordinator, municipality = make_official(db, email="koordynatorka@example.pl")
    network = make_network(db, coordinator=coordinator, municipalities=[municipality], name="Sieć Doliny Wierzbnicy")
    proposer = make_user(db, email="kgw@example.pl", display_name="Halina Zając")
    ngo = make_organisation(db, admin=proposer, name="Koło Gospodyń Wiejskich w Olszance")
    add_member(db, ngo, make_user(db, email="czlonek@example.pl"))
    resident = make_user(db, email="mieszkanka@example.pl")
    other_admin = make_user(db, email="obok@example.pl")
    make_organisation(db, admin=other_admin, name="Fundacja Obok")
    return KnowledgeWorld(advisor, centre, coordinator, network.name, proposer, ngo, resident, other_admin)


def guide_form(**overrides) -> dict:
    return {
        "kind": "guide",
        "title": "Sprawozdanie z realizacji zadania publicznego krok po kroku",
        "summary": "Co wpisać w sprawozdaniu końcowym.",
        "body": "### Termin\n\nSprawozdanie składa się w ciągu **30 dni**.",
        "fields[]": ["ngo_development"],
        "topics": "Sprawozdanie, dotacje",
        "photo_alt": "",
    } | overrides


def publish(client, data: dict, uploads: dict | None = None, url: str = "/knowledge/new"):
    return client.post(
        url,
        data={"csrf_token": client.csrf_token(), **data},
        files=uploads or {"attachment": ("", b"", "application/octet-stream")},
        follow_redirects=False,
    )


def centre_choice(kb) -> str:
    return f"organisation:{kb.centre.id}"


# --- what a file is -----------------------------------------------------------------------------------------


def test_files_are_recognised_by_their_content_not_their_name():
    assert files.sniff(PDF) == "pdf"
    assert files.sniff(garden_png()) == "png"
    assert files.sniff(JPEG) == "jpeg"
    assert files.sniff(PROGRAMME_DOCX.read_bytes()) == "docx"
    assert files.sniff(odt_bytes()) == "odt"
    assert files.sniff(plain_zip()) is None
    assert files.sniff(b"MZ\x90\x00 an executable") is None
    assert files.check_file("attachment", "Program.DOCX", PROGRAMME_DOCX.read_bytes(), photo=False).file_type == "docx"
    assert files.check_file("attachment", "notatka.odt", odt_bytes(), photo=False).file_type == "odt"


@pytest.mark.parametrize(
    ("name", "content", "photo", "message"),
    [
        ("raport.pdf", garden_png(), False, "does not match its extension"),
        ("zdjecie.png", JPEG, True, "does not match its extension"),
        ("oferta.docx", plain_zip(), False, "not accepted"),
        ("program.exe", b"MZ\x90\x00", False, "not accepted"),
        ("skan.pdf", PDF, True, "JPEG or PNG"),
        ("duzy.pdf", b"%PDF-" + b"0" * files.MAX_ATTACHMENT_BYTES, False, "larger than 5 MB"),
        ("duze.png", garden_png() + b"0" * files.MAX_PHOTO_BYTES, True, "larger than 3 MB"),
    ],
)
def test_a_file_is_refused_when_too_large_forbidden_or_not_what_its_name_says(name, content, photo, message):
    with pytest.raises(DomainError) as refused:
        files.check_file("attachment", name, content, photo=photo)
    assert message in refused.value.message % refused.value.params


# --- publishing -------------------------------------------------------------------------------------------------


def test_the_support_centre_publishes_a_guide_with_a_pdf_and_a_photo_and_anyone_downloads_it(client, db, kb):
    signed_in(client, kb.advisor)
    form = page(client.get("/knowledge/new"))
    assert form.one("select#field-publisher option[selected]").text == "Centrum Wspierania NGO"
    response = publish(
        client,
        guide_form(publisher=centre_choice(kb), photo_alt="Wolontariusze przy stole z dokumentami"),
        {
            "attachment": ("sprawozdanie-wzór.pdf", PDF, "application/pdf"),
            "photo": ("spotkanie.png", garden_png(), "image/png"),
        },
    )
    assert response.status_code == 303
    item = db.exec(select(KnowledgeItem)).one()
    assert response.headers["location"].endswith(f"/knowledge/{item.slug}")
    assert (item.state, item.organisation_id, item.kind) == ("published", kb.centre.id, "guide")
    assert [e.subject_id for e in ledger_events(db, "knowledge.published")] == [str(item.id)]

    client.post("/logout", data={"csrf_token": client.csrf_token()})
    detail = page(client.get(f"/knowledge/{item.slug}"))
    assert detail.one("h1").text == item.title
    assert "Centrum Wspierania NGO" in detail.one("p.meta").text
    assert detail.one(".knowledge-text strong").text == "30 dni"
    photo = detail.one(".knowledge-photo img")
    assert photo.get("alt") == "Wolontariusze przy stole z dokumentami"
    link = detail.one(f"#knowledge-{item.id}-files a")
    assert link.text == "sprawozdanie-wzór.pdf"
    assert detail.texts(".tags li") == ["NGO development", "dotacje", "sprawozdanie"]

    download = client.get(link.get("href"))
    assert download.status_code == 200
    assert download.content == PDF
    assert download.headers["content-type"] == "application/pdf"
    assert download.headers["x-content-type-options"] == "nosniff"
    assert download.headers["content-disposition"].startswith("attachment;")
    assert "filename*=UTF-8''sprawozdanie-wz%C3%B3r.pdf" in download.headers["content-disposition"]
    image = client.get(photo.get("src"))
    assert image.headers["content-type"] == "image/png"
    assert image.headers["content-disposition"].startswith("inline;")


def test_a_network_coordinator_publishes_in_the_network_name(client, db, kb):
    signed_in(client, kb.coordinator)
    options = page(client.get("/knowledge/new")).texts("select#field-publisher option")
    assert options == [kb.network_name]
    choice = page(client.get("/knowledge/new")).one("select#field-publisher option").get("value")
    assert publish(client, guide_form(kind="initiative_report", publisher=choice)).status_code == 303
    item = db.exec(select(KnowledgeItem)).one()
    assert (item.kind, item.organisation_id, item.network_id is not None) == ("initiative_report", None, True)


@pytest.mark.parametrize("who", ["resident", "proposer", "other_admin"])
def test_only_the_support_centre_and_coordinators_publish(client, db, kb, who):
    signed_in(client, getattr(kb, who))
    assert client.get("/knowledge/new").status_code == 403
    assert publish(client, guide_form(publisher=centre_choice(kb))).status_code == 403
    assert db.exec(select(KnowledgeItem)).all() == []


def test_a_publisher_cannot_publish_in_the_name_of_a_centre_they_do_not_belong_to(client, db, kb):
    other_centre = make_organisation(db, name="Inne Centrum", support_centre=True)
    signed_in(client, kb.advisor)
    response = publish(client, guide_form(publisher=f"organisation:{other_centre.id}"))
    assert response.status_code == 422
    assert page(response).one("#field-publisher-error").text == "Error: Choose in whose name you publish."


# --- bad files: refused beside the field, nothing else lost ------------------------------------------------------


@pytest.mark.parametrize(
    ("upload", "message"),
    [
        (("raport.pdf", garden_png(), "application/pdf"), "The file's content does not match its extension"),
        (("program.exe", b"MZ\x90\x00 code", "application/octet-stream"), "This type of file is not accepted"),
        (("oferta.docx", plain_zip(), "application/octet-stream"), "This type of file is not accepted"),
        (("duzy.pdf", b"%PDF-1.7\n" + b"0" * files.MAX_ATTACHMENT_BYTES, "application/pdf"), "larger than 5 MB"),
    ],
)
def test_a_bad_attachment_is_refused_beside_its_field_and_the_text_stays(client, db, kb, upload, message):
    signed_in(client, kb.advisor)
    response = publish(client, guide_form(publisher=centre_choice(kb)), {"attachment": upload})
    assert response.status_code == 422
    form = page(response)
    error = form.one("#field-attachment-error").text
    assert message in error and "Choose the file again" in error
    assert form.one("#field-attachment").get("aria-invalid") == "true"
    assert message in form.one(".error-summary a[href=#field-attachment]").text
    assert form.one("#field-title").get("value") == guide_form()["title"]
    assert form.one("#field-body").text == guide_form()["body"].replace("\n\n", " ")
    assert form.one("#field-topics").get("value") == "Sprawozdanie, dotacje"
    assert form.one("#field-fields-ngo_development").get("checked") is not None
    assert form.one("#field-kind option[selected]").get("value") == "guide"
    assert db.exec(select(KnowledgeItem)).all() == []


def test_the_refusal_is_in_polish_for_a_polish_reader(client, db, kb):
    client.login(kb.advisor.email)
    upload = {"attachment": ("raport.pdf", garden_png(), "application/pdf")}
    response = publish(client, guide_form(publisher=centre_choice(kb)), upload)
    error = page(response).one("#field-attachment-error").text
    assert "Zawartość pliku nie odpowiada jego rozszerzeniu" in error
    assert "Wybierz plik ponownie" in error


def test_a_photo_needs_its_alternative_text_and_is_kept_until_it_has_one(client, db, kb):
    signed_in(client, kb.advisor)
    photo = ("ogrod.png", garden_png(), "image/png")
    response = publish(client, guide_form(publisher=centre_choice(kb)), {"photo": photo})
    assert response.status_code == 422
    form = page(response)
    assert "alternative text is required" in form.one("#field-photo_alt-error").text
    assert "ogrod.png is kept from your last try" in form.one("#field-photo_token").text
    token = form.one("input[name=photo_token]").get("value")
    assert db.exec(select(PendingUpload)).one().filename == "ogrod.png"

    again = guide_form(publisher=centre_choice(kb), photo_alt="Skrzynie z warzywami przy szkole", photo_token=token)
    assert publish(client, again).status_code == 303
    fresh(db)
    stored = db.exec(select(KnowledgeFile)).one()
    assert (stored.role, stored.file_type, stored.alt_text) == ("photo", "png", "Skrzynie z warzywami przy szkole")
    assert stored.content == garden_png()
    assert db.exec(select(PendingUpload)).all() == []


def test_a_good_attachment_is_kept_when_another_field_fails(client, db, kb):
    signed_in(client, kb.advisor)
    upload = {"attachment": ("program.docx", PROGRAMME_DOCX.read_bytes(), "application/octet-stream")}
    response = publish(client, guide_form(publisher=centre_choice(kb), title=""), upload)
    assert response.status_code == 422
    form = page(response)
    assert form.one("#field-title-error")
    token = form.one("input[name=attachment_token]").get("value")
    assert publish(client, guide_form(publisher=centre_choice(kb), attachment_token=token)).status_code == 303
    fresh(db)
    assert db.exec(select(KnowledgeFile.filename, KnowledgeFile.file_type)).one() == ("program.docx", "docx")


def test_another_persons_kept_file_is_not_used(client, db, kb, other_client):
    signed_in(client, kb.advisor)
    response = publish(
        client, guide_form(publisher=centre_choice(kb), title=""), {"photo": ("a.png", garden_png(), "image/png")}
    )
    token = page(response).one("input[name=photo_token]").get("value")
    coordinator = signed_in(other_client, kb.coordinator)
    choice = page(coordinator.get("/knowledge/new")).one("select#field-publisher option").get("value")
    assert publish(coordinator, guide_form(publisher=choice, photo_token=token)).status_code == 303
    fresh(db)
    assert db.exec(select(KnowledgeFile)).all() == []


# --- proposals and their review ------------------------------------------------------------------------------


def propose(client, kb, **overrides):
    data = guide_form(kind="guide", title="Warsztaty rękodzieła dla trzech pokoleń", publisher=str(kb.ngo.id))
    return publish(
        client, data | overrides, {"photo": ("warsztaty.jpg", JPEG, "image/jpeg")} | {}, "/knowledge/propose"
    )


def test_an_organisation_proposes_a_good_practice_which_waits_unseen_for_review(client, db, kb, other_client):
    signed_in(client, kb.proposer)
    response = propose(client, kb, photo_alt="Babcia uczy wnuczkę haftu")
    assert response.status_code == 303
    item = db.exec(select(KnowledgeItem)).one()
    assert (item.state, item.kind, item.organisation_id) == ("proposed", "good_practice", kb.ngo.id)
    detail = page(client.get(f"/knowledge/{item.slug}"))
    assert detail.one(f"#knowledge-{item.id}-state strong").text == "Proposal awaiting review."
    mine = page(client.get("/knowledge/proposals"))
    assert mine.one(f"#knowledge-{item.id}-proposal .tag").text == "Proposal awaiting review"
    photo_url = detail.one(".knowledge-photo img").get("src")

    assert client.get("/knowledge").context["total"] == 0
    assert client.get("/search?q=rekodziela").context.get("guide_total", 0) == 0
    for user in (kb.resident, kb.other_admin):
        signed_in(other_client, user)
        assert other_client.get(f"/knowledge/{item.slug}").status_code == 404
        assert other_client.get(photo_url).status_code == 404
        assert other_client.get("/knowledge/proposals").context["rows"] == []
        other_client.post("/logout", data={"csrf_token": other_client.csrf_token()})
    assert other_client.get(f"/knowledge/{item.slug}").status_code == 404
    assert other_client.get(photo_url).status_code == 404


def test_a_resident_without_an_organisation_cannot_propose(client, kb):
    signed_in(client, kb.resident)
    assert client.get("/knowledge/propose").status_code == 403


def test_one_cannot_propose_for_an_organisation_one_does_not_belong_to(client, db, kb):
    signed_in(client, kb.other_admin)
    response = propose(client, kb, photo_alt="Zdjęcie")
    assert response.status_code == 422
    assert db.exec(select(KnowledgeItem)).all() == []


def test_a_reviewer_publishes_a_proposal_and_it_is_found(client, db, kb, other_client):
    signed_in(client, kb.proposer)
    propose(client, kb, photo_alt="Babcia uczy wnuczkę haftu")
    item = db.exec(select(KnowledgeItem)).one()
    reviewer = signed_in(other_client, kb.coordinator)
    queue = page(reviewer.get("/knowledge/proposals"))
    assert queue.one(f"#knowledge-{item.id}-proposal a").text == item.title
    detail = page(reviewer.get(f"/knowledge/{item.slug}"))
    action = detail.one(f"#knowledge-{item.id}-review form").get("action")
    assert reviewer.submit(action, {"decision": "publish"}, follow_redirects=False).status_code == 303
    fresh(db)
    item = db.get(KnowledgeItem, item.id)
    assert (item.state, item.reviewed_by_id) == ("published", kb.coordinator.id)
    assert (
        page(client.get("/knowledge/proposals")).one(f"#knowledge-{item.id}-proposal .tag").text == "Proposal published"
    )
    assert client.get("/knowledge").context["total"] == 1
    assert [row.item.id for row in client.get("/search?q=rekodziela").context["guide_hits"]] == [item.id]
    assert reviewer.submit(action, {"decision": "reject", "reason": "x"}).status_code == 409


def test_a_rejection_needs_a_reason_which_the_proposer_reads(client, db, kb, other_client):
    signed_in(client, kb.proposer)
    propose(client, kb, photo_alt="Babcia uczy wnuczkę haftu")
    item = db.exec(select(KnowledgeItem)).one()
    reviewer = signed_in(other_client, kb.advisor)
    action = f"/knowledge/{item.slug}/review"
    refused = reviewer.submit(action, {"decision": "reject", "reason": " "})
    assert refused.status_code == 422
    assert "Say why the proposal is rejected" in page(refused).one("#field-reason-error").text
    assert reviewer.submit(action, {"decision": "reject", "reason": "Brak zgody osób na zdjęciu."}).status_code == 200
    fresh(db)
    assert db.get(KnowledgeItem, item.id).state == "rejected"
    proposals = page(client.get("/knowledge/proposals"))
    assert "Brak zgody osób na zdjęciu." in proposals.one(f"#knowledge-{item.id}-proposal").text
    assert "Brak zgody osób na zdjęciu." in page(client.get(f"/knowledge/{item.slug}")).one(".banner").text


@pytest.mark.parametrize("who", ["resident", "proposer", "other_admin"])
def test_only_reviewers_review(client, db, kb, other_client, who):
    signed_in(other_client, kb.proposer)
    propose(other_client, kb, photo_alt="Babcia uczy wnuczkę haftu")
    item = db.exec(select(KnowledgeItem)).one()
    signed_in(client, getattr(kb, who))
    response = client.submit(f"/knowledge/{item.slug}/review", {"decision": "publish"}, follow_redirects=False)
    assert response.status_code in (403, 404)
    fresh(db)
    assert db.get(KnowledgeItem, item.id).state == "proposed"


# --- the list, its filters, and the site's search -------------------------------------------------------------------


def test_the_list_filters_by_kind_field_topic_and_words_and_the_search_finds_guides(client, db, kb):
    signed_in(client, kb.advisor)
    choice = centre_choice(kb)
    publish(client, guide_form(publisher=choice))
    practice = guide_form(
        publisher=choice, kind="good_practice", title="Ogród sąsiedzki przy szkole", body="Łopaty i źródło wody.",
        topics="ogród", **{"fields[]": ["environment"]},
    )  # fmt: skip
    publish(client, practice)
    titles = lambda url: [row.item.title for row in client.get(url).context["rows"]]  # noqa: E731
    assert len(titles("/knowledge")) == 2
    assert titles("/knowledge?kind=good_practice") == ["Ogród sąsiedzki przy szkole"]
    assert titles("/knowledge?field=ngo_development") == [guide_form()["title"]]
    assert titles("/knowledge?topic=sprawozdanie") == [guide_form()["title"]]
    assert titles("/knowledge?q=zrodlo+lopaty") == ["Ogród sąsiedzki przy szkole"]
    assert titles("/knowledge?kind=nonsense&field=nonsense") == titles("/knowledge")
    results = page(client.get("/search?q=realizacj"))
    assert results.one(".search-knowledge h3 a").text == guide_form()["title"]
    fragment = client.get("/knowledge?kind=guide", headers={"HX-Request": "true"})
    assert fragment.template.name == "knowledge/_results.html"


# --- the demo ----------------------------------------------------------------------------------------------------


def test_the_demo_loads_guides_a_practice_with_a_photo_and_a_proposal_once(db):
    from consult.knowledge import demo

    db.add(Organisation(slug="centrum", name=demo.CENTRE, kind="ngo", support_centre=True))
    db.commit()
    centre = db.exec(select(Organisation).where(Organisation.name == demo.CENTRE)).one()
    add_member(db, centre, make_user(db, email="doradca@demo.example"), role="admin")
    circle = make_organisation(db, name=demo.CIRCLE, admin=make_user(db, email="kgw@demo.example"))
    assert circle.id
    load_demo(db, "demo.example", "Gmina Wierzbno")
    load_demo(db, "demo.example", "Gmina Wierzbno")
    items = db.exec(select(KnowledgeItem.title, KnowledgeItem.state)).all()
    assert len(items) == 5
    assert sorted(state for _title, state in items) == ["proposed", "published", "published", "published", "published"]
    photo = db.exec(select(KnowledgeFile).where(KnowledgeFile.role == "photo")).one()
    assert photo.alt_text == demo.PHOTO_ALT and files.sniff(photo.content) == "png"
    pdf = db.exec(select(KnowledgeFile).where(KnowledgeFile.role == "attachment")).one()
    assert files.sniff(pdf.content) == "pdf"


def test_the_forum_and_every_page_lead_to_the_knowledge_base(client):
    forum = page(client.get("/forum"))
    assert forum.one("#forum-knowledge").text == "Baza wiedzy"
    assert [a.get("href") for a in forum.select("footer a")].count("/knowledge") == 1
    assert "/knowledge" in [a.get("href") for a in forum.select("main section a")]


def test_a_kept_document_sent_as_the_photo_is_refused_as_a_photo(client, db, kb):
    signed_in(client, kb.advisor)
    upload = {"attachment": ("wzor.pdf", PDF, "application/pdf")}
    response = publish(client, guide_form(publisher=centre_choice(kb), title=""), upload)
    token = page(response).one("input[name=attachment_token]").get("value")
    again = publish(client, guide_form(publisher=centre_choice(kb), photo_token=token, photo_alt="Opis"))
    assert again.status_code == 422
    assert "Choose a photo in JPEG or PNG format." in page(again).one("#field-photo-error").text
    assert db.exec(select(KnowledgeItem)).all() == []
