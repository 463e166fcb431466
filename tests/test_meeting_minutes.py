"""After the meeting: the organisers' head counts and list with needs, its CSV file for a spreadsheet, attendance,
the minutes; and a point of the minutes entered into an open consultation through the meeting channel, so that what
was said at the meeting is answered in the consultation's record."""

from __future__ import annotations

import csv
import io
import json
from datetime import timedelta

import pytest
from sqlmodel import select

from consult.answers.actions import AnswerInput, answer_contribution
from consult.errors import DomainError
from consult.meetings import actions, after, points
from consult.models import Comment, MinutesPoint, Registration
from consult.records.actions import RecordInput, publish_record
from tests.factories import (
    close_consultation,
    fresh,
    ledger_events,
    make_consultation,
    make_meeting,
    make_official,
    make_organisation,
    make_user,
    principal,
    register_for,
    signed_in,
)
from tests.html import page
from tests.meeting_helpers import WARSAW, error, held, typed
from tests.test_comments import target

MINUTES = """Spotkanie otworzyła koordynatorka sieci.

- Przyjęto do sieci Koło Gospodyń Wiejskich w Olszance.
- Zespół Ludowy proponuje, by program współpracy przewidywał małe granty na wyjazdy.

Następne spotkanie w grudniu."""


@pytest.fixture
def forum(db):
    """Gmina Wierzbno's forum (30 places, two groups), organised by the gmina; two NGOs registered, one waiting."""
    official, gmina = make_official(db, email="urzednik@wierzbno.example.pl")
    meeting = make_meeting(
        db,
        organiser=official,
        organisation=gmina,
        title="Forum organizacji pozarządowych",
        kind="forum",
        capacity=5,
        breakouts=(("Kultura", 3), ("Sport", None)),
    )
    return official, gmina, meeting


def breakouts(db, meeting):
    from consult.models import MeetingBreakout

    return db.exec(select(MeetingBreakout).where(MeetingBreakout.meeting_id == meeting.id).order_by("position")).all()


def registered(db, meeting):
    """Three organisations: the ensemble (3, culture), the club (2, sport), the seniors waiting (2, sport)."""
    culture, sport = breakouts(db, meeting)
    ensemble = make_organisation(db, name="Zespół Ludowy „Wierzbianki”", verified=True)
    club = make_organisation(db, name='=HYPERLINK("http://zly.example")', verified=True)  # a hostile name
    seniors = make_organisation(db, name="Klub Seniora Złota Jesień", verified=True)
    rows = [
        register_for(db, meeting, user=_admin(db, ensemble), organisation=ensemble, head_count=3, breakout=culture,
                     participants=["Łucja Żak", "Świętosław Gęś", "Anna Nowak"], catering_needs="2 × wegetariańskie"),
        register_for(db, meeting, user=_admin(db, club), organisation=club, head_count=2, breakout=sport,
                     accessibility_needs="Pętla indukcyjna"),
        register_for(db, meeting, user=_admin(db, seniors), organisation=seniors, head_count=2, breakout=sport),
    ]  # fmt: skip
    return ensemble, club, seniors, rows


def _admin(db, organisation):
    from consult.models import Membership, User

    membership = db.exec(select(Membership).where(Membership.organisation_id == organisation.id)).first()
    return db.get(User, membership.user_id)


# --- the organisers' list --------------------------------------------------------------------


def test_organisers_see_head_counts_per_group_and_in_total_with_the_needs(client, db, forum):
    official, _gmina, meeting = forum
    registered(db, meeting)
    signed_in(client, official)
    html = page(client.get(f"/meetings/{meeting.slug}/registrations"))
    rows = [
        [cell.text for cell in row.descendants() if cell.tag in ("th", "td")]
        for row in html.select(".tally-table tbody tr")
    ]
    assert rows == [
        ["Kultura", "3", "3", "0", "1"],
        ["Sport", "no limit", "2", "2", "2"],
        ["Total", "5", "5", "2", "3"],
    ]
    listed = html.select(".registrations-table tbody tr")
    assert [r.one("th").text for r in listed][2] == "Klub Seniora Złota Jesień Sport"
    assert "Waiting list (no. 1)" in listed[2].text
    assert "Catering: 2 × wegetariańskie" in listed[0].text and "Accessibility: Pętla indukcyjna" in listed[1].text
    assert not html.select("input[type=number]")  # attendance comes after the meeting


