"""Announcements and funding opportunities: officials post to their municipality, coordinators to their network or
working group, the support centre to everyone or a municipality, and no one to an audience their role does not
admit; funding opportunities are listed by deadline with the days left, filtered by field; feeds, mail, bad input."""

from __future__ import annotations

from datetime import timedelta
from xml.etree import ElementTree

import pytest
from sqlmodel import select

from consult.announcements import actions, queries
from consult.announcements.actions import AnnouncementInput
from consult.errors import DomainError
from consult.models import Announcement, AnnouncementField, NotificationItem, NotificationSetting, Organisation
from tests.factories import (
    add_member,
    admit_to_network,
    fresh,
    ledger_events,
    make_declaration,
    make_group,
    make_network,
    make_official,
    make_organisation,
    make_user,
    principal,
    signed_in,
)
from tests.html import page
from tests.meeting_helpers import error
from tests.test_comments import field, target

ATOM = "{http://www.w3.org/2005/Atom}"
LINK = "http://testserver/announcements/{}".format


class Town:
    """Gmina Wierzbno with its official; the neighbouring gmina's official; a network coordinated by an NGO's admin
    with one member NGO; another network; a working group the official coordinates; the support centre's advisor;
    an NGO whose area served names Wierzbno; a resident with no organisation."""

    def __init__(self, db):
        self.official, self.gmina = make_official(
            db,
            email="urzednik@wierzbno.example.pl",
            municipality=make_organisation(db, kind="municipality", name="Gmina Wierzbno", verified=True),
        )
        self.other_official, self.other_gmina = make_official(db, email="urzednik@olszyny.example.pl")
        self.coordinator = make_user(db, email="koordynatorka@fundacja.example.pl", display_name="Kinga Koordynator")
        self.foundation = make_organisation(db, admin=self.coordinator, verified=True, name="Fundacja Dolina")
        self.network = make_network(db, coordinator=self.coordinator, municipalities=[self.gmina], name="Sieć Doliny")
        self.member = make_user(db, email="czlonek@razem.example.pl", display_name="Marek Członek")
        self.member_ngo = make_organisation(db, admin=self.member, verified=True, name="Stowarzyszenie Razem")
        admit_to_network(db, self.network, self.member_ngo)
        self.other_network = make_network(db, name="Sieć Gór")
        self.group = make_group(db, coordinator=self.official, organisation=self.gmina, name="Grupa seniorów")
        make_declaration(db, self.group, organisation=self.member_ngo, accepted=True)
        self.advisor = make_user(db, email="doradca@centrum.example.pl", display_name="Dorota Doradczyni")
        self.centre = make_organisation(db, admin=self.advisor, verified=True, name="Centrum Wspierania NGO")
        self.centre.support_centre = True
        db.add(self.centre)
        self.local = make_user(db, email="prezes@klub.example.pl", display_name="Piotr Prezes")
        self.local_ngo = make_organisation(
            db, admin=self.local, verified=True, name="Klub Sportowy Orzeł", area_served="gmina Wierzbno"
        )
        self.outsider = make_user(db, email="daleko@example.pl")
        make_organisation(db, admin=self.outsider, verified=True, name="Daleka Fundacja", area_served="Kraków")
        self.resident = make_user(db, email="mieszkanka@example.pl")
        db.commit()


@pytest.fixture
def town(db):
    return Town(db)


def funding(**overrides) -> dict:
    """The form as a coordinator fills it in for a funding opportunity, three weeks ahead."""
    return {
        "title": "Konkurs grantowy Fundusz Sąsiedzki 2027",
        "category": "funding",
        "body": "Granty na **inicjatywy sąsiedzkie**: do 10 000 zł na projekt.",
        "funder": "Fundacja Wspólnota",
        "amount_min": "2 000",
        "amount_max": "10000",
        "deadline": (queries.today() + timedelta(days=21)).isoformat(),
        "fields[]": ["seniors", "culture"],
        "link": "https://fundusz.example.pl/konkurs",
        **overrides,
    }


