"""Proposals in a consultation: submitting, the list by support or newest, withdrawing, the discussion, and the
proposals an official enters on an organisation's behalf; through HTTP in Polish (the default) and the actions."""

from __future__ import annotations

import json
from datetime import date, timedelta
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import pytest
from babel.dates import format_date
from sqlmodel import col, select

from consult.forms import DomainError
from consult.models import Comment, Consultation, Proposal, Record, Thread, User, Vote, utcnow
from consult.proposals import actions
from tests.factories import (
    add_member,
    fresh,
    ledger_events,
    make_consultation,
    make_official,
    make_organisation,
    make_proposal,
    make_user,
    paragraph_by_label,
    principal,
)
from tests.html import Element, page, summary_list

HTMX = {"HX-Request": "true"}
ENTER = "Wprowadź propozycję otrzymaną poza platformą"
LABEL = "§ 6 ust. 1"
WARSAW = ZoneInfo("Europe/Warsaw")
WINDOWS = {
    "scheduled": (timedelta(days=1), timedelta(days=21), "Konsultacje jeszcze się nie rozpoczęły."),
    "closed": (timedelta(days=-30), timedelta(days=14), "Konsultacje zostały zakończone."),
}

# --- reading pages and posting ---------------------------------------------------------------


def target(response) -> str:
    """Where a 303 sends the browser: path, query and anchor."""
    assert response.status_code == 303, (response.status_code, response.text[:800])
    parts = urlsplit(response.headers["location"])
    return parts.path + (f"?{parts.query}" if parts.query else "") + (f"#{parts.fragment}" if parts.fragment else "")


def field(html: Element, name: str) -> str:
    element = html.one(f"[name={name}]")
    if element.tag == "select":
        chosen = [o.get("value") for o in element.select("option[selected]")]
        return chosen[0] if chosen else ""
    return element.text if element.tag == "textarea" else element.get("value", "")


def options(html: Element, name: str) -> list[tuple[str, str]]:
    """The (value, text) of a select's options."""
    return [(o.get("value"), o.text) for o in html.select(f"select[name={name}] option")]


def error_of(html: Element, name: str) -> str:
    [found] = [e for e in html.select("p.field-error") if e.get("id", "").endswith(f"-{name}-error")]
    return found.text


def links(html: Element, text: str) -> list[str]:
    """Where the links with exactly this text lead."""
    return [a.get("href") for a in html.select("a") if a.text == text]


def log_in(client, user):
    """Logged in, the pages in Polish (the site's language)."""
    client.login(user.email)
    return client


def ngo_member(db, *, verified: bool = True, name: str = "Anna Kowalska", org: str | None = None):
    user = make_user(db, display_name=name)
    organisation = make_organisation(db, admin=user, verified=verified, name=org or f"Fundacja {name.split()[-1]}")
    return user, organisation


def proposals_url(consultation) -> str:
    return f"/consultations/{consultation.slug}/proposals"


def proposal_url(consultation, proposal) -> str:
    return f"{proposals_url(consultation)}/{proposal.id}"


def submit(client, consultation, **fields):
    data = {"organisation_id": "", "title": "", "body": "", "paragraph_key": "", "category": "", **fields}
    return client.submit(f"{proposals_url(consultation)}/new", data, follow_redirects=False)


def enter(client, consultation, **fields):
    data = {"organisation_id": "", "channel": "", "received_at": "", "title": "", "body": "", **fields}
    return client.submit(f"{proposals_url(consultation)}/enter", data, follow_redirects=False)


def freeze(db, consultation) -> None:
    """The consultation's record is published."""
    extra = {"body": "{}"} if "body" in Record.model_fields else {}
    db.add(Record(consultation_id=consultation.id, sha256="0" * 64, **extra))
    db.commit()


def set_window(db, consultation, opens_in: timedelta, lasts: timedelta) -> None:
    consultation.opens_at = utcnow() + opens_in
    consultation.closes_at = consultation.opens_at + lasts
    db.add(consultation)
    db.commit()


def today() -> date:
    return utcnow().astimezone(WARSAW).date()


def polish_date(day: date) -> str:
    return format_date(day, "d MMMM y", locale="pl") + " r."


# --- submitting ------------------------------------------------------------------------------