def test_the_list_as_csv_opens_in_a_polish_excel(client, db, forum):
    official, _gmina, meeting = forum
    registered(db, meeting)
    signed_in(client, official)
    response = client.get(f"/meetings/{meeting.slug}/registrations.csv")
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.headers["content-disposition"] == f'attachment; filename="zgloszenia-{meeting.slug}.csv"'
    assert response.content.startswith(b"\xef\xbb\xbf")  # UTF-8 with a BOM
    text = response.content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert rows[0][:5] == ["No.", "Organisation or person", "Status", "Place on the waiting list", "Head count"]
    assert rows[1][1] == "Zespół Ludowy „Wierzbianki”" and rows[1][6] == "Łucja Żak\nŚwiętosław Gęś\nAnna Nowak"
    assert rows[2][1] == '\'=HYPERLINK("http://zly.example")'  # not a formula when opened
    assert rows[3][2:5] == ["Waiting list", "1", "2"]


def test_only_organisers_get_the_list(client, db, forum):
    _official, _gmina, meeting = forum
    ensemble, *_ = registered(db, meeting)
    signed_in(client, _admin(db, ensemble))
    assert client.get(f"/meetings/{meeting.slug}/registrations").status_code == 403
    assert client.get(f"/meetings/{meeting.slug}/registrations.csv").status_code == 403
    client.cookies.clear()
    assert (
        "/login"
        in client.get(f"/meetings/{meeting.slug}/registrations.csv", follow_redirects=False).headers["location"]
    )


# --- attendance and minutes ------------------------------------------------------------------


def test_attendance_is_entered_after_the_meeting_per_registration(client, db, forum):
    official, _gmina, meeting = forum
    _ensemble, club, _seniors, (first, second, waiting) = registered(db, meeting)
    signed_in(client, official)
    early = client.submit(f"/meetings/{meeting.slug}/attendance", {f"attended-{first.id}": "3"})
    assert early.status_code == 409
    fresh(db)
    held(db, meeting)
    html = page(client.get(f"/meetings/{meeting.slug}/registrations"))
    assert [i.get("name") for i in html.select("input[type=number]")] == [
        f"attended-{first.id}",
        f"attended-{second.id}",
    ]
    bad = client.submit(
        f"/meetings/{meeting.slug}/attendance", {f"attended-{first.id}": "3", f"attended-{second.id}": "dwoje"}
    )
    assert bad.status_code == 422
    assert 'value="dwoje"' in bad.text and "a whole number from 0 to 1,000" in page(bad).one(".error-summary").text
    saved = client.submit(
        f"/meetings/{meeting.slug}/attendance", {f"attended-{first.id}": "3", f"attended-{second.id}": ""},
        follow_redirects=False,
    )  # fmt: skip
    assert target(saved) == f"/meetings/{meeting.slug}/registrations"
    fresh(db)
    assert [db.get(Registration, r.id).attended for r in (first, second, waiting)] == [3, None, None]
    [event] = ledger_events(db, "meeting.attendance")
    assert json.loads(event.payload) == {"attended": {str(first.id): 3, str(second.id): None}}


