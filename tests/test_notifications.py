"""Notifications: each person chooses per kind (immediately, weekly digest, never); every mail carries a one-click
unsubscribe link for its kind; the weekly digest goes once per person and week, even with two workers at once."""

from __future__ import annotations

import contextvars
import json
import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import Session, select

from consult.i18n import current_locale
from consult.mail import deliver_pending
from consult.models import NotificationDigest, NotificationItem, NotificationSetting, OutboxMessage, clock_at, utcnow
from consult.notifications import dispatch, schedule
from consult.notifications.dispatch import DEFAULTS, KINDS, make_token, notify
from tests.factories import make_user, signed_in
from tests.html import page

# Monday 7 December 2026, 7:00 in Warsaw (6:00 UTC): this week's digest is due; last week ended at 23:00 UTC on the 6th.
MONDAY_MORNING = datetime(2026, 12, 7, 6, 0, tzinfo=UTC)
LAST_WEEK = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def english():
    """Mail written outside a request takes the current locale: these tests read it in English."""
    token = current_locale.set("en")
    yield
    current_locale.reset(token)


def choose(db, user, **modes: str) -> None:
    for kind, mode in modes.items():
        db.add(NotificationSetting(user_id=user.id, kind=kind, mode=mode))
    db.commit()


def mails_to(db, user) -> list[OutboxMessage]:
    db.commit()  # a new transaction sees what the app committed
    db.expire_all()
    return list(db.exec(select(OutboxMessage).where(OutboxMessage.recipient == user.email)).all())


def waiting(db, user) -> list[NotificationItem]:
    db.commit()  # a new transaction sees what the app committed
    db.expire_all()
    return list(db.exec(select(NotificationItem).where(NotificationItem.user_id == user.id)).all())


def tell(db, users, kind: str = "announcement", subject: str = "Nabór wniosków: Fundusz Sołecki") -> int:
    told = notify(db, [u.id if u else None for u in users], kind, subject, "Treść ogłoszenia.", "http://testserver/x")
    db.commit()
    return told


# --- settings ---------------------------------------------------------------------------------


def test_the_settings_page_shows_every_kind_with_its_default(client, db):
    anna = make_user(db)
    signed_in(client, anna)
    response = client.get("/me/notifications")
    assert response.status_code == 200
    assert response.template.name == "notifications/settings.html"
    html = page(response)
    assert html.one("h1").text == "Notifications"
    assert len(html.select("form fieldset")) == len(KINDS)
    for kind in KINDS:
        assert html.one(f"#field-{kind}-{DEFAULTS[kind]}").get("checked") is not None
    assert DEFAULTS["announcement"] == "digest" and DEFAULTS["comment_reply"] == "immediate"


def test_the_settings_page_is_linked_from_my_page(client, db):
    signed_in(client, make_user(db))
    links = [a.get("href") for a in page(client.get("/me")).select("a")]
    assert "/me/notifications" in links


@pytest.mark.parametrize("kind", KINDS)
def test_a_setting_saved_is_honoured_for_its_kind(client, db, kind):
    anna = make_user(db)
    signed_in(client, anna)
    form = {k: "immediate" for k in KINDS} | {kind: "never"}
    saved = client.submit("/me/notifications", form, follow_redirects=False)
    assert saved.status_code == 303
    html = page(client.get("/me/notifications"))
    assert html.one(".banner-success").text == "Your notification settings are saved."
    assert html.one(f"#field-{kind}-never").get("checked") is not None
    assert tell(db, [anna], kind) == 0
    other = next(k for k in KINDS if k != kind)
    assert tell(db, [anna], other) == 1
    assert [m.subject for m in mails_to(db, anna)] == ["Nabór wniosków: Fundusz Sołecki"]


