"""Security: headers on every response, no inline script, CSRF, body limits, error pages, safe redirects, secrets."""

from __future__ import annotations

import base64
import hashlib
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest
from pydantic import ValidationError
from sqlmodel import select
from starlette.routing import Route
from starlette.testclient import TestClient

from consult import i18n
from consult.app import create_app
from consult.models import Organisation, User
from consult.settings import DEVELOPMENT_SECRET, Settings
from tests.factories import PASSWORD, make_organisation, make_user


class Tags(HTMLParser):
    """Every start tag of a page with its attributes, and the text of <title> and <h1>."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str]]] = []
        self.text: dict[str, str] = {"title": "", "h1": ""}
        self._in: str | None = None
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, {k: v or "" for k, v in attrs}))
        if tag in self.text:
            self._in = tag

    def handle_endtag(self, tag):
        if tag == self._in:
            self._in = None

    def handle_data(self, data):
        if self._in:
            self.text[self._in] += data

    def all(self, tag: str) -> list[dict[str, str]]:
        return [attrs for name, attrs in self.tags if name == tag]

    def title(self) -> str:
        return " ".join(self.text["title"].split())

    def h1(self) -> str:
        return " ".join(self.text["h1"].split())


def translated(message: str, locale: str = "pl") -> str:
    token = i18n.current_locale.set(locale)
    try:
        return i18n.gettext(message)
    finally:
        i18n.current_locale.reset(token)


def polish(message: str) -> str:
    """The Polish text of a message, once the catalogue has it."""
    text = translated(message, "pl")
    assert text != message, f"the Polish catalogue has no translation of {message!r} yet"
    return text


def csp_directives(response) -> dict[str, list[str]]:
    policy = response.headers["content-security-policy"]
    return {name: values for name, *values in (part.split() for part in policy.split(";") if part.strip())}


@pytest.fixture
def signed_in(client, db):
    """A confirmed user with an organisation of their own, logged in."""
    user = make_user(db, email="ewa.nowak@example.pl", display_name="Ewa Nowak")
    organisation = make_organisation(db, admin=user, name="Stowarzyszenie Przyjaciół Parku")
    client.login(user.email)
    return organisation


# --- headers and scripts ---------------------------------------------------------------------

PAGES = [
    "/",
    "/accessibility",
    "/organisations",
    "/organisations/new",
    "/my/organisations",
    "/login",
    "/register",
    "/password/forgot",
    "/no-such-page",
]


def responses(client, organisation):
    """Responses of every kind: pages, a profile, a static file, a redirect, a refused POST, an error."""
    for path in [*PAGES, f"/organisations/{organisation.slug}"]:
        yield path, client.get(path)
    yield "static", client.get("/static/css/consult.css")
    yield "redirect", client.get("/language/en?next=/", follow_redirects=False)
    yield "refused post", client.post("/logout")
    yield "form with errors", client.submit("/organisations/new", {"name": "", "kind": "ngo"})


def assert_security_headers(response, what: str) -> None:
    csp = csp_directives(response)
    assert csp["script-src"] == ["'self'"], what
    assert not any("'unsafe-inline'" in values or "'unsafe-eval'" in values for values in csp.values()), what
    assert csp["frame-ancestors"] == ["'none'"] and response.headers["x-frame-options"] == "DENY", what
    assert csp["object-src"] == ["'none'"], what
    assert response.headers["x-content-type-options"] == "nosniff", what
    assert response.headers["referrer-policy"] in ("same-origin", "strict-origin-when-cross-origin", "no-referrer")


def test_every_response_carries_the_security_headers(client, signed_in):
    for what, response in responses(client, signed_in):
        assert_security_headers(response, what)
        assert "strict-transport-security" not in response.headers  # only over https


def test_https_site_asks_browsers_to_stay_on_https(database_url):
    app = create_app(
        Settings(
            environment="test",
            database_url=database_url,
            secret_key="test-secret-key",
            base_url="https://consult.example.pl",
        )
    )
    try:
        with TestClient(app, base_url="https://consult.example.pl") as https_client:
            response = https_client.get("/accessibility")
    finally:
        app.state.engine.dispose()
    assert response.headers["strict-transport-security"].startswith("max-age=31536000")


def is_our_static(src: str) -> bool:
    """A file from our own /static directory (url_for writes it absolute, on our own host)."""
    url = urlsplit(src)
    return url.scheme in ("", "http") and url.netloc in ("", "testserver") and url.path.startswith("/static/")


def test_pages_have_no_inline_script(client, signed_in):
    for what, response in responses(client, signed_in):
        if not response.headers.get("content-type", "").startswith("text/html"):
            continue
        tags = Tags(response.text)
        assert tags.all("script"), f"{what}: no script at all (the layout loads htmx)"
        for script in tags.all("script"):
            assert is_our_static(script.get("src", "")), f"{what}: inline or foreign script {script}"
        for _, attrs in tags.tags:
            handlers = [name for name in attrs if name.startswith("on")]
            assert not handlers, f"{what}: inline event handler {handlers}"
            assert not attrs.get("href", "").lower().startswith("javascript:"), what


def test_htmx_is_served_from_static_with_a_matching_integrity_hash(client):
    scripts = Tags(client.get("/").text).all("script")
    htmx = [s for s in scripts if "htmx" in s.get("src", "")]
    assert len(htmx) == 1
    src, integrity = htmx[0]["src"], htmx[0]["integrity"]
    assert is_our_static(src)
    assert urlsplit(src).path.startswith("/static/vendor/htmx-2.") and src.endswith(".min.js")
    algorithm, _, expected = integrity.partition("-")
    assert algorithm == "sha384"

    served = client.get(src)
    assert served.status_code == 200
    assert "javascript" in served.headers["content-type"]
    assert base64.b64encode(hashlib.sha384(served.content).digest()).decode() == expected


# --- CSRF ------------------------------------------------------------------------------------

ORGANISATION = {"name": "Klub Sportowy Orzeł", "kind": "ngo"}
CSRF_CASES = {
    "/register": {
        "email": "jan@example.pl",
        "display_name": "Jan",
        "password": "a-long-secret-1",
        "password_confirm": "a-long-secret-1",
    },
    "/login": {"email": "ewa.nowak@example.pl", "password": PASSWORD},
    "/logout": {},
    "/organisations/new": ORGANISATION,
}


def nothing_happened(client, db) -> None:
    """Still signed in as Ewa Nowak, and no account or organisation was made."""
    db.commit()
    assert "Ewa Nowak" in client.get("/my/organisations").text
    assert db.exec(select(User.email)).all() == ["ewa.nowak@example.pl"]
    assert db.exec(select(Organisation.name)).all() == ["Stowarzyszenie Przyjaciół Parku"]


@pytest.mark.parametrize("path", CSRF_CASES)
def test_post_without_csrf_token_is_refused(client, db, signed_in, path):
    response = client.post(path, data=CSRF_CASES[path], follow_redirects=False)
    assert response.status_code == 403
    assert response.template.name == "errors/403.html"
    nothing_happened(client, db)


@pytest.mark.parametrize("path", CSRF_CASES)
def test_post_with_a_wrong_csrf_token_is_refused(client, db, signed_in, path):
    real = client.csrf_token()
    wrong = real[:-1] + ("A" if real[-1] != "A" else "B")
    as_field = client.post(path, data={"csrf_token": wrong, **CSRF_CASES[path]}, follow_redirects=False)
    as_header = client.post(path, data=CSRF_CASES[path], headers={"X-CSRF-Token": wrong}, follow_redirects=False)
    assert as_field.status_code == as_header.status_code == 403
    nothing_happened(client, db)


def test_post_with_the_csrf_header_is_accepted_as_htmx_sends_it(client, db, signed_in):
    token = client.csrf_token()
    response = client.post(
        "/organisations/new",
        data=ORGANISATION,
        headers={"X-CSRF-Token": token, "HX-Request": "true"},
        follow_redirects=False,
    )
    assert response.status_code == 303
    db.commit()
    assert "Klub Sportowy Orzeł" in db.exec(select(Organisation.name)).all()


def test_csrf_refusal_is_a_translated_page(client):
    refused = client.post("/register", data={})
    assert refused.headers["content-type"].startswith("text/html")
    tags = Tags(refused.text)
    assert tags.title().startswith(polish("Access refused"))
    assert tags.h1() == polish("You cannot do this")
    assert tags.all("html")[0]["lang"] == "pl"

    client.cookies.set("consult_lang", "en")
    tags = Tags(client.post("/register", data={}).text)
    assert tags.title().startswith("Access refused")
    assert tags.all("html")[0]["lang"] == "en"


def test_oversized_body_is_refused_with_413(database_url):
    settings = Settings(
        environment="test",
        database_url=database_url,
        secret_key="test-secret-key",
        base_url="http://testserver",
        max_body_bytes=2048,
    )
    app = create_app(settings)
    try:
        with TestClient(app, base_url="http://testserver") as small:
            small.cookies.set("consult_lang", "en")
            token = small.get("/register").text.split('name="csrf_token" value="')[1].split('"')[0]
            fits = small.post("/register", data={"csrf_token": token, "display_name": "x" * 1000})
            too_big = small.post("/register", data={"csrf_token": token, "display_name": "x" * 5000})
            upload = small.post(
                "/register", data={"csrf_token": token}, files={"file": ("big.txt", b"x" * 5000, "text/plain")}
            )
    finally:
        app.state.engine.dispose()
    assert fits.status_code == 422  # read and validated: only the size decides
    for response in (too_big, upload):
        assert response.status_code == 413
        assert response.headers["content-type"].startswith("text/html")
        assert "What you sent is too large." in response.text
        assert_security_headers(response, "413")


# --- error pages -----------------------------------------------------------------------------


def test_unknown_page_is_a_404_page_in_polish_then_english(client):
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert response.template.name == "errors/404.html"
    assert Tags(response.text).h1() == polish("Page not found")

    client.cookies.set("consult_lang", "en")
    response = client.get("/organisations/no-such-organisation")
    assert response.status_code == 404
    assert Tags(response.text).title() == "Page not found · consult"


def test_unexpected_error_gives_the_translated_500_page(app):
    async def boom(request):
        raise RuntimeError("a bug")

    app.router.routes.append(Route("/boom", boom))
    with TestClient(app, raise_server_exceptions=False) as browser:
        response = browser.get("/boom")
        assert response.status_code == 500
        assert response.headers["content-type"].startswith("text/html")
        assert Tags(response.text).title().startswith(polish("Something went wrong"))
        assert "a bug" not in response.text and "Traceback" not in response.text

        browser.cookies.set("consult_lang", "en")
        response = browser.get("/boom")
        assert response.status_code == 500
        assert Tags(response.text).h1() == "Sorry, something went wrong on our side"
        assert_security_headers(response, "500")


def test_wrong_method_is_an_html_page(client):
    client.cookies.set("consult_lang", "en")
    response = client.get("/logout")
    assert response.status_code == 405
    assert response.template.name == "errors/generic.html"
    assert "This address does not accept this kind of request." in response.text


# --- the language switch ---------------------------------------------------------------------


def test_language_switch_sets_the_cookie_and_goes_back(client):
    response = client.get("/language/en?next=/organisations", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/organisations"
    cookie = response.headers["set-cookie"].lower()
    assert cookie.startswith("consult_lang=en;") and "samesite=lax" in cookie
    page = client.get(response.headers["location"])
    assert Tags(page.text).all("html")[0]["lang"] == "en"


@pytest.mark.parametrize(
    "target", ["//evil.example", "https://evil.example", "/\\evil.example", "http:/evil.example", "evil.example"]
)
def test_language_switch_never_sends_the_reader_to_another_site(client, target):
    response = client.get("/language/en", params={"next": target}, follow_redirects=False)
    assert response.status_code == 303
    location = urlsplit(response.headers["location"])
    assert (location.scheme, location.netloc, location.path) == ("", "", "/")


def test_unknown_language_changes_nothing(client):
    response = client.get("/language/xx?next=/organisations", follow_redirects=False)
    assert response.status_code == 303
    assert "consult_lang" not in response.headers.get("set-cookie", "")


# --- the secret key --------------------------------------------------------------------------


def test_production_without_a_secret_key_refuses_to_start(monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    with pytest.raises(ValidationError, match="SECRET_KEY"):
        Settings(environment="production")


def test_production_with_a_secret_key_starts(monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "a-long-random-production-secret")
    settings = Settings(environment="production")
    assert settings.secret_key == "a-long-random-production-secret"


def test_development_falls_back_to_a_development_key(monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.delenv("ENVIRONMENT", raising=False)
    assert Settings().secret_key == DEVELOPMENT_SECRET
    assert Settings(environment="test").secret_key == DEVELOPMENT_SECRET


# --- issue 10: trust under attack -------------------------------------------------------------------------------


def test_a_line_break_in_an_organisations_name_does_not_stop_the_mail(client, db, settings, mailbox):
    """Found: one subject with a line break raised outside the sender's try, and no mail left again, ever."""
    from consult.mail import deliver_pending
    from consult.models import OutboxMessage

    admin = make_user(db, email="ewa.nowak@example.pl")
    organisation = make_organisation(db, admin=admin, name="Klub\nBcc: victim@example.com")
    client.login(admin.email)
    client.submit(f"/organisations/{organisation.slug}/members/invite", {"email": "nowy@example.pl", "role": "member"})
    db.add(OutboxMessage(recipient="stary@example.pl", subject="Queued before the fix\r\nBcc: x@example.com", body="."))
    db.add(OutboxMessage(recipient="reset@example.pl", subject="Reset hasła", body="Link."))
    db.commit()
    deliver_pending(db, settings)

    assert {m["To"] for m in mailbox.messages} == {"nowy@example.pl", "stary@example.pl", "reset@example.pl"}
    assert all(m["Bcc"] is None and "\n" not in m["Subject"] for m in mailbox.messages)
    assert mailbox.last_to("nowy@example.pl")["Subject"].endswith("Klub Bcc: victim@example.com")


