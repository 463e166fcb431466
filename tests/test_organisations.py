"""Organisations: a profile and its admins, the directory, members by invitation or request, roles, verification."""

from __future__ import annotations

from urllib.parse import parse_qs, urljoin, urlsplit
from zoneinfo import ZoneInfo

import pytest
from babel.dates import format_datetime
from sqlmodel import select

from consult import ledger
from consult.models import Invitation, JoinRequest, Membership, Organisation, utcnow
from consult.organisations.actions import PAGE_SIZE, fields_of
from tests.factories import add_member, fresh, ledger_events, make_admin, make_organisation, make_user, signed_in
from tests.html import page, summary_list

# --- reading pages as a user sees them -------------------------------------------------------


def path_of(response) -> str:
    """The path a redirect sends the browser to, without its query."""
    return urlsplit(response.headers["location"]).path


# --- people, data and the ledger ---------------------------------------------------------------


def profile_form(**overrides) -> dict:
    return {
        "name": "Stowarzyszenie Przyjaciół Wierzbna",
        "kind": "ngo",
        "krs": "0000123456",
        "fields[]": ["culture", "seniors"],
        "area_served": "Gmina Wierzbno",
        "description": "Prowadzimy **klub seniora** i chór.",
        "contact_email": "biuro@przyjaciele-wierzbna.pl",
        "contact_phone": "+48 600 100 200",
        "website": "https://przyjaciele-wierzbna.pl",
    } | overrides


def assert_ledger_intact(db) -> None:
    fresh(db)
    assert ledger.verify(db) is None


def membership(db, organisation_id: int, user_id: int) -> Membership | None:
    fresh(db)
    return db.exec(
        select(Membership).where(Membership.organisation_id == organisation_id, Membership.user_id == user_id)
    ).first()


def reloaded(db, organisation_id: int) -> Organisation:
    fresh(db)
    organisation = db.get(Organisation, organisation_id)
    assert organisation is not None
    return organisation


def reloaded_invitation(db, invitation_id: int) -> Invitation:
    fresh(db)
    return db.get(Invitation, invitation_id)


@pytest.fixture
def ngo(db):
    """A non-governmental organisation with its admin (Ewa) and a plain member (Marek)."""
    admin = make_user(db, email="ewa@example.pl", display_name="Ewa Nowak")
    organisation = make_organisation(db, admin=admin, name="Stowarzyszenie Razem", area_served="Gmina Wierzbno")
    member = make_user(db, email="marek@example.pl", display_name="Marek Zieliński")
    add_member(db, organisation, member)
    return organisation, admin, member


# --- creating an organisation ------------------------------------------------------------------


def test_create_organisation_makes_the_creator_its_admin_and_shows_the_profile(client, db):
    founder = make_user(db, display_name="Ewa Nowak")
    signed_in(client, founder)
    form = client.get("/organisations/new")
    assert form.status_code == 200
    assert form.template.name == "organisations/form.html"

    response = client.submit("/organisations/new", profile_form(), follow_redirects=False)
    assert response.status_code == 303
    organisation = db.exec(select(Organisation)).one()
    assert organisation.slug == "stowarzyszenie-przyjaciol-wierzbna"
    assert path_of(response) == "/organisations/stowarzyszenie-przyjaciol-wierzbna"
    assert membership(db, organisation.id, founder.id).role == "admin"

    profile = client.get(response.headers["location"])
    assert profile.template.name == "organisations/profile.html"
    assert profile.context["organisation"].id == organisation.id
    assert profile.context["role"] == "admin" and profile.context["can_edit"]
    html = page(profile)
    assert html.one("h1").text == "Stowarzyszenie Przyjaciół Wierzbna"
    assert "has been created" in html.one(".banner").text
    assert summary_list(page(profile)) == {
        "KRS number": "0000123456",
        "Area served": "Gmina Wierzbno",
        "Fields of activity": "Culture and heritage, Seniors",
        "E-mail": "biuro@przyjaciele-wierzbna.pl",
        "Phone": "+48 600 100 200",
        "Website": "https://przyjaciele-wierzbna.pl",
    }
    assert html.one(".prose strong").text == "klub seniora"
    assert html.one(".badge").text == "Not verified yet"
    assert fields_of(db, [organisation.id]) == {organisation.id: ["culture", "seniors"]}

    mine = page(client.get("/my/organisations"))
    assert mine.texts(".card-title a") == ["Stowarzyszenie Przyjaciół Wierzbna"]

    created, added = ledger_events(db, "organisation.created"), ledger_events(db, "membership.added")
    assert [(e.actor_id, e.subject_id) for e in created] == [(founder.id, str(organisation.id))]
    assert '"krs":"0000123456"' in created[0].payload
    assert [(e.actor_id, e.subject_id) for e in added] == [(founder.id, str(organisation.id))]
    assert '"role":"admin"' in added[0].payload
    assert_ledger_intact(db)