def test_submit_proposal_redirects_to_its_page_and_shows_it(client, db):
    consultation = make_consultation(db)
    paragraph = paragraph_by_label(db, consultation, LABEL)
    user, organisation = ngo_member(db, org="Fundacja Równe Szanse")
    log_in(client, user)

    form = page(client.get(f"{proposals_url(consultation)}/new")).one("form.proposal-form")
    assert field(form, "organisation_id") == str(organisation.id)
    assert (paragraph.key, LABEL) in options(form, "paragraph_key")
    assert "działalność na rzecz osób w wieku emerytalnym" in [o.get("value") for o in form.select("datalist option")]
    response = submit(
        client,
        consultation,
        organisation_id=str(organisation.id),
        title="Sport seniorów jako priorytet",
        body="Proponujemy **dopisać** sport seniorów.",
        paragraph_key=paragraph.key,
        category="działalność na rzecz osób w wieku emerytalnym",
    )

    proposal = db.exec(select(Proposal)).one()
    assert target(response) == proposal_url(consultation, proposal)
    shown = client.get(response.headers["location"])
    html = page(shown)
    assert html.one("h1").text == "Sport seniorów jako priorytet"
    assert "Twoja propozycja została zgłoszona." in html.one(".banner").text
    facts = summary_list(html)
    assert facts["Zgłaszający"] == "Fundacja Równe Szanse (Anna Kowalska)"
    assert facts["Część dokumentu"] == LABEL
    assert facts["Kategoria"] == "działalność na rzecz osób w wieku emerytalnym"
    assert links(html.one("dl.summary-list"), LABEL) == [f"/consultations/{consultation.slug}#p-{paragraph.key}"]
    assert html.one("article.proposal-detail .prose strong").text == "dopisać"
    assert html.one(f"#proposal-{proposal.id}-tally").text == "Za: 0 Przeciw: 0 Wstrzymujące się: 0"
    assert html.one(f"#thread-proposal-{proposal.id}-title").text.startswith("Uwagi do propozycji")
    thread = db.exec(select(Thread).where(Thread.owner_kind == "proposal")).one()
    assert (thread.owner_id, thread.consultation_id) == (str(proposal.id), consultation.id)


def test_submit_proposal_is_recorded_in_the_ledger_with_its_text_hash(client, db):
    consultation = make_consultation(db)
    user, organisation = ngo_member(db)

    proposal = make_proposal(db, consultation, author=user, organisation=organisation, category="sport")

    [event] = ledger_events(db, "proposal.submitted")
    assert (event.actor_id, event.subject_kind, event.subject_id) == (user.id, "proposal", str(proposal.id))
    payload = json.loads(event.payload)
    assert payload["organisation"] == organisation.id and len(payload["sha256"]) == 64
    client.login(user.email)  # a receipt is its author's side's (it names the author's id)
    receipt = client.get(f"/receipts/proposal/{proposal.id}")
    assert summary_list(page(receipt))["Czego dotyczy"] == "Złożenie propozycji"


def test_markdown_in_a_proposal_is_sanitised(client, db):
    consultation = make_consultation(db)
    body = "Zob. [BIP](https://bip.example.pl) i [to](javascript:alert(1)) <script>alert(2)</script> *ważne*"

    proposal = make_proposal(db, consultation, body=body)

    prose = page(client.get(proposal_url(consultation, proposal))).one("article.proposal-detail .prose")
    assert prose.select("script") == []
    assert [a.get("href") for a in prose.select("a")] == ["https://bip.example.pl"]
    assert prose.one("em").text == "ważne"


def test_proposal_without_title_comes_back_with_what_was_typed(client, db):
    consultation = make_consultation(db)
    user, organisation = ngo_member(db)
    log_in(client, user)

    response = submit(client, consultation, organisation_id=str(organisation.id), body="Treść bez tytułu.")

    assert response.status_code == 422
    form = page(response).one("form.proposal-form")
    assert error_of(form, "title") == "Błąd: To pole jest wymagane."
    assert field(form, "body") == "Treść bez tytułu."
    assert form.one(".error-summary a").get("href") == "#field-title"
    assert db.exec(select(Proposal)).all() == []


def test_proposal_on_an_unknown_paragraph_is_refused_beside_the_field(client, db):
    consultation = make_consultation(db)
    user, organisation = ngo_member(db)
    log_in(client, user)

    response = submit(
        client, consultation, organisation_id=str(organisation.id), title="Tytuł", body="Treść.", paragraph_key="nie-ma"
    )

    assert response.status_code == 422
    assert error_of(page(response), "paragraph_key") == "Błąd: Wybierz ustęp dokumentu z listy."
    assert db.exec(select(Proposal)).all() == []


def test_proposal_for_someone_elses_organisation_is_refused_and_keeps_the_text(client, db):
    consultation = make_consultation(db)
    user, _own = ngo_member(db)
    _other, other = ngo_member(db, name="Jan Nowak", org="Stowarzyszenie Cudze")
    log_in(client, user)

    response = submit(client, consultation, organisation_id=str(other.id), title="Podszywam się", body="Treść.")

    assert response.status_code == 403
    html = page(response)
    assert "Możesz pisać tylko w imieniu organizacji, do której należysz." in html.one(".error-summary").text
    assert field(html, "title") == "Podszywam się" and field(html, "body") == "Treść."
    assert db.exec(select(Proposal)).all() == []