def test_minutes_are_written_after_the_meeting_and_published_on_its_page(client, db, forum):
    official, _gmina, meeting = forum
    signed_in(client, official)
    assert client.submit(f"/meetings/{meeting.slug}/minutes", {"minutes": MINUTES}).status_code == 409
    before = page(client.get(f"/meetings/{meeting.slug}/minutes"))
    assert before.one(".lead").text == "Attendance and minutes are entered once the meeting has started."
    fresh(db)
    held(db, meeting)
    short = client.submit(f"/meetings/{meeting.slug}/minutes", {"minutes": "Krótko"})
    assert short.status_code == 422 and typed(short, "minutes") == "Krótko"
    done = client.submit(f"/meetings/{meeting.slug}/minutes", {"minutes": MINUTES}, follow_redirects=False)
    assert target(done) == f"/meetings/{meeting.slug}#meeting-{meeting.id}-minutes"
    client.cookies.clear()
    shown = page(client.get(f"/meetings/{meeting.slug}")).one(f"#meeting-{meeting.id}-minutes")
    assert "Przyjęto do sieci Koło Gospodyń Wiejskich w Olszance." in shown.texts("li")
    signed_in(client, official)
    client.submit(f"/meetings/{meeting.slug}/minutes", {"minutes": MINUTES + "\n\nPoprawka."})
    assert [e.action for e in ledger_events(db) if e.action.startswith("meeting.minutes")] == [
        "meeting.minutes_published",
        "meeting.minutes_corrected",
    ]


def test_a_cancelled_meeting_has_no_minutes_or_attendance(db, forum):
    official, _gmina, meeting = forum
    actions.cancel_meeting(db, principal(db, official), meeting, actions.CancelInput(reason="Powódź w gminie"), "")
    held(db, meeting)
    with pytest.raises(DomainError) as refused:
        after.publish_minutes(db, principal(db, official), meeting, after.MinutesInput(minutes=MINUTES))
    assert refused.value.status_code == 409


# --- points of the minutes into an open consultation --------------------------------------------------


@pytest.fixture
def after_the_forum(db, forum):
    """The forum took place yesterday during the open consultation of the cooperation programme; minutes published."""
    official, gmina, meeting = forum
    consultation = make_consultation(db, official=official, municipality=gmina, opens_in=timedelta(days=-10))
    ensemble, club, seniors, _rows = registered(db, meeting)
    held(db, meeting, hours_ago=24)
    after.publish_minutes(db, principal(db, official), meeting, after.MinutesInput(minutes=MINUTES))
    return official, consultation, meeting, ensemble


def test_an_official_enters_a_point_of_the_minutes_and_the_record_answers_it(client, db, after_the_forum):
    official, consultation, meeting, ensemble = after_the_forum
    signed_in(client, official)
    html = page(client.get(f"/meetings/{meeting.slug}"))
    links = [a.get("href") for a in html.select(".minutes-points a")]
    assert links[2] == f"/meetings/{meeting.slug}/points/new?point=3"
    form = client.get(links[2])
    assert typed(form, "body").startswith("Zespół Ludowy proponuje, by program współpracy")
    values = {
        "consultation_id": str(consultation.id),
        "sender": "organisation",
        "organisation_id": str(ensemble.id),
        "sender_name": "",
        "body": typed(form, "body"),
    }
    done = client.submit(f"/meetings/{meeting.slug}/points/new", values, follow_redirects=False)
    assert target(done) == f"/meetings/{meeting.slug}#meeting-{meeting.id}-points"
    fresh(db)
    [point] = db.exec(select(MinutesPoint)).all()
    comment = db.get(Comment, point.comment_id)
    assert (comment.channel, comment.organisation_id, comment.author_id) == ("meeting", ensemble.id, official.id)
    assert comment.received_at.astimezone(WARSAW).date() == meeting.starts_at.astimezone(WARSAW).date()
    assert [e.action for e in ledger_events(db)][-2:] == ["comment.entered", "minutes_point.entered"]

    entered = page(client.get(f"/meetings/{meeting.slug}")).one(f"#meeting-{meeting.id}-points .card")
    assert consultation.title in entered.text and "Awaiting the municipality's answer" in entered.text
    close_consultation(db, consultation)
    answer = AnswerInput(position="accepted", justification="Dopisano małe granty na wyjazdy.")
    answer_contribution(db, principal(db, official), consultation, ("comment", comment.id), answer)
    publish_record(db, principal(db, official), consultation, RecordInput(conclusion="Konsultacje zakończone."))
    answered = page(client.get(f"/meetings/{meeting.slug}")).one(f"#meeting-{meeting.id}-points .card")
    assert "Answered: accepted" in answered.text
    record = client.get(f"/consultations/{consultation.slug}/record").text
    assert "Zespół Ludowy proponuje, by program współpracy przewidywał małe granty na wyjazdy." in record
    assert "Dopisano małe granty na wyjazdy." in record


