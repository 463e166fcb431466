"""The municipality's answers to contributions: what a contribution is, the review screen, giving, sharing, changing
and detaching answers, who may, when, the ledger, and the answers shown to everyone under the contributions."""

from __future__ import annotations

import json
from urllib.parse import urlsplit

import pytest
from sqlalchemy import event
from sqlmodel import select

from consult import ledger
from consult.answers import actions
from consult.answers.actions import AnswerInput, ContributionFilter
from consult.forms import DomainError
from consult.models import Answer, AnswerLink, Comment, Consultation, Proposal, Record, Thread
from tests.factories import (
    close_consultation,
    fresh,
    ledger_events,
    make_comment,
    make_consultation,
    make_official,
    make_organisation,
    make_user,
    paragraph_by_label,
    principal,
    signed_in,
)
from tests.html import page

HTMX = {"HX-Request": "true"}
LABEL = "§ 6 ust. 1 pkt 4"


# --- a closed consultation with contributions ----------------------------------------------------


class Closed:
    """Gmina Wierzbno's programme with two comments (§ 6 ust. 1 pkt 4 and the whole document), a reply and a proposal,
    then closed. urzednik@example.pl is its official."""

    def __init__(self, db) -> None:
        self.municipality = make_organisation(db, kind="municipality", name="Gmina Wierzbno", verified=True)
        self.official, _ = make_official(db, self.municipality, email="urzednik@example.pl")
        self.consultation = make_consultation(db, official=self.official, municipality=self.municipality, slug="prog")
        self.point = paragraph_by_label(db, self.consultation, LABEL)
        self.club_admin = make_user(db, display_name="Piotr Lis")
        self.club = make_organisation(db, admin=self.club_admin, verified=True, name="Klub Sportowy Orzeł")
        self.kgw_admin = make_user(db, display_name="Halina Zając")
        self.kgw = make_organisation(db, admin=self.kgw_admin, verified=True, name="Koło Gospodyń Wiejskich")
        self.on_point = make_comment(
            db, self.consultation, author=self.club_admin, organisation=self.club, paragraph=self.point,
            body="Prosimy o dopisanie sportu seniorów.", current_wording="sport dzieci",
            proposed_wording="sport dzieci i seniorów", justification="Seniorzy też ćwiczą.",
        )  # fmt: skip
        self.general = make_comment(
            db, self.consultation, author=self.kgw_admin, organisation=self.kgw, body="Za mało na kulturę."
        )
        self.reply = make_comment(db, self.consultation, author=self.kgw_admin, organisation=self.kgw,
                                  parent=self.on_point, body="Popieramy.")  # fmt: skip
        self.proposal = add_proposal(db, self.consultation, self.club_admin, self.club, "Turniej seniorów")
        close_consultation(db, self.consultation)

    def ref(self, thing) -> tuple[str, int]:
        return ("proposal" if isinstance(thing, Proposal) else "comment", thing.id)


def add_proposal(db, consultation, author, organisation, title, paragraph_key=None, status="visible") -> Proposal:
    proposal = Proposal(
        consultation_id=consultation.id, author_id=author.id, organisation_id=organisation.id if organisation else None,
        title=title, body=f"{title}: opis.", body_html=f"<p>{title}: opis.</p>", paragraph_key=paragraph_key,
        status=status,
    )  # fmt: skip
    db.add(proposal)
    db.commit()
    return proposal


def publish_record(db, consultation: Consultation) -> None:
    db.add(Record(consultation_id=consultation.id, body="{}", sha256="0" * 64))
    db.commit()


@pytest.fixture
def closed(db) -> Closed:
    return Closed(db)


def official_of(db, world: Closed):
    return principal(db, world.official)


def answer(db, world: Closed, thing, position="rejected", justification="Zadanie realizuje inny program."):
    return actions.answer_contribution(
        db, official_of(db, world), world.consultation, world.ref(thing), AnswerInput(position=position,
                                                                                     justification=justification)
    )  # fmt: skip


def review_url(world: Closed, query: str = "") -> str:
    return f"/consultations/{world.consultation.slug}/review" + (f"?{query}" if query else "")


def answer_url(world: Closed, thing) -> str:
    kind, number = world.ref(thing)
    return f"/consultations/{world.consultation.slug}/contributions/{kind}/{number}/answer"


def as_official(client, world: Closed):
    return signed_in(client, world.official)


def target(response) -> str:
    assert response.status_code == 303, (response.status_code, response.text[:500])
    parts = urlsplit(response.headers["location"])
    return parts.path + (f"?{parts.query}" if parts.query else "") + (f"#{parts.fragment}" if parts.fragment else "")


