"""Networks of organisations across municipalities: founding one, its charter and municipalities, coordinators,
applications admitted or declined (at a meeting, told by e-mail), leaving, the members' discussion and page that only
members read, and the coordinators' attendance table, through the actions and through HTTP (with and without HTMX)."""

from __future__ import annotations

from contextlib import contextmanager
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from sqlmodel import select

from consult import ledger
from consult.comments.actions import CommentInput
from consult.errors import DomainError
from consult.models import (
    Comment,
    NetworkCoordinator,
    NetworkMembership,
    NetworkMunicipality,
    OutboxMessage,
    Thread,
    clock_at,
    utcnow,
)
from consult.networks import actions, attendance, threads
from consult.networks.queries import access_of
from tests.conftest import Client
from tests.factories import (
    add_member,
    admit_to_network,
    apply_to,
    fresh,
    ledger_events,
    make_admin,
    make_network,
    make_network_meeting,
    make_official,
    make_organisation,
    make_user,
    network_coordinator,
    principal,
    register_organisation,
    signed_in,
)
from tests.html import page

HTMX = {"HX-Request": "true"}

# --- the people of a network, and reading pages as they see them --------------------------------------


class Valley:
    """The Wierzbnica Valley network: Gmina Wierzbno's official founded it spanning Wierzbno and Brzezinka; the KGW
    is a member (Ewa its admin, Marek a plain member), the sports club (Jan its admin) is not; Zofia is a resident."""

    def __init__(self, db) -> None:
        self.wierzbno = make_organisation(db, kind="municipality", name="Gmina Wierzbno", verified=True)
        self.coordinator, _ = make_official(
            db, self.wierzbno, display_name="Katarzyna Nowak", email="koordynator@gmina.pl"
        )
        self.brzezinka = make_organisation(db, kind="municipality", name="Gmina Brzezinka", verified=True)
        self.network = make_network(
            db,
            coordinator=self.coordinator,
            municipalities=[self.wierzbno, self.brzezinka],
            name="Sieć Doliny Wierzbnicy",
        )
        self.ewa = make_user(db, email="ewa@kgw.pl", display_name="Ewa Kowal")
        self.kgw = make_organisation(
            db, admin=self.ewa, verified=True, name="KGW Wierzbno", contact_email="kgw@wierzbno.pl"
        )
        self.marek = make_user(db, email="marek@kgw.pl", display_name="Marek Zieliński")
        add_member(db, self.kgw, self.marek)
        admit_to_network(db, self.network, self.kgw)
        self.jan = make_user(db, email="jan@klub.pl", display_name="Jan Obok")
        self.club = make_organisation(db, admin=self.jan, verified=True, name="LKS Orzeł")
        self.zofia = make_user(db, email="zofia@example.pl", display_name="Zofia Mieszkanka")

    @property
    def url(self) -> str:
        return f"/networks/{self.network.slug}"


@pytest.fixture
def valley(db) -> Valley:
    return Valley(db)


@pytest.fixture(autouse=True)
def in_english(client):
    """The pages are read in English here (Polish, the default, is checked by test_i18n and the journeys)."""
    client.cookies.set("consult_lang", "en")


@contextmanager
def browsing(app, user=None):
    """A browser of its own, in English, signed in as the user (a visitor when None); redirects not followed."""
    with Client(app, base_url="http://testserver", follow_redirects=False) as client:
        client.cookies.set("consult_lang", "en")
        if user is not None:
            client.login(user.email)
        yield client


def target(response) -> str:
    """Where a 303 sends the browser: path, and anchor."""
    assert response.status_code == 303, (response.status_code, response.text[:800])
    parts = urlsplit(response.headers["location"])
    return parts.path + (f"?{parts.query}" if parts.query else "") + (f"#{parts.fragment}" if parts.fragment else "")


def errors_of(response) -> dict[str, str]:
    """The messages beside the fields of the page's forms, by field name."""
    html = page(response)
    return {e.get("id").split("-")[-2]: e.text.removeprefix("Error: ") for e in html.select("p.field-error")}


def membership_of(db, network, organisation) -> NetworkMembership | None:
    fresh(db)
    return db.exec(
        select(NetworkMembership).where(
            NetworkMembership.network_id == network.id, NetworkMembership.organisation_id == organisation.id
        )
    ).first()


def network_form(municipalities, **overrides) -> dict:
    return {
        "name": "Sieć Organizacji Pozarządowych Powiatu",
        "charter": "## Cele\n\nWspółpraca **organizacji**.<script>alert(1)</script>",
        "municipalities[]": [str(m.id) for m in municipalities],
    } | overrides


# --- founding a network -----------------------------------------------------------------------------------


def test_an_official_founds_a_network_and_becomes_its_first_coordinator(client, db):
    official, wierzbno = make_official(db)
    signed_in(client, official)
    form = client.get("/networks/new")
    assert form.status_code == 200 and form.template.name == "networks/form.html"
    assert [o.text for o in page(form).select("fieldset label")] == [wierzbno.name]
    response = client.submit("/networks/new", network_form([wierzbno]), follow_redirects=False)
    assert target(response) == "/networks/siec-organizacji-pozarzadowych-powiatu"
    shown = client.get(target(response))
    html = page(shown)
    assert html.one("h1").text.startswith("Sieć Organizacji Pozarządowych Powiatu")
    assert (
        html.one(".banner").text
        == "The network Sieć Organizacji Pozarządowych Powiatu is founded. You are its coordinator."
    )
    charter = html.one("section[aria-labelledby=network-charter] .prose")
    assert charter.one("strong").text == "organizacji" and charter.select("script") == []
    assert html.texts("section[aria-labelledby=network-coordinators] li") == [official.display_name]
    assert html.texts("section[aria-labelledby=network-municipalities] li") == [wierzbno.name]
    assert [e.payload for e in ledger_events(db, "network.coordinator_added")] == [
        f'{{"user":{official.id},"via":"founding"}}'
    ]
    [created] = ledger_events(db, "network.created")
    assert official.display_name not in created.payload and official.email not in created.payload
    assert ledger.verify(db) is None


