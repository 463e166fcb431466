"""Meeting pages: the list (coming and past), a meeting with its registration, planning and editing, publishing and
cancelling."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.routing import Route

from consult.answers.contributions import public_answers
from consult.errors import DomainError
from consult.forms import Form, values_of
from consult.i18n import _, format_when, gettext
from consult.meetings import actions, inputs, points, queries
from consult.meetings.flow import attempt, load_meeting, load_organised, local_input, may_organise, meeting_url
from consult.meetings.registration_views import registration_block
from consult.meetings.registrations import closes_at
from consult.meetings.rules import ORGANISER_ROLES
from consult.models import Meeting, Organisation, utcnow
from consult.organisations.views import require_user
from consult.permissions import Principal, can
from consult.web import flash, page_number, render, see_other, send_mail_after

STATE_LABELS = {
    "cancelled": _("Cancelled"),
    "draft": _("Draft, not published"),
    "past": _("Took place"),
    "under_way": _("Under way"),
    "closed": _("Registration closed"),
    "open": _("Registration open"),
}
FORM_LABELS = {
    "kind": _("Kind"),
    "organisation_id": _("Organiser"),
    "starts_at": _("Start"),
    "ends_at": _("End"),
    "registration_closes_at": _("Registration deadline"),
    "venue": _("Venue"),
    "venue_address": _("Address"),
    "booking_id": _("Booked room"),
    "online_url": _("Online link"),
    "capacity": _("Places"),
    "audience": _("Who the meeting is for"),
    "municipality_id": _("The municipality"),
    "network_id": _("Network"),
    "group_id": _("Working group"),
    "agenda": _("Agenda"),
    "breakouts": _("Breakout groups"),
    "minutes": _("Minutes"),
}
MIN_BREAKOUT_ROWS = 6


def state_of(meeting: Meeting) -> str:
    now = utcnow()
    if meeting.cancelled_at is not None:
        return "cancelled"
    if meeting.published_at is None:
        return "draft"
    if meeting.ends_at <= now:
        return "past"
    if meeting.starts_at <= now:
        return "under_way"
    return "closed" if now >= closes_at(meeting) else "open"


def when_span(meeting: Meeting, zone: str = "Europe/Warsaw") -> str:
    """ "14 października 2026 r., godz. 10:00–14:00", or both ends in full when it lasts past a day."""
    if format_when(meeting.starts_at, zone, "date") == format_when(meeting.ends_at, zone, "date"):
        return f"{format_when(meeting.starts_at, zone)}–{meeting.ends_at.astimezone(ZoneInfo(zone)):%H:%M}"
    return f"{format_when(meeting.starts_at, zone)} – {format_when(meeting.ends_at, zone)}"


def labels() -> dict:
    """The translated names of the vocabularies a meetings template shows, and how it writes a meeting's time."""
    return {
        "span": when_span,
        "kinds": {k: gettext(v) for k, v in inputs.KIND_LABELS.items()},
        "audiences": {k: gettext(v) for k, v in inputs.AUDIENCE_LABELS.items()},
        "states": {k: gettext(v) for k, v in STATE_LABELS.items()},
        "form_labels": {k: gettext(v) for k, v in FORM_LABELS.items()},
    }


def _coordinates_anything(request: Request, user: Principal) -> bool:
    db = request.state.db
    return bool(queries.coordinated_networks(db, user)) or bool(queries.coordinated_groups(db, user))