# --- what a contribution is ----------------------------------------------------------------------


def test_contributions_are_root_comments_and_proposals_unanswered_first(db, closed):
    answer(db, closed, closed.on_point)

    rows = actions.contributions(db, closed.consultation)

    assert [r.ref for r in rows] == [
        closed.ref(closed.general),
        closed.ref(closed.proposal),
        closed.ref(closed.on_point),
    ]
    on_point = rows[-1]
    assert (on_point.paragraph_key, on_point.paragraph_label) == (closed.point.key, LABEL)
    assert (on_point.organisation_name, on_point.author) == ("Klub Sportowy Orzeł", "Piotr Lis")
    assert (on_point.current_wording, on_point.proposed_wording) == ("sport dzieci", "sport dzieci i seniorów")
    assert on_point.answer.position == "rejected" and on_point.answer.covers == (closed.ref(closed.on_point),)
    assert rows[0].paragraph_key is None and rows[0].answer is None
    assert rows[1].kind == "proposal" and rows[1].title == "Turniej seniorów"


def test_comments_in_other_threads_and_other_consultations_are_not_contributions(db, closed):
    thread = Thread(owner_kind="proposal", owner_id=str(closed.proposal.id), consultation_id=closed.consultation.id)
    db.add(thread)
    db.commit()
    db.add(Comment(thread_id=thread.id, author_id=closed.club_admin.id, body="W dyskusji", body_html="<p>x</p>"))
    elsewhere = make_consultation(db, official=closed.official, municipality=closed.municipality)
    make_comment(db, elsewhere, body="Gdzie indziej")
    db.commit()

    kinds = [r.ref for r in actions.contributions(db, closed.consultation)]

    assert sorted(kinds) == sorted(
        [closed.ref(closed.on_point), closed.ref(closed.general), closed.ref(closed.proposal)]
    )


def test_progress_counts_only_contributions_that_need_an_answer(db, closed):
    add_proposal(db, closed.consultation, closed.kgw_admin, closed.kgw, "Wycofana", status="withdrawn")
    hidden = add_proposal(db, closed.consultation, closed.kgw_admin, closed.kgw, "Ukryta", status="hidden")
    answer(db, closed, closed.general, "accepted", "")

    progress = actions.progress(db, closed.consultation)
    rows = actions.contributions(db, closed.consultation)

    assert (progress.answered, progress.total) == (1, 3)
    assert rows[-1].ref == closed.ref(hidden) and not rows[-1].needs_answer


def test_filters_narrow_by_paragraph_and_organisation(db, closed):
    on_point_proposal = add_proposal(
        db, closed.consultation, closed.kgw_admin, closed.kgw, "Do punktu", closed.point.key
    )
    resident = make_user(db, display_name="Ewa Mazur")
    lone = add_proposal(db, closed.consultation, resident, None, "Od mieszkanki")

    def refs(**f):
        return {r.ref for r in actions.contributions(db, closed.consultation, ContributionFilter(**f))}

    assert refs(paragraph=closed.point.key) == {closed.ref(closed.on_point), closed.ref(on_point_proposal)}
    assert refs(paragraph="general") == {closed.ref(closed.general), closed.ref(closed.proposal), closed.ref(lone)}
    assert refs(organisation=closed.kgw.slug) == {closed.ref(closed.general), closed.ref(on_point_proposal)}
    assert refs(organisation="none") == {closed.ref(lone)}
    assert refs(paragraph=closed.point.key, organisation=closed.club.slug) == {closed.ref(closed.on_point)}
    assert actions.count_contributions(db, closed.consultation, ContributionFilter(organisation=closed.kgw.slug)) == 2


def count_statements(app, db, work) -> int:
    """How many SELECT statements the work runs."""
    seen: list[str] = []
    fresh(db)  # each count starts a transaction of its own

    def record(conn, cursor, statement, *rest):
        if statement.lstrip().upper().startswith("SELECT"):
            seen.append(statement)

    event.listen(app.state.engine, "before_cursor_execute", record)
    try:
        work()
    finally:
        event.remove(app.state.engine, "before_cursor_execute", record)
    return len(seen)