def test_proposal_for_an_unverified_organisation_is_refused(client, db):
    consultation = make_consultation(db)  # verified organisations only
    user, organisation = ngo_member(db, verified=False)
    log_in(client, user)

    response = submit(client, consultation, organisation_id=str(organisation.id), title="Nasz pomysł", body="Treść.")

    assert response.status_code == 403
    assert "mogą brać udział tylko zweryfikowane organizacje." in page(response).one(".error-summary").text
    assert db.exec(select(Proposal)).all() == []


@pytest.mark.parametrize("window", ["scheduled", "closed"])
def test_proposal_outside_the_window_is_refused_and_keeps_the_text(client, db, window):
    opens_in, lasts, message = WINDOWS[window]
    consultation = make_consultation(db, opens_in=opens_in, lasts=lasts)
    user, organisation = ngo_member(db)
    log_in(client, user)

    shown = page(client.get(f"{proposals_url(consultation)}/new"))
    response = submit(client, consultation, organisation_id=str(organisation.id), title="Spóźniona", body="Treść.")

    assert message in shown.one(".closed-note").text and shown.select("form.proposal-form") == []
    assert response.status_code == 409
    assert message in page(response).one(".error-summary").text
    assert field(page(response), "title") == "Spóźniona"
    assert db.exec(select(Proposal)).all() == []


def test_proposal_in_a_consultation_with_a_published_record_is_refused(db):
    consultation = make_consultation(db)
    user, organisation = ngo_member(db)
    freeze(db, consultation)

    with pytest.raises(DomainError) as refused:
        make_proposal(db, consultation, author=user, organisation=organisation)

    assert refused.value.status_code == 409


def test_anonymous_visitor_is_sent_to_log_in_for_the_form(client, db):
    consultation = make_consultation(db)

    shown = client.get(f"{proposals_url(consultation)}/new", follow_redirects=False)
    posted = submit(client, consultation, title="Anonim", body="Treść.")

    for response in (shown, posted):
        assert urlsplit(response.headers["location"]).path == "/login"
    assert db.exec(select(Proposal)).all() == []


def test_unconfirmed_user_may_not_submit(db):
    consultation = make_consultation(db, participation="signed_in")
    user = make_user(db, confirmed=False)

    with pytest.raises(DomainError) as refused:
        actions.submit_proposal(db, principal(db, user), consultation, actions.ProposalInput(title="Tytuł", body="T"))

    assert refused.value.status_code == 403


def test_resident_proposes_as_themselves_where_any_signed_in_user_may(client, db):
    consultation = make_consultation(db, participation="signed_in")
    resident = make_user(db, display_name="Piotr Mieszkaniec")
    log_in(client, resident)

    response = submit(client, consultation, title="Ławki w parku", body="Więcej ławek.")

    proposal = db.exec(select(Proposal)).one()
    assert target(response) == proposal_url(consultation, proposal) and proposal.organisation_id is None
    assert summary_list(page(client.get(response.headers["location"])))["Zgłaszający"] == "Piotr Mieszkaniec"


# --- the list --------------------------------------------------------------------------------


def _vote(db, proposal, choice: str) -> None:
    voter = make_organisation(db, verified=True)
    db.add(Vote(proposal_id=proposal.id, organisation_id=voter.id, choice=choice, cast_by_id=proposal.author_id))
    db.commit()


@pytest.fixture
def three_proposals(db):
    """Popular (2 for, 1 against), Disputed (2 for, 2 against), Newest (no votes): made in this order."""
    consultation = make_consultation(db)
    made = {}
    for title, votes in (("Popularna", "ffa"), ("Sporna", "ffaa"), ("Najnowsza", "")):
        made[title] = make_proposal(db, consultation, title=title)
        for v in votes:
            _vote(db, made[title], {"f": "for", "a": "against"}[v])
    return consultation, made


def test_list_orders_by_most_support_then_fewest_against(client, db, three_proposals):
    consultation, made = three_proposals

    html = page(client.get(proposals_url(consultation)))

    assert html.texts("li.proposal h2") == ["Popularna", "Sporna", "Najnowsza"]
    assert html.one(f"#proposal-{made['Sporna'].id}-tally").text == "Za: 2 Przeciw: 2 Wstrzymujące się: 0"
    assert html.one(".result-count").text == "3 propozycje"
    assert html.one(".sort-links [aria-current=page]").text == "Największe poparcie"


def test_list_orders_by_newest(client, db, three_proposals):
    consultation, _made = three_proposals

    html = page(client.get(f"{proposals_url(consultation)}?sort=newest"))

    assert html.texts("li.proposal h2") == ["Najnowsza", "Sporna", "Popularna"]
    assert html.one(".sort-links [aria-current=page]").text == "Najnowsze"


def test_list_puts_withdrawn_proposals_last_with_their_mark(client, db, three_proposals):
    consultation, made = three_proposals
    proposal = made["Popularna"]
    author = db.get(User, proposal.author_id)
    actions.withdraw_proposal(db, principal(db, author), proposal, consultation)

    html = page(client.get(proposals_url(consultation)))

    assert html.texts("li.proposal h2") == ["Sporna", "Najnowsza", "Popularna"]
    assert html.one(f"li#proposal-{proposal.id} .withdrawn-mark").text == "Wycofana przez autora."