def test_description_markdown_is_rendered_and_sanitised(client, db):
    signed_in(client, make_user(db))
    description = "\n\n".join(
        [
            "Our **choir** sings on [our website](https://choir.example.pl).",
            "<script>alert('owned')</script>",
            "[click me](javascript:alert('owned'))",
            "[or me](JaVaScRiPt:alert('owned'))",
            "<a href=\"javascript:alert('owned')\">raw link</a>",
            "<img src=x onerror=\"alert('owned')\">",
            "<javascript:alert('owned')>",
        ]
    )
    response = client.submit("/organisations/new", profile_form(description=description))
    assert response.template.name == "organisations/profile.html"
    html = page(response)
    prose = html.one(".prose")
    assert prose.one("strong").text == "choir"
    assert [(a.get("href"), a.get("rel")) for a in prose.select("a")] == [
        ("https://choir.example.pl", "nofollow noopener")
    ]
    assert not prose.select("script") and not prose.select("img")
    assert all(s.get("src", "").startswith("/static/") and not s.text for s in html.select("script"))
    assert not [e for e in html.select("[href]") if e.get("href").lower().startswith("javascript:")]
    assert not [e for e in html.descendants() if any(name.startswith("on") for name in e.attrs)]


@pytest.mark.parametrize(
    ("krs", "message"),
    [
        ("123456789", "A KRS number has exactly 10 digits"),
        ("00001234AB", "A KRS number has exactly 10 digits"),
        ("0000000000", "This is not a valid KRS number."),
        ("٠٠٠٠١٢٣٤٥٦", "A KRS number has exactly 10 digits"),  # digits, but not the register's
    ],
    ids=["nine-digits", "letters", "all-zeros", "arabic-indic-digits"],
)
def test_create_with_an_invalid_krs_is_refused_beside_the_field_keeping_what_was_typed(client, db, krs, message):
    signed_in(client, make_user(db))
    typed = profile_form(krs=krs, description="Chór i klub seniora.\nSpotkania we wtorki.")
    response = client.submit("/organisations/new", typed)
    assert response.status_code == 422
    assert response.template.name == "organisations/form.html"
    assert list(response.context["form"].errors) == ["krs"]
    html = page(response)
    assert message in html.one("#field-krs-error").text
    assert html.one(".error-summary a").get("href") == "#field-krs"
    assert html.one("input#field-krs").get("aria-invalid") == "true"
    assert html.one("input#field-krs").get("value") == krs
    assert html.one("input#field-name").get("value") == typed["name"]
    assert html.one("input#field-area_served").get("value") == "Gmina Wierzbno"
    assert html.one("input#field-website").get("value") == typed["website"]
    assert html.one("textarea#field-description").text == "Chór i klub seniora. Spotkania we wtorki."
    assert [box.get("value") for box in html.select("#field-fields input[checked]")] == ["culture", "seniors"]
    assert html.one("select#field-kind option[selected]").get("value") == "ngo"
    assert db.exec(select(Organisation)).all() == []
    assert ledger_events(db, "organisation.created") == []


def test_create_with_a_registered_krs_is_refused(client, db):
    make_organisation(db, name="Fundacja Pierwsza", krs="0000123456")
    signed_in(client, make_user(db))
    response = client.submit("/organisations/new", profile_form(krs="000 012 3456"))
    assert response.status_code == 422
    assert "already registered" in page(response).one("#field-krs-error").text
    assert page(response).one("input#field-name").get("value") == "Stowarzyszenie Przyjaciół Wierzbna"
    assert db.exec(select(Organisation.name).where(Organisation.krs == "0000123456")).all() == ["Fundacja Pierwsza"]


@pytest.mark.parametrize("typed", ["000 012 3456", "0000-123-456", " 0000123456 "])
def test_create_normalises_a_krs_typed_with_spaces_or_dashes(client, db, typed):
    signed_in(client, make_user(db))
    response = client.submit("/organisations/new", profile_form(krs=typed))
    assert response.template.name == "organisations/profile.html"
    assert summary_list(page(response))["KRS number"] == "0000123456"
    assert db.exec(select(Organisation.krs)).all() == ["0000123456"]


def test_municipality_is_not_offered_to_a_user_and_a_forged_post_is_refused(client, db):
    signed_in(client, make_user(db))
    form = page(client.get("/organisations/new"))
    assert [o.get("value") for o in form.select("select#field-kind option")] == ["", "ngo", "informal", "other"]

    response = client.submit("/organisations/new", profile_form(name="Gmina Wierzbno", kind="municipality", krs=""))
    assert response.status_code == 403
    assert response.template.name == "errors/403.html"
    assert db.exec(select(Organisation)).all() == []
    assert ledger_events(db, "organisation.created") == []