@pytest.mark.parametrize("who", ["verified_ngo_admin", "platform_admin"])
def test_an_admin_of_a_verified_organisation_or_a_platform_admin_may_found_a_network(db, who):
    wierzbno = make_organisation(db, kind="municipality", name="Gmina Wierzbno")
    founder = make_admin(db) if who == "platform_admin" else make_user(db)
    if who == "verified_ngo_admin":
        make_organisation(db, admin=founder, verified=True)
    data = actions.NetworkInput(name="Sieć Wierzbna", charter="Zasady.", municipalities=[wierzbno.id])
    network = actions.create_network(db, principal(db, founder), data)
    assert access_of(db, network).coordinator_ids == {founder.id}


def test_a_network_called_new_gets_an_address_that_leaves_the_founding_form_where_it_is(client, db):
    founder = make_admin(db)
    wierzbno = make_organisation(db, kind="municipality", name="Gmina Wierzbno")
    data = actions.NetworkInput(name="New", charter="Zasady.", municipalities=[wierzbno.id])
    network = actions.create_network(db, principal(db, founder), data)
    assert network.slug == "new-2"
    client.login(founder.email)
    assert client.get(f"/networks/{network.slug}").status_code == 200
    assert "<form" in client.get("/networks/new").text  # still the form to found a network


@pytest.mark.parametrize("who", ["resident", "unverified_ngo_admin", "verified_ngo_member"])
def test_others_may_not_found_a_network(client, db, who):
    wierzbno = make_organisation(db, kind="municipality", name="Gmina Wierzbno")
    person = make_user(db)
    if who == "unverified_ngo_admin":
        make_organisation(db, admin=person)
    elif who == "verified_ngo_member":
        add_member(db, make_organisation(db, verified=True), person)
    signed_in(client, person)
    refused = client.get("/networks/new")
    assert refused.status_code == 403
    assert "Networks are founded by municipal officials" in page(refused).one("main").text
    assert client.submit("/networks/new", network_form([wierzbno])).status_code == 403
    with pytest.raises(DomainError) as error:
        data = actions.NetworkInput(name="Sieć", charter="Zasady.", municipalities=[wierzbno.id])
        actions.create_network(db, principal(db, person), data)
    assert error.value.status_code == 403
    assert ledger_events(db, "network.created") == []


def test_a_visitor_is_sent_to_log_in_to_found_a_network(client):
    response = client.get("/networks/new", follow_redirects=False)
    assert target(response) == "/login?next=%2Fnetworks%2Fnew"


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"name": ""}, "name", "This field is required."),
        ({"name": "x" * 201}, "name", "This text is too long."),
        ({"charter": ""}, "charter", "This field is required."),
        ({"municipalities[]": []}, "municipalities", "Choose at least one municipality the network spans."),
        ({"municipalities[]": ["abc"]}, "municipalities", "Choose the municipalities from the list."),
        ({"municipalities[]": ["99999999"]}, "municipalities", "Choose the municipalities from the list."),
        ({"municipalities[]": ["9" * 30]}, "municipalities", "Choose the municipalities from the list."),
    ],
)
def test_founding_with_bad_input_is_refused_beside_the_field_keeping_the_text(client, db, overrides, field, message):
    official, wierzbno = make_official(db)
    signed_in(client, official)
    response = client.submit("/networks/new", network_form([wierzbno], **overrides))
    assert response.status_code == 422
    assert errors_of(response) == {field: message}
    html = page(response)
    assert html.one(".error-summary a").get("href") == f"#field-{field}"
    typed = overrides.get("charter", network_form([])["charter"])
    assert html.one("textarea[name=charter]").text == " ".join(typed.split())
    assert ledger_events(db, "network.created") == []


def test_a_network_cannot_span_an_organisation_that_is_not_a_municipality(client, db):
    official, wierzbno = make_official(db)
    ngo = make_organisation(db, verified=True)
    signed_in(client, official)
    response = client.submit("/networks/new", network_form([wierzbno, ngo]))
    assert response.status_code == 422
    assert errors_of(response) == {"municipalities": "Choose the municipalities from the list."}
    assert page(response).one("input[name=name]").get("value") == "Sieć Organizacji Pozarządowych Powiatu"


def test_two_networks_of_one_name_get_their_own_addresses(db):
    first = make_network(db, name="Sieć Wsi")
    second = make_network(db, name="Sieć Wsi")
    assert (first.slug, second.slug) == ("siec-wsi", "siec-wsi-2")


# --- the list and the page ------------------------------------------------------------------------------------


def test_the_list_shows_each_network_with_its_municipalities_and_members(client, db, valley):
    make_network(db, name="Aaa Sieć Seniorów")
    response = client.get("/networks")
    assert response.status_code == 200 and response.template.name == "networks/list.html"
    cards = page(response).select("li.card")
    assert [c.one("h2").text for c in cards] == ["Aaa Sieć Seniorów", "Sieć Doliny Wierzbnicy"]
    valley_card = cards[1]
    assert valley_card.one("h2 a").get("href") == valley.url
    assert valley_card.texts("p.meta") == ["Municipalities: Gmina Brzezinka, Gmina Wierzbno", "1 member organisation"]
    assert page(response).select("a[href=/networks/new]") == []  # a visitor does not found networks


def test_the_page_shows_the_charter_municipalities_coordinators_members_and_upcoming_meetings(client, db, valley):
    coming = make_network_meeting(db, valley.network, starts_in=timedelta(days=10), title="Spotkanie wiosenne")
    make_network_meeting(db, valley.network, starts_in=timedelta(days=-30), title="Spotkanie zimowe")
    make_network_meeting(db, make_network(db), starts_in=timedelta(days=5), title="Spotkanie innej sieci")
    html = page(client.get(valley.url))
    assert html.texts("section[aria-labelledby=network-municipalities] li") == ["Gmina Brzezinka", "Gmina Wierzbno"]
    assert [a.get("href") for a in html.select("section[aria-labelledby=network-municipalities] a")] == [
        f"/municipalities/{valley.brzezinka.slug}",
        f"/municipalities/{valley.wierzbno.slug}",
    ]
    assert html.texts("section[aria-labelledby=network-coordinators] li") == ["Katarzyna Nowak"]
    [member] = html.select("section[aria-labelledby=network-members] li")
    assert member.one("a").text == "KGW Wierzbno" and member.one("a").get("href") == f"/organisations/{valley.kgw.slug}"
    meetings = html.select("section.network-meetings li")
    assert [m.one("a").text for m in meetings] == ["Spotkanie wiosenne"]
    assert meetings[0].one("a").get("href") == f"/meetings/{coming.slug}"
    assert meetings[0].one("time").get("datetime")
    # a visitor sees no members' links, and is asked to log in to apply
    assert html.select("nav.network-tools") == []
    assert html.one("#network-apply a").text == "Log in to apply"


