"""The public benefit council (RDPP): named by the municipality, asked for its opinion, gives it within 14 days."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from consult.consultations.actions import can_see
from consult.i18n import format_when
from consult.models import Consultation, CouncilOpinion, Organisation, Record, utcnow
from consult.opinions.actions import CouncilInput, set_council
from tests.factories import (
    add_member,
    fresh,
    ledger_events,
    make_consultation,
    make_official,
    make_organisation,
    make_user,
    principal,
    signed_in,
)
from tests.html import page

COUNCIL = "Rada Działalności Pożytku Publicznego Gminy Wierzbno"
OPINION = "Rada opiniuje projekt **pozytywnie**.\n\n<script>alert(1)</script>Wnosimy o dłuższy termin w § 3."


class Gmina:
    """Gmina Wierzbno with an official, a municipality admin, and its council of two members (one from a club)."""

    def __init__(self, db, *, with_council: bool = True) -> None:
        self.admin = make_user(db, email="sekretarz@wierzbno.pl", display_name="Jan Sekretarz")
        self.municipality = make_organisation(
            db, admin=self.admin, kind="municipality", name="Gmina Wierzbno", verified=True
        )
        self.official, _ = make_official(db, self.municipality, email="k.nowak@wierzbno.pl")
        self.member = make_user(db, email="rada@orzel.pl", display_name="Tomasz Wiśniewski")
        self.council = make_organisation(db, admin=self.member, kind="other", name=COUNCIL)
        self.second = make_user(db, email="rada@kgw.pl", display_name="Halina Zając")
        add_member(db, self.council, self.second)
        self.outsider = make_user(db, email="ktos@example.pl")
        make_organisation(db, admin=self.outsider, verified=True)
        if with_council:
            set_council(db, principal(db, self.admin), self.municipality, CouncilInput(council_id=self.council.id))

    def consultation(self, db, **fields) -> Consultation:
        return make_consultation(db, official=self.official, municipality=self.municipality, **fields)


@pytest.fixture
def gmina(db) -> Gmina:
    return Gmina(db)


def ask(client, gmina: Gmina, consultation: Consultation):
    """The official asks for the council's opinion, using the site in Polish."""
    client.cookies.set("consult_lang", "pl")
    client.login(gmina.official.email)
    response = client.submit(f"/consultations/{consultation.slug}/opinion/request", follow_redirects=False)
    client.cookies.clear()
    return response


def give(client, consultation: Consultation, body: str = OPINION, **kw):
    return client.submit(f"/consultations/{consultation.slug}/opinion", {"body": body}, **kw)


def stored_opinion(db, consultation: Consultation) -> CouncilOpinion | None:
    fresh(db)
    return db.exec(select(CouncilOpinion).where(CouncilOpinion.consultation_id == consultation.id)).first()


# --- naming the council ------------------------------------------------------------------------


def test_admin_names_the_council_on_the_profile_edit_page(client, db):
    gmina = Gmina(db, with_council=False)
    signed_in(client, gmina.admin)

    edit = page(client.get("/organisations/gmina-wierzbno/edit"))
    options = edit.select(f"form#organisation-{gmina.municipality.id}-council select option")
    response = client.submit(
        "/organisations/gmina-wierzbno/council", {"council_id": str(gmina.council.id)}, follow_redirects=False
    )

    assert [o.text for o in options] == ["No council named", COUNCIL]
    assert response.status_code == 303 and response.headers["location"].endswith("/organisations/gmina-wierzbno")
    profile = page(client.get("/organisations/gmina-wierzbno"))
    assert profile.one(f"dl.summary-list a[href=/organisations/{gmina.council.slug}]").text == COUNCIL
    fresh(db)
    assert db.get(Organisation, gmina.municipality.id).benefit_council_id == gmina.council.id
    assert [e.payload for e in ledger_events(db, "organisation.council_set")][-1] == f'{{"council":{gmina.council.id}}}'


def test_the_edit_page_of_an_ngo_has_no_council_select(client, db, gmina):
    signed_in(client, gmina.member)

    edit = page(client.get(f"/organisations/{gmina.council.slug}/edit"))

    assert edit.select("select#field-council-council_id") == []


def test_official_names_the_council_on_its_own_page(client, db):
    gmina = Gmina(db, with_council=False)
    signed_in(client, gmina.official)
    assert client.get("/organisations/gmina-wierzbno/edit").status_code == 403  # the profile is the admins'

    form = client.get("/organisations/gmina-wierzbno/council")
    response = client.submit("/organisations/gmina-wierzbno/council", {"council_id": str(gmina.council.id)})

    assert form.status_code == 200 and form.template.name == "opinions/council.html"
    assert response.status_code == 200
    fresh(db)
    assert db.get(Organisation, gmina.municipality.id).benefit_council_id == gmina.council.id


