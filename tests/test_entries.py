"""Comments received outside the platform: an official enters them on behalf of the organisation that sent them, with
their channel and date; they are marked so wherever comments are shown."""

from __future__ import annotations

import json
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import select

from consult import ledger
from consult.entries import actions
from consult.forms import DomainError
from consult.i18n import current_locale, format_when
from consult.models import Comment, Record, utcnow
from tests.factories import (
    fresh,
    ledger_events,
    make_consultation,
    make_official,
    make_organisation,
    make_user,
    paragraph_by_label,
    principal,
    signed_in,
)
from tests.html import page
from tests.test_comments import error_of, field, target

LABEL = "§ 6 ust. 1 pkt 4"
WARSAW = ZoneInfo("Europe/Warsaw")


class Office:
    """Gmina Wierzbno consults (opened ten days ago); Koło Gospodyń Wiejskich sent a comment by e-mail."""

    def __init__(self, db, opens_in: timedelta = timedelta(days=-10), lasts: timedelta = timedelta(days=21)) -> None:
        self.official, self.municipality = make_official(db)
        self.consultation = make_consultation(
            db, official=self.official, municipality=self.municipality, opens_in=opens_in, lasts=lasts
        )
        self.sender = make_organisation(db, verified=True, name="Koło Gospodyń Wiejskich w Olszance")
        self.paragraph = paragraph_by_label(db, self.consultation, LABEL)

    @property
    def url(self) -> str:
        return f"/consultations/{self.consultation.slug}/entries/new"

    def entry(self, **overrides) -> dict[str, str]:
        return {
            "organisation_id": str(self.sender.id),
            "channel": "email",
            "received_at": days_ago(3).isoformat(),
            "paragraph": "",
            "current_wording": "",
            "proposed_wording": "",
            "justification": "",
            "body": "Prosimy o spotkanie konsultacyjne w Olszance.",
            **overrides,
        }


def days_ago(n: int) -> date:
    return datetime.now(WARSAW).date() - timedelta(days=n)


def in_polish(day: date) -> str:
    token = current_locale.set("pl")
    try:
        return format_when(datetime.combine(day, time(12), tzinfo=WARSAW), style="date")
    finally:
        current_locale.reset(token)


def enter(client, office: Office, **overrides):
    return client.submit(office.url, office.entry(**overrides), follow_redirects=False)


def entered(db) -> list[Comment]:
    fresh(db)
    return list(db.exec(select(Comment).where(Comment.channel != "platform")).all())


# --- who may enter -------------------------------------------------------------------------------


def test_page_and_entry_are_refused_to_anyone_but_the_municipalitys_officials(client, db):
    office = Office(db)
    member = make_user(db)
    make_organisation(db, admin=member, verified=True)
    other_official, _ = make_official(db)  # of another municipality
    for someone in (member, other_official):
        signed_in(client, someone)

        assert client.get(office.url).status_code == 403
        refused = enter(client, office)
        assert refused.status_code == 403
        assert "Only the municipality's officials enter comments received outside the platform." in page(refused).text
        client.post("/logout", data={"csrf_token": client.csrf_token()})
    assert entered(db) == []


def test_signed_out_visitor_is_sent_to_log_in(client, db):
    office = Office(db)

    response = client.get(office.url, follow_redirects=False)

    assert response.status_code == 303
    assert response.headers["location"].startswith("http://testserver/login?next=")


def test_consultation_page_links_officials_to_the_entry_page(client, db, other_client):
    office = Office(db)
    member = make_user(db)
    make_organisation(db, admin=member, verified=True)
    signed_in(client, office.official)
    signed_in(other_client, member)

    link = page(client.get(f"/consultations/{office.consultation.slug}")).one(f".official-links a[href={office.url}]")
    others = page(other_client.get(f"/consultations/{office.consultation.slug}")).select(f"a[href={office.url}]")

    assert link.get("href") == office.url
    assert link.text == "Enter a comment received outside the platform"
    assert others == []


# --- entering ------------------------------------------------------------------------------------


def test_form_offers_every_organisation_but_the_municipality_and_todays_date(client, db):
    office = Office(db)
    signed_in(client, office.official)

    response = client.get(office.url)

    assert response.status_code == 200
    assert response.template.name == "entries/new.html"
    form = page(response).one("main form")
    options = [o.text for o in form.select("[name=organisation_id] option")]
    assert "Koło Gospodyń Wiejskich w Olszance" in options and office.municipality.name not in options
    assert [o.get("value") for o in form.select("[name=channel] option")] == ["", "email", "paper", "meeting"]
    assert field(form, "received_at") == datetime.now(WARSAW).date().isoformat()
    assert page(response).one("h1").text == "Enter a comment received outside the platform"


