"""Votes on proposals: one per organisation, for/against/abstain, changed until the close; who votes for an
organisation (its admins and the members they designate); every refusal; tallies in place with htmx and on the list."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from consult.forms import DomainError
from consult.models import Membership, Proposal, User, Vote
from consult.proposals import actions, votes
from tests.factories import (
    add_member,
    fresh,
    ledger_events,
    make_consultation,
    make_official,
    make_organisation,
    make_proposal,
    make_user,
    principal,
)
from tests.html import page, summary_list
from tests.test_proposals import WINDOWS, error_of, field, freeze, log_in, proposal_url, set_window, target

HTMX = {"HX-Request": "true"}


def ngo(db, *, verified: bool = True, name: str = "Stowarzyszenie Razem", admin_name: str = "Ewa Nowak"):
    """A verified NGO and its admin (who votes for it)."""
    admin = make_user(db, display_name=admin_name)
    return admin, make_organisation(db, admin=admin, verified=verified, name=name)


def vote(client, consultation, proposal, organisation_id, choice, *, headers=None):
    return client.submit(
        f"{proposal_url(consultation, proposal)}/vote",
        {"organisation_id": str(organisation_id), "choice": choice},
        headers=headers or {},
        follow_redirects=False,
    )


def stored(db) -> list[tuple[int, str]]:
    fresh(db)
    return [(v.organisation_id, v.choice) for v in db.exec(select(Vote).order_by(Vote.organisation_id)).all()]


@pytest.fixture
def setting(db):
    """An open consultation with one proposal; Stowarzyszenie Razem's admin Ewa Nowak is about to vote."""
    consultation = make_consultation(db)
    proposal = make_proposal(db, consultation, title="Sport seniorów")
    admin, organisation = ngo(db)
    return consultation, proposal, admin, organisation


# --- casting and changing --------------------------------------------------------------------


def test_admin_votes_and_comes_back_to_the_proposal_with_the_tally(client, db, setting):
    consultation, proposal, admin, organisation = setting
    log_in(client, admin)

    form = page(client.get(proposal_url(consultation, proposal))).one("form.vote-form")
    assert field(form, "organisation_id") == str(organisation.id)
    assert [r.get("value") for r in form.select("input[type=radio]")] == ["for", "against", "abstain"]
    response = vote(client, consultation, proposal, organisation.id, "for")

    assert target(response) == f"{proposal_url(consultation, proposal)}#proposal-{proposal.id}-vote"
    html = page(client.get(response.headers["location"]))
    assert "Głos organizacji Stowarzyszenie Razem został zapisany: za." in html.one(".banner").text
    assert html.one(f"#proposal-{proposal.id}-tally").text == "Za: 1 Przeciw: 0 Wstrzymujące się: 0"
    region = html.one(f"#proposal-{proposal.id}-vote")
    assert "Głos organizacji Stowarzyszenie Razem: za" in region.one(".our-votes").text
    assert region.one("input[checked]").get("value") == "for"
    assert stored(db) == [(organisation.id, "for")]


def test_vote_with_htmx_returns_the_form_and_the_tally_out_of_band(client, db, setting):
    consultation, proposal, admin, organisation = setting
    log_in(client, admin)

    response = vote(client, consultation, proposal, organisation.id, "abstain", headers=HTMX)

    assert response.status_code == 200 and response.template.name == "proposals/_voted.html"
    assert "<html" not in response.text
    html = page(response)
    region = html.one(f"div#proposal-{proposal.id}-vote")
    assert region.one("p.notice[role=status]").text == (
        "Głos organizacji Stowarzyszenie Razem został zapisany: wstrzymanie się od głosu."
    )
    assert region.one("form").get("hx-target") == f"#proposal-{proposal.id}-vote"
    tally = html.one(f"#proposal-{proposal.id}-tally")
    assert tally.get("hx-swap-oob") == "true"
    assert tally.text == "Za: 0 Przeciw: 0 Wstrzymujące się: 1"


def test_changed_vote_replaces_the_first_one(client, db, setting):
    consultation, proposal, admin, organisation = setting
    log_in(client, admin)

    vote(client, consultation, proposal, organisation.id, "for")
    response = vote(client, consultation, proposal, organisation.id, "against", headers=HTMX)

    assert page(response).one(f"#proposal-{proposal.id}-tally").text == "Za: 0 Przeciw: 1 Wstrzymujące się: 0"
    assert stored(db) == [(organisation.id, "against")]
    events = ledger_events(db, "vote.cast")
    assert [e.payload for e in events] == [
        f'{{"choice":"{choice}","organisation":{organisation.id},"proposal":{proposal.id}}}'
        for choice in ("for", "against")
    ]
    vote_id = db.exec(select(Vote.id)).one()
    assert {(e.actor_id, e.subject_kind, e.subject_id) for e in events} == {(admin.id, "vote", str(vote_id))}