def test_a_mode_that_does_not_exist_is_refused_with_the_choices_kept(client, db):
    anna = make_user(db)
    signed_in(client, anna)
    form = {k: "digest" for k in KINDS} | {"position": "sometimes"}
    response = client.submit("/me/notifications", form)
    assert response.status_code == 422
    html = page(response)
    assert "Positions on my organisation's contributions: Choose immediately" in html.one(".error-summary").text
    assert html.one("#field-position-error").text.endswith("Choose immediately, in the weekly digest, or never.")
    assert html.one("#field-record_published-digest").get("checked") is not None
    assert db.exec(select(NotificationSetting)).all() == []


def test_settings_need_a_signed_in_person(client):
    response = client.get("/me/notifications", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"].startswith("http://testserver/login")


# --- notify, by mode --------------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_each_kind_mails_now_gathers_for_the_digest_or_stays_silent(db, kind):
    now, weekly, never = make_user(db), make_user(db), make_user(db)
    choose(db, now, **{kind: "immediate"})
    choose(db, weekly, **{kind: "digest"})
    choose(db, never, **{kind: "never"})
    assert tell(db, [now, weekly, never, None], kind) == 2
    [mail] = mails_to(db, now)
    headers = json.loads(mail.headers)
    assert headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert headers["List-Unsubscribe"].startswith("<http://testserver/notifications/unsubscribe/")
    assert headers["List-Unsubscribe"][1:-1] in mail.body
    assert "http://testserver/x" in mail.body
    assert mails_to(db, weekly) == [] and [i.kind for i in waiting(db, weekly)] == [kind]
    assert mails_to(db, never) == [] and waiting(db, never) == []


def test_an_unconfirmed_account_is_not_written_to(db):
    ghost = make_user(db, confirmed=False)
    assert tell(db, [ghost], "comment_reply") == 0
    assert mails_to(db, ghost) == []


def test_a_mailto_unsubscribe_joins_the_link_when_the_site_has_one(db, settings):
    anna = make_user(db)
    with_mailto = settings.model_copy(update={"unsubscribe_mailto": "wypisz@wierzbno.example"})
    notify(db, [anna.id], "advice", "Odpowiedź doradcy", "Treść.", "http://testserver/a", settings=with_mailto)
    db.commit()
    [mail] = mails_to(db, anna)
    header = json.loads(mail.headers)["List-Unsubscribe"]
    assert header.endswith(", <mailto:wypisz@wierzbno.example?subject=unsubscribe>")


def test_choosing_never_drops_what_waited_for_the_digest(client, db):
    anna = make_user(db)
    choose(db, anna, announcement="digest")
    tell(db, [anna])
    signed_in(client, anna)
    assert "1 notification waits for your next digest." in page(client.get("/me/notifications")).text
    client.submit("/me/notifications", {k: "never" if k == "announcement" else DEFAULTS[k] for k in KINDS})
    assert waiting(db, anna) == []


# --- the weekly digest ------------------------------------------------------------------------


def test_the_digest_gathers_last_weeks_notifications_by_kind_once(db, settings):
    anna, bartek = make_user(db), make_user(db)
    for person in (anna, bartek):
        choose(db, person, announcement="digest", consultation_new="digest")
    with clock_at(LAST_WEEK):
        tell(db, [anna, bartek], "announcement", "Szkolenie z pisania wniosków")
        tell(db, [anna], "consultation_new", "Nowe konsultacje: program współpracy")
    with clock_at(MONDAY_MORNING - timedelta(minutes=30)):
        tell(db, [anna], "announcement", "Ogłoszenie z poniedziałku")  # this week's: waits for the next digest
    assert schedule.run_scheduled(db, settings, MONDAY_MORNING) == 2
    assert schedule.run_scheduled(db, settings, MONDAY_MORNING + timedelta(hours=3)) == 0
    [mail] = mails_to(db, anna)
    assert mail.subject == "Your weekly digest: 2 notifications"
    assert "## Announcements for my networks and municipalities\n- Szkolenie z pisania wniosków" in mail.body
    assert "## A new consultation in my municipalities\n- Nowe konsultacje: program współpracy" in mail.body
    assert "Ogłoszenie z poniedziałku" not in mail.body
    assert mail.body.count("Stop these: http://testserver/notifications/unsubscribe/") == 2
    assert json.loads(mail.headers)["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert [i.subject for i in waiting(db, anna) if i.digest_id is None] == ["Ogłoszenie z poniedziałku"]
    [digest] = db.exec(select(NotificationDigest).where(NotificationDigest.user_id == anna.id)).all()
    assert (digest.week, digest.item_count) == ("2026-W50", 2)
    # The next Monday, what waited goes in that week's digest.
    assert schedule.run_scheduled(db, settings, MONDAY_MORNING + timedelta(days=7)) == 1
    assert [m.subject for m in mails_to(db, anna)][-1] == "Your weekly digest: 1 notification"


def test_no_digest_before_monday_seven_nor_for_an_empty_week(db, settings):
    anna = make_user(db)
    choose(db, anna, announcement="digest")
    with clock_at(LAST_WEEK):
        tell(db, [anna])
    assert schedule.run_scheduled(db, settings, MONDAY_MORNING - timedelta(minutes=1)) == 0
    assert mails_to(db, anna) == []
    assert schedule.run_scheduled(db, settings, MONDAY_MORNING) == 1
    assert schedule.run_scheduled(db, settings, MONDAY_MORNING + timedelta(days=3)) == 0


def test_the_weekly_digest_goes_once_per_person_even_with_two_workers_at_once(app, db, settings):
    people = [make_user(db) for _ in range(12)]
    for person in people:
        choose(db, person, announcement="digest")
    with clock_at(LAST_WEEK):
        tell(db, people)
    start = threading.Barrier(2)
    sent: list[int] = []
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            with Session(app.state.engine, expire_on_commit=False) as session:
                start.wait()
                sent.append(schedule.run_scheduled(session, settings, MONDAY_MORNING))
        except BaseException as exc:  # noqa: BLE001  (reported by the test below)
            errors.append(exc)

    threads = [threading.Thread(target=contextvars.copy_context().run, args=(worker,)) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    assert sum(sent) == len(people)
    for person in people:
        assert [m.subject for m in mails_to(db, person)] == ["Your weekly digest: 1 notification"]
    assert len(db.exec(select(NotificationDigest)).all()) == len(people)


def test_the_digest_travels_through_a_real_smtp_server_with_its_headers(db, settings, mailbox):
    anna = make_user(db, email="anna.digest@example.pl")
    choose(db, anna, announcement="digest")
    with clock_at(LAST_WEEK):
        tell(db, [anna])
    schedule.run_scheduled(db, settings, MONDAY_MORNING)
    deliver_pending(db, settings)
    message = mailbox.last_to("anna.digest@example.pl")
    assert message["Subject"] == "Your weekly digest: 1 notification"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert message["List-Unsubscribe"].startswith("<http://testserver/notifications/unsubscribe/")
    assert "Nabór wniosków: Fundusz Sołecki" in message.get_content()


# --- unsubscribe --------------------------------------------------------------------------------


def unsubscribe_link(db, user, kind: str = "announcement") -> str:
    choose(db, user, **{kind: "immediate"})
    tell(db, [user], kind)
    [mail] = mails_to(db, user)
    return json.loads(mail.headers)["List-Unsubscribe"][1:-1].removeprefix("http://testserver")


def mode(db, user, kind: str) -> str:
    db.commit()  # a new transaction sees what the app committed
    db.expire_all()
    return dispatch.modes_of(db, [user.id])[user.id][kind]


def test_the_link_asks_first_and_the_button_unsubscribes(client, db):
    anna = make_user(db)
    client.cookies.set("consult_lang", "en")  # a reader who chose English, not signed in
    link = unsubscribe_link(db, anna)
    asked = client.get(link)
    assert asked.status_code == 200
    html = page(asked)
    assert html.one("h1").text == "Unsubscribe"
    assert html.one("main ul").text == "Announcements for my networks and municipalities"
    assert mode(db, anna, "announcement") == "immediate"
    done = client.post(html.one("main form").get("action"), data={"List-Unsubscribe": "One-Click"})
    assert done.status_code == 200
    assert page(done).one("h1").text == "You are unsubscribed"
    assert mode(db, anna, "announcement") == "never"
    assert mode(db, anna, "comment_reply") == "immediate"
    assert tell(db, [anna]) == 0


def test_a_mail_clients_one_click_post_unsubscribes_without_cookie_or_csrf_token(app, db):
    from starlette.testclient import TestClient

    anna = make_user(db)
    link = unsubscribe_link(db, anna, "meeting_reminder")
    with TestClient(app, base_url="http://testserver") as mail_client:  # no session, no CSRF token
        response = mail_client.post(
            link,
            content=b"List-Unsubscribe=One-Click",
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
    assert response.status_code == 200
    assert mode(db, anna, "meeting_reminder") == "never"


def test_other_forms_still_need_the_csrf_token(app, db):
    from starlette.testclient import TestClient

    with TestClient(app, base_url="http://testserver") as stranger:
        response = stranger.post("/me/notifications", data={"announcement": "never"})
    assert response.status_code == 403


def test_a_forged_link_changes_nothing_and_says_so(client, db, settings):
    anna = make_user(db)
    client.cookies.set("consult_lang", "en")
    choose(db, anna, announcement="immediate")
    forged = make_token("someone-elses-key", anna.id, ["announcement"])
    for response in (
        client.get(f"/notifications/unsubscribe/{forged}"),
        client.post(f"/notifications/unsubscribe/{forged}", data={"List-Unsubscribe": "One-Click"}),
        client.get("/notifications/unsubscribe/not-a-token"),
    ):
        assert response.status_code == 400
        assert response.template.name == "notifications/unsubscribe_refused.html"
        html = page(response)
        assert html.one("[role=alert]").text == "This unsubscribe link is not valid. Nothing was changed."
    assert mode(db, anna, "announcement") == "immediate"


def test_an_expired_link_changes_nothing_and_says_so(client, db, settings):
    anna = make_user(db)
    client.cookies.set("consult_lang", "en")
    choose(db, anna, position="immediate")
    with clock_at(utcnow() - dispatch.TOKEN_AGE - timedelta(days=1)):
        old = make_token(settings.secret_key, anna.id, ["position"])
    response = client.post(f"/notifications/unsubscribe/{old}", data={"List-Unsubscribe": "One-Click"})
    assert response.status_code == 400
    assert page(response).one("[role=alert]").text == "This unsubscribe link has expired. Nothing was changed."
    assert mode(db, anna, "position") == "immediate"
    fresh_enough = make_token(settings.secret_key, anna.id, ["position"])
    assert client.post(f"/notifications/unsubscribe/{fresh_enough}").status_code == 200
    assert mode(db, anna, "position") == "never"


def test_a_token_for_a_kind_that_does_not_exist_is_refused(client, db, settings):
    anna = make_user(db)
    token = make_token(settings.secret_key, anna.id, ["everything"])
    assert client.get(f"/notifications/unsubscribe/{token}").status_code == 400


def test_the_unsubscribe_page_is_polish_by_default(app, db, settings):
    from starlette.testclient import TestClient

    anna = make_user(db)
    token = make_token("forged", anna.id, ["announcement"])
    with TestClient(app, base_url="http://testserver") as polish:
        response = polish.get(f"/notifications/unsubscribe/{token}")
    assert response.status_code == 400
    assert page(response).one("[role=alert]").text == (
        "Ten link do wypisania się jest nieprawidłowy. Nic nie zostało zmienione."
    )


def test_a_mail_through_smtp_unsubscribes_by_its_body_link(client, db, settings, mailbox):
    anna = make_user(db, email="anna.smtp@example.pl")
    choose(db, anna, comment_reply="immediate")
    tell(db, [anna], "comment_reply", "Odpowiedź na Pani uwagę")
    deliver_pending(db, settings)
    message = mailbox.last_to("anna.smtp@example.pl")
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    body = message.get_content()
    link = message["List-Unsubscribe"].strip("<>")
    assert link in body
    assert client.post(link.removeprefix("http://testserver")).status_code == 200
    assert mode(db, anna, "comment_reply") == "never"