def test_an_unknown_network_is_not_found(client):
    assert client.get("/networks/no-such-network").status_code == 404
    assert client.get("/networks/no-such-network/discussion").status_code == 404


# --- editing the charter and the municipalities -----------------------------------------------------------------


def test_a_coordinator_edits_the_charter_and_municipalities(client, db, valley):
    signed_in(client, valley.coordinator)
    form = page(client.get(f"{valley.url}/edit"))
    assert form.one("input[name=name]").get("value") == "Sieć Doliny Wierzbnicy"
    assert len(form.select("input[type=checkbox][checked]")) == 2
    response = client.submit(
        f"{valley.url}/edit",
        network_form([valley.wierzbno], name="Sieć Doliny", charter="Nowy *statut*."),
        follow_redirects=False,
    )
    assert target(response) == valley.url  # the address stays
    html = page(client.get(valley.url))
    assert html.one("h1").text.startswith("Sieć Doliny") and html.one(".prose em").text == "statut"
    assert html.texts("section[aria-labelledby=network-municipalities] li") == ["Gmina Wierzbno"]
    [updated] = ledger_events(db, "network.updated")
    assert '"municipalities":[' + str(valley.wierzbno.id) + "]" in updated.payload


@pytest.mark.parametrize("who", ["ewa", "jan", "zofia"])
def test_editing_by_anyone_but_a_coordinator_is_refused(app, db, valley, who):
    with browsing(app, getattr(valley, who)) as client:
        assert client.get(f"{valley.url}/edit").status_code == 403
        response = client.submit(f"{valley.url}/edit", network_form([valley.wierzbno], name="Przejęta"))
        assert response.status_code == 403
    fresh(db)
    assert db.get(type(valley.network), valley.network.id).name == "Sieć Doliny Wierzbnicy"


def test_editing_with_no_municipality_is_refused_keeping_the_text(client, valley):
    signed_in(client, valley.coordinator)
    response = client.submit(f"{valley.url}/edit", {"name": "Sieć", "charter": "Nowy statut."})
    assert response.status_code == 422
    assert errors_of(response) == {"municipalities": "Choose at least one municipality the network spans."}
    assert page(response).one("textarea[name=charter]").text == "Nowy statut."


# --- coordinators ------------------------------------------------------------------------------------------------


def test_a_coordinator_adds_another_by_the_address_of_their_account_who_is_told_by_mail(client, db, mailbox, valley):
    signed_in(client, valley.coordinator)
    response = client.submit(f"{valley.url}/coordinators", {"email": " Jan@Klub.pl "}, follow_redirects=False)
    assert target(response) == f"{valley.url}/coordinators"
    html = page(client.get(target(response)))
    assert html.one(".banner").text == "Jan Obok now coordinates the network."
    assert html.texts("h2.coordinator-name") == ["Jan Obok", "Katarzyna Nowak (you)"]
    message = mailbox.last_to("jan@klub.pl")
    assert "Sieć Doliny Wierzbnicy" in message["Subject"]
    assert mailbox.link_in(message) == f"http://testserver{valley.url}"
    assert (
        ledger_events(db, "network.coordinator_added")[-1].payload == f'{{"user":{valley.jan.id},"via":"coordinator"}}'
    )


@pytest.mark.parametrize(
    ("email", "status", "message"),
    [
        ("", 422, "Enter a valid e-mail address, like name@example.pl."),
        (
            "nobody@example.pl",
            422,
            "No confirmed account uses this address. Ask the person to create an account first.",
        ),
        ("koordynator@gmina.pl", 409, "This person already coordinates the network."),
    ],
)
def test_adding_a_coordinator_with_a_bad_address_is_refused(client, db, valley, email, status, message):
    signed_in(client, valley.coordinator)
    response = client.submit(f"{valley.url}/coordinators", {"email": email})
    assert response.status_code == status
    assert errors_of(response) == {"email": message}
    assert page(response).one("input[name=email]").get("value") == email


def test_an_unconfirmed_account_cannot_be_made_a_coordinator(client, db, valley):
    make_user(db, email="nowy@example.pl", confirmed=False)
    signed_in(client, valley.coordinator)
    response = client.submit(f"{valley.url}/coordinators", {"email": "nowy@example.pl"})
    assert response.status_code == 422


def test_the_last_coordinator_cannot_be_removed_but_one_of_two_can(client, db, valley):
    signed_in(client, valley.coordinator)
    last = client.submit(f"{valley.url}/coordinators/{valley.coordinator.id}/remove")
    assert last.status_code == 409
    assert "A network needs at least one coordinator" in page(last).one("main").text
    assert page(client.get(f"{valley.url}/coordinators")).select("ul.coordinators form") == []
    client.submit(f"{valley.url}/coordinators", {"email": "jan@klub.pl"})
    response = client.submit(f"{valley.url}/coordinators/{valley.jan.id}/remove", follow_redirects=False)
    assert target(response) == f"{valley.url}/coordinators"
    assert access_of(db, valley.network).coordinator_ids == {valley.coordinator.id}
    assert [e.action for e in ledger_events(db)][-1] == "network.coordinator_removed"
    with pytest.raises(DomainError) as error:
        actions.remove_coordinator(db, principal(db, valley.coordinator), valley.network, valley.coordinator.id)
    assert error.value.status_code == 409