def test_vote_has_a_receipt(client, db, setting):
    consultation, proposal, admin, organisation = setting
    log_in(client, admin)
    vote(client, consultation, proposal, organisation.id, "for")
    vote_id = db.exec(select(Vote.id)).one()

    region = page(client.get(proposal_url(consultation, proposal))).one(f"#proposal-{proposal.id}-vote")
    receipt = client.get(region.one(".our-votes a").get("href"))

    assert region.one(".our-votes a").get("href") == f"/receipts/vote/{vote_id}"
    assert summary_list(page(receipt))["Czego dotyczy"] == "Oddanie głosu"


def test_tallies_are_shown_on_the_list(client, db, setting):
    consultation, proposal, admin, organisation = setting
    for choice in ("for", "for", "against"):
        voter_admin, voter = ngo(db, name=f"Fundacja {choice} {len(stored(db))}")
        votes.cast_vote(db, principal(db, voter_admin), proposal, voter.id, choice)

    html = page(client.get(f"/consultations/{consultation.slug}/proposals"))

    assert html.one(f"li#proposal-{proposal.id} #proposal-{proposal.id}-tally").text == (
        "Za: 2 Przeciw: 1 Wstrzymujące się: 0"
    )


def test_person_voting_for_several_organisations_chooses_which(client, db, setting):
    consultation, proposal, admin, organisation = setting
    second = make_organisation(db, admin=admin, verified=True, name="Klub Sportowy Orzeł")
    unverified = make_organisation(db, admin=admin, name="Grupa Nieformalna")  # not offered: verified only
    log_in(client, admin)

    form = page(client.get(proposal_url(consultation, proposal))).one("form.vote-form")
    options = [(o.get("value"), o.text) for o in form.select("select[name=organisation_id] option")]
    response = vote(client, consultation, proposal, second.id, "against")

    assert options == [(str(second.id), "Klub Sportowy Orzeł"), (str(organisation.id), "Stowarzyszenie Razem")]
    assert str(unverified.id) not in dict(options)
    assert response.status_code == 303
    vote(client, consultation, proposal, organisation.id, "for")
    assert stored(db) == sorted([(second.id, "against"), (organisation.id, "for")])
    region = page(client.get(proposal_url(consultation, proposal))).one(f"#proposal-{proposal.id}-vote")
    assert region.texts(".our-votes li") == [
        "Głos organizacji Klub Sportowy Orzeł: przeciw potwierdzenie",
        "Głos organizacji Stowarzyszenie Razem: za potwierdzenie",
    ]


# --- who votes for an organisation -----------------------------------------------------------


def test_member_not_designated_is_refused_and_sees_why(client, db, setting):
    consultation, proposal, _admin, organisation = setting
    member = make_user(db, display_name="Marek Zieliński")
    add_member(db, organisation, member)
    log_in(client, member)

    region = page(client.get(proposal_url(consultation, proposal))).one(f"#proposal-{proposal.id}-vote")
    response = vote(client, consultation, proposal, organisation.id, "for")

    assert region.select("form") == []
    assert "głosują jej administratorzy oraz wyznaczeni przez nich członkowie" in region.text
    assert response.status_code == 403
    assert "Możesz głosować tylko w imieniu organizacji" in page(response).one(".error-summary").text
    assert stored(db) == []


def test_admin_designates_a_member_who_then_votes(client, other_client, db, setting):
    consultation, proposal, admin, organisation = setting
    member = make_user(db, display_name="Marek Zieliński")
    membership = add_member(db, organisation, member)
    log_in(client, admin)

    cell = page(client.get(f"/organisations/{organisation.slug}/members")).one(f"#membership-{membership.id}-voting")
    assert cell.text.startswith("Nie")
    response = client.submit(cell.one("form").get("action"), {"votes": "1"}, follow_redirects=False)

    assert target(response) == f"/organisations/{organisation.slug}/members"
    shown = page(client.get(response.headers["location"]))
    assert "Ta osoba może teraz głosować nad propozycjami w imieniu organizacji." in shown.one(".banner").text
    assert shown.one(f"#membership-{membership.id}-voting").text.startswith("Tak")
    [event] = ledger_events(db, "membership.voting_changed")
    assert event.payload == f'{{"user":{member.id},"votes":true}}'
    log_in(other_client, member)
    assert vote(other_client, consultation, proposal, organisation.id, "for").status_code == 303
    assert stored(db) == [(organisation.id, "for")]

    client.submit(cell.one("form").get("action"), {"votes": "0"})
    fresh(db)
    assert db.get(Membership, membership.id).votes is False
    assert vote(other_client, consultation, proposal, organisation.id, "against").status_code == 403
    assert stored(db) == [(organisation.id, "for")]