def test_official_enters_an_email_and_it_is_marked_on_the_thread(client, db):
    office = Office(db)
    signed_in(client, office.official)

    response = enter(client, office)

    [comment] = entered(db)
    assert target(response) == f"/consultations/{office.consultation.slug}/discussion?page=1#comment-{comment.id}"
    assert (comment.channel, comment.organisation_id, comment.author_id) == (
        "email",
        office.sender.id,
        office.official.id,
    )
    assert comment.received_at.astimezone(WARSAW).date() == days_ago(3)
    article = page(client.get(response.headers["location"])).one(f"article#comment-{comment.id}")
    assert article.one("header strong").text == "Koło Gospodyń Wiejskich w Olszance"
    assert office.official.display_name not in article.one("header").text, "the official is not named as the author"
    mark = article.one(".entry-mark").text
    assert mark.startswith("Comment received by e-mail on") and mark.endswith(", entered by the municipality")


def test_mark_is_shown_in_polish_on_the_consultation_page_and_the_paragraph_thread(client, db, other_client):
    office = Office(db)
    signed_in(client, office.official)
    enter(client, office, channel="email", received_at=days_ago(2).isoformat())
    enter(client, office, channel="paper", paragraph=office.paragraph.key, received_at=days_ago(1).isoformat())
    general, on_paragraph = sorted(entered(db), key=lambda c: c.id)

    detail = page(other_client.get(f"/consultations/{office.consultation.slug}"))  # a resident, in Polish
    thread = page(other_client.get(f"/consultations/{office.consultation.slug}/paragraphs/{office.paragraph.key}"))

    assert detail.one(f"#comment-{general.id} .entry-mark").text == (
        f"Uwaga otrzymana e-mailem {in_polish(days_ago(2))}, wprowadzona przez urząd"
    )
    assert thread.one(f"#comment-{on_paragraph.id} .entry-mark").text == (
        f"Uwaga otrzymana na piśmie {in_polish(days_ago(1))}, wprowadzona przez urząd"
    )


def test_entry_on_a_paragraph_keeps_the_structured_fields(client, db):
    office = Office(db)
    signed_in(client, office.official)

    enter(
        client,
        office,
        channel="meeting",
        paragraph=office.paragraph.key,
        proposed_wording="działalności na rzecz osób z niepełnosprawnością i ich opiekunów",
        justification="Opiekunowie też potrzebują wsparcia.",
    )

    [comment] = entered(db)
    assert comment.current_wording == office.paragraph.text, "filled in from the paragraph when left empty"
    assert comment.proposed_wording == "działalności na rzecz osób z niepełnosprawnością i ich opiekunów"
    assert comment.justification == "Opiekunowie też potrzebują wsparcia."
    html = page(client.get(f"/consultations/{office.consultation.slug}/paragraphs/{office.paragraph.key}"))
    mark = html.one(f"#comment-{comment.id} .entry-mark").text
    assert mark.startswith("Comment made at a consultation meeting on")


def test_choosing_a_paragraph_fills_in_its_current_wording(client, db):
    office = Office(db)
    signed_in(client, office.official)

    plain = client.get(f"{office.url}?paragraph={office.paragraph.key}")
    htmx = client.get(
        office.url, params={"paragraph": office.paragraph.key, "current_wording": ""}, headers={"HX-Request": "true"}
    )
    typed = client.get(
        office.url,
        params={"paragraph": office.paragraph.key, "current_wording": "Własne brzmienie z pisma"},
        headers={"HX-Request": "true"},
    )

    assert field(page(plain).one("main form"), "current_wording") == " ".join(office.paragraph.text.split())
    assert htmx.template.name == "entries/_wording.html"
    assert field(page(htmx).one("#entry-wording"), "current_wording") == " ".join(office.paragraph.text.split())
    assert field(page(typed).one("#entry-wording"), "current_wording") == "Własne brzmienie z pisma"


def test_ledger_records_the_entry_with_its_channel_and_text_hash(client, db):
    office = Office(db)
    signed_in(client, office.official)

    enter(client, office, channel="paper", received_at=days_ago(4).isoformat())

    [comment] = entered(db)
    [event] = ledger_events(db, "comment.entered")
    assert (event.subject_kind, event.subject_id, event.actor_id) == ("comment", str(comment.id), office.official.id)
    payload = json.loads(event.payload)
    assert payload["channel"] == "paper" and payload["organisation"] == office.sender.id
    assert payload["received_on"] == days_ago(4).isoformat()
    assert payload["sha256"] == ledger.sha256_hex(ledger.canonical_json([comment.body, "", "", ""]))
    assert "Prosimy" not in event.payload