def test_review_costs_at_most_twelve_queries_at_3_and_60_contributions(app, db, closed):
    answer(db, closed, closed.general)
    few = count_statements(app, db, lambda: actions.review(db, closed.consultation, ContributionFilter()))
    for i in range(57):
        add_proposal(db, closed.consultation, closed.club_admin, closed.club, f"Propozycja {i}", closed.point.key)
    answer(db, closed, closed.on_point)

    many = count_statements(app, db, lambda: actions.review(db, closed.consultation, ContributionFilter()))
    data = actions.review(db, closed.consultation, ContributionFilter())

    # the consultation (reloaded), the count, the labels, the page, its answers, the progress, the organisations,
    # the parts with contributions, and the conversation: co-signers and replies (2 + 1), proposals' discussions (2)
    assert few <= 12 and many <= 12
    assert (data.matching, len(data.rows), data.pages) == (60, actions.PER_PAGE, 2)


# --- the rules, through the actions ---------------------------------------------------------------


def refusal(work) -> tuple[int, str]:
    with pytest.raises(DomainError) as caught:
        work()
    return caught.value.status_code, caught.value.message


def test_answer_before_the_close_is_refused(db):
    official, municipality = make_official(db)
    consultation = make_consultation(db, official=official, municipality=municipality)
    comment = make_comment(db, consultation)
    data = AnswerInput(position="accepted")

    status, message = refusal(
        lambda: actions.answer_contribution(db, principal(db, official), consultation, ("comment", comment.id), data)
    )

    assert (status, message) == (409, "Contributions are answered after the consultation closes.")
    assert db.exec(select(Answer)).all() == []


@pytest.mark.parametrize("who", ["member", "official_elsewhere", "nobody"])
def test_only_an_official_of_the_municipality_answers(db, closed, who):
    if who == "member":
        someone = principal(db, closed.club_admin)
    elif who == "official_elsewhere":
        someone = principal(db, make_official(db)[0])
    else:
        someone = None
    data = AnswerInput(position="accepted")

    status, _ = refusal(
        lambda: actions.answer_contribution(db, someone, closed.consultation, closed.ref(closed.general), data)
    )

    assert status == 403
    assert db.exec(select(Answer)).all() == []


def test_every_answer_action_is_refused_once_the_record_is_published(db, closed):
    answer(db, closed, closed.general)
    answer(db, closed, closed.proposal)
    shared = actions.get_contribution(db, closed.consultation, closed.ref(closed.general)).answer.id
    actions.attach_to_answer(db, official_of(db, closed), closed.consultation, [closed.ref(closed.on_point)], shared)
    publish_record(db, closed.consultation)
    who, c = official_of(db, closed), closed.consultation
    data = AnswerInput(position="accepted")
    existing = actions.get_contribution(db, c, closed.ref(closed.general)).answer.id

    outcomes = [
        refusal(lambda: actions.answer_contribution(db, who, c, closed.ref(closed.general), data)),
        refusal(lambda: actions.answer_together(db, who, c, [closed.ref(closed.proposal)], data)),
        refusal(lambda: actions.attach_to_answer(db, who, c, [closed.ref(closed.proposal)], existing)),
        refusal(lambda: actions.detach_contribution(db, who, c, closed.ref(closed.on_point))),
    ]

    frozen = "The consultation record is published: nothing in this consultation can change."
    assert outcomes == [(409, frozen)] * 4


def test_justification_is_required_unless_accepted(db, closed):
    for position in ("partly_accepted", "rejected", "explained"):
        status, message = refusal(lambda p=position: answer(db, closed, closed.general, p, "   "))
        assert status == 422 and message.startswith("Give the justification")
    accepted = answer(db, closed, closed.general, "accepted", "")

    assert (accepted.position, accepted.justification) == ("accepted", "")


def test_an_unknown_position_is_not_valid():
    with pytest.raises(ValueError, match="Choose the position"):
        AnswerInput(position="maybe", justification="x")


def test_withdrawn_or_hidden_contributions_need_no_answer(db, closed):
    withdrawn = add_proposal(db, closed.consultation, closed.kgw_admin, closed.kgw, "Wycofana", status="withdrawn")

    status, message = refusal(lambda: answer(db, closed, withdrawn))

    assert (status, message) == (409, "A withdrawn or hidden contribution needs no answer.")


def test_a_contribution_of_another_consultation_cannot_be_answered_here(db, closed):
    elsewhere = make_consultation(db, official=closed.official, municipality=closed.municipality)
    stranger = make_comment(db, elsewhere)
    data = AnswerInput(position="accepted")

    status, _ = refusal(lambda: actions.answer_contribution(
        db, official_of(db, closed), closed.consultation, ("comment", stranger.id), data))  # fmt: skip

    assert status == 404