def test_naming_the_council_by_an_outsider_is_refused(client, db, gmina):
    signed_in(client, gmina.outsider)

    response = client.submit("/organisations/gmina-wierzbno/council", {"council_id": ""})

    assert response.status_code == 403
    fresh(db)
    assert db.get(Organisation, gmina.municipality.id).benefit_council_id == gmina.council.id


def test_naming_a_municipality_or_an_ngo_as_the_council_is_refused(client, db, gmina):
    ngo = make_organisation(db, name="Klub Sportowy Orzeł")
    signed_in(client, gmina.official)

    response = client.submit("/organisations/gmina-wierzbno/council", {"council_id": str(ngo.id)})

    assert response.status_code == 422
    assert page(response).one("#field-council-council_id-error").text == "Error: Choose the council from the list."


# --- asking for the opinion ----------------------------------------------------------------------


def test_request_opinion_tells_the_members_and_sets_the_term(client, db, gmina, mailbox):
    consultation = gmina.consultation(db, slug="program-2027")

    response = ask(client, gmina, consultation)

    assert response.status_code == 303 and response.headers["location"].endswith("/consultations/program-2027/opinion")
    opinion = stored_opinion(db, consultation)
    assert opinion.council_id == gmina.council.id
    assert opinion.due_at - opinion.requested_at == timedelta(days=14)
    message = mailbox.last_to("rada@kgw.pl")
    assert "program-2027/opinion" in message.get_content()
    assert mailbox.last_to("rada@orzel.pl")["Subject"] == f"Gmina Wierzbno: prośba o opinię ({COUNCIL})"
    [event_] = ledger_events(db, "opinion.requested")
    assert f'"council":{gmina.council.id}' in event_.payload and '"due_at"' in event_.payload
    status = page(client.get("/consultations/program-2027")).one(f"#consultation-{consultation.id}-opinion-status")
    assert status.text.startswith(f"{COUNCIL}: wystąpiono o opinię")


def test_request_opinion_by_a_non_official_is_refused(client, db, gmina):
    consultation = gmina.consultation(db)
    signed_in(client, gmina.member)

    response = client.submit(f"/consultations/{consultation.slug}/opinion/request")

    assert response.status_code == 403
    assert stored_opinion(db, consultation) is None


def test_request_opinion_without_a_council_is_refused(client, db):
    gmina = Gmina(db, with_council=False)
    consultation = gmina.consultation(db)
    signed_in(client, gmina.official)

    response = client.submit(f"/consultations/{consultation.slug}/opinion/request")
    opinion_page = page(client.get(f"/consultations/{consultation.slug}/opinion"))

    assert response.status_code == 409
    assert "has not named its public benefit council" in page(response).one("main").text
    assert opinion_page.one("a[href=/organisations/gmina-wierzbno/council]").text == "Name the council"


def test_request_opinion_twice_is_refused(client, db, gmina):
    consultation = gmina.consultation(db)
    ask(client, gmina, consultation)

    assert ask(client, gmina, consultation).status_code == 409
    assert len(ledger_events(db, "opinion.requested")) == 1


def test_request_opinion_after_the_record_is_refused(client, db, gmina):
    consultation = gmina.consultation(db)
    db.add(Record(consultation_id=consultation.id, sha256="0" * 64))
    db.commit()

    assert ask(client, gmina, consultation).status_code == 409
    assert stored_opinion(db, consultation) is None


# --- the draft for the council ---------------------------------------------------------------------


def test_council_members_see_the_draft_once_asked(client, db, gmina):
    draft = gmina.consultation(db, slug="szkic", published=False)
    signed_in(client, gmina.member)
    assert client.get("/consultations/szkic").status_code == 404

    ask(client, gmina, draft)
    signed_in(client, gmina.member)
    response = client.get("/consultations/szkic")

    assert response.status_code == 200
    assert page(response).one("#draft-title").text == "Preview of a draft"
    assert "your council was asked for its opinion" in page(response).one(".banner-warning").text
    assert page(response).select("a[href=/consultations/szkic/publish]") == []
    signed_in(client, gmina.outsider)
    assert client.get("/consultations/szkic").status_code == 404
    client.cookies.clear()
    assert client.get("/consultations/szkic/opinion").status_code == 404