def test_a_coordinator_steps_down_when_another_remains(client, db, valley):
    actions.add_coordinator(
        db, principal(db, valley.coordinator), valley.network, actions.CoordinatorInput(email="jan@klub.pl")
    )
    signed_in(client, valley.jan)
    response = client.submit(f"{valley.url}/coordinators/{valley.jan.id}/remove", follow_redirects=False)
    assert target(response) == valley.url
    assert access_of(db, valley.network).coordinator_ids == {valley.coordinator.id}
    assert client.get(f"{valley.url}/coordinators", follow_redirects=False).status_code == 403


def test_removing_someone_who_does_not_coordinate_is_not_found(client, valley):
    signed_in(client, valley.coordinator)
    assert client.submit(f"{valley.url}/coordinators/{valley.jan.id}/remove").status_code == 404


@pytest.mark.parametrize("who", ["ewa", "jan", "zofia"])
def test_only_coordinators_manage_coordinators(app, db, valley, who):
    with browsing(app, getattr(valley, who)) as client:
        assert client.get(f"{valley.url}/coordinators").status_code == 403
        assert client.submit(f"{valley.url}/coordinators", {"email": "zofia@example.pl"}).status_code == 403
        assert client.submit(f"{valley.url}/coordinators/{valley.coordinator.id}/remove").status_code == 403
    assert access_of(db, valley.network).coordinator_ids == {valley.coordinator.id}


def test_a_platform_admin_may_restore_a_coordinator(client, db, valley):
    admin = make_admin(db)
    signed_in(client, admin)
    assert client.get(f"{valley.url}/coordinators").status_code == 200
    client.submit(f"{valley.url}/coordinators", {"email": "jan@klub.pl"})
    assert valley.jan.id in access_of(db, valley.network).coordinator_ids


# --- applying, deciding, leaving --------------------------------------------------------------------------------


def test_an_ngo_admin_applies_with_a_message_and_sees_it_waiting(client, db, valley):
    signed_in(client, valley.jan)
    html = page(client.get(valley.url))
    assert [o.get("value") for o in html.select("#network-apply select option")] == [str(valley.club.id)]
    response = client.submit(
        f"{valley.url}/apply",
        {"organisation_id": str(valley.club.id), "message": "Prowadzimy sekcję piłki nożnej."},
        follow_redirects=False,
    )
    assert target(response) == f"{valley.url}#network-apply"
    html = page(client.get(valley.url))
    assert html.one(".banner").text == "The application has been sent. The network's coordinators will decide."
    assert "waiting for the coordinators' decision" in html.one(".network-own li").text
    assert html.one(".network-own button").text.startswith("Withdraw the application")
    row = membership_of(db, valley.network, valley.club)
    assert (row.status, row.message, row.applied_by_id) == ("pending", "Prowadzimy sekcję piłki nożnej.", valley.jan.id)
    applied = ledger_events(db, "network.applied")[-1]
    assert applied.payload == f'{{"application":{row.id},"organisation":{valley.club.id}}}'


def test_applying_with_htmx_swaps_the_panel(client, db, valley):
    signed_in(client, valley.jan)
    response = client.submit(f"{valley.url}/apply", {"organisation_id": str(valley.club.id)}, headers=HTMX)
    assert response.status_code == 200 and response.template.name == "networks/_apply.html"
    html = page(response)
    assert html.one("section").get("id") == "network-apply"
    assert html.one("p.notice").text == "The application has been sent. The network's coordinators will decide."
    assert html.select("h1") == []


@pytest.mark.parametrize(
    ("form", "status", "message"),
    [
        ({}, 422, "Choose the organisation that applies."),
        ({"organisation_id": ""}, 422, "Choose the organisation that applies."),
        ({"organisation_id": "abc"}, 422, "Enter a whole number."),
        ({"organisation_id": "9" * 30}, 422, "This number is too large."),
        ({"organisation_id": "999999"}, 403, "Only an admin of the organisation can apply on its behalf."),
        ({"organisation_id": "CLUB", "message": "x" * 2001}, 422, "This text is too long."),
    ],
)
def test_applying_with_bad_input_is_refused_beside_the_field(client, db, valley, form, status, message):
    form = {k: (str(valley.club.id) if v == "CLUB" else v) for k, v in form.items()}
    signed_in(client, valley.jan)
    response = client.submit(f"{valley.url}/apply", form)
    assert response.status_code == status
    assert list(errors_of(response).values()) == [message]
    if "message" in form:
        assert page(response).one("textarea[name=message]").text == form["message"]
    assert membership_of(db, valley.network, valley.club) is None


def test_a_plain_member_cannot_apply_for_the_organisation(client, db, valley):
    member = make_user(db)
    add_member(db, valley.club, member)
    signed_in(client, member)
    assert page(client.get(valley.url)).select("#network-apply form") == []
    response = client.submit(f"{valley.url}/apply", {"organisation_id": str(valley.club.id)})
    assert response.status_code == 403
    assert errors_of(response) == {"organisation_id": "Only an admin of the organisation can apply on its behalf."}


def test_a_resident_without_an_organisation_is_told_how_organisations_apply(client, valley):
    signed_in(client, valley.zofia)
    panel = page(client.get(valley.url)).one("#network-apply")
    assert "You are not an admin of any organisation." in panel.text


def test_applying_twice_or_as_a_member_is_refused(client, db, valley):
    apply_to(db, valley.network, valley.club)
    signed_in(client, valley.jan)
    twice = client.submit(f"{valley.url}/apply", {"organisation_id": str(valley.club.id)})
    assert twice.status_code == 409
    assert list(errors_of(twice).values()) == ["This organisation has already applied. The coordinators will decide."]
    with pytest.raises(DomainError) as error:
        apply_to(db, valley.network, valley.kgw)
    assert (error.value.status_code, error.value.field) == (409, "organisation_id")