def test_giving_and_changing_an_answer_are_in_the_ledger(db, closed):
    given = answer(db, closed, closed.on_point, "rejected", "Nie w tym roku.")
    answer(db, closed, closed.on_point, "partly_accepted", "Częściowo w 2027 r.")

    [first] = ledger_events(db, "answer.given")
    [second] = ledger_events(db, "answer.changed")
    stored = db.get(Answer, given.id)

    assert (first.subject_kind, first.subject_id) == ("answer", str(given.id))
    assert json.loads(first.payload) == {
        "position": "rejected",
        "justification_sha256": ledger.sha256_hex("Nie w tym roku."),
        "contributions": [f"comment:{closed.on_point.id}"],
    }
    assert json.loads(second.payload)["position"] == "partly_accepted"
    assert json.loads(second.payload)["justification_sha256"] == ledger.sha256_hex("Częściowo w 2027 r.")
    assert (stored.position, stored.justification) == ("partly_accepted", "Częściowo w 2027 r.")
    assert ledger.verify(db) is None


# --- one answer for several contributions --------------------------------------------------------


def test_one_answer_covers_several_and_a_change_applies_to_all(db, closed):
    who = official_of(db, closed)
    refs = [closed.ref(closed.on_point), closed.ref(closed.proposal)]
    shared = actions.answer_together(
        db, who, closed.consultation, refs, AnswerInput(position="rejected", justification="Brak środków.")
    )
    answer(db, closed, closed.proposal, "explained", "Zadanie obejmie program sportowy.")

    rows = {r.ref: r for r in actions.contributions(db, closed.consultation)}
    [given] = ledger_events(db, "answer.given")

    assert rows[refs[0]].answer.id == rows[refs[1]].answer.id == shared.id
    assert rows[refs[0]].answer.position == "explained"
    assert set(rows[refs[0]].answer.covers) == set(refs)
    assert json.loads(given.payload)["contributions"] == sorted(f"{k}:{i}" for k, i in refs)
    assert actions.progress(db, closed.consultation).answered == 2


def test_attaching_to_the_answer_of_another_contribution(db, closed):
    first = answer(db, closed, closed.general, "accepted", "")
    answer(db, closed, closed.proposal, "rejected", "Inne zdanie.")

    actions.attach_to_answer(
        db, official_of(db, closed), closed.consultation, [closed.ref(closed.proposal), closed.ref(closed.on_point)],
        first.id,
    )  # fmt: skip

    rows = {r.ref: r for r in actions.contributions(db, closed.consultation)}
    changed = [json.loads(e.payload) for e in ledger_events(db, "answer.changed")]
    assert {rows[closed.ref(t)].answer.id for t in (closed.general, closed.proposal, closed.on_point)} == {first.id}
    assert len(db.exec(select(Answer)).all()) == 1, "the answer left covering nothing is gone"
    assert changed[0]["detached"] == [f"proposal:{closed.proposal.id}"] and changed[0]["contributions"] == []
    assert len(changed[1]["contributions"]) == 3 and len(changed[1]["attached"]) == 2


def test_detaching_leaves_the_others_their_answer(db, closed):
    shared = actions.answer_together(
        db, official_of(db, closed), closed.consultation, [closed.ref(closed.general), closed.ref(closed.proposal)],
        AnswerInput(position="accepted"),
    )  # fmt: skip

    actions.detach_contribution(db, official_of(db, closed), closed.consultation, closed.ref(closed.proposal))

    rows = {r.ref: r for r in actions.contributions(db, closed.consultation)}
    [event_] = ledger_events(db, "answer.changed")
    assert rows[closed.ref(closed.proposal)].answer is None
    assert rows[closed.ref(closed.general)].answer.id == shared.id
    assert json.loads(event_.payload)["contributions"] == [f"comment:{closed.general.id}"]
    assert refusal(lambda: actions.detach_contribution(
        db, official_of(db, closed), closed.consultation, closed.ref(closed.proposal)))[0] == 409  # fmt: skip


def test_one_answer_needs_at_least_one_contribution(db, closed):
    status, message = refusal(lambda: actions.answer_together(
        db, official_of(db, closed), closed.consultation, [], AnswerInput(position="accepted")))  # fmt: skip

    assert (status, message) == (422, "Select at least one contribution.")