def test_can_see_a_draft_only_for_officials_and_the_council_asked(db, gmina):
    draft = gmina.consultation(db, published=False)
    other_council = make_organisation(db, kind="other", name="Inna rada")
    stranger_on_other_council = make_user(db)
    add_member(db, other_council, stranger_on_other_council)
    seen = {
        "official": principal(db, gmina.official),
        "council member": principal(db, gmina.member),
        "another council's member": principal(db, stranger_on_other_council),
        "outsider": principal(db, gmina.outsider),
        "anonymous": None,
    }
    before = {who: can_see(p, draft, gmina.municipality) for who, p in seen.items()}
    db.add(CouncilOpinion(consultation_id=draft.id, council_id=gmina.council.id, due_at=utcnow() + timedelta(days=14)))
    db.commit()

    after = {who: can_see(p, draft, gmina.municipality) for who, p in seen.items()}

    assert before == {"official": True, "council member": False, "another council's member": False,
                      "outsider": False, "anonymous": False}  # fmt: skip
    assert after == before | {"council member": True}


# --- giving the opinion ----------------------------------------------------------------------------


def test_council_member_gives_the_opinion_and_it_is_shown_as_a_document(client, db, gmina):
    consultation = gmina.consultation(db, slug="program-2027")
    ask(client, gmina, consultation)
    signed_in(client, gmina.second)
    form = page(client.get("/consultations/program-2027/opinion"))
    assert form.one("form[action=/consultations/program-2027/opinion] textarea#field-body")

    response = give(client, consultation, follow_redirects=False)

    assert response.status_code == 303
    client.cookies.clear()
    opinion_page = client.get("/consultations/program-2027/opinion")
    document = page(opinion_page).one(f"#consultation-{consultation.id}-opinion")
    assert document.one("strong").text == "pozytywnie"
    assert document.select("script") == []  # raw HTML in the Markdown is shown as text, never run
    assert page(opinion_page).select("textarea") == []
    box = page(client.get("/consultations/program-2027")).one("section.council-opinion")
    assert box.one("p.opinion-status").text.startswith(f"{COUNCIL} wydała opinię")
    assert box.one("a").text == "Przeczytaj opinię rady"
    [event_] = ledger_events(db, "opinion.submitted")
    assert '"text_sha256":"' in event_.payload and "pozytywnie" not in event_.payload
    assert stored_opinion(db, consultation).submitted_by_id == gmina.second.id


def test_give_opinion_by_a_non_member_is_refused(client, db, gmina):
    consultation = gmina.consultation(db)
    ask(client, gmina, consultation)

    for person in (gmina.outsider, gmina.official):
        signed_in(client, person)
        response = give(client, consultation)
        assert response.status_code == 403 and response.template.name == "errors/403.html"
    assert stored_opinion(db, consultation).submitted_at is None


def test_give_opinion_after_the_term_is_refused_and_the_page_says_it_lapsed(client, db, gmina):
    consultation = gmina.consultation(db, slug="program-2027")
    ask(client, gmina, consultation)
    opinion = stored_opinion(db, consultation)
    opinion.requested_at, opinion.due_at = utcnow() - timedelta(days=15), utcnow() - timedelta(days=1)
    db.add(opinion)
    db.commit()
    client.cookies.set("consult_lang", "pl")
    client.login(gmina.member.email)

    response = give(client, consultation, body="Opinia wysłana po terminie.")

    assert response.status_code == 409
    html = page(response)
    assert "Termin na wydanie opinii minął" in html.one(".error-summary").text
    assert html.one("textarea#field-body").text == "Opinia wysłana po terminie."
    day = format_when(opinion.due_at, style="date")  # "15 grudnia 2026 r."
    lapsed = f"Termin na wydanie opinii minął {day}; rada nie wydała opinii."
    assert html.one(f"#consultation-{consultation.id}-opinion-status").text == lapsed
    client.cookies.clear()
    detail = page(client.get("/consultations/program-2027"))
    assert detail.one(f"#consultation-{consultation.id}-opinion-status").text == lapsed
    assert stored_opinion(db, consultation).submitted_at is None


def test_give_opinion_twice_is_refused(client, db, gmina):
    consultation = gmina.consultation(db)
    ask(client, gmina, consultation)
    signed_in(client, gmina.member)
    give(client, consultation)
    signed_in(client, gmina.second)

    response = give(client, consultation, body="Druga, inna opinia.")

    assert response.status_code == 409
    assert "already given its opinion" in page(response).one(".error-summary").text
    assert stored_opinion(db, consultation).submitted_by_id == gmina.member.id
    assert len(ledger_events(db, "opinion.submitted")) == 1


def test_give_opinion_before_it_is_asked_is_refused(client, db, gmina):
    consultation = gmina.consultation(db)
    signed_in(client, gmina.member)

    response = give(client, consultation)

    assert response.status_code == 409
    assert "has not been requested" in page(response).one(".error-summary").text


def test_give_an_empty_opinion_keeps_the_form(client, db, gmina):
    consultation = gmina.consultation(db)
    ask(client, gmina, consultation)
    signed_in(client, gmina.member)

    response = give(client, consultation, body="Za mało")

    assert response.status_code == 422
    assert page(response).one("#field-body-error")
    assert stored_opinion(db, consultation).submitted_at is None