def data(**overrides) -> AnnouncementInput:
    values = {
        "title": "Szkolenie z pisania wniosków",
        "category": "training",
        "body": "Zapraszamy na szkolenie.",
        **overrides,
    }
    return AnnouncementInput.model_validate(values)


def post(db, user, audience: str, **overrides) -> Announcement:
    return actions.post_announcement(db, principal(db, user), data(audience=audience, **overrides), LINK)


# --- who may post where ----------------------------------------------------------------------------

ALLOWED = [
    ("official", "municipality:gmina"),
    ("coordinator", "network:network"),
    ("official", "group:group"),  # the working group's coordinator
    ("advisor", "everyone"),
    ("advisor", "municipality:gmina"),
    ("advisor", "municipality:other_gmina"),
]
REFUSED = [
    ("official", "municipality:other_gmina"),  # another gmina's
    ("official", "network:network"),  # not its coordinator
    ("official", "everyone"),
    ("coordinator", "network:other_network"),
    ("coordinator", "municipality:gmina"),
    ("coordinator", "everyone"),
    ("coordinator", "group:group"),
    ("other_official", "municipality:gmina"),
    ("other_official", "group:group"),
    ("advisor", "network:network"),
    ("advisor", "group:group"),
    ("member", "network:network"),  # a member organisation's admin is not its coordinator
    ("member", "municipality:gmina"),
    ("member", "everyone"),
    ("resident", "everyone"),
    ("resident", "municipality:gmina"),
]


def audience_of(town: Town, spec: str) -> str:
    kind, _, name = spec.partition(":")
    return f"{kind}:{getattr(town, name).id}" if name else kind


@pytest.mark.parametrize(("role", "audience"), ALLOWED)
def test_each_role_posts_to_its_own_audience(db, town, role, audience):
    posted = post(db, getattr(town, role), audience_of(town, audience))
    kind, _, name = audience.partition(":")
    assert posted.published_at is not None and posted.audience_kind == kind
    assert posted.audience_id == (getattr(town, name).id if name else None)
    if kind == "municipality" and role == "official":
        assert posted.organisation_id == town.gmina.id
    if role == "advisor":
        assert posted.organisation_id == town.centre.id


@pytest.mark.parametrize(("role", "audience"), REFUSED)
def test_no_one_posts_to_an_audience_their_role_does_not_admit(db, town, role, audience):
    with pytest.raises(DomainError) as refused:
        post(db, getattr(town, role), audience_of(town, audience))
    assert refused.value.field == "audience" and refused.value.status_code == 403
    fresh(db)
    assert db.exec(select(Announcement)).first() is None


@pytest.mark.parametrize(("role", "audience"), REFUSED)
def test_the_server_refuses_a_forged_audience_beside_the_field(client, db, town, role, audience):
    signed_in(client, getattr(town, role))
    response = client.submit("/announcements/new", funding(audience=audience_of(town, audience)))
    assert response.status_code == 403
    if role not in ("resident", "member"):  # they have audiences of their own: the form comes back, refused
        html = page(response)
        assert "You cannot post to this audience" in error(html, "audience")
        assert field(html, "title") == "Konkurs grantowy Fundusz Sąsiedzki 2027"  # the text kept


def test_a_person_with_no_audience_cannot_open_the_form(client, town):
    signed_in(client, town.resident)
    assert client.get("/announcements/new").status_code == 403
    client.cookies.clear()
    assert client.get("/announcements/new", follow_redirects=False).status_code == 303  # to the log-in


def test_the_form_offers_only_the_audiences_of_ones_roles(client, town):
    signed_in(client, town.official)
    options = [o.get("value") for o in page(client.get("/announcements/new")).select("#field-audience option")]
    assert options == [f"municipality:{town.gmina.id}", f"group:{town.group.id}"]
    signed_in(client, town.coordinator)
    options = [o.get("value") for o in page(client.get("/announcements/new")).select("#field-audience option")]
    assert options == [f"network:{town.network.id}"]
    signed_in(client, town.advisor)
    options = [o.get("value") for o in page(client.get("/announcements/new")).select("#field-audience option")]
    assert options[0] == "everyone" and f"municipality:{town.other_gmina.id}" in options


