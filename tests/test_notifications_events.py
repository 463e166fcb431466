"""Where things happen, the right people are told, according to their settings, and nobody else: a consultation
published, a reply, a position, a record, a place from the waiting list, a declaration decided; and on schedule,
meeting reminders 2 days before and funding deadlines 7 days before, each sent once however many workers run."""

from __future__ import annotations

import contextvars
import threading
from datetime import timedelta

import pytest
from sqlmodel import Session, select

from consult.answers.actions import AnswerInput, answer_contribution
from consult.consultations.actions import publish_consultation
from consult.meetings import registrations
from consult.models import Announcement, AnnouncementField, NotificationItem, NotificationSent, OutboxMessage, utcnow
from consult.notifications import schedule
from consult.records.actions import RecordInput, publish_record
from tests.factories import (
    add_member,
    close_consultation,
    make_comment,
    make_consultation,
    make_declaration,
    make_group,
    make_meeting,
    make_official,
    make_organisation,
    make_user,
    principal,
    register_for,
)
from tests.test_notifications import choose, english  # noqa: F401  (english: autouse)


def subjects(db, user) -> list[str]:
    db.commit()
    db.expire_all()
    return [m.subject for m in db.exec(select(OutboxMessage).where(OutboxMessage.recipient == user.email)).all()]


def gathered(db, user) -> list[str]:
    db.commit()
    db.expire_all()
    return [i.kind for i in db.exec(select(NotificationItem).where(NotificationItem.user_id == user.id)).all()]


# --- a consultation published -------------------------------------------------------------------


def test_a_published_consultation_is_told_to_the_organisations_serving_the_municipality(db):
    official, wierzbno = make_official(
        db, make_organisation(db, kind="municipality", name="Gmina Wierzbno", verified=True)
    )
    weekly, at_once, silent, elsewhere = make_user(db), make_user(db), make_user(db), make_user(db)
    near = make_organisation(db, admin=weekly, area_served="gmina Wierzbno i okolice", verified=True)
    add_member(db, near, at_once)
    add_member(db, near, silent)
    make_organisation(db, admin=elsewhere, area_served="Gmina Lipowo", verified=True)
    choose(db, at_once, consultation_new="immediate")
    choose(db, silent, consultation_new="never")
    choose(db, official, consultation_new="immediate")
    consultation = make_consultation(db, official=official, municipality=wierzbno, published=False)
    publish_consultation(db, principal(db, official), consultation)
    assert subjects(db, at_once) == [f"New consultation: {consultation.title}"]
    assert gathered(db, weekly) == ["consultation_new"]  # the default: the weekly digest
    assert subjects(db, silent) == [] and gathered(db, silent) == []
    assert subjects(db, elsewhere) == [] and gathered(db, elsewhere) == []
    assert subjects(db, official) == []


# --- a reply ------------------------------------------------------------------------------------


@pytest.fixture
def consultation(db):
    return make_consultation(db)


def test_a_reply_is_told_to_the_author_of_the_comment_replied_to(db, consultation):
    anna, bartek = make_user(db, email="anna.reply@example.pl"), make_user(db)
    parent = make_comment(db, consultation, author=anna)
    reply = make_comment(db, consultation, author=bartek, parent=parent, body="Popieramy tę uwagę w całości.")
    assert subjects(db, anna) == ["A reply to your comment"]
    mail = db.exec(select(OutboxMessage).where(OutboxMessage.recipient == anna.email)).one()
    assert "Popieramy tę uwagę w całości." in mail.body
    assert f"http://testserver/comments/{reply.id}" in mail.body
    assert subjects(db, bartek) == []


def test_replying_to_ones_own_comment_or_having_chosen_never_tells_nobody(db, consultation):
    anna, celina = make_user(db), make_user(db)
    organisation = make_organisation(db, admin=anna, verified=True)
    parent = make_comment(db, consultation, author=anna, organisation=organisation)
    make_comment(db, consultation, author=anna, organisation=organisation, parent=parent)
    choose(db, celina, comment_reply="never")
    theirs = make_comment(db, consultation, author=celina)
    make_comment(db, consultation, author=anna, organisation=organisation, parent=theirs)
    assert subjects(db, anna) == [] and subjects(db, celina) == []


# --- a position, a record -----------------------------------------------------------------------


def test_a_position_is_told_to_the_organisations_members_and_the_record_to_everyone_who_took_part(db):
    official, municipality = make_official(db)
    consultation = make_consultation(db, official=official, municipality=municipality)
    anna, celina, outsider, alone = make_user(db), make_user(db), make_user(db), make_user(db)
    organisation = make_organisation(db, admin=anna, verified=True)
    add_member(db, organisation, celina)
    choose(db, celina, position="never")
    ours = make_comment(db, consultation, author=anna, organisation=organisation)
    other = make_comment(db, consultation, author=alone)
    close_consultation(db, consultation)
    official_p = principal(db, official)
    data = AnswerInput(position="rejected", justification="Zadanie realizuje inny program.")
    answer_contribution(db, official_p, consultation, ("comment", ours.id), data)
    expected = f"The municipality's position on your contribution: {consultation.title}"
    assert subjects(db, anna) == [expected]
    assert subjects(db, celina) == [] and subjects(db, outsider) == [] and subjects(db, alone) == []
    answer_contribution(db, official_p, consultation, ("comment", other.id), AnswerInput(position="accepted"))
    assert subjects(db, alone) == [expected]
    publish_record(db, official_p, consultation, RecordInput(conclusion="Projekt trafia do rady bez zmian."))
    record = f"The record of the consultation is published: {consultation.title}"
    assert subjects(db, anna)[-1] == record and subjects(db, alone)[-1] == record
    assert subjects(db, celina) == [record]  # she chose "never" for positions only
    assert subjects(db, outsider) == [] and subjects(db, official) == []