def test_a_coordinator_admits_an_organisation_at_a_meeting_and_its_admins_are_told(client, db, mailbox, valley):
    second_admin = make_user(db, email="druga@klub.pl")
    add_member(db, valley.club, second_admin, role="admin")
    add_member(db, valley.club, make_user(db, email="czlonek@klub.pl"))  # a plain member is not mailed
    meeting = make_network_meeting(db, valley.network, starts_in=timedelta(days=-1), title="Spotkanie jesienne")
    application = apply_to(db, valley.network, valley.club, message="Chcemy działać razem.")
    signed_in(client, valley.coordinator)
    html = page(client.get(f"{valley.url}/applications"))
    [item] = html.select("section[aria-labelledby=applications-pending] li.application")
    assert item.one("h3").text == "LKS Orzeł" and item.one("blockquote").text == "Chcemy działać razem."
    assert [o.text for o in item.select("select option")][1].startswith("Spotkanie jesienne")
    response = client.submit(
        f"{valley.url}/applications/{application.id}",
        {"decision": "admit", "note": "Witamy w sieci!", "meeting_id": str(meeting.id)},
        follow_redirects=False,
    )
    assert target(response) == f"{valley.url}/applications"
    row = membership_of(db, valley.network, valley.club)
    assert (row.status, row.decision_meeting_id, row.decision_note) == ("admitted", meeting.id, "Witamy w sieci!")
    told = {m["To"] for m in mailbox.messages if "LKS Orzeł" in m["Subject"]}
    assert told == {"jan@klub.pl", "druga@klub.pl"}
    body = mailbox.last_to("jan@klub.pl").get_content()
    assert "have admitted LKS Orzeł" in body and "Witamy w sieci!" in body
    admitted = ledger_events(db, "network.admitted")[-1]
    assert f'"meeting":{meeting.id}' in admitted.payload
    decided = page(client.get(f"{valley.url}/applications")).one("section[aria-labelledby=applications-decided]")
    assert "at the meeting Spotkanie jesienne" in decided.text
    assert decided.one(f"a[href=/meetings/{meeting.slug}]").text == "Spotkanie jesienne"
    assert "LKS Orzeł" in page(client.get(valley.url)).one("section[aria-labelledby=network-members]").text


def test_deciding_with_htmx_swaps_the_application(client, db, mailbox, valley):
    application = apply_to(db, valley.network, valley.club)
    signed_in(client, valley.coordinator)
    response = client.submit(
        f"{valley.url}/applications/{application.id}", {"decision": "decline", "note": "Poza obszarem."}, headers=HTMX
    )
    assert response.status_code == 200 and response.template.name == "networks/_application.html"
    html = page(response)
    assert html.one("li").get("id") == f"application-{application.id}"
    assert html.one(".tag").text == "Declined" and "Poza obszarem." in html.text
    assert "declined the application of LKS Orzeł" in mailbox.last_to("jan@klub.pl").get_content()


@pytest.mark.parametrize(
    ("form", "field", "message"),
    [
        (
            {"decision": "decline", "note": "  "},
            "note",
            "Say why the application is declined: the organisation will read it.",
        ),
        ({"decision": "maybe"}, "decision", "Choose whether to admit or decline the organisation."),
        ({}, "decision", "This field is required."),
        ({"decision": "admit", "meeting_id": "OTHER"}, "meeting_id", "Choose one of the network's meetings."),
        ({"decision": "admit", "meeting_id": "abc"}, "meeting_id", "Enter a whole number."),
        ({"decision": "admit", "note": "x" * 2001}, "note", "This text is too long."),
    ],
)
def test_deciding_with_bad_input_is_refused_beside_the_field(client, db, valley, form, field, message):
    other = make_network_meeting(db, make_network(db), starts_in=timedelta(days=-2))
    form = {k: (str(other.id) if v == "OTHER" else v) for k, v in form.items()}
    application = apply_to(db, valley.network, valley.club)
    signed_in(client, valley.coordinator)
    response = client.submit(f"{valley.url}/applications/{application.id}", form)
    assert response.status_code == 422
    assert errors_of(response) == {field: message}
    if "note" in form:
        assert page(response).one("textarea[name=note]").text == form["note"].strip()
    assert membership_of(db, valley.network, valley.club).status == "pending"


def test_deciding_twice_or_an_application_of_another_network_is_refused(client, db, valley):
    application = apply_to(db, valley.network, valley.club)
    other = make_network(db)
    foreign = apply_to(db, other, valley.club)
    signed_in(client, valley.coordinator)
    client.submit(f"{valley.url}/applications/{application.id}", {"decision": "admit"})
    again = client.submit(f"{valley.url}/applications/{application.id}", {"decision": "decline", "note": "Nie."})
    assert again.status_code == 409
    assert "This application has already been decided." in page(again).one("main").text
    assert client.submit(f"{valley.url}/applications/{foreign.id}", {"decision": "admit"}).status_code == 404
    assert client.submit(f"{valley.url}/applications/999999", {"decision": "admit"}).status_code == 404
    assert membership_of(db, other, valley.club).status == "pending"


@pytest.mark.parametrize("who", ["ewa", "jan", "zofia"])
def test_only_coordinators_see_and_decide_applications(app, db, valley, who):
    application = apply_to(db, valley.network, valley.club)
    with browsing(app, getattr(valley, who)) as client:
        assert client.get(f"{valley.url}/applications").status_code == 403
        assert client.submit(f"{valley.url}/applications/{application.id}", {"decision": "admit"}).status_code == 403
    with browsing(app) as visitor:
        assert target(visitor.get(f"{valley.url}/applications")).startswith("/login")
    assert membership_of(db, valley.network, valley.club).status == "pending"


def test_a_declined_organisation_may_apply_again(db, valley):
    application = apply_to(db, valley.network, valley.club)
    coordinator = principal(db, valley.coordinator)
    actions.decide_application(
        db, coordinator, valley.network, application.id, actions.DecisionInput(decision="decline", note="Za wcześnie.")
    )
    again = apply_to(db, valley.network, valley.club, message="Teraz tak?")
    assert (again.id, again.status, again.decision_note) == (application.id, "pending", "")


