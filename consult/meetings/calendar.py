"""Meetings as iCalendar (RFC 5545), written with the icalendar library: one meeting's .ics file, and the feeds of an
organisation, a network, a working group and a municipality.

Times are written in UTC ("20261025T080000Z"): unambiguous on the night the clocks go back, and every calendar
program shows them in its reader's zone. (icalendar's generated VTIMEZONE puts the spring change an hour late, so no
local times with TZID are written.) The UID is the meeting's id at the site's host: it never changes, so a calendar
that subscribed updates the event in place, and marks it cancelled when the organiser cancels.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urlsplit

from icalendar import Calendar, Event

from consult.models import Meeting, utcnow

PRODID = "-//consult//meetings//PL"
MEDIA_TYPE = "text/calendar; charset=utf-8"


@dataclass(frozen=True)
class Entry:
    """One meeting with what its event says beyond the row: its page, its place, its organiser."""

    meeting: Meeting
    url: str
    location: str
    organiser: str


def uid(meeting: Meeting, base_url: str) -> str:
    return f"meeting-{meeting.id}@{urlsplit(base_url).hostname or 'consult'}"


def _utc(moment: datetime) -> datetime:
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(UTC)


def event(entry: Entry, base_url: str, stamp: datetime) -> Event:
    meeting = entry.meeting
    item = Event()
    item.add("uid", uid(meeting, base_url))
    item.add("dtstamp", stamp)
    item.add("dtstart", _utc(meeting.starts_at))
    item.add("dtend", _utc(meeting.ends_at))
    item.add("summary", meeting.title)
    lines = [entry.organiser, meeting.agenda.strip(), meeting.online_url, entry.url]
    item.add("description", "\n\n".join(line for line in lines if line))
    if entry.location:
        item.add("location", entry.location)
    item.add("url", entry.url)
    item.add("status", "CANCELLED" if meeting.cancelled_at is not None else "CONFIRMED")
    item.add("created", _utc(meeting.created_at))
    return item


def calendar(name: str, entries: Iterable[Entry], base_url: str, zone: str = "Europe/Warsaw") -> bytes:
    """A calendar of these meetings, named for a subscribing program (X-WR-CALNAME)."""
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", name)
    cal.add("x-wr-timezone", zone)
    stamp = _utc(utcnow()).replace(microsecond=0)
    for entry in entries:
        cal.add_component(event(entry, base_url, stamp))
    return cal.to_ical()