# --- a place from the waiting list, a declaration decided ----------------------------------------


def test_a_place_from_the_waiting_list_is_told_unless_the_person_chose_never(db):
    meeting = make_meeting(db, capacity=1)
    first_user, second, third = make_user(db), make_user(db), make_user(db)
    first = register_for(db, meeting, user=first_user)
    register_for(db, meeting, user=second)
    choose(db, third, registration_promoted="never")
    register_for(db, meeting, user=third)
    registrations.cancel_registration(db, principal(db, first_user), first, "http://testserver/m")
    assert subjects(db, second) == [f"A place for you: {meeting.title}"]
    assert subjects(db, third) == []


def test_a_declaration_decided_is_told_to_the_declarant(db):
    group = make_group(db)
    jan, ola = make_user(db), make_user(db)
    choose(db, ola, declaration_decided="never")
    make_declaration(db, group, user=jan, accepted=True)
    make_declaration(db, group, user=ola, accepted=True)
    assert subjects(db, jan) == [f"You are a member of the working group {group.name}"]
    assert subjects(db, ola) == []


# --- meeting reminders --------------------------------------------------------------------------


def test_a_meeting_reminder_goes_two_days_before_once_to_the_confirmed(db, settings):
    soon = make_meeting(db, capacity=1, starts_in=timedelta(hours=36))
    later = make_meeting(db, starts_in=timedelta(days=5))
    confirmed, waiting, later_one = make_user(db), make_user(db), make_user(db)
    register_for(db, soon, user=confirmed)
    register_for(db, soon, user=waiting)
    register_for(db, later, user=later_one)
    assert schedule.send_meeting_reminders(db, settings) == 1
    assert schedule.send_meeting_reminders(db, settings) == 0
    assert subjects(db, confirmed) == [f"Reminder: {soon.title}"]
    assert subjects(db, waiting) == [] and subjects(db, later_one) == []


def test_a_reminder_goes_once_even_with_two_workers_at_once(app, db, settings):
    meeting = make_meeting(db, starts_in=timedelta(hours=20))
    people = [make_user(db) for _ in range(8)]
    for person in people:
        register_for(db, meeting, user=person)
    start = threading.Barrier(2)
    told: list[int] = []
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            with Session(app.state.engine, expire_on_commit=False) as session:
                start.wait()
                told.append(schedule.run_scheduled(session, settings))
        except BaseException as exc:  # noqa: BLE001  (reported below)
            errors.append(exc)

    threads = [threading.Thread(target=contextvars.copy_context().run, args=(worker,)) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    assert sum(told) == len(people)
    for person in people:
        assert subjects(db, person) == [f"Reminder: {meeting.title}"]
    assert len(db.exec(select(NotificationSent)).all()) == len(people)


# --- funding deadlines --------------------------------------------------------------------------


def funding(db, *, days_left: int, fields: tuple[str, ...] = ("culture",), **values) -> Announcement:
    today = utcnow().date()
    announcement = Announcement(
        slug=f"nabor-{days_left}-{'-'.join(fields)}",
        title=values.pop("title", "Konkurs „Kultura w gminie”"),
        category="funding",
        funder="Urząd Marszałkowski",
        deadline=today + timedelta(days=days_left),
        published_at=utcnow(),
        **values,
    )
    db.add(announcement)
    db.flush()
    for field in fields:
        db.add(AnnouncementField(announcement_id=announcement.id, field=field))
    db.commit()
    return announcement


def test_a_funding_deadline_is_told_seven_days_before_once_to_organisations_in_its_fields(db, settings):
    culture, sport, both = make_user(db), make_user(db), make_user(db)
    make_organisation(db, admin=culture, fields=["culture"], verified=True)
    make_organisation(db, admin=sport, fields=["sport"], verified=True)
    make_organisation(db, admin=both, fields=["sport", "culture"], verified=True)
    opportunity = funding(db, days_left=5)
    funding(db, days_left=12, title="Konkurs za dwa tygodnie")
    assert schedule.send_funding_deadlines(db, settings) == 2
    assert schedule.send_funding_deadlines(db, settings) == 0
    assert subjects(db, culture) == ["Funding deadline soon: Konkurs „Kultura w gminie”"]
    assert subjects(db, both) == ["Funding deadline soon: Konkurs „Kultura w gminie”"]
    assert subjects(db, sport) == []
    mail = db.exec(select(OutboxMessage).where(OutboxMessage.recipient == culture.email)).one()
    assert "5 days left" in mail.body and "(Urząd Marszałkowski)" in mail.body
    assert f"http://testserver/announcements/{opportunity.slug}" in mail.body


def test_a_funding_deadline_for_a_municipalitys_organisations_reaches_only_them(db, settings):
    _official, municipality = make_official(
        db, make_organisation(db, kind="municipality", name="Gmina Wierzbno", verified=True)
    )
    near, far = make_user(db), make_user(db)
    make_organisation(db, admin=near, fields=["culture"], area_served="Wierzbno", verified=True)
    make_organisation(db, admin=far, fields=["culture"], area_served="Lipowo", verified=True)
    funding(db, days_left=7, audience_kind="municipality", audience_id=municipality.id)
    schedule.send_funding_deadlines(db, settings)
    assert len(subjects(db, near)) == 1 and subjects(db, far) == []