def test_entry_after_the_close_is_allowed(client, db):
    office = Office(db, opens_in=timedelta(days=-30), lasts=timedelta(days=14))
    signed_in(client, office.official)

    response = enter(client, office, received_at=days_ago(12).isoformat())

    assert response.status_code == 303
    assert len(entered(db)) == 1


# --- refusals ------------------------------------------------------------------------------------


def test_invalid_channel_and_date_come_back_with_the_typed_text(client, db):
    office = Office(db)
    signed_in(client, office.official)

    response = enter(client, office, channel="fax", received_at="3 grudnia", justification="Wpisane uzasadnienie")

    assert response.status_code == 422
    form = page(response).one("main form")
    assert error_of(form, "channel") == "Error: Choose how the comment reached the municipality."
    assert error_of(form, "received_at") == "Error: Enter the date of receipt, for example 2026-12-03."
    assert field(form, "body") == "Prosimy o spotkanie konsultacyjne w Olszance."
    assert field(form, "justification") == "Wpisane uzasadnienie"
    assert field(form, "received_at") == "3 grudnia"
    assert field(form, "organisation_id") == str(office.sender.id)
    assert len(page(response).select(".error-summary li")) == 2
    assert entered(db) == []


@pytest.mark.parametrize(
    ("received", "message"),
    [
        (lambda: days_ago(-1), "The date of receipt cannot be in the future."),
        (lambda: days_ago(30), "The consultation opened later: check the date of receipt."),
    ],
    ids=["future", "before-opening"],
)
def test_date_outside_the_consultation_is_refused(client, db, received, message):
    office = Office(db)
    signed_in(client, office.official)

    response = enter(client, office, received_at=received().isoformat())

    assert response.status_code == 422
    assert error_of(page(response).one("main form"), "received_at") == f"Error: {message}"
    assert entered(db) == []


def test_missing_organisation_and_text_are_refused(client, db):
    office = Office(db)
    signed_in(client, office.official)

    response = enter(client, office, organisation_id="", body="")

    assert response.status_code == 422
    form = page(response).one("main form")
    assert error_of(form, "organisation_id") == "Error: Choose the organisation that sent the comment."
    assert error_of(form, "body") == "Error: This field is required."


def test_entry_before_the_consultation_opens_is_refused(client, db):
    office = Office(db, opens_in=timedelta(days=2))
    signed_in(client, office.official)

    response = enter(client, office, received_at=days_ago(0).isoformat())

    assert response.status_code == 409
    assert "Comments can be entered once the consultation has opened." in page(response).text
    assert field(page(response).one("main form"), "body") == "Prosimy o spotkanie konsultacyjne w Olszance."
    assert entered(db) == []


def test_entry_after_the_record_is_published_is_refused(client, db):
    office = Office(db, opens_in=timedelta(days=-30), lasts=timedelta(days=14))
    db.add(Record(consultation_id=office.consultation.id, body="{}", sha256="0" * 64, published_at=utcnow()))
    db.commit()
    signed_in(client, office.official)

    page_response = client.get(office.url)
    response = enter(client, office, received_at=days_ago(12).isoformat())

    assert page_response.status_code == 409
    assert response.status_code == 409
    assert "The consultation record is published" in page(response).text
    assert field(page(response).one("main form"), "body") == "Prosimy o spotkanie konsultacyjne w Olszance."
    assert entered(db) == []


def test_action_refuses_an_unknown_paragraph_and_the_municipality_as_sender(db):
    office = Office(db)
    official = principal(db, office.official)
    base = office.entry()
    base.pop("paragraph")

    with pytest.raises(DomainError) as unknown:
        actions.enter_comment(db, official, office.consultation, actions.EntryInput(**base, paragraph="zzz"))
    db.rollback()
    with pytest.raises(DomainError) as itself:
        actions.enter_comment(
            db,
            official,
            office.consultation,
            actions.EntryInput(**{**base, "organisation_id": office.municipality.id}),
        )

    assert (unknown.value.field, unknown.value.status_code) == ("paragraph", 422)
    assert (itself.value.field, itself.value.status_code) == ("organisation_id", 422)