def test_an_organisation_leaves_the_network_and_may_withdraw_an_application(client, db, valley):
    signed_in(client, valley.ewa)
    response = client.submit(f"{valley.url}/leave", {"organisation_id": str(valley.kgw.id)}, follow_redirects=False)
    assert target(response) == f"{valley.url}#network-apply"
    assert page(client.get(valley.url)).one(".banner").text == "The organisation has left the network."
    assert membership_of(db, valley.network, valley.kgw).status == "left"
    assert ledger_events(db, "network.left")[-1].payload.endswith('"was":"admitted"}')
    again = client.submit(f"{valley.url}/leave", {"organisation_id": str(valley.kgw.id)})
    assert again.status_code == 409
    apply_to(db, valley.network, valley.kgw)
    client.submit(f"{valley.url}/leave", {"organisation_id": str(valley.kgw.id)})
    assert ledger_events(db, "network.left")[-1].payload.endswith('"was":"pending"}')


@pytest.mark.parametrize(("who", "form", "status"), [
    ("marek", {"organisation_id": "KGW"}, 403),  # a plain member does not take the organisation out
    ("jan", {"organisation_id": "KGW"}, 403),
    ("ewa", {"organisation_id": "abc"}, 422),
    ("ewa", {}, 422),
    ("ewa", {"organisation_id": "9" * 30}, 422),
    ("ewa", {"organisation_id": "999999"}, 403),
])  # fmt: skip
def test_leaving_refused(app, db, valley, who, form, status):
    form = {k: (str(valley.kgw.id) if v == "KGW" else v) for k, v in form.items()}
    with browsing(app, getattr(valley, who)) as client:
        assert client.submit(f"{valley.url}/leave", form).status_code == status
    assert membership_of(db, valley.network, valley.kgw).status == "admitted"


def test_an_organisation_may_belong_to_several_networks_shown_on_its_profile(client, db, valley):
    seniors = make_network(db, name="Sieć Seniorów", municipalities=[valley.wierzbno])
    admit_to_network(db, seniors, valley.kgw)
    html = page(client.get(f"/organisations/{valley.kgw.slug}"))
    section = html.one("section[aria-labelledby=organisation-networks]")
    assert section.texts("li a") == ["Sieć Doliny Wierzbnicy", "Sieć Seniorów"]
    assert page(client.get(f"/organisations/{valley.club.slug}")).select("#organisation-networks") == []


def test_a_municipality_page_lists_the_networks_spanning_it(client, db, valley):
    html = page(client.get(f"/municipalities/{valley.brzezinka.slug}"))
    section = html.one("section[aria-labelledby=municipality-networks]")
    assert section.texts("li a") == ["Sieć Doliny Wierzbnicy"]
    assert section.one("li a").get("href") == valley.url


# --- members only: the discussion and the members' page -----------------------------------------------------------

MEMBERS_ONLY = "The discussion of a network is for the people of its member organisations and its coordinators."


def post(db, valley, author, body="Spotkajmy się w marcu.", organisation=None) -> Comment:
    data = CommentInput(body=body, organisation_id=organisation.id if organisation else None)
    return threads.post_to_discussion(db, principal(db, author), valley.network, data)


@pytest.mark.parametrize(
    ("who", "status"),
    [("marek", 200), ("ewa", 200), ("coordinator", 200), ("jan", 403), ("zofia", 403), ("platform_admin", 403)],
)
def test_the_members_pages_are_for_members_and_coordinators(app, db, valley, who, status):
    comment = post(db, valley, valley.ewa, organisation=valley.kgw)
    reply = post(db, valley, valley.marek, body="Zgoda.")
    person = make_admin(db) if who == "platform_admin" else getattr(valley, who)
    with browsing(app, person) as client:
        for path in (
            f"{valley.url}/discussion",
            f"{valley.url}/members",
            f"/comments/{comment.id}/replies",
            f"/comments/{comment.id}/reply",
            f"/comments/{reply.id}/history",
        ):
            response = client.get(path)
            assert response.status_code == status, path
            if status == 403:
                text = page(response).one("main").text
                assert "Spotkajmy" not in response.text and ("member organisations and its coordinators" in text)
        permalink = client.get(f"/comments/{comment.id}")
        assert permalink.status_code == (303 if status == 200 else 403)


def test_a_visitor_is_sent_to_log_in_for_the_members_pages(app, db, valley):
    comment = post(db, valley, valley.ewa)
    with browsing(app) as visitor:
        for path in (f"{valley.url}/discussion", f"{valley.url}/members", f"/comments/{comment.id}/replies",
                     f"/comments/{comment.id}"):  # fmt: skip
            assert target(visitor.get(path)).startswith("/login?next="), path
        assert target(visitor.submit(f"{valley.url}/discussion", {"body": "Hej"})).startswith("/login")


@pytest.mark.parametrize("page_name", ["edit", "coordinators", "applications", "attendance", "discussion", "members"])
def test_a_visitor_is_sent_to_log_in_for_every_page_but_the_public_ones(app, valley, page_name):
    with browsing(app) as visitor:
        assert visitor.get("/networks").status_code == 200 and visitor.get(valley.url).status_code == 200
        response = visitor.get(f"{valley.url}/{page_name}")
    assert target(response) == f"/login?next=%2Fnetworks%2F{valley.network.slug}%2F{page_name}"


def test_the_discussion_pages_through_its_comments_with_htmx(client, db, valley):
    for n in range(21):
        with clock_at(utcnow() - timedelta(minutes=30 - n)):
            post(db, valley, valley.ewa if n % 2 else valley.marek, body=f"Wpis {n}")
    signed_in(client, valley.ewa)
    first = page(client.get(f"{valley.url}/discussion"))
    more = first.one("nav.pagination a[rel=next]")
    fragment = client.get(more.get("hx-get"), headers=HTMX)
    assert fragment.template.name == "comments/_thread.html"
    html = page(fragment)
    assert html.select("h1") == [] and html.texts("article .prose") == ["Wpis 20"]