def test_list_pages_by_twenty_with_the_pagination_links(client, db):
    consultation = make_consultation(db)
    author, organisation = ngo_member(db)
    for n in range(21):
        make_proposal(db, consultation, author=author, organisation=organisation, title=f"Propozycja {n:02d}")

    first = page(client.get(f"{proposals_url(consultation)}?sort=newest"))
    second = page(client.get(f"{proposals_url(consultation)}?sort=newest&page=2"))

    assert len(first.select("li.proposal")) == 20 and second.texts("li.proposal h2") == ["Propozycja 00"]
    assert first.one(".pagination a[rel=next]").get("href") == f"{proposals_url(consultation)}?sort=newest&page=2"


def test_consultation_page_links_its_proposals_and_the_form_while_open(client, db, three_proposals):
    consultation, _made = three_proposals
    member, _organisation = ngo_member(db)

    visitor = page(client.get(f"/consultations/{consultation.slug}")).one("section.proposals-summary")
    section = page(log_in(client, member).get(f"/consultations/{consultation.slug}")).one("section.proposals-summary")

    assert section.one("h2").text == "Propozycje"
    assert "3 propozycje" in section.text
    links = {a.text: a.get("href") for a in section.select("a")}
    assert links["Propozycje i głosy organizacji"] == proposals_url(consultation)
    assert links["Zgłoś propozycję"] == f"{proposals_url(consultation)}/new"
    to_log_in = {a.text: a.get("href") for a in visitor.select("a")}["Zaloguj się, aby zgłosić propozycję"]
    assert to_log_in == f"/login?next=/consultations/{consultation.slug}/proposals/new"


def test_closed_consultation_page_offers_no_proposal_form(client, db):
    consultation = make_consultation(db, opens_in=timedelta(days=-30), lasts=timedelta(days=14))

    section = page(client.get(f"/consultations/{consultation.slug}")).one("section.proposals-summary")
    listing = page(client.get(proposals_url(consultation)))

    assert "Zgłoś propozycję" not in section.text
    assert "Konsultacje zostały zakończone." in listing.one(".closed-note").text


def test_proposal_of_another_consultation_is_404(client, db):
    consultation = make_consultation(db)
    other = make_consultation(db)
    proposal = make_proposal(db, other)

    assert client.get(proposal_url(consultation, proposal)).status_code == 404
    assert client.get(f"{proposals_url(consultation)}/999999").status_code == 404


# --- withdrawing -----------------------------------------------------------------------------


def test_author_withdraws_and_the_mark_stays(client, db):
    consultation = make_consultation(db)
    user, organisation = ngo_member(db)
    proposal = make_proposal(db, consultation, author=user, organisation=organisation)
    log_in(client, user)

    button = page(client.get(proposal_url(consultation, proposal))).one("form.withdraw-form")
    response = client.submit(button.get("action"), follow_redirects=False)

    assert target(response) == proposal_url(consultation, proposal)
    html = page(client.get(response.headers["location"]))
    assert html.one(".withdrawn-mark").text == "Wycofana przez autora."
    assert html.select("form.withdraw-form") == [] and html.select("form.vote-form") == []
    assert "nie można już na nią głosować" in html.one(f"#proposal-{proposal.id}-vote").text
    assert "dyskusja nad nią jest zamknięta" in html.one(f"#thread-proposal-{proposal.id}-form").text
    fresh(db)
    assert db.get(Proposal, proposal.id).status == "withdrawn"
    assert [e.subject_id for e in ledger_events(db, "proposal.withdrawn")] == [str(proposal.id)]


def test_withdraw_by_someone_else_is_refused(client, db):
    consultation = make_consultation(db)
    proposal = make_proposal(db, consultation)
    other, _org = ngo_member(db, name="Jan Obcy")
    log_in(client, other)

    page_html = page(client.get(proposal_url(consultation, proposal)))
    response = client.submit(f"{proposal_url(consultation, proposal)}/withdraw", follow_redirects=False)

    assert page_html.select("form.withdraw-form") == []
    assert response.status_code == 403 and "Tylko autor może wycofać tę propozycję." in page(response).text
    fresh(db)
    assert db.get(Proposal, proposal.id).status == "visible"


def test_withdraw_after_the_close_is_refused(client, db):
    consultation = make_consultation(db)
    user, organisation = ngo_member(db)
    proposal = make_proposal(db, consultation, author=user, organisation=organisation)
    set_window(db, consultation, timedelta(days=-30), timedelta(days=14))
    log_in(client, user)

    response = client.submit(f"{proposal_url(consultation, proposal)}/withdraw", follow_redirects=False)

    assert response.status_code == 409
    assert "propozycji nie można już wycofać" in page(response).text
    fresh(db)
    assert db.get(Proposal, proposal.id).status == "visible"