def test_a_message_the_smtp_server_refuses_waits_for_its_retry_and_the_rest_go(db, settings):
    from aiosmtpd.controller import Controller

    from consult.mail import deliver_pending, queue_mail, retry_at
    from consult.models import OutboxMessage, utcnow
    from tests.conftest import Mailbox, free_port

    class Refusing(Mailbox):
        async def handle_DATA(self, server, session, envelope):
            if "refused@example.pl" in envelope.rcpt_tos:
                return "554 5.7.1 Message rejected"
            return await super().handle_DATA(server, session, envelope)

    box = Refusing()
    controller = Controller(box, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        strict = settings.model_copy(update={"smtp_url": f"smtp://127.0.0.1:{controller.port}"})
        refused = queue_mail(db, "refused@example.pl", "Potwierdzenie", "Link.")
        queue_mail(db, "anna@example.pl", "Potwierdzenie", "Link.")
        db.commit()
        assert deliver_pending(db, strict) == 1
        assert deliver_pending(db, strict) == 0  # not due again yet: no hammering of the server
    finally:
        controller.stop()
    db.refresh(refused)
    assert [m["To"] for m in box.messages] == ["anna@example.pl"]
    assert refused.sent_at is None and refused.attempts == 1 and "554" in refused.last_error
    assert retry_at(refused) > utcnow()
    assert db.get(OutboxMessage, refused.id).attempts == 1


def consultation_page(client, db):
    from tests.factories import make_consultation

    consultation = make_consultation(db)
    return f"/consultations/{consultation.slug}"


def test_a_forged_host_is_refused_and_never_reaches_the_page_cache(client, db):
    url = consultation_page(client, db)
    forged = client.get(url, headers={"Host": "evil.example"})
    assert forged.status_code == 400
    assert client.app.state.page_cache.pages == {}
    links = [a["href"] for a in Tags(client.get(url).text).all("link") if a.get("rel") == "stylesheet"]
    assert links and all(urlsplit(href).netloc in ("", "testserver") for href in links)


@pytest.mark.parametrize("origin", ["https://testserver", "http://127.0.0.1"])
def test_a_page_asked_for_at_another_origin_is_never_kept_for_later_readers(app, client, db, origin):
    """A forged X-Forwarded-Proto (through a trusted proxy) or a loopback Host gives a page with other links."""
    url = consultation_page(client, db)
    with TestClient(app, base_url=origin) as elsewhere:
        assert elsewhere.get(url).status_code == 200
    assert app.state.page_cache.pages == {}
    scripts = [s["src"] for s in Tags(client.get(url).text).all("script") if s.get("src")]
    assert scripts and all(src.startswith(("/", "http://testserver/")) for src in scripts)
    assert all(key[:2] == ("http", "testserver") for key in app.state.page_cache.pages)


def test_head_on_an_edit_page_answers_like_get_without_a_body(client, db, signed_in):
    before = db.exec(select(Organisation.name)).all()
    response = client.head(f"/organisations/{signed_in.slug}/edit")
    assert response.status_code == 200 and response.content == b""
    assert response.headers["content-type"].startswith("text/html")
    db.rollback()
    assert db.exec(select(Organisation.name)).all() == before


@pytest.mark.parametrize(
    "path",
    [f"/comments/{2**64}", f"/comments/{2**63}/history", f"/receipts/{10**30}", "/organisations?page=" + "9" * 30],
)
def test_ids_and_page_numbers_beyond_64_bits_are_not_found(client, path):
    response = client.get(path)
    assert response.status_code == 404
    assert response.template.name == "errors/404.html"


def test_a_number_beyond_64_bits_in_a_form_is_a_field_error(client, db, signed_in):
    from tests.factories import make_consultation

    consultation = make_consultation(db)
    response = client.submit(
        f"/consultations/{consultation.slug}/comments", {"body": "Uwaga.", "organisation_id": str(2**64)}
    )
    assert response.status_code == 422
    assert polish("This number is too large.") in response.text


def test_the_year_one_as_a_date_is_a_field_error_with_the_text_kept(client, db):
    from tests.factories import make_consultation, make_official

    official, municipality = make_official(db)
    consultation = make_consultation(db, official=official, municipality=municipality)
    ngo = make_organisation(db)
    client.cookies.set("consult_lang", "en")
    client.login(official.email)
    response = client.submit(
        f"/consultations/{consultation.slug}/entries/new",
        {"organisation_id": str(ngo.id), "channel": "email", "received_at": "0001-01-01", "body": "Uwaga z e-maila."},
    )
    assert response.status_code == 422
    assert "Enter a date between 1900 and 2999." in response.text
    assert "Uwaga z e-maila." in response.text


def test_a_csrf_token_with_non_ascii_characters_is_refused_not_a_crash(settings):
    app = create_app(settings)
    try:
        with TestClient(app, base_url="http://testserver", raise_server_exceptions=False) as browser:
            header = browser.post("/logout", headers={"X-CSRF-Token": "zażółć".encode()})
            field = browser.post("/logout", data={"csrf_token": "zażółć"})
    finally:
        app.state.engine.dispose()
    assert header.status_code == field.status_code == 403