def test_a_member_posts_in_the_discussion_and_lands_on_the_comment(client, db, valley):
    signed_in(client, valley.marek)
    html = page(client.get(f"{valley.url}/discussion"))
    assert html.one("h1").text.startswith("Members' discussion")
    options = [(o.get("value"), o.text) for o in html.select("select[name=organisation_id] option")]
    assert options == [("", "Myself"), (str(valley.kgw.id), "KGW Wierzbno")]
    assert html.select("textarea[name=current_wording]") == []  # not a document: one text field
    response = client.submit(
        f"{valley.url}/discussion", {"body": "Kto ma **rzutnik**?", "organisation_id": str(valley.kgw.id)},
        follow_redirects=False,
    )  # fmt: skip
    [comment] = db.exec(select(Comment)).all()
    assert target(response) == f"{valley.url}/discussion?page=1#comment-{comment.id}"
    html = page(client.get(target(response)))
    article = html.one(f"#comment-{comment.id}")
    assert article.one("header strong").text == "KGW Wierzbno" and article.one(".prose strong").text == "rzutnik"
    assert html.texts(".breadcrumbs a") == ["Networks", "Sieć Doliny Wierzbnicy"]
    thread = db.get(Thread, comment.thread_id)
    assert (thread.owner_kind, thread.owner_id, thread.consultation_id) == ("network", str(valley.network.id), None)
    assert [e.action for e in ledger_events(db)][-1] == "comment.submitted"
    assert "Kto ma" not in client.get("/search?q=rzutnik").text  # never in the public search


def test_posting_with_htmx_appends_the_comment_and_a_fresh_form(client, db, valley):
    signed_in(client, valley.coordinator)
    response = client.submit(f"{valley.url}/discussion", {"body": "Zapraszam na spotkanie."}, headers=HTMX)
    assert response.status_code == 200 and response.template.name == "comments/_posted.html"
    html = page(response)
    assert "Zapraszam na spotkanie." in html.one("li.comment-item").text
    assert html.one(f"#thread-network-{valley.network.id}-form").get("hx-swap-oob") == "true"


def test_an_empty_comment_is_refused_beside_the_field(client, db, valley):
    signed_in(client, valley.ewa)
    response = client.submit(f"{valley.url}/discussion", {"body": "", "organisation_id": str(valley.kgw.id)})
    assert response.status_code == 422
    assert errors_of(response) == {"body": "This field is required."}
    htmx = client.submit(f"{valley.url}/discussion", {"body": ""}, headers=HTMX)
    assert htmx.status_code == 422
    assert htmx.headers["HX-Retarget"] == f"#thread-network-{valley.network.id}-form"


@pytest.mark.parametrize("who", ["jan", "zofia"])
def test_a_non_member_cannot_post_even_by_hand(app, db, valley, who):
    with browsing(app, getattr(valley, who)) as client:
        response = client.submit(f"{valley.url}/discussion", {"body": "Wpuścicie nas?"})
        assert response.status_code == 403
        assert MEMBERS_ONLY in page(response).one("main").text
    assert db.exec(select(Comment)).all() == []


def test_a_member_cannot_write_for_an_organisation_outside_the_network(client, db, valley):
    make_organisation(db, admin=valley.ewa, name="Fundacja Poza Siecią")
    outside = [o for o in principal(db, valley.ewa).roles if o != valley.kgw.id][0]
    signed_in(client, valley.ewa)
    options = page(client.get(f"{valley.url}/discussion")).select("select[name=organisation_id] option")
    assert [o.text for o in options] == ["Myself", "KGW Wierzbno"]
    response = client.submit(f"{valley.url}/discussion", {"body": "Hej", "organisation_id": str(outside)})
    assert response.status_code == 403
    expected = "Write on behalf of a member organisation of the network, or as yourself."
    assert errors_of(response) == {"organisation_id": expected}
    assert page(response).one("textarea[name=body]").text == "Hej"


def test_members_reply_through_the_comment_engine_and_non_members_cannot(app, db, valley):
    comment = post(db, valley, valley.ewa)
    with browsing(app, valley.marek) as member:
        response = member.submit(f"/comments/{comment.id}/reply", {"body": "Dobry pomysł."})
        assert response.status_code == 303
        form = page(member.get(f"/comments/{comment.id}/reply"))
        assert form.texts(".breadcrumbs a")[:2] == ["Networks", "Sieć Doliny Wierzbnicy"]
        assert form.texts("select[name=organisation_id] option") == ["Myself", "KGW Wierzbno"]
    make_organisation(db, admin=valley.marek, name="Fundacja Marka")
    outside = [o for o in principal(db, valley.marek).roles if o != valley.kgw.id][0]
    with browsing(app, valley.marek) as member:
        refused = member.submit(
            f"/comments/{comment.id}/reply", {"body": "Za fundację.", "organisation_id": str(outside)}
        )
        assert refused.status_code == 403
    with browsing(app, valley.jan) as outsider:
        assert outsider.submit(f"/comments/{comment.id}/reply", {"body": "A my?"}).status_code == 403
        assert outsider.submit(f"/comments/{comment.id}/flag").status_code == 403
    fresh(db)
    assert [c.body for c in db.exec(select(Comment).order_by(Comment.id))] == [
        "Spotkajmy się w marcu.",
        "Dobry pomysł.",
    ]


def test_an_organisation_that_leaves_loses_the_members_pages(app, db, valley):
    actions.leave_network(db, principal(db, valley.ewa), valley.network, valley.kgw.id)
    with browsing(app, valley.marek) as client:
        assert client.get(f"{valley.url}/discussion").status_code == 403
        assert client.get(f"{valley.url}/members").status_code == 403


def test_the_members_page_shows_contacts_and_who_represents_each_member(app, db, valley):
    with browsing(app, valley.marek) as client:
        html = page(client.get(f"{valley.url}/members"))
    [card] = html.select("li.card")
    assert card.one("h3").text == "KGW Wierzbno"
    rows = {row.one("dt").text: row.one("dd").text for row in card.select("dl.summary-list div")}
    assert rows["Represented by"] == "Ewa Kowal" and rows["E-mail"] == "kgw@wierzbno.pl"
    assert html.one("section[aria-labelledby=members-coordinators] a").text == "koordynator@gmina.pl"