def test_withdraw_twice_is_refused(db):
    consultation = make_consultation(db)
    user, organisation = ngo_member(db)
    proposal = make_proposal(db, consultation, author=user, organisation=organisation)
    actions.withdraw_proposal(db, principal(db, user), proposal, consultation)

    with pytest.raises(DomainError) as refused:
        actions.withdraw_proposal(db, principal(db, user), proposal, consultation)

    assert refused.value.status_code == 409


# --- the discussion --------------------------------------------------------------------------


def test_comment_on_a_proposal_goes_to_its_own_thread(client, db):
    consultation = make_consultation(db)
    proposal = make_proposal(db, consultation)
    user, organisation = ngo_member(db, name="Jan Komentujący")
    log_in(client, user)

    form = page(client.get(proposal_url(consultation, proposal))).one(f"#thread-proposal-{proposal.id}-form form")
    assert form.one("h4").text == "Uwaga do propozycji"
    response = client.submit(
        form.get("action"),
        {"organisation_id": str(organisation.id), "body": "Popieramy.", "paragraph": ""},
        follow_redirects=False,
    )

    comment = db.exec(select(Comment)).one()
    assert target(response) == f"{proposal_url(consultation, proposal)}?page=1#comment-{comment.id}"
    thread = db.get(Thread, comment.thread_id)
    assert (thread.owner_kind, thread.owner_id) == ("proposal", str(proposal.id))
    html = page(client.get(response.headers["location"]))
    assert html.one(f"#thread-proposal-{proposal.id}-list article#comment-{comment.id} .prose").text == "Popieramy."
    reply_page = page(client.get(f"/comments/{comment.id}/reply"))
    crumbs = [(a.text, a.get("href")) for a in reply_page.select("nav.breadcrumbs a")]
    assert crumbs[-1] == ("Uwagi do propozycji", proposal_url(consultation, proposal))


def test_comment_on_a_proposal_with_htmx_returns_the_comment_and_a_fresh_form(client, db):
    consultation = make_consultation(db)
    proposal = make_proposal(db, consultation)
    user, organisation = ngo_member(db)
    log_in(client, user)

    response = client.submit(
        f"{proposal_url(consultation, proposal)}/comments",
        {"organisation_id": str(organisation.id), "body": "Dobry pomysł."},
        headers=HTMX,
    )

    assert response.status_code == 200 and response.template.name == "comments/_posted.html"
    html = page(response)
    assert html.one(f"#thread-proposal-{proposal.id}-form").get("hx-swap-oob") == "true"
    assert html.one(f"#thread-proposal-{proposal.id}-count").text == "1"


def test_comment_on_a_withdrawn_proposal_is_refused(client, db):
    consultation = make_consultation(db)
    user, organisation = ngo_member(db)
    proposal = make_proposal(db, consultation, author=user, organisation=organisation)
    actions.withdraw_proposal(db, principal(db, user), proposal, consultation)
    log_in(client, user)

    response = client.submit(
        f"{proposal_url(consultation, proposal)}/comments",
        {"organisation_id": str(organisation.id), "body": "Jeszcze jedno."},
        follow_redirects=False,
    )

    assert response.status_code == 409
    assert field(page(response).one(f"#thread-proposal-{proposal.id}-form form"), "body") == "Jeszcze jedno."
    assert db.exec(select(Comment)).all() == []


# --- proposals received outside the platform -------------------------------------------------


@pytest.fixture
def official(db):
    user, municipality = make_official(db)
    return user, municipality


def test_official_enters_a_proposal_received_by_email_marked_in_every_view(client, db, official):
    user, municipality = official
    consultation = make_consultation(db, official=user, municipality=municipality)
    sender = make_organisation(db, name="Koło Gospodyń Wiejskich w Olszance", verified=True)
    log_in(client, user)

    listing = page(client.get(proposals_url(consultation)))
    [entry] = links(listing, ENTER)
    assert entry == f"{proposals_url(consultation)}/enter"
    form = page(client.get(entry)).one("form.proposal-form")
    assert (str(sender.id), sender.name) in options(form, "organisation_id")
    assert str(municipality.id) not in dict(options(form, "organisation_id"))
    response = enter(
        client,
        consultation,
        organisation_id=str(sender.id),
        channel="email",
        received_at=today().isoformat(),
        title="Dożynki gminne",
        body="Prosimy o wsparcie dożynek.",
    )

    proposal = db.exec(select(Proposal)).one()
    assert target(response) == proposal_url(consultation, proposal)
    assert (proposal.channel, proposal.author_id, proposal.organisation_id) == ("email", user.id, sender.id)
    mark = f"Otrzymana e-mailem {polish_date(today())}"
    detail = page(client.get(response.headers["location"]))
    assert detail.one(".channel-mark").text == mark
    assert "Propozycja została wprowadzona." in detail.one(".banner").text
    assert summary_list(detail)["Zgłaszający"] == "Koło Gospodyń Wiejskich w Olszance"
    assert page(client.get(proposals_url(consultation))).one(f"li#proposal-{proposal.id} .channel-mark").text == mark
    [event] = ledger_events(db, "proposal.entered")
    assert '"channel":"email"' in event.payload and f'"received_on":"{today().isoformat()}"' in event.payload