def test_platform_admin_creates_a_municipality(client, db):
    admin = make_admin(db)
    signed_in(client, admin)
    form = page(client.get("/organisations/new"))
    assert "municipality" in [o.get("value") for o in form.select("select#field-kind option")]

    response = client.submit("/organisations/new", profile_form(name="Gmina Wierzbno", kind="municipality", krs=""))
    assert response.template.name == "organisations/profile.html"
    municipality = db.exec(select(Organisation)).one()
    assert (municipality.kind, municipality.krs) == ("municipality", None)
    assert membership(db, municipality.id, admin.id).role == "admin"
    assert '"kind":"municipality"' in ledger_events(db, "organisation.created")[0].payload
    assert_ledger_intact(db)


# --- the directory -------------------------------------------------------------------------


@pytest.fixture
def directory(db):
    admin = make_user(db)
    orgs = [
        dict(name="Klub Sportowy Orzeł", fields=["sport", "youth"], area_served="Gmina Wierzbno", verified=True),
        dict(name="Koło Gospodyń Wiejskich w Lipie", fields=["culture", "seniors"], area_served="Lipa, gm. Wierzbno"),
        dict(name="Gmina Wierzbno", kind="municipality", area_served="Gmina Wierzbno", verified=True),
        dict(name="Grupa Sąsiedzka Zielone Podwórko", kind="informal", fields=["environment"], area_served="Kępno"),
        dict(name="ŁÓDZKIE Towarzystwo Seniorów", fields=["seniors"], area_served="Łódź"),
        dict(name="Fundacja 100% Pomocy", fields=["social_services"], area_served="Powiat kępiński"),
    ]
    for values in orgs:
        make_organisation(db, admin=admin, **values)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        (
            "",
            [
                "Fundacja 100% Pomocy",
                "Gmina Wierzbno",
                "Grupa Sąsiedzka Zielone Podwórko",
                "Klub Sportowy Orzeł",
                "Koło Gospodyń Wiejskich w Lipie",
                "ŁÓDZKIE Towarzystwo Seniorów",
            ],
        ),
        ("kind=informal", ["Grupa Sąsiedzka Zielone Podwórko"]),
        ("kind=municipality", ["Gmina Wierzbno"]),
        ("field=seniors", ["Koło Gospodyń Wiejskich w Lipie", "ŁÓDZKIE Towarzystwo Seniorów"]),
        ("area=wierzbno", ["Gmina Wierzbno", "Klub Sportowy Orzeł", "Koło Gospodyń Wiejskich w Lipie"]),
        ("area=WIERZBNO&kind=ngo", ["Klub Sportowy Orzeł", "Koło Gospodyń Wiejskich w Lipie"]),
        ("q=orzeł", ["Klub Sportowy Orzeł"]),
        ("q=łódzkie", ["ŁÓDZKIE Towarzystwo Seniorów"]),
        ("area=ŁÓDŹ", ["ŁÓDZKIE Towarzystwo Seniorów"]),
        ("q=100%25", ["Fundacja 100% Pomocy"]),
        ("q=%25", ["Fundacja 100% Pomocy"]),
        ("q=_", []),
        ("verified=1", ["Gmina Wierzbno", "Klub Sportowy Orzeł"]),
        ("verified=1&field=seniors", []),
    ],
)
def test_directory_filters_the_organisations(client, directory, query, expected):
    client.cookies.set("consult_lang", "en")
    response = client.get(f"/organisations?{query}")
    assert response.status_code == 200
    assert response.template.name == "organisations/directory.html"
    assert response.context["total"] == len(expected)
    assert page(response).texts("#directory-results .card-title a") == expected
    if not expected:
        assert "No organisation matches" in page(response).one("#directory-results").text


def test_directory_is_public_and_shows_each_card(client, directory):
    client.cookies.set("consult_lang", "en")
    response = client.get("/organisations?q=orzeł")
    assert response.status_code == 200 and response.context["current_user"] is None
    card = page(response).one("#directory-results .card")
    assert card.one("a").get("href") == "/organisations/klub-sportowy-orzel"
    assert card.one(".badge-verified").text == "Verified"
    assert card.texts(".tags li") == ["Sport and recreation", "Children and youth"]


def test_directory_pages_through_results_keeping_the_filters(client, db):
    admin = make_user(db)
    for n in range(1, PAGE_SIZE + 4):
        make_organisation(db, admin=admin, name=f"Stowarzyszenie {n:02d}")
    make_organisation(db, admin=admin, name=f"Stowarzyszenie {PAGE_SIZE + 1:02d} nieformalne", kind="informal")

    first = client.get("/organisations?kind=ngo")
    html = page(first)
    names = html.texts("#directory-results .card-title a")
    assert len(names) == PAGE_SIZE and names[0] == "Stowarzyszenie 01"
    assert not html.select("a[rel=prev]")
    next_url = urljoin(str(first.url), html.one("a[rel=next]").get("href"))
    assert parse_qs(urlsplit(next_url).query)["kind"] == ["ngo"]

    second = client.get(next_url)
    html = page(second)
    assert html.texts("#directory-results .card-title a") == [
        f"Stowarzyszenie {n}" for n in range(PAGE_SIZE + 1, PAGE_SIZE + 4)
    ]
    assert second.context["total"] == PAGE_SIZE + 3
    assert not html.select("a[rel=next]")
    previous = client.get(urljoin(str(second.url), html.one("a[rel=prev]").get("href")))
    assert page(previous).texts("#directory-results .card-title a") == names


