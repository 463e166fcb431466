"""Registering for a meeting, changing and cancelling a registration; the organiser's list with head counts, its CSV
file, and the attendance after the meeting."""

from __future__ import annotations

from dataclasses import dataclass, field

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from consult.errors import DomainError
from consult.forms import Form, values_of
from consult.i18n import _, gettext, ngettext
from consult.meetings import export, queries, registrations
from consult.meetings.after import record_attendance
from consult.meetings.flow import attempt, load_meeting, load_organised, meeting_url
from consult.meetings.queries import RegistrantOption, RegistrationRow
from consult.models import Meeting, MeetingBreakout, Registration, utcnow
from consult.organisations.views import require_user
from consult.permissions import can
from consult.web import flash, is_fragment_request, render, see_other, send_mail_after

FORM_LABELS = {
    "organisation_id": _("On behalf of"),
    "head_count": _("Number of people"),
    "participants": _("Participants' names"),
    "breakout_id": _("Breakout group"),
    "accessibility_needs": _("Accessibility needs"),
    "catering_needs": _("Catering"),
}
AUDIENCE_REFUSALS = {
    "network": _("This meeting is for the network's member organisations and its coordinators."),
    "group": _("This meeting is for the working group's members and its coordinator."),
    "municipality": _("This meeting is for verified organisations: register on behalf of one you act for."),
    "everyone": _("You cannot register for this meeting."),
}


@dataclass
class RegistrationBlock:
    """What the registration region of a meeting shows: the reader's registrations, and the form or why not."""

    meeting: Meeting
    mine: list[RegistrationRow]
    options: list[RegistrantOption]  # admitted, and not registered yet
    refusal: str  # translated; "" when the form is shown (or the reader has nothing more to register)
    form: Form
    breakouts: list[MeetingBreakout]
    seats_left: int | None
    waiting: int
    notice: str = ""
    labels: dict[str, str] = field(default_factory=dict)
    changeable: bool = False  # registrations can still be changed or cancelled (the meeting has not started)


def registration_block(
    request: Request,
    meeting: Meeting,
    rows: list[RegistrationRow],
    breakouts: list[MeetingBreakout],
    form: Form | None = None,
    notice: str = "",
) -> RegistrationBlock:
    db, user = request.state.db, request.state.user
    mine = queries.mine(rows, user)
    taken = {str(row.registration.organisation_id or "") for row in mine}
    options = [o for o in queries.registrant_options(db, user, meeting) if o.admitted and o.value not in taken]
    refusal = registrations.registration_refusal(meeting)
    if form is not None and form.errors:
        message = ""  # the form comes back as typed, its error summary saying why
    elif refusal is not None:
        message = refusal.translated()
    elif user is None:
        message = ""
    elif not options and not mine:
        message = gettext(AUDIENCE_REFUSALS[meeting.audience])
    else:
        message = ""
    if form is None:
        form = Form(None, {"head_count": "1", "organisation_id": options[0].value if options else ""})
    if len(breakouts) == 1 and not form.values.get("breakout_id"):
        form.values["breakout_id"] = str(breakouts[0].id)
    left = None if meeting.capacity is None else max(meeting.capacity - meeting.seats_taken, 0)
    waiting = sum(1 for row in rows if row.registration.status == "waitlisted")
    labels = {k: gettext(v) for k, v in FORM_LABELS.items()}
    changeable = meeting.cancelled_at is None and meeting.starts_at > utcnow()
    return RegistrationBlock(
        meeting, mine, options, message, form, breakouts, left, waiting, notice, labels, changeable
    )


def _outcome(registration: Registration, position: int | None) -> str:
    if registration.status == "confirmed":
        return ngettext(
            "You are registered: %(num)d person.", "You are registered: %(num)d people.", registration.head_count
        )
    return gettext(
        "The meeting is full: you are number %(place)s on the waiting list. We will e-mail you if a place frees up.",
        place=position or 1,
    )


def _region(request: Request, meeting: Meeting, form: Form | None = None, notice: str = "", status: int = 200):
    """The meeting page, or only its registration region for htmx."""
    from consult.meetings.meeting_views import detail_context

    context = detail_context(request, meeting, form=form, notice=notice)
    return render(request, "meetings/detail.html", context, fragment="meetings/_registration.html", status_code=status)


def _back(request: Request, meeting: Meeting) -> str:
    return f"{request.url_for('meetings:detail', slug=meeting.slug)}#meeting-{meeting.id}-registration"


async def register(request: Request):
    values = values_of(await request.form())
    meeting = load_meeting(request)
    db, user = request.state.db, require_user(request)
    act = lambda d: registrations.register_for_meeting(db, user, meeting, d)  # noqa: E731
    form, status, registration = attempt(request, registrations.RegistrationInput, values, act)
    if registration is None:
        return _region(request, meeting, form, status=status)
    rows = queries.live_registrations(db, meeting.id)
    position = next((r.position for r in rows if r.registration.id == registration.id), None)
    notice = _outcome(registration, position)
    if is_fragment_request(request):
        return _region(request, meeting, notice=notice)
    _tell(request, notice)
    return see_other(_back(request, meeting))


def _tell(request: Request, notice: str) -> None:
    """A notice for the registration region of the meeting's page, which the 303 leads to (a banner at the top of the
    page would be out of view there)."""
    request.session["meeting_notice"] = notice