def test_only_the_organisations_admins_designate_voters(client, db, setting):
    _consultation, _proposal, _admin, organisation = setting
    member = make_user(db)
    membership = add_member(db, organisation, member)
    log_in(client, member)

    response = client.submit(
        f"/organisations/{organisation.slug}/members/{membership.id}/voting", {"votes": "1"}, follow_redirects=False
    )

    assert response.status_code == 403 and response.template.name == "errors/403.html"
    fresh(db)
    assert db.get(Membership, membership.id).votes is False
    assert ledger_events(db, "membership.voting_changed") == []


def test_members_page_shows_admins_vote_without_a_toggle(client, db, setting):
    _consultation, _proposal, admin, organisation = setting
    membership = db.exec(select(Membership).where(Membership.user_id == admin.id)).one()
    log_in(client, admin)

    cell = page(client.get(f"/organisations/{organisation.slug}/members")).one(f"#membership-{membership.id}-voting")

    assert cell.text == "Tak, jako administrator" and cell.select("form") == []


# --- refusals --------------------------------------------------------------------------------


@pytest.mark.parametrize("window", ["scheduled", "closed"])
def test_vote_outside_the_window_is_refused(client, db, setting, window):
    consultation, proposal, admin, organisation = setting
    opens_in, lasts, message = WINDOWS[window]
    set_window(db, consultation, opens_in, lasts)
    log_in(client, admin)

    region = page(client.get(proposal_url(consultation, proposal))).one(f"#proposal-{proposal.id}-vote")
    response = vote(client, consultation, proposal, organisation.id, "for")
    htmx = vote(client, consultation, proposal, organisation.id, "for", headers=HTMX)

    assert message in region.one(".closed-note").text and region.select("form") == []
    assert response.status_code == htmx.status_code == 409
    assert message in page(response).one(".error-summary").text
    assert htmx.template.name == "proposals/_vote_form.html"
    assert field(page(htmx).one("form.vote-form"), "organisation_id") == str(organisation.id)
    assert stored(db) == []


def test_vote_for_an_organisation_one_does_not_belong_to_is_refused(client, db, setting):
    consultation, proposal, admin, _organisation = setting
    _other_admin, other = ngo(db, name="Fundacja Obok", admin_name="Jan Obok")
    log_in(client, admin)

    response = vote(client, consultation, proposal, other.id, "for")

    assert response.status_code == 403
    assert error_of(page(response), "organisation_id").startswith("Błąd: Możesz głosować tylko w imieniu organizacji")
    assert stored(db) == []


def test_vote_for_an_unverified_organisation_is_refused_where_only_verified_take_part(client, db, setting):
    consultation, proposal, _admin, _organisation = setting
    admin, unverified = ngo(db, verified=False, name="Grupa Nieformalna")
    log_in(client, admin)

    response = vote(client, consultation, proposal, unverified.id, "for")

    assert response.status_code == 403
    assert "mogą brać udział tylko zweryfikowane organizacje" in page(response).one(".error-summary").text
    assert stored(db) == []


def test_unverified_organisation_votes_where_any_signed_in_user_may(client, db):
    consultation = make_consultation(db, participation="signed_in")
    proposal = make_proposal(db, consultation)
    admin, unverified = ngo(db, verified=False, name="Grupa Nieformalna")
    log_in(client, admin)

    assert vote(client, consultation, proposal, unverified.id, "for").status_code == 303
    assert stored(db) == [(unverified.id, "for")]


@pytest.mark.parametrize("choice", ["", "yes", "FOR"])
def test_vote_with_an_invalid_choice_is_refused_beside_the_field(client, db, setting, choice):
    consultation, proposal, admin, organisation = setting
    log_in(client, admin)

    plain = vote(client, consultation, proposal, organisation.id, choice)
    htmx = vote(client, consultation, proposal, organisation.id, choice, headers=HTMX)

    assert plain.status_code == htmx.status_code == 422
    for response in (plain, htmx):
        form = page(response).one("form.vote-form")
        assert error_of(form, "choice") == "Błąd: Wybierz: za, przeciw albo wstrzymuję się od głosu."
        assert field(form, "organisation_id") == str(organisation.id)
    assert htmx.template.name == "proposals/_vote_form.html"
    assert stored(db) == []