def test_directory_htmx_request_gets_only_the_results_fragment(client, directory):
    response = client.get("/organisations?kind=informal", headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert response.template.name == "organisations/_results.html"
    assert "<html" not in response.text and "<form" not in response.text
    assert page(response).texts(".card-title a") == ["Grupa Sąsiedzka Zielone Podwórko"]
    assert "HX-Request" in response.headers["Vary"]


@pytest.mark.parametrize("header", ["HX-Boosted", "HX-History-Restore-Request"])
def test_directory_boosted_or_restored_request_gets_the_full_page(client, directory, header):
    response = client.get("/organisations?kind=informal", headers={"HX-Request": "true", header: "true"})
    assert response.template.name == "organisations/directory.html"
    html = page(response)
    assert html.select("html") and html.select("form.filters")
    assert html.texts("#directory-results .card-title a") == ["Grupa Sąsiedzka Zielone Podwórko"]


# --- editing the profile -----------------------------------------------------------------------


def test_admin_edits_the_profile(client, db, ngo):
    organisation, admin, _ = ngo
    signed_in(client, admin)
    url = f"/organisations/{organisation.slug}/edit"
    form = client.get(url)
    assert form.template.name == "organisations/form.html"
    assert page(form).one("input#field-name").get("value") == "Stowarzyszenie Razem"
    assert page(form).one("input#field-krs").get("value") == ""

    changed = profile_form(name="Stowarzyszenie Razem dla Wierzbna", krs="", area_served="Gmina i miasto Wierzbno")
    response = client.submit(url, changed | {"fields[]": ["youth"]}, follow_redirects=False)
    assert response.status_code == 303 and path_of(response) == f"/organisations/{organisation.slug}"
    profile = client.get(response.headers["location"])
    assert page(profile).one("h1").text == "Stowarzyszenie Razem dla Wierzbna"
    assert summary_list(page(profile))["Area served"] == "Gmina i miasto Wierzbno"
    assert summary_list(page(profile))["Fields of activity"] == "Children and youth"
    assert "KRS number" not in summary_list(page(profile))

    form = page(client.get(url))
    assert [box.get("value") for box in form.select("#field-fields input[checked]")] == ["youth"]
    updated = ledger_events(db, "organisation.updated")
    assert [(e.actor_id, e.subject_id) for e in updated] == [(admin.id, str(organisation.id))]
    assert '"name":"Stowarzyszenie Razem dla Wierzbna"' in updated[0].payload
    assert_ledger_intact(db)


@pytest.mark.parametrize("who", ["member", "outsider"])
def test_edit_by_a_member_or_an_outsider_is_refused_and_changes_nothing(client, db, ngo, who):
    organisation, _, member = ngo
    signed_in(client, member if who == "member" else make_user(db))
    url = f"/organisations/{organisation.slug}/edit"
    assert client.get(url).status_code == 403
    response = client.submit(url, profile_form(name="Przejęta organizacja", krs=""))
    assert response.status_code == 403
    assert response.template.name == "errors/403.html"
    assert reloaded(db, organisation.id).name == "Stowarzyszenie Razem"
    assert ledger_events(db, "organisation.updated") == []


def test_edit_by_an_anonymous_visitor_goes_to_the_login_page_and_back(client, db, ngo):
    organisation, admin, _ = ngo
    url = f"/organisations/{organisation.slug}/edit"
    response = client.get(url, follow_redirects=False)
    assert response.status_code == 303
    assert path_of(response) == "/login"
    assert parse_qs(urlsplit(response.headers["location"]).query)["next"] == [url]

    login = client.get(response.headers["location"])
    assert login.template.name == "accounts/login.html"
    back = client.submit(f"/login?next={url}", {"email": admin.email, "password": "correct-horse-battery"})
    assert back.template.name == "organisations/form.html"


def test_edit_to_a_krs_of_another_organisation_is_refused(client, db, ngo):
    organisation, admin, _ = ngo
    make_organisation(db, name="Fundacja Pierwsza", krs="0000123456")
    signed_in(client, admin)
    response = client.submit(f"/organisations/{organisation.slug}/edit", profile_form(name="Stowarzyszenie Razem"))
    assert response.status_code == 422
    assert "already registered" in page(response).one("#field-krs-error").text
    assert reloaded(db, organisation.id).krs is None


# --- invitations ---------------------------------------------------------------------------------


def invite(client, organisation, email: str, role: str = "member"):
    return client.submit(
        f"/organisations/{organisation.slug}/members/invite", {"email": email, "role": role}, follow_redirects=False
    )


def test_invited_person_accepts_the_link_from_the_mail_and_becomes_a_member(client, other_client, mailbox, db, ngo):
    organisation, admin, _ = ngo
    signed_in(client, admin)
    response = invite(client, organisation, "Jan.Kowalski@Example.PL", role="admin")
    assert response.status_code == 303 and path_of(response) == f"/organisations/{organisation.slug}/members"
    members = client.get(response.headers["location"])
    invitation = db.exec(select(Invitation)).one()
    assert page(members).one(f"#invitation-{invitation.id}").text.startswith("jan.kowalski@example.pl (Admin)")

    mail = mailbox.last_to("jan.kowalski@example.pl")
    assert mail["Subject"] == "Invitation to Stowarzyszenie Razem"
    link = mailbox.link_in(mail)
    assert link.startswith("http://testserver/invitations/")

    jan = make_user(db, email="jan.kowalski@example.pl", display_name="Jan Kowalski")
    signed_in(other_client, jan)
    shown = other_client.get(link)
    assert shown.status_code == 200
    assert shown.template.name == "organisations/invitation.html"
    assert shown.context["invitation"].role == "admin"
    assert "Stowarzyszenie Razem" in page(shown).one("h1").text

    accepted = other_client.submit(link, follow_redirects=False)
    assert accepted.status_code == 303 and path_of(accepted) == f"/organisations/{organisation.slug}"
    assert membership(db, organisation.id, jan.id).role == "admin"
    assert reloaded_invitation(db, invitation.id).accepted_at is not None
    assert [e.actor_id for e in ledger_events(db, "invitation.created")] == [admin.id]
    joined = ledger_events(db, "membership.added")[-1]
    assert joined.actor_id == jan.id and '"via":"invitation"' in joined.payload
    assert "jan.kowalski@example.pl" not in " ".join(e.payload for e in ledger_events(db))

    again = other_client.submit(link)
    assert again.status_code == 409
    assert other_client.get(link).status_code == 409
    assert_ledger_intact(db)


def test_invitation_accepted_with_another_account_is_refused(client, other_client, mailbox, db, ngo):
    organisation, admin, _ = ngo
    signed_in(client, admin)
    invite(client, organisation, "jan.kowalski@example.pl")
    link = mailbox.link_in(mailbox.last_to("jan.kowalski@example.pl"))

    piotr = make_user(db, email="piotr@example.pl", display_name="Piotr Wiśniewski")
    signed_in(other_client, piotr)
    for response in (other_client.get(link), other_client.submit(link)):
        assert response.status_code == 403
        assert "another e-mail address" in page(response).one("main").text
    assert membership(db, organisation.id, piotr.id) is None
    assert db.exec(select(Invitation.accepted_at)).one() is None


def test_invitation_link_opened_signed_out_leads_through_the_login_back_to_it(client, other_client, mailbox, db, ngo):
    organisation, admin, _ = ngo
    signed_in(client, admin)
    invite(client, organisation, "jan.kowalski@example.pl")
    link = mailbox.link_in(mailbox.last_to("jan.kowalski@example.pl"))
    jan = make_user(db, email="jan.kowalski@example.pl")

    response = other_client.get(link, follow_redirects=False)
    assert response.status_code == 303 and path_of(response) == "/login"
    next_path = parse_qs(urlsplit(response.headers["location"]).query)["next"][0]
    assert next_path == urlsplit(link).path
    back = other_client.submit(f"/login?next={next_path}", {"email": jan.email, "password": "correct-horse-battery"})
    assert back.template.name == "organisations/invitation.html"


def test_tampered_invitation_link_is_refused(client, mailbox, db, ngo):
    organisation, admin, _ = ngo
    signed_in(client, admin)
    invite(client, organisation, admin.email)  # the admin's own address: only the signature can stop them
    link = mailbox.link_in(mailbox.last_to(admin.email))
    head, _, signature = link.rpartition(".")
    tampered = f"{head}.{'B' if signature[0] == 'A' else 'A'}{signature[1:]}"
    for response in (client.get(tampered), client.submit(tampered), client.get(link.rpartition(".")[0])):
        assert response.status_code == 400
        assert "This link is not valid" in page(response).one("main").text
    assert db.exec(select(Invitation.accepted_at)).one() is None


def test_official_role_is_refused_in_an_ngo(client, mailbox, db, ngo):
    organisation, admin, _ = ngo
    signed_in(client, admin)
    members = page(client.get(f"/organisations/{organisation.slug}/members"))
    assert [o.get("value") for o in members.select("select#field-role option")] == ["member", "admin"]

    response = invite(client, organisation, "jan.kowalski@example.pl", role="official")
    assert response.status_code == 422
    assert response.template.name == "organisations/members.html"
    html = page(response)
    assert "Only a municipality has officials." in html.one("#field-role-error").text
    assert html.one("input#field-email").get("value") == "jan.kowalski@example.pl"
    assert db.exec(select(Invitation)).all() == [] and mailbox.messages == []
    assert ledger_events(db, "invitation.created") == []


def test_official_is_invited_into_a_municipality(client, other_client, mailbox, db):
    mayor = make_user(db, display_name="Wójt")
    municipality = make_organisation(db, admin=mayor, name="Gmina Wierzbno", kind="municipality")
    signed_in(client, mayor)
    members = page(client.get(f"/organisations/{municipality.slug}/members"))
    assert "official" in [o.get("value") for o in members.select("select#field-role option")]
    assert invite(client, municipality, "urzednik@wierzbno.pl", role="official").status_code == 303

    official = make_user(db, email="urzednik@wierzbno.pl")
    signed_in(other_client, official)
    other_client.submit(mailbox.link_in(mailbox.last_to("urzednik@wierzbno.pl")))
    assert membership(db, municipality.id, official.id).role == "official"
    assert_ledger_intact(db)


def test_admin_withdraws_an_invitation(client, other_client, mailbox, db, ngo):
    organisation, admin, _ = ngo
    signed_in(client, admin)
    invite(client, organisation, "jan.kowalski@example.pl")
    invitation_id = db.exec(select(Invitation.id)).one()
    link = mailbox.link_in(mailbox.last_to("jan.kowalski@example.pl"))

    response = client.submit(
        f"/organisations/{organisation.slug}/invitations/{invitation_id}/withdraw", follow_redirects=False
    )
    assert response.status_code == 303
    members = client.get(response.headers["location"])
    assert members.context["invitations"] == []
    assert not page(members).select(f"#invitation-{invitation_id}")
    fresh(db)
    assert db.exec(select(Invitation)).all() == []
    withdrawn = ledger_events(db, "invitation.withdrawn")
    assert [(e.actor_id, e.payload) for e in withdrawn] == [(admin.id, f'{{"invitation":{invitation_id}}}')]

    signed_in(other_client, make_user(db, email="jan.kowalski@example.pl"))
    assert other_client.submit(link).status_code == 409
    assert_ledger_intact(db)


# --- requests to join -------------------------------------------------------------------------


def ask_to_join(client, organisation, message: str = ""):
    return client.submit(f"/organisations/{organisation.slug}/join", {"message": message}, follow_redirects=False)


def test_join_request_approved_makes_the_user_a_member(client, other_client, db, ngo):
    organisation, admin, _ = ngo
    piotr = make_user(db, email="piotr@example.pl", display_name="Piotr Wiśniewski")
    signed_in(other_client, piotr)
    profile = page(other_client.get(f"/organisations/{organisation.slug}"))
    assert profile.select(f"form[action=/organisations/{organisation.slug}/join]")

    response = ask_to_join(other_client, organisation, "Prowadzę sekcję szachową.")
    assert response.status_code == 303 and path_of(response) == f"/organisations/{organisation.slug}"
    profile = other_client.get(response.headers["location"])
    assert profile.context["join_pending"]
    assert not page(profile).select(f"form[action=/organisations/{organisation.slug}/join]")

    signed_in(client, admin)
    request = db.exec(select(JoinRequest)).one()
    card = page(client.get(f"/organisations/{organisation.slug}/members")).one(f"#join-request-{request.id}")
    assert "Piotr Wiśniewski" in card.text and "Prowadzę sekcję szachową." in card.text

    url = f"/organisations/{organisation.slug}/requests/{request.id}"
    decided = client.submit(url, {"decision": "approve"}, follow_redirects=False)
    assert decided.status_code == 303
    members = client.get(decided.headers["location"])
    assert members.context["join_requests"] == []
    assert "Piotr Wiśniewski" in page(members).texts("table td")
    assert membership(db, organisation.id, piotr.id).role == "member"
    mine = page(other_client.get("/my/organisations"))
    assert mine.texts(".card-title a") == ["Stowarzyszenie Razem"]

    assert [e.actor_id for e in ledger_events(db, "join_request.created")] == [piotr.id]
    assert [e.actor_id for e in ledger_events(db, "join_request.approved")] == [admin.id]
    assert '"via":"join_request"' in ledger_events(db, "membership.added")[-1].payload
    assert_ledger_intact(db)


def test_join_request_rejected_leaves_the_user_outside(client, other_client, db, ngo):
    organisation, admin, _ = ngo
    piotr = make_user(db, email="piotr@example.pl")
    signed_in(other_client, piotr)
    ask_to_join(other_client, organisation)
    request = db.exec(select(JoinRequest)).one()

    signed_in(client, admin)
    response = client.submit(f"/organisations/{organisation.slug}/requests/{request.id}", {"decision": "reject"})
    assert response.template.name == "organisations/members.html"
    assert response.context["join_requests"] == []
    assert membership(db, organisation.id, piotr.id) is None
    assert db.exec(select(JoinRequest.status)).one() == "rejected"
    assert page(other_client.get("/my/organisations")).select(".card") == []
    assert [e.actor_id for e in ledger_events(db, "join_request.rejected")] == [admin.id]
    assert all(f'"user":{piotr.id}' not in e.payload for e in ledger_events(db, "membership.added"))
    assert_ledger_intact(db)


def test_asking_to_join_twice_is_refused(client, db, ngo):
    organisation, _, _ = ngo
    signed_in(client, make_user(db))
    assert ask_to_join(client, organisation).status_code == 303
    response = ask_to_join(client, organisation, "Czy ktoś to przeczytał?")
    assert response.status_code == 409
    assert "already asked to join" in page(response).one("main").text
    assert len(db.exec(select(JoinRequest)).all()) == 1


def test_join_request_with_a_too_long_message_is_refused_beside_the_field(client, db, ngo):
    organisation, _, _ = ngo
    signed_in(client, make_user(db))
    message = "Chcę pomagać. " * 80
    response = ask_to_join(client, organisation, message)
    assert response.status_code == 422
    assert response.template.name == "organisations/profile.html"
    html = page(response)
    assert "too long" in html.one("#field-message-error").text
    assert html.one("textarea#field-message").text == message.strip()
    assert db.exec(select(JoinRequest)).all() == []


def test_member_asking_to_join_is_refused(client, db, ngo):
    organisation, _, member = ngo
    signed_in(client, member)
    response = ask_to_join(client, organisation)
    assert response.status_code == 409
    assert "already a member" in page(response).one("main").text
    assert db.exec(select(JoinRequest)).all() == []


# --- roles and leaving -------------------------------------------------------------------------


def manage(client, organisation, membership_id: int, **data):
    return client.submit(f"/organisations/{organisation.slug}/members/{membership_id}", data, follow_redirects=False)


def test_admin_changes_a_members_role(client, db, ngo):
    organisation, admin, member = ngo
    signed_in(client, admin)
    target = membership(db, organisation.id, member.id)
    response = manage(client, organisation, target.id, action="role", role="admin")
    assert response.status_code == 303 and path_of(response) == f"/organisations/{organisation.slug}/members"
    row = page(client.get(response.headers["location"])).one(f"#membership-{target.id}")
    assert row.one("option[selected]").get("value") == "admin"
    assert membership(db, organisation.id, member.id).role == "admin"
    changed = ledger_events(db, "membership.role_changed")
    assert [(e.actor_id, e.payload) for e in changed] == [
        (admin.id, f'{{"from":"member","to":"admin","user":{member.id}}}')
    ]
    assert_ledger_intact(db)


def test_official_role_is_not_given_in_an_ngo(client, db, ngo):
    organisation, admin, member = ngo
    signed_in(client, admin)
    target = membership(db, organisation.id, member.id)
    response = manage(client, organisation, target.id, action="role", role="official")
    assert response.status_code == 422
    assert "Only a municipality has officials." in page(response).one("main").text
    assert membership(db, organisation.id, member.id).role == "member"
    assert ledger_events(db, "membership.role_changed") == []


@pytest.mark.parametrize("data", [{"action": "role", "role": "member"}, {"action": "remove"}], ids=["demote", "remove"])
def test_last_admin_cannot_demote_or_remove_themselves(client, db, ngo, data):
    organisation, admin, _ = ngo
    signed_in(client, admin)
    own = membership(db, organisation.id, admin.id)
    response = client.submit(f"/organisations/{organisation.slug}/members/{own.id}", data)
    assert response.status_code == 409
    assert "needs at least one admin" in page(response).one("main").text
    assert membership(db, organisation.id, admin.id).role == "admin"
    assert ledger_events(db, "membership.role_changed") == ledger_events(db, "membership.removed") == []


def test_admin_steps_down_once_another_admin_exists(client, db, ngo):
    organisation, admin, member = ngo
    signed_in(client, admin)
    manage(client, organisation, membership(db, organisation.id, member.id).id, action="role", role="admin")
    response = manage(client, organisation, membership(db, organisation.id, admin.id).id, action="role", role="member")
    assert response.status_code == 303
    assert membership(db, organisation.id, admin.id).role == "member"
    assert client.get(f"/organisations/{organisation.slug}/members").status_code == 403


def test_admin_removes_a_member(client, db, ngo):
    organisation, admin, member = ngo
    signed_in(client, admin)
    target = membership(db, organisation.id, member.id)
    response = manage(client, organisation, target.id, action="remove")
    assert response.status_code == 303
    assert not page(client.get(response.headers["location"])).select(f"#membership-{target.id}")
    assert membership(db, organisation.id, member.id) is None
    assert [(e.actor_id, e.payload) for e in ledger_events(db, "membership.removed")] == [
        (admin.id, f'{{"user":{member.id}}}')
    ]
    assert_ledger_intact(db)


def test_member_leaves_the_organisation(client, db, ngo):
    organisation, _, member = ngo
    signed_in(client, member)
    profile = page(client.get(f"/organisations/{organisation.slug}"))
    own = membership(db, organisation.id, member.id)
    leave = profile.one(f"form[action=/organisations/{organisation.slug}/members/{own.id}]")
    assert leave.one("button[name=action]").get("value") == "remove"

    response = manage(client, organisation, own.id, action="remove")
    assert response.status_code == 303 and path_of(response) == f"/organisations/{organisation.slug}"
    assert "You have left" in page(client.get(response.headers["location"])).one(".banner").text
    assert membership(db, organisation.id, member.id) is None
    assert page(client.get("/my/organisations")).select(".card") == []
    assert [(e.actor_id, e.payload) for e in ledger_events(db, "membership.removed")] == [
        (member.id, f'{{"user":{member.id}}}')
    ]
    assert_ledger_intact(db)


def test_member_cannot_change_roles(client, db, ngo):
    organisation, admin, member = ngo
    signed_in(client, member)
    own = membership(db, organisation.id, member.id)
    admins = membership(db, organisation.id, admin.id)
    assert manage(client, organisation, own.id, action="role", role="admin").status_code == 403
    assert manage(client, organisation, admins.id, action="role", role="member").status_code == 403
    assert manage(client, organisation, admins.id, action="remove").status_code == 403
    assert membership(db, organisation.id, member.id).role == "member"
    assert membership(db, organisation.id, admin.id).role == "admin"
    assert ledger_events(db, "membership.role_changed") == ledger_events(db, "membership.removed") == []


# --- verification ------------------------------------------------------------------------------


def test_platform_admin_verifies_an_organisation(client, db, ngo):
    organisation, _, _ = ngo
    admin = make_admin(db)
    signed_in(client, admin)
    url = f"/organisations/{organisation.slug}"
    button = page(client.get(url)).one(f"form[action={url}/verification] button")
    assert button.text == "Verify the organisation"

    before = utcnow()
    response = client.submit(f"{url}/verification", {"decision": "verify"}, follow_redirects=False)
    after = utcnow()
    assert response.status_code == 303 and path_of(response) == url
    profile = client.get(url)
    html = page(profile)
    assert html.one(".badge-verified").text == "Verified"
    verified = reloaded(db, organisation.id)
    assert verified.verified_by_id == admin.id and before <= verified.verified_at <= after
    on = format_datetime(verified.verified_at.astimezone(ZoneInfo("Europe/Warsaw")), "d MMMM y", locale="en")
    assert summary_list(page(profile))["Verified on"] == on  # e.g. "24 November 2026"

    [event] = ledger_events(db, "organisation.verified")
    assert (event.actor_id, event.subject_kind, event.subject_id) == (admin.id, "organisation", str(organisation.id))
    assert before <= event.at <= after
    listed = page(client.get("/organisations?verified=1")).texts("#directory-results .card-title a")
    assert listed == ["Stowarzyszenie Razem"]
    assert_ledger_intact(db)


@pytest.mark.parametrize("who", ["org_admin", "member", "outsider"])
def test_verifying_by_anyone_but_a_platform_admin_is_refused(client, db, ngo, who):
    organisation, admin, member = ngo
    user = {"org_admin": admin, "member": member, "outsider": make_user(db)}[who]
    signed_in(client, user)
    url = f"/organisations/{organisation.slug}"
    assert not page(client.get(url)).select(f"form[action={url}/verification]")
    response = client.submit(f"{url}/verification", {"decision": "verify"})
    assert response.status_code == 403
    assert reloaded(db, organisation.id).verified_at is None
    assert ledger_events(db, "organisation.verified") == []


def test_platform_admin_revokes_a_verification(client, db):
    organisation = make_organisation(db, name="Fundacja Zweryfikowana", verified=True)
    admin = make_admin(db)
    signed_in(client, admin)
    url = f"/organisations/{organisation.slug}"
    button = page(client.get(url)).one(f"form[action={url}/verification] button")
    assert button.text == "Revoke verification"

    response = client.submit(f"{url}/verification", {"decision": "revoke"})
    assert response.template.name == "organisations/profile.html"
    assert page(response).one(".meta .badge").text == "Not verified yet"
    assert "Verified on" not in summary_list(page(response))
    assert reloaded(db, organisation.id).verified_at is None
    assert [e.actor_id for e in ledger_events(db, "organisation.verification_revoked")] == [admin.id]
    assert_ledger_intact(db)