def test_official_enters_a_paper_proposal_after_the_close(client, db, official):
    user, municipality = official
    consultation = make_consultation(
        db, official=user, municipality=municipality, opens_in=timedelta(days=-20), lasts=timedelta(days=14)
    )
    sender = make_organisation(db, name="OSP w Wierzbnie")
    log_in(client, user)

    received = today() - timedelta(days=7)
    response = enter(
        client,
        consultation,
        organisation_id=str(sender.id),
        channel="paper",
        received_at=received.isoformat(),
        title="Remont remizy",
        body="Wniosek złożony w sekretariacie.",
    )

    proposal = db.exec(select(Proposal)).one()
    assert target(response) == proposal_url(consultation, proposal)
    detail = page(client.get(response.headers["location"]))
    assert detail.one(".channel-mark").text == f"Otrzymana na piśmie {polish_date(received)}"
    assert "Konsultacje zostały zakończone." in detail.one(f"#proposal-{proposal.id}-vote").text


def test_entering_after_the_record_is_published_is_refused(client, db, official):
    user, municipality = official
    consultation = make_consultation(
        db, official=user, municipality=municipality, opens_in=timedelta(days=-20), lasts=timedelta(days=14)
    )
    sender = make_organisation(db)
    freeze(db, consultation)
    log_in(client, user)

    response = enter(
        client,
        consultation,
        organisation_id=str(sender.id),
        channel="meeting",
        received_at=(today() - timedelta(days=10)).isoformat(),
        title="Za późno",
        body="Treść.",
    )

    assert response.status_code == 409
    assert "Protokół z konsultacji został opublikowany" in page(response).one(".error-summary").text
    assert field(page(response), "title") == "Za późno"
    assert links(page(client.get(proposals_url(consultation))), ENTER) == []


@pytest.mark.parametrize(
    ("change", "name", "message"),
    [
        ({"received_at": "tomorrow"}, "received_at", "Data wpływu musi przypadać"),
        ({"received_at": "before"}, "received_at", "Data wpływu musi przypadać"),
        ({"channel": "platform"}, "channel", "Wybierz, w jaki sposób propozycja wpłynęła do gminy."),
        ({"organisation_id": "999999"}, "organisation_id", "Wybierz organizację, która przesłała propozycję."),
    ],
    ids=["future", "before-opening", "channel", "organisation"],
)
def test_outside_entry_with_bad_details_is_refused_beside_the_field(client, db, official, change, name, message):
    user, municipality = official
    consultation = make_consultation(db, official=user, municipality=municipality)
    sender = make_organisation(db)
    log_in(client, user)
    days = {"tomorrow": today() + timedelta(days=1), "before": today() - timedelta(days=5)}
    data = {"organisation_id": str(sender.id), "channel": "paper", "received_at": today().isoformat(), **change}
    data["received_at"] = days.get(data["received_at"], data["received_at"]).__str__()

    response = enter(client, consultation, title="Wniosek", body="Treść wniosku.", **data)

    assert response.status_code == 422
    assert message in error_of(page(response), name)
    assert field(page(response), "body") == "Treść wniosku."
    assert db.exec(select(Proposal)).all() == []


@pytest.mark.parametrize("who", ["ngo_admin", "other_official"])
def test_outside_entry_is_refused_to_anyone_but_the_municipalitys_officials(client, db, official, who):
    user, municipality = official
    consultation = make_consultation(db, official=user, municipality=municipality)
    sender = make_organisation(db)
    intruder = ngo_member(db)[0] if who == "ngo_admin" else make_official(db)[0]
    log_in(client, intruder)

    shown = client.get(f"{proposals_url(consultation)}/enter")
    posted = enter(
        client,
        consultation,
        organisation_id=str(sender.id),
        channel="paper",
        received_at=today().isoformat(),
        title="Wniosek",
        body="Treść.",
    )

    assert shown.status_code == posted.status_code == 403
    assert posted.template.name == "errors/403.html"
    assert db.exec(select(Proposal)).all() == []


def test_outside_entry_before_the_opening_is_refused(db, official):
    user, municipality = official
    consultation = make_consultation(db, official=user, municipality=municipality, opens_in=timedelta(days=2))
    sender = make_organisation(db)
    data = actions.OutsideProposalInput(
        title="Za wcześnie", body="Treść.", organisation_id=sender.id, channel="paper", received_at=today()
    )

    with pytest.raises(DomainError) as refused:
        actions.enter_proposal(db, principal(db, user), consultation, data)

    assert refused.value.status_code == 409


