"""The e-mails of the meetings feature, queued in the action's transaction through the outbox.

They go only to the person who registered (their own confirmed account's address), and only when an organiser's
action or a cancellation changed their registration: promoted from the waiting list, the meeting cancelled, its time
or place changed. Nobody can make them go to an address of their choosing, so they need no rate limit.
"""

from __future__ import annotations

from sqlmodel import Session, col, select

from consult.i18n import format_when, gettext
from consult.mail import queue_mail
from consult.models import Meeting, Registration, User
from consult.notifications.dispatch import notify


def _address(session: Session, registration: Registration) -> str | None:
    if registration.registered_by_id is None:
        return None
    user = session.get(User, registration.registered_by_id)
    return user.email if user is not None and user.confirmed_at is not None else None


def promoted(session: Session, meeting: Meeting, registration: Registration, link: str) -> None:
    """Through notifications' door: the person's settings for "registration_promoted" decide (the body has the link)."""
    notify(
        session,
        [registration.registered_by_id],
        "registration_promoted",
        gettext("A place for you: %(title)s", title=meeting.title),
        gettext(
            "A place has become free and your registration for “%(title)s” (%(when)s) moved from the waiting list to "
            "the confirmed list: %(count)s people. If you can no longer come, cancel the registration so that the "
            "next in line gets the place:\n\n%(link)s",
            title=meeting.title,
            when=format_when(meeting.starts_at),
            count=registration.head_count,
            link=link,
        ),
        "",
    )


def _registrants(session: Session, meeting_id: int) -> list[str]:
    rows = session.exec(
        select(User.email)
        .join(Registration, col(Registration.registered_by_id) == User.id)
        .where(
            Registration.meeting_id == meeting_id,
            Registration.status != "cancelled",
            col(User.confirmed_at).is_not(None),
        )
        .distinct()
    ).all()
    return sorted(rows)


def cancelled(session: Session, meeting: Meeting, link: str) -> int:
    addresses = _registrants(session, meeting.id)
    for address in addresses:
        queue_mail(
            session,
            address,
            gettext("Cancelled: %(title)s", title=meeting.title),
            gettext(
                "The organiser has cancelled “%(title)s”, planned for %(when)s, for which you registered.\n\n"
                "The reason given: %(reason)s\n\n%(link)s",
                title=meeting.title,
                when=format_when(meeting.starts_at),
                reason=meeting.cancel_reason,
                link=link,
            ),
        )
    return len(addresses)


def changed(session: Session, meeting: Meeting, venue: str, link: str) -> int:
    addresses = _registrants(session, meeting.id)
    for address in addresses:
        queue_mail(
            session,
            address,
            gettext("Changed time or place: %(title)s", title=meeting.title),
            gettext(
                "The organiser has changed the time or the place of “%(title)s”, for which you registered. It now "
                "starts %(when)s, at: %(venue)s.\n\n%(link)s",
                title=meeting.title,
                when=format_when(meeting.starts_at),
                venue=venue or "-",
                link=link,
            ),
        )
    return len(addresses)