def test_the_database_keeps_one_answer_per_contribution(db, closed):
    first = answer(db, closed, closed.general)
    db.add(Answer(consultation_id=closed.consultation.id, position="accepted"))
    db.flush()
    second = db.exec(select(Answer).where(Answer.id != first.id)).one()
    db.add(AnswerLink(answer_id=second.id, consultation_id=closed.consultation.id, contribution_kind="comment",
                      contribution_id=closed.general.id))  # fmt: skip

    with pytest.raises(Exception, match="(?i)unique"):
        db.commit()
    db.rollback()


# --- the review screen ----------------------------------------------------------------------------


def test_review_lists_every_contribution_with_progress_in_polish(client, db, closed):
    answer(db, closed, closed.general, "accepted", "")
    client.login(closed.official.email)  # no language chosen: Polish

    response = client.get(review_url(closed))
    html = page(response)

    assert response.status_code == 200 and response.template.name == "answers/review.html"
    assert html.one("h1").text == "Przegląd uwag i propozycji"
    assert html.one(f"#consultation-{closed.consultation.id}-progress p").text == "Odpowiedziano na 1 z 3"
    bar = html.one(f"#consultation-{closed.consultation.id}-progress progress")
    assert (bar.get("max"), bar.get("value")) == ("3", "1")
    ids = [li.get("id") for li in html.one(f"#consultation-{closed.consultation.id}-contributions").items()]
    assert ids == [f"contribution-comment-{closed.on_point.id}", f"contribution-proposal-{closed.proposal.id}",
                   f"contribution-comment-{closed.general.id}"]  # fmt: skip
    on_point = html.one(f"#contribution-comment-{closed.on_point.id}")
    assert on_point.one(".tag").text == "Bez odpowiedzi"
    assert "sport dzieci i seniorów" in on_point.one("dl.wording").text
    assert on_point.one(".justification").text == "Uzasadnienie: Seniorzy też ćwiczą."
    assert html.one(f"#contribution-comment-{closed.general.id}-status").text == "Udzielono odpowiedzi"
    assert html.one(f"#contribution-comment-{closed.general.id}-answer .council-answer .position").text == (
        "uwzględniona"
    )


def test_review_filters_by_paragraph_and_organisation_without_javascript(client, db, closed):
    as_official(client, closed)

    html = page(client.get(review_url(closed, f"paragraph={closed.point.key}&organisation={closed.club.slug}")))
    general = page(client.get(review_url(closed, "paragraph=general")))

    assert [li.get("id") for li in html.select("li.task")] == [f"contribution-comment-{closed.on_point.id}"]
    assert html.one("#field-filter-paragraph option[selected]").get("value") == closed.point.key
    assert html.one("#field-filter-organisation option[selected]").text == "Klub Sportowy Orzeł"
    assert html.one("p.result-count").text == "1 contribution"
    assert len(general.select("li.task")) == 2
    assert general.one(f"#consultation-{closed.consultation.id}-progress p").text == "Answered 0 of 3"


def test_review_shows_fifty_contributions_a_page(client, db, closed):
    for i in range(60):
        add_proposal(db, closed.consultation, closed.kgw_admin, closed.kgw, f"Propozycja {i}")
    as_official(client, closed)

    first = page(client.get(review_url(closed)))
    second = page(client.get(review_url(closed, "page=2")))

    assert len(first.select("li.task")) == 50
    assert len(second.select("li.task")) == 13
    assert first.one("nav.pagination a[rel=next]").get("href") == f"{review_url(closed)}?page=2"


@pytest.mark.parametrize("who", ["member", "official_elsewhere"])
def test_review_is_only_for_the_municipality_officials(client, db, closed, who):
    user = closed.club_admin if who == "member" else make_official(db)[0]
    signed_in(client, user)

    response = client.get(review_url(closed), follow_redirects=False)
    posted = client.submit(answer_url(closed, closed.general), {"position": "accepted"}, follow_redirects=False)

    assert response.status_code == 403 and response.template.name == "errors/403.html"
    assert posted.status_code == 403
    assert db.exec(select(Answer)).all() == []


def test_review_asks_a_visitor_to_log_in(client, closed):
    response = client.get(review_url(closed), follow_redirects=False)

    assert urlsplit(response.headers["location"]).path == "/login"


def test_consultation_page_links_officials_to_the_review(client, db, closed):
    reader = page(client.get("/consultations/prog"))
    as_official(client, closed)
    official = page(client.get("/consultations/prog"))

    link = [a for a in official.select("a") if a.get("href") == review_url(closed)]
    assert [a.text for a in link] == ["Review and answer the contributions"]
    assert not [a for a in reader.select("a") if a.get("href") == review_url(closed)]


