"""Advice from the support centre: who may ask, taking a request (one advisor wins), the private thread, closing,
rating once, bad input kept beside its field, the figures for the yearly report, and the platform admin's switch."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import pytest
from sqlmodel import Session, select

from consult.advice import actions, stats
from consult.advice.actions import AskInput, MessageInput, RatingInput
from consult.errors import DomainError
from consult.mail import deliver_pending
from consult.models import AdviceMessage, AdviceRequest, clock_at, utcnow
from tests.advice_helpers import AdviceWorld, ask_form, make_advice_world, make_request
from tests.factories import add_member, fresh, ledger_events, make_organisation, make_user, principal, signed_in
from tests.html import page, summary_list


@pytest.fixture
def world(db) -> AdviceWorld:
    return make_advice_world(db)


def reload(db, advice: AdviceRequest) -> AdviceRequest:
    fresh(db)
    return db.get(AdviceRequest, advice.id)


def answered(db, world, text: str = "Proszę przygotować zestawienie kosztów.") -> AdviceRequest:
    advice = make_request(db, world)
    actions.take_request(db, principal(db, world.advisor), advice)
    actions.post_message(db, principal(db, world.advisor), advice, MessageInput(body=text))
    return reload(db, advice)


# --- the support centre ---------------------------------------------------------------------------------------


def test_the_platform_admin_makes_an_organisation_a_support_centre_and_the_ledger_keeps_it(client, db, world):
    signed_in(client, world.platform_admin)
    profile = page(client.get(f"/organisations/{world.other.slug}"))
    switch = f"form[action=/organisations/{world.other.slug}/support-centre]"
    assert profile.one(f"{switch} button").text == "Make it a support centre"

    response = client.submit(f"/organisations/{world.other.slug}/support-centre", {"support_centre": "1"})

    assert "The organisation is a support centre." in page(response).one(".banner").text
    assert "Support centre" in page(response).texts(".meta .badge")
    fresh(db)
    assert db.get(type(world.other), world.other.id).support_centre is True
    event = ledger_events(db, "organisation.support_centre")[-1]
    assert event.subject_id == str(world.other.id) and event.actor_id == world.platform_admin.id


def test_only_the_platform_admin_sees_and_uses_the_support_centre_switch(client, db, world):
    signed_in(client, world.admin_elsewhere)
    assert "/support-centre" not in client.get(f"/organisations/{world.other.slug}").text
    response = client.submit(f"/organisations/{world.other.slug}/support-centre", {"support_centre": "1"})
    assert response.status_code == 403
    fresh(db)
    assert db.get(type(world.other), world.other.id).support_centre is False


# --- asking -----------------------------------------------------------------------------------------------------


def test_an_ngo_member_asks_for_advice_and_the_advisors_are_told(client, db, world, mailbox):
    signed_in(client, world.member)
    form = page(client.get("/advice/new"))
    assert form.one("#field-organisation_id option[selected]").text == "Koło Gospodyń Wiejskich"  # the only one
    assert form.one("#field-centre_id option[selected]").text == "Centrum Wspierania Organizacji"

    response = client.submit("/advice/new", ask_form(world))

    advice = db.exec(select(AdviceRequest)).one()
    assert response.url.path == f"/advice/requests/{advice.id}"
    html = page(response)
    assert "Your request has been sent." in html.one(".banner").text
    assert html.one(".badge-advice-new").text == "Waiting to be taken"
    assert (advice.topic, advice.mode, advice.status, advice.requested_by_id) == (
        "finance",
        "online",
        "new",
        world.member.id,
    )
    assert advice.municipality_id == world.municipality.id and advice.preferred_time == "wtorki po 16:00"
    told = {m["To"] for m in mailbox.messages}
    assert told == {"doradca@example.pl", "kolega@example.pl"}
    mail = mailbox.last_to("doradca@example.pl")
    assert "Koło Gospodyń Wiejskich" in mail["Subject"]
    assert mailbox.link_in(mail).endswith(f"/advice/requests/{advice.id}")
    assert [e.subject_id for e in ledger_events(db, "advice.requested")] == [str(advice.id)]


def test_a_resident_without_an_organisation_may_not_ask(client, db, world):
    signed_in(client, world.resident)
    assert client.get("/advice/new").status_code == 403
    assert client.submit("/advice/new", ask_form(world)).status_code == 403
    assert "Ask for advice" not in client.get("/advice").text
    with pytest.raises(DomainError) as refused:
        make_request(db, world, by=world.resident)
    assert refused.value.status_code == 403
    assert db.exec(select(AdviceRequest)).all() == []


def test_a_member_asks_only_in_the_name_of_an_organisation_they_belong_to(db, world):
    with pytest.raises(DomainError) as refused:
        make_request(db, world, by=world.admin_elsewhere)  # the form names the NGO, not their own foundation
    assert (refused.value.field, refused.value.status_code) == ("organisation_id", 403)


def test_an_informal_groups_leader_asks_but_its_plain_member_does_not(db, world):
    leader = make_user(db, email="lider@example.pl")
    group = make_organisation(db, admin=leader, name="Grupa Sąsiedzka", kind="informal")
    helper = make_user(db, email="pomocnik@example.pl")
    add_member(db, group, helper)

    advice = make_request(db, world, by=leader, organisation_id=str(group.id))

    assert advice.organisation_id == group.id
    with pytest.raises(DomainError):
        make_request(db, world, by=helper, organisation_id=str(group.id))


def test_an_official_may_not_ask_in_the_municipalitys_name(db, world):
    with pytest.raises(DomainError) as refused:
        make_request(db, world, by=world.official, organisation_id=str(world.municipality.id))
    assert refused.value.status_code == 403


def test_bad_input_is_shown_beside_each_field_with_the_text_kept(client, db, world):
    signed_in(client, world.member)

    response = client.submit("/advice/new", ask_form(world, description="", topic="astrology"))

    assert response.status_code == 422
    html = page(response)
    assert html.one("#field-description-error").text == "Error: This field is required."
    assert html.one("#field-topic-error").text == "Error: Choose one of the options."
    assert [a.get("href") for a in html.select(".error-summary a")] == ["#field-topic", "#field-description"]
    assert html.one("#field-preferred_time").get("value") == "wtorki po 16:00"
    assert db.exec(select(AdviceRequest)).all() == []


def test_a_short_description_and_an_unknown_centre_are_refused(client, db, world):
    signed_in(client, world.member)
    short = client.submit("/advice/new", ask_form(world, description="pomocy"))
    assert short.status_code == 422
    assert "at least 10 characters" in page(short).one("#field-description-error").text
    not_a_centre = client.submit("/advice/new", ask_form(world, centre_id=str(world.other.id)))
    assert not_a_centre.status_code == 422
    assert page(not_a_centre).one("#field-centre_id-error").text == "Error: Choose one of the support centres."
    assert "Jak rozliczyć dotację" in page(not_a_centre).one("#field-description").text


def test_with_several_centres_the_form_asks_which_one(client, db, world):
    second = make_organisation(db, name="Drugie Centrum")
    actions.mark_support_centre(db, principal(db, world.platform_admin), second, True)
    signed_in(client, world.member)
    form = page(client.get("/advice/new"))
    assert form.texts("#field-centre_id option") == [
        "Choose a support centre", "Centrum Wspierania Organizacji", "Drugie Centrum"
    ]  # fmt: skip
    assert form.select("#field-centre_id option[selected]") == []


# --- taking, answering, closing ---------------------------------------------------------------------------------


def test_two_advisors_taking_at_once_one_wins(app, db, world):
    advice = make_request(db, world)
    with Session(app.state.engine, expire_on_commit=False) as other:
        stale = other.get(AdviceRequest, advice.id)  # read while still new, as the second advisor's page was
        other.commit()  # (the app's POST begins its own writing transaction; the object stays as it was read)
        actions.take_request(db, principal(db, world.advisor), advice)
        assert stale.status == "new"
        with pytest.raises(DomainError) as lost:
            actions.take_request(other, principal(other, world.colleague), stale)
    assert lost.value.status_code == 409
    advice = reload(db, advice)
    assert (advice.status, advice.advisor_id) == ("taken", world.advisor.id)
    assert len(ledger_events(db, "advice.taken")) == 1


def test_the_second_advisor_is_told_the_request_is_taken(client, db, world):
    advice = make_request(db, world)
    actions.take_request(db, principal(db, world.advisor), advice)
    signed_in(client, world.colleague)
    assert "Take this request" not in client.get(f"/advice/requests/{advice.id}").text
    assert client.submit(f"/advice/requests/{advice.id}/take").status_code == 409


def test_the_advisor_answers_and_the_requesting_organisation_is_told(client, db, world, mailbox, settings):
    advice = make_request(db, world)
    deliver_pending(db, settings)
    mailbox.messages.clear()
    signed_in(client, world.advisor)
    taken = client.submit(f"/advice/requests/{advice.id}/take")
    assert "You have taken the request." in page(taken).one(".banner").text

    response = client.submit(f"/advice/requests/{advice.id}/messages", {"body": "Proszę przygotować **zestawienie**."})

    html = page(response)
    assert html.one(".advice-message-advisor .prose strong").text == "zestawienie"
    advice = reload(db, advice)
    assert advice.status == "answered" and advice.first_answered_at is not None
    assert {m["To"] for m in mailbox.messages} == {"ngo.admin@example.pl", "member@example.pl"}
    assert "answered your request" in mailbox.last_to("member@example.pl")["Subject"]


def test_a_message_posted_with_htmx_comes_back_as_the_thread(client, db, world):
    advice = make_request(db, world)
    actions.take_request(db, principal(db, world.advisor), advice)
    signed_in(client, world.advisor)
    response = client.submit(
        f"/advice/requests/{advice.id}/messages", {"body": "Odpowiedź"}, headers={"HX-Request": "true"}
    )
    assert response.status_code == 200
    assert response.template.name == "advice/_thread.html"
    assert page(response).one(f"#advice-{advice.id}-thread .advice-message .prose").text == "Odpowiedź"
    empty = client.submit(f"/advice/requests/{advice.id}/messages", {"body": ""}, headers={"HX-Request": "true"})
    assert empty.status_code == 422
    assert page(empty).one(f"#field-advice-{advice.id}-body-error").text == "Error: This field is required."


def test_only_the_advisor_who_took_it_answers(db, world):
    advice = make_request(db, world)
    with pytest.raises(DomainError) as untaken:
        actions.post_message(db, principal(db, world.advisor), advice, MessageInput(body="Już odpowiadam"))
    assert untaken.value.status_code == 409  # take it first
    actions.take_request(db, principal(db, world.advisor), advice)
    with pytest.raises(DomainError) as colleague:
        actions.post_message(db, principal(db, world.colleague), advice, MessageInput(body="Ja też"))
    assert colleague.value.status_code == 403
    assert db.exec(select(AdviceMessage)).all() == []


def test_the_requester_adds_to_its_request_and_the_advisor_is_told(db, world, mailbox, settings):
    advice = answered(db, world)
    deliver_pending(db, settings)
    mailbox.messages.clear()
    actions.post_message(db, principal(db, world.ngo_admin), advice, MessageInput(body="Dziękujemy, a co z VAT?"))
    deliver_pending(db, settings)
    assert [m["To"] for m in mailbox.messages] == ["doradca@example.pl"]
    assert reload(db, advice).status == "answered"


def test_closing_twice_is_refused_and_a_closed_thread_takes_no_message(client, db, world):
    advice = answered(db, world)
    signed_in(client, world.advisor)
    closed = client.submit(f"/advice/requests/{advice.id}/close")
    assert "The request is closed." in page(closed).one(".banner").text
    assert client.submit(f"/advice/requests/{advice.id}/close").status_code == 409
    with pytest.raises(DomainError) as late:
        actions.post_message(db, principal(db, world.member), reload(db, advice), MessageInput(body="Jeszcze"))
    assert late.value.status_code == 409
    assert len(ledger_events(db, "advice.closed")) == 1


def test_the_requester_may_close_but_another_advisor_may_not(db, world):
    advice = answered(db, world)
    with pytest.raises(DomainError) as colleague:
        actions.close_request(db, principal(db, world.colleague), advice)
    assert colleague.value.status_code == 403
    closed = actions.close_request(db, principal(db, world.member), reload(db, advice))
    assert closed.status == "closed" and closed.closed_by_id == world.member.id


# --- rating ------------------------------------------------------------------------------------------------------


def test_rating_only_after_closing_and_only_once(client, db, world):
    advice = answered(db, world)
    signed_in(client, world.member)
    early = client.submit(f"/advice/requests/{advice.id}/rating", {"rating": "5"})
    assert early.status_code == 409
    actions.close_request(db, principal(db, world.advisor), reload(db, advice))

    response = client.submit(f"/advice/requests/{advice.id}/rating", {"rating": "4", "comment": "Konkretnie."})

    assert "Thank you for rating the advice." in page(response).one(".banner").text
    advice = reload(db, advice)
    assert (advice.rating, advice.rating_comment) == (4, "Konkretnie.")
    assert "Rate the advice" not in response.text
    again = client.submit(f"/advice/requests/{advice.id}/rating", {"rating": "1"})
    assert again.status_code == 409
    assert reload(db, advice).rating == 4


@pytest.mark.parametrize("rating", ["0", "6", "", "pięć"])
def test_a_rating_outside_one_to_five_is_refused_beside_its_field(client, db, world, rating):
    advice = answered(db, world)
    actions.close_request(db, principal(db, world.advisor), advice)
    signed_in(client, world.member)
    response = client.submit(f"/advice/requests/{advice.id}/rating", {"rating": rating, "comment": "Mój komentarz"})
    assert response.status_code == 422
    html = page(response)
    assert html.one("#field-rating-error").text.startswith("Error: ")
    assert html.one("#field-comment").text == "Mój komentarz"
    assert reload(db, advice).rating is None


def test_the_advisor_may_not_rate(db, world):
    advice = answered(db, world)
    actions.close_request(db, principal(db, world.advisor), advice)
    with pytest.raises(DomainError) as refused:
        actions.rate_request(db, principal(db, world.advisor), reload(db, advice), RatingInput(rating=5))
    assert refused.value.status_code == 403


# --- who reads the thread: only its two sides --------------------------------------------------------------------

OUTSIDERS = ("resident", "admin_elsewhere", "official", "platform_admin")
SIDES = ("member", "ngo_admin", "advisor", "colleague")


def test_a_visitor_is_sent_to_log_in_and_sees_nothing(client, db, world):
    advice = answered(db, world, text="Tajna rada")
    for url in (f"/advice/requests/{advice.id}", f"/advice/centres/{world.centre.slug}", "/advice"):
        response = client.get(url, follow_redirects=False)
        assert response.status_code == 303 and urlsplit(response.headers["location"]).path == "/login", url
    fragment = client.get(f"/advice/requests/{advice.id}", headers={"HX-Request": "true"}, follow_redirects=False)
    assert fragment.status_code in (303, 401, 403) and "Tajna rada" not in fragment.text
    for action in ("messages", "take", "close", "rating"):
        posted = client.submit(f"/advice/requests/{advice.id}/{action}", {"body": "x"}, follow_redirects=False)
        assert posted.status_code in (303, 401, 403) and "Tajna rada" not in posted.text


@pytest.mark.parametrize("role", OUTSIDERS)
def test_the_thread_is_hidden_from_everyone_outside_its_two_sides(client, db, world, role):
    advice = answered(db, world, text="Tajna rada")
    signed_in(client, getattr(world, role))
    url = f"/advice/requests/{advice.id}"
    assert client.get(url).status_code == 404
    fragment = client.get(url, headers={"HX-Request": "true"})
    assert fragment.status_code == 404 and "Tajna rada" not in fragment.text
    for action, data in (
        ("messages", {"body": "Wtrącam się"}),
        ("take", {}),
        ("close", {}),
        ("rating", {"rating": "1"}),
    ):
        posted = client.submit(f"{url}/{action}", data, headers={"HX-Request": "true"})
        assert posted.status_code == 404, action
    assert client.get(f"/advice/centres/{world.centre.slug}").status_code == 403
    assert "Tajna rada" not in client.get("/advice").text
    assert "Tajna rada" not in client.get("/search", params={"q": "Tajna"}).text
    advice = reload(db, advice)
    assert (advice.status, advice.rating) == ("answered", None)
    assert len(db.exec(select(AdviceMessage)).all()) == 1


@pytest.mark.parametrize("role", SIDES)
def test_both_sides_read_the_thread(client, db, world, role):
    advice = answered(db, world, text="Tajna rada")
    signed_in(client, getattr(world, role))
    response = client.get(f"/advice/requests/{advice.id}")
    assert response.status_code == 200
    assert page(response).one(".advice-message .prose").text == "Tajna rada"
    fragment = client.get(f"/advice/requests/{advice.id}", headers={"HX-Request": "true"})
    assert fragment.status_code == 200 and fragment.template.name == "advice/_thread.html"


def test_the_requesting_organisation_sees_its_requests_and_the_advisors_their_queue(client, db, world):
    advice = answered(db, world)
    waiting = make_request(db, world, topic="volunteering", description="Jak zorganizować wolontariat w szkole?")
    signed_in(client, world.ngo_admin)
    mine = page(client.get("/advice"))
    assert len(mine.select(".card")) == 2
    signed_in(client, world.colleague)
    queue = page(client.get(f"/advice/centres/{world.centre.slug}"))
    assert len(queue.select(".card")) == 2
    only_new = page(client.get(f"/advice/centres/{world.centre.slug}", params={"status": "new"}))
    assert [a.get("href") for a in only_new.select(".card-title a")] == [f"/advice/requests/{waiting.id}"]
    fragment = client.get(f"/advice/centres/{world.centre.slug}", params={"status": "answered"},
                          headers={"HX-Request": "true"})  # fmt: skip
    assert fragment.template.name == "advice/_queue.html"
    assert f"/advice/requests/{advice.id}" in fragment.text


# --- figures ------------------------------------------------------------------------------------------------------


def test_figures_count_by_topic_and_time_to_first_answer(db, world):
    start = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    for hours, topic in ((2, "finance"), (4, "finance"), (12, "legal")):
        with clock_at(start):
            advice = make_request(db, world, topic=topic)
            actions.take_request(db, principal(db, world.advisor), advice)
        with clock_at(start + timedelta(hours=hours)):
            actions.post_message(db, principal(db, world.advisor), advice, MessageInput(body="Odpowiedź"))
    with clock_at(start):
        make_request(db, world, topic="promotion")  # never answered
    with clock_at(datetime(2025, 6, 1, tzinfo=UTC)):
        make_request(db, world, topic="promotion")  # the year before

    figures = stats.advice_figures(db, world.centre, datetime(2026, 1, 1, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC))

    assert figures.total == 4
    assert figures.by_topic == {
        "legal": 1, "finance": 2, "fundraising": 0, "partnerships": 0, "promotion": 1, "volunteering": 0
    }  # fmt: skip
    assert (figures.answered, figures.median_hours_to_first_answer, figures.mean_hours_to_first_answer) == (3, 4.0, 6.0)
    by_municipality = stats.advice_figures(db, world.municipality, datetime(2025, 1, 1, tzinfo=UTC),
                                           datetime(2027, 1, 1, tzinfo=UTC))  # fmt: skip
    assert by_municipality.total == 5


def test_a_later_answer_does_not_move_the_time_to_first_answer(db, world):
    advice = answered(db, world)
    first = advice.first_answered_at
    actions.post_message(db, principal(db, world.advisor), advice, MessageInput(body="Jeszcze jedno"))
    assert reload(db, advice).first_answered_at == first


def test_the_queue_shows_the_figures_of_the_year(client, db, world):
    answered(db, world)
    signed_in(client, world.advisor)
    html = page(client.get(f"/advice/centres/{world.centre.slug}"))
    figures = summary_list(html.one("section.panel"))
    assert figures["Requests"] == "1" and figures["Finance and accounting"] == "1" and figures["Volunteering"] == "0"
    assert figures["Time to the first answer (median)"].endswith(" h")


# --- links and demo -----------------------------------------------------------------------------------------------


def test_the_me_page_and_the_forum_link_to_advice(client, db, world):
    signed_in(client, world.member)
    assert page(client.get("/me")).select("a[href=/advice]")
    assert page(client.get("/forum")).select("a[href=/advice]")


def test_ask_input_refuses_an_unknown_mode():
    from consult.forms import validate

    form = validate(AskInput, {"organisation_id": "1", "centre_id": "2", "topic": "legal", "mode": "by pigeon",
                               "description": "Opis sprawy do rozpatrzenia"})  # fmt: skip
    assert set(form.errors) == {"mode"}


def test_the_demo_loads_an_answered_rated_request_and_one_waiting_once(db):
    from consult.advice import demo
    from consult.models import Organisation

    advisor = make_user(db, email="doradca@demo.example")
    centre = make_organisation(db, admin=advisor, name=demo.CENTRE)
    centre.support_centre = True
    db.add(centre)
    db.commit()
    make_organisation(db, name=demo.CIRCLE, admin=make_user(db, email="kgw@demo.example"))
    make_organisation(db, name=demo.SENIORS, admin=make_user(db, email="seniorzy@demo.example"))
    make_organisation(db, name="Gmina Wierzbno", kind="municipality")
    assert db.exec(select(Organisation)).all()

    for _ in range(2):
        demo.load_answered(db, "demo.example", "Gmina Wierzbno")
        demo.load(db, "demo.example", "Gmina Wierzbno")

    fresh(db)
    requests = {r.topic: r for r in db.exec(select(AdviceRequest)).all()}
    assert set(requests) == {"finance", "volunteering"}
    finance = requests["finance"]
    assert (finance.status, finance.rating, finance.advisor_id) == ("closed", 5, advisor.id)
    assert finance.created_at < finance.first_answered_at < finance.closed_at < utcnow()
    assert requests["volunteering"].status == "new"
    assert len(db.exec(select(AdviceMessage)).all()) == 2