def _load_registration(request: Request) -> tuple[Meeting, Registration]:
    meeting = load_meeting(request)
    registration = queries.registration_of(request.state.db, meeting, request.path_params["registration_id"])
    if registration is None:
        raise HTTPException(404)
    if not can(require_user(request), "meeting.change_registration", registration):
        raise HTTPException(403, gettext("Only the registered organisation's members can change its registration."))
    return meeting, registration


def _stored(registration: Registration) -> dict:
    return {
        "head_count": str(registration.head_count),
        "participants": registration.participants,
        "breakout_id": str(registration.breakout_id or ""),
        "accessibility_needs": registration.accessibility_needs,
        "catering_needs": registration.catering_needs,
    }


async def change(request: Request):
    values = values_of(await request.form()) if request.method == "POST" else None
    meeting, registration = _load_registration(request)
    db, user = request.state.db, request.state.user
    form, status = Form(None, _stored(registration)), 200
    if values is not None:
        link = meeting_url(request, meeting)
        act = lambda d: registrations.change_registration(db, user, registration, d, link)  # noqa: E731
        form, status, changed = attempt(request, registrations.RegistrationInput, values, act)
        if changed is not None:
            _tell(request, gettext("The registration is changed."))
            return send_mail_after(request, see_other(_back(request, meeting)))
    row = next((r for r in queries.live_registrations(db, meeting.id) if r.registration.id == registration.id), None)
    context = {
        "meeting": meeting,
        "registration": registration,
        "row": row,
        "form": form,
        "breakouts": queries.breakouts_of(db, meeting.id),
        "labels": {k: gettext(v) for k, v in FORM_LABELS.items()},
    }
    return render(request, "meetings/registration.html", context, status_code=status)


async def cancel(request: Request):
    meeting, registration = _load_registration(request)
    db, user = request.state.db, request.state.user
    try:
        promoted = registrations.cancel_registration(db, user, registration, meeting_url(request, meeting))
    except DomainError as error:
        db.rollback()
        raise HTTPException(error.status_code, error.translated()) from error
    notice = gettext("The registration is cancelled.")
    if promoted:
        notice += " " + ngettext(
            "%(num)d registration moved up from the waiting list.",
            "%(num)d registrations moved up from the waiting list.",
            len(promoted),
        )
    if is_fragment_request(request):
        return send_mail_after(request, _region(request, meeting, notice=notice))
    _tell(request, notice)
    return send_mail_after(request, see_other(_back(request, meeting)))


# --- the organiser's list ----------------------------------------------------------------------


def _list_context(request: Request, meeting: Meeting, errors: dict | None = None, values: dict | None = None) -> dict:
    from consult.meetings.meeting_views import labels

    db = request.state.db
    rows = queries.live_registrations(db, meeting.id)
    breakouts = queries.breakouts_of(db, meeting.id)
    typed = values or {f"attended-{r.registration.id}": r.registration.attended for r in rows}
    return {
        "meeting": meeting,
        "rows": rows,
        "tallies": queries.tallies(meeting, breakouts, rows),
        "started": meeting.starts_at <= utcnow() and meeting.published_at is not None and not meeting.cancelled_at,
        "attendance": {k: "" if v is None else str(v) for k, v in typed.items()},
        "errors": errors or {},
        "statuses": {k: gettext(v) for k, v in export.STATUS_LABELS.items()},
        **labels(),
    }


async def registrations_page(request: Request):
    meeting = load_organised(request)
    return render(request, "meetings/registrations.html", _list_context(request, meeting))


async def attendance(request: Request):
    values = values_of(await request.form())
    meeting = load_organised(request)
    db, user = request.state.db, request.state.user
    try:
        record_attendance(db, user, meeting, values)
    except DomainError as error:
        db.rollback()
        if error.status_code != 422:
            raise HTTPException(error.status_code, error.translated()) from error
        context = _list_context(request, meeting, {error.field: error.translated()}, values)
        return render(request, "meetings/registrations.html", context, status_code=422)
    flash(request, gettext("The attendance is saved."))
    return see_other(request.url_for("meetings:registrations", slug=meeting.slug))


async def registrations_csv(request: Request):
    meeting = load_organised(request)
    rows = queries.live_registrations(request.state.db, meeting.id)
    body = export.registrations_csv(rows, request.app.state.settings.time_zone)
    name = f"zgloszenia-{meeting.slug}.csv"
    headers = {"Content-Disposition": f'attachment; filename="{name}"'}
    return Response(body, media_type="text/csv; charset=utf-8", headers=headers)


routes = [
    Route("/meetings/{slug}/register", register, methods=["POST"], name="meetings:register"),
    Route("/meetings/{slug}/registrations.csv", registrations_csv, name="meetings:csv"),
    Route("/meetings/{slug}/registrations", registrations_page, name="meetings:registrations"),
    Route(
        "/meetings/{slug}/registrations/{registration_id:id}",
        change,
        methods=["GET", "POST"],
        name="meetings:change_registration",
    ),
    Route(
        "/meetings/{slug}/registrations/{registration_id:id}/cancel",
        cancel,
        methods=["POST"],
        name="meetings:cancel_registration",
    ),
    Route("/meetings/{slug}/attendance", attendance, methods=["POST"], name="meetings:attendance"),
]