def test_vote_on_a_withdrawn_proposal_is_refused(client, db, setting):
    consultation, proposal, admin, organisation = setting
    author = db.get(User, proposal.author_id)
    actions.withdraw_proposal(db, principal(db, author), proposal, consultation)
    log_in(client, admin)

    response = vote(client, consultation, proposal, organisation.id, "for")

    assert response.status_code == 409
    assert "Propozycja została wycofana przez autora" in page(response).one(".error-summary").text
    assert stored(db) == []


def test_vote_after_the_record_is_published_is_refused(db, setting):
    consultation, proposal, admin, organisation = setting
    freeze(db, consultation)

    with pytest.raises(DomainError) as refused:
        votes.cast_vote(db, principal(db, admin), proposal, organisation.id, "for")

    assert refused.value.status_code == 409
    assert stored(db) == []


def test_vote_without_logging_in_is_sent_to_log_in(client, db, setting):
    consultation, proposal, _admin, organisation = setting

    region = page(client.get(proposal_url(consultation, proposal))).one(f"#proposal-{proposal.id}-vote")
    response = vote(client, consultation, proposal, organisation.id, "for")

    assert [a.text for a in region.select("a")] == ["Zaloguj się, aby głosować"]
    assert response.status_code == 303 and response.headers["location"].startswith("http://testserver/login?next=")
    assert stored(db) == []


@pytest.mark.parametrize("who", ["anonymous", "unconfirmed"])
def test_cast_vote_refuses_a_visitor_without_a_confirmed_account(db, setting, who):
    _consultation, proposal, _admin, organisation = setting
    person = None if who == "anonymous" else principal(db, make_user(db, confirmed=False))

    with pytest.raises(DomainError) as refused:
        votes.cast_vote(db, person, proposal, organisation.id, "for")

    assert refused.value.status_code == 403


def test_the_consulting_municipality_does_not_vote(client, db):
    official, municipality = make_official(db)
    consultation = make_consultation(db, official=official, municipality=municipality)
    proposal = make_proposal(db, consultation)
    admin_id = db.exec(
        select(Membership.user_id).where(Membership.organisation_id == municipality.id, Membership.role == "admin")
    ).first()
    municipal_admin = db.get(User, admin_id)
    log_in(client, municipal_admin)

    region = page(client.get(proposal_url(consultation, proposal))).one(f"#proposal-{proposal.id}-vote")
    response = vote(client, consultation, proposal, municipality.id, "for")

    assert region.select("form") == []
    assert response.status_code == 403
    assert "Gmina nie głosuje nad propozycjami we własnych konsultacjach." in page(response).text
    assert stored(db) == []


def test_vote_on_a_proposal_of_another_consultation_is_404(client, db, setting):
    _consultation, proposal, admin, organisation = setting
    other = make_consultation(db)
    log_in(client, admin)

    assert vote(client, other, proposal, organisation.id, "for").status_code == 404
    assert stored(db) == []


# --- the action itself -----------------------------------------------------------------------


def test_cast_vote_keeps_one_row_per_organisation_and_proposal(db, setting):
    consultation, proposal, admin, organisation = setting
    second = make_proposal(db, consultation, title="Druga")
    who = principal(db, admin)

    for choice in ("for", "against", "abstain", "for"):
        votes.cast_vote(db, who, proposal, organisation.id, choice)
    votes.cast_vote(db, who, second, organisation.id, "against")

    fresh(db)
    rows = db.exec(select(Vote.proposal_id, Vote.choice, Vote.cast_by_id)).all()
    assert sorted(rows) == sorted([(proposal.id, "for", admin.id), (second.id, "against", admin.id)])
    assert actions.tally_of(db, proposal.id) == actions.Tally(1, 0, 0)


def test_vote_withdrawn_meanwhile_is_refused_under_the_write_lock(db, setting):
    """The proposal object read before the withdrawal still says visible: the check after the write catches it."""
    consultation, proposal, admin, organisation = setting
    stale = Proposal.model_validate(proposal.model_dump())
    author = db.get(User, proposal.author_id)
    actions.withdraw_proposal(db, principal(db, author), proposal, consultation)

    with pytest.raises(DomainError) as refused:
        votes.cast_vote(db, principal(db, admin), stale, organisation.id, "for")

    assert refused.value.status_code == 409
    assert stored(db) == [] and ledger_events(db, "vote.cast") == []


def test_closed_consultation_keeps_the_votes_shown(client, db, setting):
    consultation, proposal, admin, organisation = setting
    votes.cast_vote(db, principal(db, admin), proposal, organisation.id, "against")
    set_window(db, consultation, timedelta(days=-30), timedelta(days=14))

    html = page(client.get(proposal_url(consultation, proposal)))

    assert html.one(f"#proposal-{proposal.id}-tally").text == "Za: 0 Przeciw: 1 Wstrzymujące się: 0"