async def list_page(request: Request):
    db, user = request.state.db, request.state.user
    page = page_number(request)
    upcoming = queries.upcoming_meetings(db, limit=100)
    past, total = queries.past_meetings(db, page)
    drafts = queries.drafts_of(db, user)
    context = {
        "upcoming": upcoming,
        "past": past,
        "drafts": drafts,
        "page": page,
        "pages": max((total + queries.PAST_PAGE_SIZE - 1) // queries.PAST_PAGE_SIZE, 1),
        "organisers": queries.organisers(db, upcoming + past + drafts),
        "may_plan": user is not None and can(user, "meeting.plan", _coordinates_anything(request, user)),
        **labels(),
    }
    return render(request, "meetings/list.html", context)


def detail_context(request: Request, meeting: Meeting, *, form: Form | None = None, notice: str = "") -> dict:
    db, user = request.state.db, request.state.user
    rows = queries.live_registrations(db, meeting.id)
    breakouts = queries.breakouts_of(db, meeting.id)
    _booking, room = queries.venue_of(db, meeting)
    entered = points.entered_points(db, meeting.id)
    may_enter = (
        meeting.minutes_published_at is not None
        and user is not None
        and bool(points.open_consultations_for(db, user, meeting.starts_at))
    )
    return {
        "meeting": meeting,
        "organiser": db.get(Organisation, meeting.organisation_id),
        "room": room,
        "breakouts": breakouts,
        "state": state_of(meeting),
        "audience_name": queries.audience_name(db, meeting),
        "block": registration_block(request, meeting, rows, breakouts, form, notice),
        "may_organise": may_organise(request, meeting),
        "totals": queries.tallies(meeting, breakouts, rows)[-1],
        "points": entered,
        "answers": public_answers(db, "comment", [p.comment.id for p in entered if p.comment]),
        "minutes_points": points.minutes_points(meeting.minutes) if may_enter else [],
        **labels(),
    }


async def detail(request: Request):
    meeting = load_meeting(request)
    notice = request.session.pop("meeting_notice", "")  # after registering, changing or cancelling without htmx
    return render(request, "meetings/detail.html", detail_context(request, meeting, notice=notice))


# --- planning and editing --------------------------------------------------------------------


def _breakout_rows(values: dict) -> list[tuple[str, str, str]]:
    """The breakout rows the form shows: those typed (or stored), then empty ones to fill in."""

    def listed(name: str) -> list[str]:
        value = values.get(f"{name}[]", values.get(name, []))
        return [value] if isinstance(value, str) else list(value)

    names, capacities, refs = listed("breakout_name"), listed("breakout_capacity"), listed("breakouts")
    count = max(len(names), len(capacities), len(refs))
    rows = [
        (
            refs[i] if i < len(refs) else "",
            names[i] if i < len(names) else "",
            capacities[i] if i < len(capacities) else "",
        )
        for i in range(count)
    ]
    rows = [row for row in rows if any(row)]
    return rows + [("", "", "")] * max(MIN_BREAKOUT_ROWS - len(rows), 2)


def form_context(request: Request, form: Form, meeting: Meeting | None = None) -> dict:
    db, user = request.state.db, request.state.user
    organisations = queries.acting_for(db, user)
    if meeting is not None and meeting.organisation_id not in {o.id for o in organisations}:
        organisations.append(db.get(Organisation, meeting.organisation_id))
    bookings = [
        (str(b.id), f"{room.name} ({owner.name}), {format_when(b.starts_at)} – {format_when(b.ends_at)}")
        for b, room, owner in queries.usable_bookings(db, [o.id for o in organisations])
    ]
    return {
        "form": form,
        "meeting": meeting,
        "organisations": [(str(o.id), o.name) for o in organisations],
        "bookings": bookings,
        "networks": [(str(n.id), n.name) for n in queries.coordinated_networks(db, user)],
        "groups": [(str(g.id), g.name) for g in queries.coordinated_groups(db, user)],
        "municipalities": [(str(m.id), m.name) for m in queries.municipalities(db)],
        "breakout_rows": _breakout_rows(form.values),
        **labels(),
    }


def _initial_new(request: Request, user: Principal) -> dict:
    """A new meeting's form: the kind and the network or group it was opened from (?network=slug, ?group=slug)."""
    db, params = request.state.db, request.query_params
    values = {"kind": params.get("kind", "meeting"), "audience": "everyone", "venue": "address"}
    organisers = [o for o, role in user.roles.items() if role in ORGANISER_ROLES] or list(user.roles)
    if organisers:
        values["organisation_id"] = str(organisers[0])
    for name, options in (("network", queries.coordinated_networks), ("group", queries.coordinated_groups)):
        chosen = [item for item in options(db, user) if item.slug == params.get(name)]
        if chosen:
            values |= {"audience": name, f"{name}_id": str(chosen[0].id)}
            values["kind"] = params.get("kind", "quarterly" if name == "network" else "meeting")
    return values


async def create(request: Request):
    values = values_of(await request.form()) if request.method == "POST" else None
    user = require_user(request)
    db = request.state.db
    if not can(user, "meeting.plan", _coordinates_anything(request, user)):
        raise HTTPException(403, gettext(inputs.ONLY_ORGANISERS))
    form, status = Form(None, _initial_new(request, user)), 200
    if values is not None:
        form, status, meeting = attempt(
            request, inputs.MeetingInput, values, lambda d: actions.create_meeting(db, user, d)
        )
        if meeting is not None:
            flash(request, gettext("The meeting is saved as a draft: check it, then publish it."))
            return see_other(request.url_for("meetings:detail", slug=meeting.slug))
    return render(request, "meetings/form.html", form_context(request, form), status_code=status)


def _stored_values(request: Request, meeting: Meeting) -> dict:
    breakouts = queries.breakouts_of(request.state.db, meeting.id)
    values = {
        k: "" if v is None else str(v) for k, v in meeting.model_dump().items() if k in inputs.MeetingInput.model_fields
    }
    values |= {k: local_input(request, getattr(meeting, k)) for k in ("starts_at", "ends_at", "registration_closes_at")}
    values["venue"] = "room" if meeting.booking_id else "address"
    values["breakouts[]"] = [str(b.id) for b in breakouts]
    values["breakout_name[]"] = [b.name for b in breakouts]
    values["breakout_capacity[]"] = ["" if b.capacity is None else str(b.capacity) for b in breakouts]
    return values


async def edit(request: Request):
    values = values_of(await request.form()) if request.method == "POST" else None
    meeting = load_organised(request)
    db, user = request.state.db, request.state.user
    form, status = Form(None, _stored_values(request, meeting)), 200
    if values is not None:
        link = meeting_url(request, meeting)
        act = lambda d: actions.edit_meeting(db, user, meeting, d, link)  # noqa: E731
        form, status, changed = attempt(request, inputs.MeetingInput, values, act)
        if changed is not None:
            flash(request, gettext("The changes are saved."))
            return send_mail_after(request, see_other(request.url_for("meetings:detail", slug=changed.slug)))
    return render(request, "meetings/form.html", form_context(request, form, meeting), status_code=status)


async def publish(request: Request):
    meeting = load_organised(request)
    try:
        actions.publish_meeting(request.state.db, request.state.user, meeting)
    except DomainError as error:
        request.state.db.rollback()
        raise HTTPException(error.status_code, error.translated()) from error
    flash(request, gettext("The meeting is published: registration is open."))
    return see_other(request.url_for("meetings:detail", slug=meeting.slug))


async def cancel(request: Request):
    values = values_of(await request.form()) if request.method == "POST" else None
    meeting = load_organised(request)
    db, user = request.state.db, request.state.user
    form, status = Form(None, {}), 200
    if values is not None:
        link = meeting_url(request, meeting)
        act = lambda d: actions.cancel_meeting(db, user, meeting, d, link)  # noqa: E731
        form, status, told = attempt(request, inputs.CancelInput, values, act)
        if told is not None:
            flash(request, gettext("The meeting is cancelled. Those registered are told by e-mail."))
            return send_mail_after(request, see_other(request.url_for("meetings:detail", slug=meeting.slug)))
    context = {"meeting": meeting, "form": form, "state": state_of(meeting), **labels()}
    return render(request, "meetings/cancel.html", context, status_code=status)


routes = [
    Route("/meetings", list_page, name="meetings:list"),
    Route("/meetings/new", create, methods=["GET", "POST"], name="meetings:create"),
    Route("/meetings/{slug}", detail, name="meetings:detail"),
    Route("/meetings/{slug}/edit", edit, methods=["GET", "POST"], name="meetings:edit"),
    Route("/meetings/{slug}/publish", publish, methods=["POST"], name="meetings:publish"),
    Route("/meetings/{slug}/cancel", cancel, methods=["GET", "POST"], name="meetings:cancel"),
]