# --- a coordinator posts a funding opportunity -----------------------------------------------------


def test_coordinator_posts_a_funding_opportunity_that_members_receive(client, db, town, mailbox):
    # the member chose to hear of announcements at once; the local club keeps the default, the weekly digest
    db.add(NotificationSetting(user_id=town.member.id, kind="announcement", mode="immediate"))
    db.commit()
    signed_in(client, town.coordinator)
    response = client.submit(
        "/announcements/new", funding(audience=f"network:{town.network.id}"), follow_redirects=False
    )
    slug = target(response).removeprefix("/announcements/")
    fresh(db)
    posted = queries.get_announcement(db, slug)
    assert (posted.funder, posted.amount_min, posted.amount_max) == ("Fundacja Wspólnota", 2000, 10000)
    assert queries.fields_of(db, [posted.id])[posted.id] == ["culture", "seniors"]
    assert [e.action for e in ledger_events(db) if e.subject_kind == "announcement"] == ["announcement.published"]

    shown = page(client.get(f"/announcements/{slug}"))
    assert "<strong>inicjatywy sąsiedzkie</strong>" in client.get(f"/announcements/{slug}").text
    assert "21 days left" in shown.one(".announcement-facts").text
    assert "2,000 to 10,000 zł" in shown.one(".announcement-facts").text

    mail = mailbox.last_to("czlonek@razem.example.pl")
    assert mail["Subject"] == "Funding opportunity: Konkurs grantowy Fundusz Sąsiedzki 2027"
    assert f"/announcements/{slug}" in mail.get_content()
    assert not [m for m in mailbox.messages if "Konkurs" in m["Subject"] and m["To"] != "czlonek@razem.example.pl"]
    fresh(db)
    waiting = db.exec(select(NotificationItem.user_id).where(NotificationItem.kind == "announcement")).all()
    assert town.coordinator.id not in waiting and town.local.id not in waiting and town.member.id not in waiting


def test_a_municipality_announcement_is_mailed_to_organisations_serving_it(db, town, mailbox):
    post(db, town.official, f"municipality:{town.gmina.id}")
    fresh(db)
    people = queries.audience_people(db, db.exec(select(Announcement)).one())
    assert town.local.id in people and town.outsider.id not in people and town.official.id not in people


def test_everyone_means_the_people_of_every_organisation_that_is_not_a_municipality(db, town):
    announcement = post(db, town.advisor, "everyone")
    people = queries.audience_people(db, announcement)
    assert {town.local.id, town.outsider.id, town.member.id} <= people
    assert town.other_official.id not in people and town.resident.id not in people


# --- funding opportunities by deadline ------------------------------------------------------------


def _opportunity(db, town, title: str, days: int, fields=("culture",)) -> Announcement:
    """An opportunity with its deadline `days` from today (in the past: stored as it would have been posted)."""
    deadline = queries.today() + timedelta(days=max(days, 0))
    posted = post(
        db,
        town.advisor,
        "everyone",
        title=title,
        category="funding",
        funder="Urząd Marszałkowski",
        deadline=deadline,
        fields=list(fields),
    )
    if days < 0:
        posted.deadline = queries.today() + timedelta(days=days)
        db.add(posted)
        db.commit()
    return posted


def test_open_opportunities_are_listed_by_deadline_with_the_days_left_in_polish(client, db, town):
    kept = [("Za pięć dni", 5), ("Termin dziś", 0), ("Za trzy dni", 3), ("Termin jutro", 1), ("Za 22 dni", 22)]
    for title, days in kept:
        _opportunity(db, town, title, days)
    _opportunity(db, town, "Już zamknięty", -2)
    html = page(client.get("/announcements/funding"))  # a visitor: Polish
    cards = html.select(".announcement-card")
    assert [c.one(".card-title").text.strip() for c in cards] == [
        "Termin dziś",
        "Termin jutro",
        "Za trzy dni",
        "Za pięć dni",
        "Za 22 dni",
    ]
    assert [c.one(".days-left").text for c in cards] == [
        "(ostatni dzień)",
        "(został 1 dzień)",
        "(zostały 3 dni)",
        "(zostało 5 dni)",
        "(zostały 22 dni)",
    ]
    archive = page(client.get("/announcements/funding/archive"))
    assert [c.one(".card-title").text.strip() for c in archive.select(".announcement-card")] == ["Już zamknięty"]