def test_review_before_the_close_says_when_answers_can_be_given(client, db):
    official, municipality = make_official(db)
    consultation = make_consultation(db, official=official, municipality=municipality, slug="otwarte")
    make_comment(db, consultation)
    signed_in(client, official)

    html = page(client.get("/consultations/otwarte/review"))

    assert "Contributions are answered after the consultation closes" in html.one(".banner-warning").text
    assert html.select("form.answer-form") == []


# --- answering, with and without htmx ------------------------------------------------------------


def test_answer_without_javascript_goes_back_to_the_row(client, db, closed):
    as_official(client, closed)
    back = f"organisation={closed.club.slug}"

    response = client.submit(
        answer_url(closed, closed.on_point),
        {"position": "partly_accepted", "justification": "Dopiszemy seniorów.", "back": back},
        follow_redirects=False,
    )
    html = page(client.get(target(response)))

    assert target(response) == f"{review_url(closed, back)}#contribution-comment-{closed.on_point.id}"
    assert html.one(".banner").text == "The answer is saved."
    region = html.one(f"#contribution-comment-{closed.on_point.id}-answer")
    assert region.one(".position").text == "partly accepted"
    assert region.one("textarea").text == "Dopiszemy seniorów."


def test_answer_without_javascript_lands_on_the_page_where_the_row_now_is(client, db, closed):
    for i in range(55):
        add_proposal(db, closed.consultation, closed.kgw_admin, closed.kgw, f"Propozycja {i}")
    as_official(client, closed)

    response = client.submit(answer_url(closed, closed.on_point), {"position": "accepted"}, follow_redirects=False)

    assert target(response) == f"{review_url(closed, 'page=2')}#contribution-comment-{closed.on_point.id}"
    assert page(client.get(target(response))).select(f"#contribution-comment-{closed.on_point.id}")


def test_answer_with_htmx_swaps_the_row_and_updates_the_progress(client, db, closed):
    as_official(client, closed)

    response = client.submit(
        answer_url(closed, closed.general),
        {"position": "rejected", "justification": "Kultura ma osobny program.", "shown": "x"},
        headers=HTMX,
    )
    html = page(response)

    assert response.status_code == 200 and response.template.name == "answers/_saved.html"
    region = html.one(f"#contribution-comment-{closed.general.id}-answer")
    assert region.get("hx-swap-oob") is None
    assert region.one(".position").text == "rejected"
    assert region.one("p.notice").text == "The answer is saved."
    assert html.one(f"#contribution-comment-{closed.general.id}-status").get("hx-swap-oob") == "true"
    progress = html.one(f"#consultation-{closed.consultation.id}-progress")
    assert progress.get("hx-swap-oob") == "true" and progress.one("p").text == "Answered 1 of 3"


@pytest.mark.parametrize("htmx", [True, False], ids=["htmx", "plain"])
def test_missing_justification_comes_back_with_the_text_kept(client, db, closed, htmx):
    as_official(client, closed)

    response = client.submit(
        answer_url(closed, closed.on_point), {"position": "rejected", "justification": "  "},
        headers=HTMX if htmx else {},
    )  # fmt: skip
    html = page(response)

    assert response.status_code == 422
    assert response.template.name == ("answers/_answer.html" if htmx else "answers/answer.html")
    prefix = f"contribution-comment-{closed.on_point.id}-"
    assert html.one(f"#field-{prefix}justification-error").text.startswith("Error: Give the justification")
    assert html.one(f"#field-{prefix}position-rejected").get("checked") is not None
    assert db.exec(select(Answer)).all() == []


def test_an_invalid_position_is_refused_with_the_text_kept(client, db, closed):
    as_official(client, closed)

    response = client.submit(
        answer_url(closed, closed.general), {"position": "maybe", "justification": "Mój tekst"}, headers=HTMX
    )
    html = page(response)

    assert response.status_code == 422
    assert html.one(f"#field-contribution-comment-{closed.general.id}-justification").text == "Mój tekst"
    assert "Choose the position" in html.one(".error-summary").text


def test_answer_before_the_close_is_refused_in_place_with_the_text_kept(client, db):
    official, municipality = make_official(db)
    consultation = make_consultation(db, official=official, municipality=municipality, slug="otwarte")
    comment = make_comment(db, consultation)
    signed_in(client, official)

    response = client.submit(
        f"/consultations/otwarte/contributions/comment/{comment.id}/answer",
        {"position": "rejected", "justification": "Za wcześnie"},
        headers=HTMX,
    )

    assert response.status_code == 409
    assert page(response).one(".error-summary li").text == "Contributions are answered after the consultation closes."
    assert page(response).one("textarea").text == "Za wcześnie"