def test_the_members_links_are_shown_only_to_members(app, db, valley):
    with browsing(app, valley.marek) as member:
        links = page(member.get(valley.url)).texts("nav.network-tools a")
    assert links == ["Members' discussion", "Members' contacts"]
    with browsing(app, valley.coordinator) as coordinator:
        apply_to(db, valley.network, valley.club)
        links = page(coordinator.get(valley.url)).texts("nav.network-tools a")
    assert links == ["Members' discussion", "Members' contacts", "Applications 1 waiting", "Attendance",
                     "Coordinators", "Edit the charter and municipalities"]  # fmt: skip
    with browsing(app, valley.jan) as outsider:
        assert page(outsider.get(valley.url)).select("nav.network-tools") == []


# --- attendance ---------------------------------------------------------------------------------------------------


def quarter(db, valley, days_ago: int, **fields):
    return make_network_meeting(db, valley.network, starts_in=timedelta(days=-days_ago), **fields)


def test_attendance_shows_who_registered_and_came_and_who_missed_the_last_two_quarterly_meetings(app, db, valley):
    with clock_at(utcnow() - timedelta(days=400)):  # the KGW joined long ago; the seniors just before the last two
        valley_kgw = membership_of(db, valley.network, valley.kgw)
        valley_kgw.decided_at = utcnow()
        db.add(valley_kgw)
        db.commit()
    seniors = make_organisation(db, name="Złota Jesień", verified=True)
    with clock_at(utcnow() - timedelta(days=200)):
        admit_to_network(db, valley.network, seniors)
    newcomer = make_organisation(db, name="Nowi Sąsiedzi", verified=True)
    with clock_at(utcnow() - timedelta(days=60)):
        admit_to_network(db, valley.network, newcomer)
    spring = quarter(db, valley, 180, title="Kwartał I")
    summer = quarter(db, valley, 90, title="Kwartał II")
    autumn = quarter(db, valley, 10, title="Kwartał III")
    forum = quarter(db, valley, 30, kind="forum", title="Forum")
    coming = make_network_meeting(db, valley.network, starts_in=timedelta(days=20), title="Kwartał IV")
    register_organisation(db, spring, valley.kgw, attended=2)
    register_organisation(db, summer, valley.kgw, attended=0)
    register_organisation(db, forum, valley.kgw, attended=1)
    register_organisation(db, autumn, valley.kgw, status="cancelled", cancelled_at=utcnow())
    register_organisation(db, coming, valley.kgw, head_count=3)
    register_organisation(db, summer, seniors, attended=1)
    register_organisation(db, autumn, seniors)  # attendance not entered yet
    register_organisation(db, autumn, newcomer, status="waitlisted")

    table = attendance.attendance_of(db, valley.network)
    assert [m.title for m in table.meetings] == ["Kwartał I", "Kwartał II", "Forum", "Kwartał III", "Kwartał IV"]
    assert [r.organisation.name for r in table.flagged] == ["KGW Wierzbno"]
    with browsing(app, valley.coordinator) as client:
        response = client.get(f"{valley.url}/attendance")
    assert response.status_code == 200 and response.template.name == "networks/attendance.html"
    html = page(response)
    assert html.one("section[aria-labelledby=attendance-missed]").texts("li") == ["KGW Wierzbno"]
    rows = {row.one("th").text: row.texts("td") for row in html.select("tbody tr")}
    assert rows["KGW Wierzbno Missed the last two quarterly meetings"] == [
        "Attended (2 people)", "Did not attend", "Attended (1 person)", "Not registered", "Registered (3 people)"
    ]  # fmt: skip
    assert rows["Złota Jesień"] == [
        "Not registered", "Attended (1 person)", "Not registered", "Registered; attendance not entered",
        "Not registered",
    ]  # fmt: skip
    assert rows["Nowi Sąsiedzi"][3] == "Waiting list"  # admitted after Kwartał II: not flagged
    assert html.one(f"#attendance-{valley.kgw.id}").get("class") == "attendance-missed"
    assert html.one(".table-scroll").get("tabindex") == "0"


def test_attendance_before_two_quarterly_meetings_flags_nobody(app, db, valley):
    quarter(db, valley, 10)
    with browsing(app, valley.coordinator) as client:
        html = page(client.get(f"{valley.url}/attendance"))
    assert "has not held two quarterly meetings yet" in html.one("section[aria-labelledby=attendance-missed]").text


@pytest.mark.parametrize("who", ["marek", "ewa", "jan", "zofia", "platform_admin"])
def test_only_coordinators_see_the_attendance(app, db, valley, who):
    person = make_admin(db) if who == "platform_admin" else getattr(valley, who)
    with browsing(app, person) as client:
        response = client.get(f"{valley.url}/attendance")
    assert response.status_code == 403
    assert "Only the network's coordinators see this page." in page(response).one("main").text


# --- the rules, as the domain sees them ---------------------------------------------------------------------------


def test_the_rules_say_who_may_do_what(db, valley):
    from consult.permissions import can

    access = access_of(db, valley.network)
    people = {name: principal(db, getattr(valley, name)) for name in ("coordinator", "ewa", "marek", "jan", "zofia")}
    table = {
        action: [name for name, p in people.items() if can(p, action, access)]
        for action in ("network.edit", "network.decide", "network.attendance", "network.read_members", "network.post")
    }
    assert table == {
        "network.edit": ["coordinator"],
        "network.decide": ["coordinator"],
        "network.attendance": ["coordinator"],
        "network.read_members": ["coordinator", "ewa", "marek"],
        "network.post": ["coordinator", "ewa", "marek"],
    }
    assert can(people["jan"], "network.apply", valley.club) and not can(people["marek"], "network.apply", valley.kgw)
    assert not can(None, "network.read_members", access)


def test_the_network_rows_follow_the_actions(db, valley):
    fresh(db)
    spanned = db.exec(select(NetworkMunicipality).where(NetworkMunicipality.network_id == valley.network.id)).all()
    assert len(spanned) == 2
    assert db.exec(select(NetworkCoordinator)).all()[0].user_id == network_coordinator(db, valley.network).id
    assert db.exec(select(OutboxMessage).where(OutboxMessage.recipient == "ewa@kgw.pl")).first() is not None