def test_opportunities_filter_by_field_with_and_without_htmx(client, db, town):
    _opportunity(db, town, "Dla seniorów", 10, fields=("seniors",))
    _opportunity(db, town, "Dla sportu", 12, fields=("sport",))
    html = page(client.get("/announcements/funding?field=seniors"))
    assert [c.one(".card-title").text.strip() for c in html.select(".announcement-card")] == ["Dla seniorów"]
    assert field(html, "field") == "seniors"
    partial = client.get("/announcements/funding?field=sport", headers={"HX-Request": "true"})
    assert "<h1" not in partial.text and "Dla sportu" in partial.text and "Dla seniorów" not in partial.text
    assert "Dla sportu" in client.get("/announcements/funding?field=nie-ma-takiego").text  # ignored, not an error


# --- bad input -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "name", "message"),
    [
        ({"deadline": ""}, "deadline", "Give the last day to apply."),
        ({"amount_min": "20000", "amount_max": "5000"}, "amount_max", "The highest amount must not be below"),
        ({"deadline": "2020-01-01"}, "deadline", "The last day to apply has passed"),
        ({"deadline": "31.02.2027"}, "deadline", "Enter a valid date."),
        ({"fields[]": ["seniors", "astrologia"]}, "fields", "Choose fields of activity from the list."),
        ({"fields[]": []}, "fields", "Choose at least one field of activity"),
        ({"funder": ""}, "funder", "Give who funds the opportunity."),
        ({"amount_min": "dużo"}, "amount_min", "Enter a whole number."),
        ({"amount_min": "-5"}, "amount_min", "Give an amount in whole złoty"),
        ({"link": "javascript:alert(1)"}, "link", "Give a web address starting with https://"),
        ({"category": "plotki"}, "category", "Choose what kind of announcement it is."),
        ({"audience": "network:abc"}, "audience", "Choose who the announcement is for."),
        ({"audience": "network:999999"}, "audience", "Choose who the announcement is for."),
        ({"title": ""}, "title", "This field is required."),
    ],
)
def test_bad_input_is_refused_beside_its_field_with_the_text_kept(client, db, town, overrides, name, message):
    signed_in(client, town.coordinator)
    values = {**funding(audience=f"network:{town.network.id}"), **overrides}
    response = client.submit("/announcements/new", values)
    assert response.status_code == 422
    html = page(response)
    assert error(html, name).startswith(message)
    assert f"#field-{name}" in [a.get("href") for a in html.select(".error-summary a")]
    assert field(html, "body") == values["body"]
    assert field(html, "funder") == values["funder"]
    fresh(db)
    assert db.exec(select(Announcement)).first() is None


def test_a_training_keeps_no_funding_details(db, town):
    posted = post(db, town.advisor, "everyone", funder="Ktoś", amount_min=5, deadline=None)
    assert (posted.category, posted.funder, posted.amount_min, posted.deadline) == ("training", "", None, None)


def test_the_database_refuses_a_funding_opportunity_without_a_deadline(db, town):
    from sqlalchemy.exc import IntegrityError

    db.add(Announcement(slug="bez-terminu", title="Bez terminu", category="funding", author_id=town.advisor.id))
    with pytest.raises(IntegrityError):
        db.commit()
    db.rollback()
    db.add(Announcement(slug="odwrotnie", title="Odwrotnie", amount_min=10, amount_max=5))
    with pytest.raises(IntegrityError):
        db.commit()
    db.rollback()


# --- reading, lists, feeds -------------------------------------------------------------------------


