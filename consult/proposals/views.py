"""Proposal pages: the list with tallies, submitting and entering, a proposal with its vote form and discussion."""

from __future__ import annotations

from dataclasses import dataclass, field

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.routing import Route

from consult.answers.contributions import public_answers
from consult.comments import actions as comments
from consult.comments.views import comment_response, speaker_options, thread_block
from consult.consultations.actions import is_frozen, status_of
from consult.consultations.views import load_consultation
from consult.cosign.views import proposal_cosign
from consult.forms import DomainError, Form, empty_form, validate, values_of
from consult.i18n import _, gettext
from consult.labels import municipality_options
from consult.models import Consultation, Organisation, Proposal
from consult.organisations.views import require_user
from consult.permissions import can
from consult.proposals import actions, moderation, threads, votes
from consult.proposals.offer import proposal_offer
from consult.proposals.votes import HIDDEN_NO_VOTES
from consult.receipts.views import with_receipt_mail
from consult.web import flash, is_fragment_request, page_number, render, see_other

CHANNEL_LABELS = {"paper": _("On paper"), "email": _("By e-mail"), "meeting": _("At a consultation meeting")}


@dataclass
class VotingBlock:
    """What the vote region of a proposal shows: why no vote is taken now, or the form for the reader's votes."""

    proposal: Proposal
    refusal: str | None  # a msgid
    organisations: list[Organisation]
    form: Form
    notice: str = ""
    choices: list[tuple[str, str]] = field(default_factory=list)  # (value, label) of the form's options
    cast: list[tuple[str, str, int]] = field(default_factory=list)  # the reader's organisations' votes: name, how, id
    host: bool = False  # the reader works for the consulting municipality, which answers and does not vote


def load_proposal(request: Request) -> tuple[Consultation, Organisation, Proposal]:
    consultation, municipality = load_consultation(request)
    proposal = request.state.db.get(Proposal, request.path_params["proposal_id"])
    if proposal is None or proposal.consultation_id != consultation.id:
        raise HTTPException(404)
    return consultation, municipality, proposal  # a hidden one too: its page shows the moderators' reason


def _detail_url(request: Request, consultation: Consultation, proposal: Proposal) -> str:
    return str(request.url_for("proposals:detail", slug=consultation.slug, proposal_id=proposal.id))