def test_a_point_from_a_named_person(db, after_the_forum):
    official, consultation, meeting, _ensemble = after_the_forum
    data = points.PointInput(
        consultation_id=consultation.id, sender="person", sender_name="Jan Kowal", body="Więcej ławek."
    )
    point = points.enter_minutes_point(db, principal(db, official), meeting, data)
    comment = db.get(Comment, point.comment_id)
    assert (comment.sender_name, comment.organisation_id) == ("Jan Kowal", None)
    assert "Jan Kowal" not in ledger_events(db, "comment.entered")[-1].payload


@pytest.mark.parametrize(
    ("change", "name", "message", "status"),
    [
        ({"organisation_id": "nobody"}, "organisation_id", "Choose an organisation registered for the meeting.", 422),
        (
            {"sender": "person", "sender_name": ""},
            "sender_name",
            "Give the name of the person who made the point.",
            422,
        ),
        ({"body": ""}, "body", "This field is required.", 422),
        ({"consultation_id": "999999"}, "consultation_id", "Choose the consultation.", 422),
        ({"sender": "everyone"}, "sender", "Choose who made the point.", 422),
    ],
)
def test_bad_points_are_refused_with_the_text_kept(client, db, after_the_forum, change, name, message, status):
    official, consultation, meeting, ensemble = after_the_forum
    signed_in(client, official)
    values = {
        "consultation_id": str(consultation.id),
        "sender": "organisation",
        "organisation_id": str(make_organisation(db).id)
        if change.get("organisation_id") == "nobody"
        else str(ensemble.id),
        "sender_name": "",
        "body": "Więcej ławek w parku.",
    }
    values |= {k: v for k, v in change.items() if k != "organisation_id"}
    refused = client.submit(f"/meetings/{meeting.slug}/points/new", values)
    assert refused.status_code == status
    assert message in error(page(refused), name)
    if name != "body":
        assert typed(refused, "body") == "Więcej ławek w parku."
    fresh(db)
    assert db.exec(select(MinutesPoint)).first() is None and db.exec(select(Comment)).first() is None


def test_points_go_only_into_an_open_consultation_of_the_officials_municipality(client, db, after_the_forum):
    official, consultation, meeting, ensemble = after_the_forum
    data = points.PointInput(consultation_id=consultation.id, organisation_id=ensemble.id, body="Więcej ławek.")
    other_official, _other = make_official(db)
    with pytest.raises(DomainError) as refused:
        points.enter_minutes_point(db, principal(db, other_official), meeting, data)
    assert refused.value.status_code == 403
    later = make_consultation(db, official=official, municipality=db.get(type(ensemble), consultation.organisation_id))
    with pytest.raises(DomainError) as refused:  # it opened after the meeting (make_consultation: yesterday, later)
        data_later = data.model_copy(update={"consultation_id": later.id})
        later.opens_at = meeting.starts_at + timedelta(hours=1)
        db.add(later)
        db.commit()
        points.enter_minutes_point(db, principal(db, official), meeting, data_later)
    assert refused.value.status_code == 422
    close_consultation(db, consultation)
    with pytest.raises(DomainError) as refused:
        points.enter_minutes_point(db, principal(db, official), meeting, data)
    assert refused.value.status_code == 409
    member = make_user(db, email="czlonek@example.pl")
    signed_in(client, member)
    assert client.get(f"/meetings/{meeting.slug}/points/new").status_code == 403


def test_no_points_before_the_minutes_are_published(client, db, forum):
    official, gmina, meeting = forum
    make_consultation(db, official=official, municipality=gmina)
    held(db, meeting)
    signed_in(client, official)
    assert client.get(f"/meetings/{meeting.slug}/points/new").status_code == 409
    assert not page(client.get(f"/meetings/{meeting.slug}")).select(".minutes-points")