def test_a_working_group_announcement_is_for_its_members_only(client, db, town):
    posted = post(db, town.official, f"group:{town.group.id}", title="Spotkanie grupy seniorów w czwartek")
    assert client.get(f"/announcements/{posted.slug}").status_code == 404
    assert posted.title not in client.get("/announcements").text
    assert posted.title not in client.get("/feeds/announcements.atom").text
    signed_in(client, town.member)  # its organisation was accepted into the group
    assert client.get(f"/announcements/{posted.slug}").status_code == 200
    assert posted.title in client.get("/announcements").text
    signed_in(client, town.local)
    assert client.get(f"/announcements/{posted.slug}").status_code == 404


def test_the_list_filters_by_kind_municipality_and_network(client, db, town):
    ours = post(db, town.official, f"municipality:{town.gmina.id}", title="Nabór do rady pożytku", category="general")
    network = post(db, town.coordinator, f"network:{town.network.id}", title="Spotkanie sieci", category="event")
    theirs = post(db, town.other_official, f"municipality:{town.other_gmina.id}", title="Ogłoszenie z Olszyn")

    def titles(query: str) -> list[str]:
        return [c.one(".card-title").text.strip() for c in page(client.get(f"/announcements{query}")).select(".card")]

    assert set(titles("")) == {ours.title, network.title, theirs.title}
    assert titles("?category=event") == [network.title]
    # a gmina's announcements include those of the networks spanning it
    assert set(titles(f"?municipality={town.gmina.slug}")) == {ours.title, network.title}
    assert titles(f"?network={town.network.slug}") == [network.title]


def test_feeds_all_per_municipality_and_per_network(client, db, town):
    ours = post(db, town.official, f"municipality:{town.gmina.id}", title="Nabór do rady pożytku")
    network = _opportunity(db, town, "Fundusz sieci", 9)
    network = post(db, town.coordinator, f"network:{town.network.id}", title="Spotkanie sieci")
    theirs = post(db, town.other_official, f"municipality:{town.other_gmina.id}", title="Ogłoszenie z Olszyn")

    def entries(query: str) -> list[str]:
        response = client.get(f"/feeds/announcements.atom{query}")
        assert response.headers["content-type"].startswith("application/atom+xml")
        feed = ElementTree.fromstring(response.content)
        return [e.findtext(f"{ATOM}title") for e in feed.findall(f"{ATOM}entry")]

    assert {ours.title, network.title, theirs.title, "Fundusz sieci"} == set(entries(""))
    assert set(entries(f"?municipality={town.gmina.slug}")) == {ours.title, network.title}
    assert entries(f"?network={town.network.slug}") == [network.title]
    assert client.get("/feeds/announcements.atom?network=nie-ma").status_code == 404
    assert client.get("/feeds/announcements.atom?municipality=nie-ma").status_code == 404


# --- editing and withdrawing -----------------------------------------------------------------------


def test_the_author_edits_and_withdraws_and_no_one_else_may(client, db, town):
    posted = post(db, town.coordinator, f"network:{town.network.id}", title="Spotkanie sieci w marcu")
    signed_in(client, town.member)
    assert client.get(f"/announcements/{posted.slug}/edit").status_code == 403
    assert client.submit(f"/announcements/{posted.slug}/withdraw", {"confirm": "yes"}).status_code == 403

    signed_in(client, town.coordinator)
    form = page(client.get(f"/announcements/{posted.slug}/edit"))
    assert field(form, "title") == "Spotkanie sieci w marcu" and field(form, "audience") == f"network:{town.network.id}"
    changed = client.submit(
        f"/announcements/{posted.slug}/edit",
        {
            "title": "Spotkanie sieci w kwietniu",
            "category": "event",
            "audience": f"network:{town.network.id}",
            "body": "Przenosimy spotkanie na kwiecień.",
        },
        follow_redirects=False,
    )
    assert target(changed) == f"/announcements/{posted.slug}"
    moved = client.submit(
        f"/announcements/{posted.slug}/edit",
        {
            "title": "Spotkanie",
            "category": "event",
            "audience": f"network:{town.other_network.id}",
            "body": "Przenosimy spotkanie na kwiecień.",
        },
    )
    assert moved.status_code == 403  # to a network they do not coordinate

    unconfirmed = client.submit(f"/announcements/{posted.slug}/withdraw", {})
    assert unconfirmed.status_code == 422 and "Confirm" in error(page(unconfirmed), "confirm")
    withdrawn = client.submit(f"/announcements/{posted.slug}/withdraw", {"confirm": "yes"}, follow_redirects=False)
    assert target(withdrawn) == f"/announcements/{posted.slug}"
    assert "Spotkanie sieci w kwietniu" not in client.get("/announcements").text
    assert "was withdrawn" in client.get(f"/announcements/{posted.slug}").text
    assert "Spotkanie sieci w kwietniu" not in client.get("/feeds/announcements.atom").text
    assert [e.action for e in ledger_events(db) if e.subject_kind == "announcement"] == [
        "announcement.published",
        "announcement.changed",
        "announcement.withdrawn",
    ]