async def list_page(request: Request):
    consultation, municipality = load_consultation(request)
    db = request.state.db
    sort = request.query_params.get("sort", "support")
    sort = sort if sort in actions.SORTS else "support"
    page = page_number(request)
    rows, total = actions.list_proposals(db, consultation, sort, page)
    context = {
        "consultation": consultation,
        "municipality": municipality,
        "rows": rows,
        "total": actions.count_proposals(db, consultation),  # as the consultation's page counts: not the hidden
        "sort": sort,
        "page": page,
        "pages": max((total + actions.PAGE_SIZE - 1) // actions.PAGE_SIZE, 1),
        "offer": proposal_offer(request, consultation, municipality),
        "may_enter": _may_enter(request, consultation, municipality),
        "our_votes": votes.our_votes(db, request.state.user, [view.proposal.id for view in rows]),
        "voted": {choice: gettext(label) for choice, label in votes.VOTED_LABELS.items()},
    }
    return render(request, "proposals/list.html", context)


def _may_enter(request: Request, consultation: Consultation, municipality: Organisation) -> bool:
    """An official may enter outside proposals from the opening until the record is published."""
    return (
        can(request.state.user, "consultation.manage", municipality)
        and consultation.published_at is not None
        and status_of(consultation) != "scheduled"
        and not is_frozen(request.state.db, consultation)
    )


def voting_block(
    request: Request, consultation: Consultation, proposal: Proposal, form: Form | None = None, notice: str = ""
) -> VotingBlock:
    db, user = request.state.db, request.state.user
    refusal = actions.window_refusal(consultation)
    if proposal.status == "withdrawn":
        refusal = _("This proposal was withdrawn by its author: it can no longer be voted on.")
    elif proposal.status == "hidden":
        refusal = HIDDEN_NO_VOTES
    organisations = votes.voter_options(db, user, consultation)
    current = votes.votes_of(db, proposal.id, [o.id for o in organisations])
    if form is None:  # the first organisation, its vote checked if it has voted
        first = organisations[0].id if organisations else None
        previous = current.get(first)
        form = Form(None, {"organisation_id": str(first or ""), "choice": previous.choice if previous else ""})
    form.prefix = f"vote-{proposal.id}-"
    choices = [(value, gettext(label)) for value, label in votes.CHOICE_LABELS.items()]
    cast = [(o.name, gettext(votes.VOTED_LABELS[v.choice]), v.id) for o in organisations if (v := current.get(o.id))]
    host = can(user, "consultation.manage", db.get(Organisation, consultation.organisation_id))
    return VotingBlock(proposal, refusal, organisations, form, notice, choices, cast, host)


def _detail_context(request: Request, consultation, municipality, proposal, *, vote_form=None, page: int = 1) -> dict:
    db = request.state.db
    ctx = threads.thread_context(
        db, consultation, municipality, proposal, threads.thread_of(db, proposal), request.url_for
    )
    return {
        "consultation": consultation,
        "municipality": municipality,
        "view": actions.get_proposal_view(db, proposal),
        "voting": voting_block(request, consultation, proposal, vote_form),
        "block": thread_block(request, ctx, page),
        "can_withdraw": actions.may_withdraw(db, request.state.user, proposal, consultation),
        "answer": public_answers(db, "proposal", [proposal.id]).get(proposal.id),
        "cosign": proposal_cosign(request, proposal.id),
        "may_moderate": moderation.may_moderate(db, request.state.user, consultation),
    }


async def detail(request: Request):
    """The proposal, its tally, the vote form and the discussion (paged in place with htmx)."""
    consultation, municipality, proposal = load_proposal(request)
    context = _detail_context(request, consultation, municipality, proposal, page=page_number(request))
    return render(request, "proposals/detail.html", context, fragment="comments/_thread.html")


def _form_context(request: Request, consultation, municipality, form: Form, outside: bool) -> dict:
    db = request.state.db
    gate = actions.gate_of(db, consultation)
    context = {
        "consultation": consultation,
        "municipality": municipality,
        "form": form,
        "outside": outside,
        "gate": gate,
        "paragraphs": actions.paragraph_options(db, consultation),
        "categories": actions.CATEGORIES,
        "speakers": [] if outside else speaker_options(request, gate),
        "organisations": municipality_options(actions.entry_organisations(db, consultation) if outside else []),
        "channels": [(c, gettext(CHANNEL_LABELS[c])) for c in actions.OUTSIDE_CHANNELS],
    }
    if not outside and not form.values and len(context["speakers"]) == 1:
        form.values["organisation_id"] = context["speakers"][0][0]
    return context


async def _submit(request: Request, outside: bool):
    """The form for a new proposal (a participant's, or an outside one an official enters), and its submission."""
    values = values_of(await request.form()) if request.method == "POST" else None
    consultation, municipality = load_consultation(request)
    user = require_user(request)
    if outside and not can(user, "consultation.manage", municipality):
        raise HTTPException(403, gettext(actions.ONLY_OFFICIALS))
    db = request.state.db
    form, status = empty_form(), 200
    if values is not None:
        model = actions.OutsideProposalInput if outside else actions.ProposalInput
        form = validate(model, {**values, "organisation_id": values.get("organisation_id") or None})
        status = 422
        if form.ok:
            submit = actions.enter_proposal if outside else actions.submit_proposal
            try:
                proposal = submit(db, user, consultation, form.data)
            except DomainError as error:
                db.rollback()
                form.add_error(error)
                status = error.status_code
            else:
                done = gettext("The proposal is entered.") if outside else gettext("Your proposal is submitted.")
                flash(request, done)
                response = see_other(_detail_url(request, consultation, proposal))
                return response if outside else with_receipt_mail(request, "proposal", proposal.id, response)
    context = _form_context(request, consultation, municipality, form, outside)
    return render(request, "proposals/form.html", context, status_code=status)


async def create(request: Request):
    return await _submit(request, outside=False)


async def enter(request: Request):
    return await _submit(request, outside=True)


async def vote(request: Request):
    """Cast or change an organisation's vote: in place with htmx (the form and the tally), else 303 to the proposal."""
    values = values_of(await request.form())
    consultation, municipality, proposal = load_proposal(request)
    user = require_user(request)
    db = request.state.db
    form = validate(votes.VoteInput, values)
    status = 422
    if form.ok:
        try:
            cast = votes.cast_vote(db, user, proposal, form.data.organisation_id, form.data.choice)
        except DomainError as error:
            db.rollback()
            form.add_error(error)
            status = error.status_code
        else:
            organisation = db.get(Organisation, cast.organisation_id)
            message = gettext(
                "The vote of %(organisation)s is saved: %(choice)s.",
                organisation=organisation.name,
                choice=gettext(votes.VOTED_LABELS[cast.choice]),
            )
            if not is_fragment_request(request):
                flash(request, message)
                return see_other(f"{_detail_url(request, consultation, proposal)}#proposal-{proposal.id}-vote")
            context = {
                "voting": voting_block(request, consultation, proposal, notice=message),
                "tally": actions.tally_of(db, proposal.id),
                "consultation": consultation,
            }
            return render(request, "proposals/_voted.html", context)
    context = _detail_context(request, consultation, municipality, proposal, vote_form=form)
    return render(request, "proposals/detail.html", context, fragment="proposals/_vote_form.html", status_code=status)


async def withdraw(request: Request):
    consultation, _municipality, proposal = load_proposal(request)
    user = require_user(request)
    try:
        actions.withdraw_proposal(request.state.db, user, proposal, consultation)
    except DomainError as error:
        raise HTTPException(error.status_code, error.translated()) from error
    flash(request, gettext("Your proposal is withdrawn. It stays on the list, marked as withdrawn."))
    return see_other(_detail_url(request, consultation, proposal))


async def hide(request: Request):
    """The moderators' form to hide a proposal with a public reason, and hiding it."""
    values = values_of(await request.form()) if request.method == "POST" else None
    consultation, municipality, proposal = load_proposal(request)
    db, user = request.state.db, require_user(request)
    if not can(user, "comment.moderate", municipality):  # before the form: its errors are the moderators'
        raise HTTPException(403, gettext(moderation.ONLY_MODERATORS))
    form, status = empty_form(), 200
    if values is not None:
        form, status = validate(moderation.ProposalModerationInput, values), 422
        if form.ok:
            try:
                moderation.hide_proposal(db, user, proposal, consultation, form.data)
            except DomainError as error:
                raise HTTPException(error.status_code, error.translated()) from error
            flash(request, gettext("The proposal is hidden. The reason is shown in its place."))
            return see_other(_detail_url(request, consultation, proposal))
    context = {"consultation": consultation, "view": actions.get_proposal_view(db, proposal), "form": form}
    return render(request, "proposals/hide.html", context, status_code=status)


async def restore(request: Request):
    consultation, _municipality, proposal = load_proposal(request)
    user = require_user(request)
    try:
        moderation.restore_proposal(request.state.db, user, proposal, consultation)
    except DomainError as error:
        raise HTTPException(error.status_code, error.translated()) from error
    flash(request, gettext("The proposal is restored."))
    return see_other(_detail_url(request, consultation, proposal))


async def comment(request: Request):
    """A comment in the proposal's discussion; the comment engine's responses (fragment or 303) serve it."""
    values = values_of(await request.form())
    consultation, municipality, proposal = load_proposal(request)
    db = request.state.db
    thread = threads.thread_of(db, proposal)
    ctx = threads.thread_context(db, consultation, municipality, proposal, thread, request.url_for)
    form = validate(comments.CommentInput, {**values, "organisation_id": values.get("organisation_id") or None})
    status = 422
    if form.ok:
        try:
            new = comments.submit_comment(db, request.state.user, thread.id, ctx.gate, form.data)
        except DomainError as error:
            db.rollback()
            form.add_error(error)
            status = error.status_code
        else:
            return comment_response(request, ctx, new)
    return comment_response(request, ctx, None, form=form, status_code=status)


PROPOSAL = "/consultations/{slug}/proposals/{proposal_id:id}"
routes = [
    Route("/consultations/{slug}/proposals", list_page, name="proposals:list"),
    Route("/consultations/{slug}/proposals/new", create, methods=["GET", "POST"], name="proposals:create"),
    Route("/consultations/{slug}/proposals/enter", enter, methods=["GET", "POST"], name="proposals:enter"),
    Route(PROPOSAL, detail, name="proposals:detail"),
    Route(PROPOSAL + "/vote", vote, methods=["POST"], name="proposals:vote"),
    Route(PROPOSAL + "/withdraw", withdraw, methods=["POST"], name="proposals:withdraw"),
    Route(PROPOSAL + "/hide", hide, methods=["GET", "POST"], name="proposals:hide"),
    Route(PROPOSAL + "/restore", restore, methods=["POST"], name="proposals:restore"),
    Route(PROPOSAL + "/comments", comment, methods=["POST"], name="proposals:comment"),
]