def test_official_member_of_the_municipality_sees_the_entry_link_others_do_not(client, db, official):
    user, municipality = official
    consultation = make_consultation(db, official=user, municipality=municipality)
    member = make_user(db)
    add_member(db, municipality, member)  # a plain member of the municipality is not an official

    log_in(client, member)
    assert links(page(client.get(proposals_url(consultation))), ENTER) == []


# --- the demo --------------------------------------------------------------------------------


def test_demo_has_two_proposals_with_votes_loaded_once(settings, monkeypatch, client, db):
    from consult.cli import main as cli

    monkeypatch.setenv("DATABASE_URL", settings.database_url)
    assert cli(["demo"]) == 0
    assert cli(["demo"]) == 0

    fresh(db)
    consultation = db.exec(select(Consultation).where(Consultation.slug == "program-wspolpracy-2027")).one()
    ours = db.exec(select(Proposal.id).where(Proposal.consultation_id == consultation.id)).all()
    assert len(ours) == 2 and len(db.exec(select(Vote).where(col(Vote.proposal_id).in_(ours))).all()) == 5
    html = page(client.get("/consultations/program-wspolpracy-2027/proposals"))
    assert html.texts("li.proposal h2") == [
        "Zajęcia ruchowe dla seniorów w każdym sołectwie",
        "Mikrogranty na inicjatywy młodzieżowe",
    ]
    assert html.select("li.proposal .tally")[0].text == "Za: 2 Przeciw: 0 Wstrzymujące się: 1"
    assert cli(["verify"]) == 0


# --- nobody is offered a form they may not use -----------------------------------------------------


def proposal_region(client, consultation) -> tuple[Element, Element]:
    """The proposals' part of the consultation's page, and the list of proposals."""
    detail = page(client.get(f"/consultations/{consultation.slug}")).one("section.proposals-summary")
    return detail, page(client.get(proposals_url(consultation))).one("main")


def test_a_resident_is_told_why_instead_of_being_offered_a_proposal_in_an_organisations_only_consultation(client, db):
    consultation = make_consultation(db, participation="verified_organisations")
    resident = make_user(db)
    log_in(client, resident)

    for region in proposal_region(client, consultation):
        assert links(region, "Zgłoś propozycję") == []
        refusal = region.one(".proposal-refusal")
        assert refusal.text.startswith("W tych konsultacjach propozycje zgłaszają wyłącznie członkowie")
        assert links(refusal, "Twoje organizacje") == ["/my/organisations"]
    form = page(client.get(f"{proposals_url(consultation)}/new"))
    assert form.select("form.proposal-form") == []


def test_a_member_of_an_unverified_organisation_is_told_why_too(client, db):
    consultation = make_consultation(db, participation="verified_organisations")
    member, _organisation = ngo_member(db, verified=False)
    log_in(client, member)
    for region in proposal_region(client, consultation):
        assert links(region, "Zgłoś propozycję") == [] and region.one(".proposal-refusal")


def test_the_consulting_municipalitys_official_is_told_it_answers_proposals(client, db, official):
    user, municipality = official
    consultation = make_consultation(db, official=user, municipality=municipality)
    proposal = make_proposal(db, consultation)
    log_in(client, user)

    for region in proposal_region(client, consultation):
        assert links(region, "Zgłoś propozycję") == []
        assert region.one(".proposal-refusal").text.startswith("Gmina prowadząca konsultacje odpowiada na propozycje")
    votes = page(client.get(proposal_url(consultation, proposal))).one(f"#proposal-{proposal.id}-vote")
    assert votes.select("form") == []
    assert "nie głosuje" in votes.text


def test_a_resident_is_offered_the_proposal_where_any_signed_in_user_may(client, db):
    consultation = make_consultation(db, participation="signed_in")
    log_in(client, make_user(db))
    for region in proposal_region(client, consultation):
        assert links(region, "Zgłoś propozycję") == [f"{proposals_url(consultation)}/new"]


# --- hiding a proposal with a public reason ----------------------------------------------------------