def test_answer_after_the_record_is_published_is_refused(client, db, closed):
    publish_record(db, closed.consultation)
    as_official(client, closed)

    response = client.submit(answer_url(closed, closed.general), {"position": "accepted"})
    review = page(client.get(review_url(closed)))

    assert response.status_code == 409
    assert "record is published" in page(response).one(".error-summary").text
    assert "the answers can no longer change" in review.one(".banner-warning").text
    assert review.select("form.answer-form") == []


def test_an_unknown_kind_or_contribution_is_not_found(client, closed):
    as_official(client, closed)

    assert client.get(f"/consultations/prog/contributions/vote/{closed.general.id}/answer").status_code == 404
    assert client.get("/consultations/prog/contributions/comment/99999/answer").status_code == 404
    assert client.get(f"/consultations/prog/contributions/comment/{closed.reply.id}/answer").status_code == 404


def test_changing_a_shared_answer_with_htmx_updates_the_other_rows_shown(client, db, closed):
    refs = [closed.ref(closed.general), closed.ref(closed.proposal)]
    actions.answer_together(db, official_of(db, closed), closed.consultation, refs, AnswerInput(position="accepted"))
    as_official(client, closed)
    shown = f"comment:{closed.general.id} proposal:{closed.proposal.id} comment:{closed.on_point.id}"

    response = client.submit(
        answer_url(closed, closed.general),
        {"position": "explained", "justification": "Wyjaśniamy.", "shown": shown},
        headers=HTMX,
    )
    html = page(response)

    other = html.one(f"#contribution-proposal-{closed.proposal.id}-answer")
    assert other.get("hx-swap-oob") == "true" and other.one(".position").text == "explained"
    assert html.select(f"#contribution-comment-{closed.on_point.id}-answer") == []
    assert actions.get_contribution(db, closed.consultation, refs[1]).answer.justification == "Wyjaśniamy."


# --- one answer for several, through the review screen ---------------------------------------------


def test_selected_contributions_get_one_answer_without_javascript(client, db, closed):
    as_official(client, closed)
    selected = [f"comment:{closed.on_point.id}", f"proposal:{closed.proposal.id}"]

    response = client.submit(
        "/consultations/prog/review/together",
        {"selected": selected, "position": "rejected", "justification": "Brak środków."},
        follow_redirects=False,
    )
    html = page(client.get(target(response)))

    assert target(response) == f"{review_url(closed)}#consultation-{closed.consultation.id}-contributions"
    assert html.one(".banner").text == "One answer now covers 2 contributions."
    region = html.one(f"#contribution-proposal-{closed.proposal.id}-answer")
    assert "The same answer covers:" in region.one(".council-answer").text
    assert region.select("form.inline-form button")[0].text == "Detach from the shared answer"
    fresh(db)
    assert len(db.exec(select(Answer)).all()) == 1


def test_selected_contributions_join_an_answer_given_already(client, db, closed):
    given = answer(db, closed, closed.general, "accepted", "")
    as_official(client, closed)
    button = page(client.get(review_url(closed))).one(
        f"#contribution-comment-{closed.general.id}-answer button[name=attach_to]"
    )

    client.submit(
        "/consultations/prog/review/together",
        {"selected": [f"comment:{closed.on_point.id}"], "attach_to": button.get("value")},
    )

    fresh(db)
    assert actions.get_contribution(db, closed.consultation, closed.ref(closed.on_point)).answer.id == given.id


def test_one_answer_without_a_selection_shows_the_error_and_keeps_the_text(client, db, closed):
    as_official(client, closed)

    response = client.submit(
        "/consultations/prog/review/together", {"position": "rejected", "justification": "Wspólne uzasadnienie"}
    )
    html = page(response)

    assert response.status_code == 422 and response.template.name == "answers/review.html"
    assert html.one(".error-summary a").get("href") == "#field-together-selected"
    assert html.one("#field-together-justification").text == "Wspólne uzasadnienie"


def test_one_answer_keeps_the_selection_when_the_justification_is_missing(client, db, closed):
    as_official(client, closed)
    chosen = f"comment:{closed.general.id}"

    response = client.submit("/consultations/prog/review/together", {"selected": [chosen], "position": "rejected"})
    html = page(response)

    assert response.status_code == 422
    assert html.one(f"#contribution-comment-{closed.general.id}-select").get("checked") is not None
    assert html.one(f"#contribution-comment-{closed.on_point.id}-select").get("checked") is None