def test_fields_are_replaced_on_edit(db, town):
    posted = _opportunity(db, town, "Fundusz", 10, fields=("culture", "sport"))
    actions.edit_announcement(
        db,
        principal(db, town.advisor),
        posted,
        data(
            audience="everyone",
            title="Fundusz",
            category="funding",
            funder="Urząd",
            deadline=posted.deadline,
            fields=["youth"],
        ),
    )
    fresh(db)
    assert list(db.exec(select(AnnouncementField.field).where(AnnouncementField.announcement_id == posted.id))) == [
        "youth"
    ]


def test_a_deadline_already_passed_can_stay_when_other_things_are_corrected(db, town):
    posted = _opportunity(db, town, "Stary nabór", -3)
    actions.edit_announcement(
        db,
        principal(db, town.advisor),
        posted,
        data(
            audience="everyone",
            title="Stary nabór (poprawka)",
            category="funding",
            funder="Urząd",
            deadline=posted.deadline,
            fields=["culture"],
        ),
    )
    assert posted.title == "Stary nabór (poprawka)"


def test_member_of_a_group_is_admitted_with_an_added_membership(db, town):
    helper = make_user(db, email="wolontariusz@razem.example.pl")
    add_member(db, town.member_ngo, helper)
    posted = post(db, town.official, f"group:{town.group.id}")
    assert helper.id in queries.audience_people(db, posted)
    assert queries.may_read(db, principal(db, helper), posted)
    assert not queries.may_read(db, None, posted)
    assert isinstance(town.centre, Organisation)


# --- the demo ----------------------------------------------------------------------------------------


def test_the_demo_posts_two_opportunities_a_training_and_news_once(db, client):
    from consult.announcements import demo

    official, gmina = make_official(
        db,
        email="urzednik@demo.example",
        municipality=make_organisation(db, kind="municipality", name="Gmina Wierzbno"),
    )
    coordinator = make_user(db, email="fundacja@demo.example")
    make_organisation(db, admin=coordinator, verified=True, name="Fundacja Dolina Wierzbnicy")
    make_network(db, coordinator=coordinator, municipalities=[gmina], name=demo.NETWORK)
    advisor = make_user(db, email="doradca@demo.example")
    centre = make_organisation(db, admin=advisor, name="Centrum Wspierania Organizacji Pozarządowych w Wierzbnie")
    centre.support_centre = True
    db.add(centre)
    db.commit()

    demo.load(db, "demo.example", "Gmina Wierzbno")
    demo.load(db, "demo.example", "Gmina Wierzbno")

    fresh(db)
    posted = db.exec(select(Announcement)).all()
    assert sorted(a.category for a in posted) == ["event", "funding", "funding", "general", "training"]
    assert sorted(queries.days_left(a.deadline) for a in posted if a.deadline) == [10, 35]
    assert {a.author_id for a in posted} == {official.id, coordinator.id, advisor.id}
    cards = page(client.get("/announcements/funding")).select(".announcement-card")
    assert [c.one(".days-left").text for c in cards] == ["(zostało 10 dni)", "(zostało 35 dni)"]