def test_the_official_hides_a_proposal_with_a_public_reason_and_restores_it(client, db, official):
    user, municipality = official
    consultation = make_consultation(db, official=user, municipality=municipality)
    proposal = make_proposal(db, consultation, title="Reklama sklepu", body="Kupujcie w naszym sklepie!")
    voter, voting = ngo_member(db, name="Jan Głosujący")
    log_in(client, user)
    url = proposal_url(consultation, proposal)

    shown = page(client.get(url))
    assert links(shown, "Ukryj propozycję") == [f"{url}/hide"]
    empty = client.submit(f"{url}/hide", {"reason": ""}, follow_redirects=False)
    assert empty.status_code == 422 and error_of(page(empty), "reason") == "Błąd: To pole jest wymagane."
    hidden = client.submit(f"{url}/hide", {"reason": "Reklama, nie propozycja."}, follow_redirects=False)
    assert target(hidden) == url
    review = page(client.get(f"/consultations/{consultation.slug}/review")).one(f"#contribution-proposal-{proposal.id}")
    assert review.one(".moderation-note").text == "Ukryte przez moderatorów."  # as a hidden comment: no text
    assert "Reklama sklepu" not in review.text and "Kupujcie" not in review.text

    client.cookies.clear()
    public = page(client.get(url))
    assert public.one("h1").text == "Propozycja ukryta przez moderatorów"
    assert (
        public.one(f"#proposal-{proposal.id}-hidden").text
        == "Ukryta przez moderatorów. Powód: Reklama, nie propozycja."
    )
    assert "Kupujcie" not in public.text and "Reklama sklepu" not in public.text
    listed = page(client.get(proposals_url(consultation))).one(f"li#proposal-{proposal.id}")
    assert listed.one("h2").text == "Propozycja ukryta przez moderatorów" and "Reklama sklepu" not in listed.text
    assert "Reklama, nie propozycja." in listed.one(".moderation-note").text
    assert (
        "0 propozycji" in page(client.get(f"/consultations/{consultation.slug}")).one("section.proposals-summary").text
    )

    log_in(client, voter)
    vote = client.submit(f"{url}/vote", {"organisation_id": str(voting.id), "choice": "for"}, follow_redirects=False)
    assert vote.status_code == 409 and db.exec(select(Vote)).all() == []
    assert (
        page(client.get(url))
        .one(f"#proposal-{proposal.id}-vote .closed-note")
        .text.startswith("Ta propozycja została ukryta")
    )

    client.cookies.clear()
    log_in(client, user)
    restored = client.submit(f"{url}/restore", follow_redirects=False)
    assert target(restored) == url
    assert page(client.get(url)).one("h1").text == "Reklama sklepu"
    assert [e.action for e in ledger_events(db) if e.subject_kind == "proposal"][-2:] == [
        "proposal.hidden",
        "proposal.restored",
    ]
    assert '"reason":"Reklama, nie propozycja."' in ledger_events(db, "proposal.hidden")[0].payload


@pytest.mark.parametrize("who", ["visitor", "author", "ngo member", "official elsewhere"])
def test_only_the_municipalitys_officials_and_admins_hide_proposals(client, db, official, who):
    user, municipality = official
    consultation = make_consultation(db, official=user, municipality=municipality)
    author, organisation = ngo_member(db)
    proposal = make_proposal(db, consultation, author=author, organisation=organisation)
    person = {
        "visitor": None,
        "author": author,
        "ngo member": ngo_member(db, name="Inna Osoba")[0],
        "official elsewhere": make_official(db)[0],
    }[who]
    if person is not None:
        log_in(client, person)
    url = proposal_url(consultation, proposal)

    assert links(page(client.get(url)), "Ukryj propozycję") == []
    shown = client.get(f"{url}/hide", follow_redirects=False)
    sent = client.submit(f"{url}/hide", {"reason": "Nie podoba mi się."}, follow_redirects=False)
    assert shown.status_code in (303, 403) and sent.status_code in (303, 403)
    with pytest.raises(DomainError):
        from consult.proposals.moderation import ProposalModerationInput, hide_proposal

        hide_proposal(
            db,
            principal(db, person) if person else None,
            proposal,
            consultation,
            ProposalModerationInput(reason="x" * 5),
        )
    assert fresh_status(db, proposal) == "visible"


def fresh_status(db, proposal) -> str:
    fresh(db)
    return db.get(Proposal, proposal.id).status


def test_a_hidden_proposal_is_hidden_in_the_record_and_needs_no_answer(db, official):
    from consult.answers.contributions import progress
    from consult.proposals.moderation import ProposalModerationInput, hide_proposal
    from consult.records.actions import RecordInput, publish_record
    from tests.factories import close_consultation

    user, municipality = official
    consultation = make_consultation(db, official=user, municipality=municipality)
    proposal = make_proposal(db, consultation, title="Do ukrycia", body="Treść do ukrycia.")
    hide_proposal(db, principal(db, user), proposal, consultation, ProposalModerationInput(reason="Spam."))
    close_consultation(db, consultation)
    assert progress(db, consultation).total == 0
    record = publish_record(db, principal(db, user), consultation, RecordInput())
    from consult.records.snapshot import load

    [row] = load(db, record)["proposals"]
    assert (row["status"], row["status_reason"], row["title"], row["body"]) == ("hidden", "Spam.", None, None)
    assert load(db, record)["counts"]["hidden"] == 1
    with pytest.raises(DomainError) as frozen:
        from consult.proposals.moderation import restore_proposal

        restore_proposal(db, principal(db, user), proposal, consultation)
    assert frozen.value.status_code == 409