def test_detaching_with_htmx_updates_both_rows(client, db, closed):
    refs = [closed.ref(closed.general), closed.ref(closed.proposal)]
    actions.answer_together(db, official_of(db, closed), closed.consultation, refs, AnswerInput(position="accepted"))
    as_official(client, closed)

    response = client.submit(
        f"/consultations/prog/contributions/proposal/{closed.proposal.id}/detach",
        {"shown": f"comment:{closed.general.id} proposal:{closed.proposal.id}"},
        headers=HTMX,
    )
    html = page(response)

    detached = html.one(f"#contribution-proposal-{closed.proposal.id}-answer")
    assert detached.select(".council-answer") == [] and detached.one("h4").text == "Answer this contribution"
    kept = html.one(f"#contribution-comment-{closed.general.id}-answer")
    assert kept.get("hx-swap-oob") == "true" and "The same answer covers" not in kept.text
    assert html.one(f"#consultation-{closed.consultation.id}-progress p").text == "Answered 1 of 3"


# --- everyone sees the answers --------------------------------------------------------------------


def test_answers_appear_under_root_comments_for_everyone(client, db, closed):
    answer(db, closed, closed.general, "rejected", "Kultura ma osobny program.")
    answer(db, closed, closed.on_point, "accepted", "")

    whole = page(client.get("/consultations/prog"))
    thread = page(client.get(f"/consultations/prog/paragraphs/{closed.point.key}", headers=HTMX))

    general = whole.one(f"#comment-{closed.general.id}-answer")
    assert general.text == "Stanowisko urzędu: nieuwzględniona Uzasadnienie stanowiska: Kultura ma osobny program."
    assert thread.one(f"#comment-{closed.on_point.id}-answer .position").text == "uwzględniona"
    assert thread.select(f"#comment-{closed.reply.id}-answer") == []


def test_the_answer_to_a_proposal_appears_on_its_page(client, db, closed):
    answer(db, closed, closed.proposal, "explained", "Turniej wpiszemy do kalendarza imprez.")

    html = page(client.get(f"/consultations/prog/proposals/{closed.proposal.id}"))

    shown = html.one(f"#proposal-{closed.proposal.id}-answer")
    assert shown.one(".position").text == "wyjaśniona"
    assert "Turniej wpiszemy do kalendarza imprez." in shown.text


def test_the_consultation_page_costs_the_same_queries_with_2_and_30_answers(app, client, db, closed):
    def statements() -> int:
        seen: list[str] = []

        def record(conn, cursor, statement, *rest):
            seen.append(statement)

        app.state.page_cache.pages.clear()  # the rendering's queries, not a reader's cached copy
        event.listen(app.state.engine, "before_cursor_execute", record)
        try:
            assert client.get("/consultations/prog").status_code == 200
        finally:
            event.remove(app.state.engine, "before_cursor_execute", record)
        return len(seen)

    answer(db, closed, closed.general)
    client.get("/consultations/prog")
    few = statements()
    thread = db.exec(select(Comment.thread_id).where(Comment.id == closed.general.id)).one()
    more = [Comment(thread_id=thread, author_id=closed.kgw_admin.id, organisation_id=closed.kgw.id, body=f"U {i}",
                    body_html=f"<p>U {i}</p>") for i in range(28)]  # fmt: skip
    db.add_all(more)
    db.commit()
    for comment in more:
        comment.root_id = comment.id
    db.commit()
    actions.answer_together(db, official_of(db, closed), closed.consultation, [("comment", c.id) for c in more],
                            AnswerInput(position="accepted"))  # fmt: skip

    many = statements()
    html = page(client.get("/consultations/prog"))

    assert few == many
    assert len(html.select(".council-answer")) == 20  # the first page of 20 root comments, each answered


def test_two_officials_answering_at_once_leave_one_answer(db, closed, monkeypatch):
    answer(db, closed, closed.general, "accepted", "")
    real = actions._targets

    def stale(*args, **kwargs):  # what a second official read before the first one's answer was committed
        found = real(*args, **kwargs)
        for contribution in found:
            contribution.answer = None
        return found

    monkeypatch.setattr(actions, "_targets", stale)

    status, message = refusal(lambda: answer(db, closed, closed.general, "rejected", "Inaczej."))

    assert status == 409 and message.startswith("Someone else has just answered")
    fresh(db)
    assert [(a.position, a.justification) for a in db.exec(select(Answer)).all()] == [("accepted", "")]
    assert len(ledger_events(db, "answer.given")) == 1
