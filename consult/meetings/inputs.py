"""What the meeting forms carry: the input models with their checks, and the names of the fixed vocabularies."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from pydantic import BaseModel, Field, ValidationInfo, field_validator

from consult.consultations.actions import parse_local
from consult.forms import invalid
from consult.i18n import _
from consult.models import MEETING_AUDIENCES, MEETING_KINDS

KIND_LABELS = {
    "meeting": _("Meeting"),
    "quarterly": _("Quarterly network meeting"),
    "forum": _("Forum"),
    "training": _("Training"),
    "congress": _("Congress"),
}
AUDIENCE_LABELS = {
    "everyone": _("Everyone"),
    "municipality": _("Organisations of a municipality"),
    "network": _("Member organisations of a network"),
    "group": _("Members of a working group"),
}
MAX_CAPACITY = 10_000
MAX_BREAKOUTS = 12
RESERVED_SLUGS = {"new"}
ONLY_ORGANISERS = _(
    "Meetings are run by the organising organisation's admins and officials, a network's coordinators or a working "
    "group's coordinator."
)


def _blank_is_none(value: object) -> object:
    return None if value == "" else value


@dataclass(frozen=True)
class BreakoutRow:
    ref: int | None  # an existing group's id; None for a new one
    name: str
    capacity: int | None


class MeetingInput(BaseModel):
    title: str = Field(min_length=5, max_length=300)
    kind: str = "meeting"
    organisation_id: int
    starts_at: datetime
    ends_at: datetime
    registration_closes_at: datetime | None = None
    venue: str = "address"
    venue_address: str = Field(default="", max_length=300, validate_default=True)
    booking_id: int | None = Field(default=None, validate_default=True)
    online_url: str = Field(default="", max_length=500)
    capacity: int | None = None
    audience: str = "everyone"
    municipality_id: int | None = Field(default=None, validate_default=True)
    network_id: int | None = Field(default=None, validate_default=True)
    group_id: int | None = Field(default=None, validate_default=True)
    agenda: str = Field(default="", max_length=50_000)
    breakout_name: list[str] = Field(default_factory=list)
    breakout_capacity: list[str] = Field(default_factory=list)
    breakouts: list[str] = Field(default_factory=list, validate_default=True)  # ids of existing groups, "" for new

    @field_validator("kind")
    @classmethod
    def _kind(cls, value: str) -> str:
        if value not in MEETING_KINDS:
            raise invalid(_("Choose what kind of meeting it is."))
        return value

    @field_validator("starts_at", "ends_at", "registration_closes_at", mode="before")
    @classmethod
    def _local_time(cls, value: object) -> object:
        return parse_local(value) if isinstance(value, str) and value else _blank_is_none(value)

    @field_validator("ends_at")
    @classmethod
    def _after_start(cls, value: datetime, info: ValidationInfo) -> datetime:
        starts = info.data.get("starts_at")
        if starts is not None and value <= starts:
            raise invalid(_("The end must be after the start."))
        return value

    @field_validator("registration_closes_at")
    @classmethod
    def _closes_by_start(cls, value: datetime | None, info: ValidationInfo) -> datetime | None:
        starts = info.data.get("starts_at")
        if value is not None and starts is not None and value > starts:
            raise invalid(_("Registration must close by the start of the meeting."))
        return value

    @field_validator("venue")
    @classmethod
    def _venue(cls, value: str) -> str:
        if value not in ("address", "room"):
            raise invalid(_("Choose where the meeting takes place."))
        return value

    @field_validator("venue_address")
    @classmethod
    def _address(cls, value: str, info: ValidationInfo) -> str:
        if info.data.get("venue", "address") == "address" and len(value.strip()) < 3:
            raise invalid(_("Give the address where the meeting takes place."))
        return value.strip()

    @field_validator("booking_id", "municipality_id", "network_id", "group_id", "capacity", mode="before")
    @classmethod
    def _optional_number(cls, value: object) -> object:
        return _blank_is_none(value)

    @field_validator("booking_id")
    @classmethod
    def _booking(cls, value: int | None, info: ValidationInfo) -> int | None:
        if info.data.get("venue") == "room" and value is None:
            raise invalid(_("Choose the booked room."))
        return value

    @field_validator("online_url")
    @classmethod
    def _url(cls, value: str) -> str:
        if value and (not value.startswith(("https://", "http://")) or any(c.isspace() for c in value)):
            raise invalid(_("Give a web address starting with https://, or leave this empty."))
        return value

    @field_validator("capacity")
    @classmethod
    def _capacity(cls, value: int | None) -> int | None:
        if value is not None and not 1 <= value <= MAX_CAPACITY:
            raise invalid(_("Give a number of places from 1 to 10,000, or leave this empty for no limit."))
        return value

    @field_validator("audience")
    @classmethod
    def _audience(cls, value: str) -> str:
        if value not in MEETING_AUDIENCES:
            raise invalid(_("Choose who the meeting is for."))
        return value

    @field_validator("municipality_id")
    @classmethod
    def _municipality(cls, value: int | None, info: ValidationInfo) -> int | None:
        if info.data.get("audience") == "municipality" and value is None:
            raise invalid(_("Choose the municipality."))
        return value

    @field_validator("network_id")
    @classmethod
    def _network(cls, value: int | None, info: ValidationInfo) -> int | None:
        if info.data.get("audience") == "network" and value is None:
            raise invalid(_("Choose the network."))
        return value

    @field_validator("group_id")
    @classmethod
    def _group(cls, value: int | None, info: ValidationInfo) -> int | None:
        if info.data.get("audience") == "group" and value is None:
            raise invalid(_("Choose the working group."))
        return value

    @field_validator("breakouts")
    @classmethod
    def _breakouts(cls, value: list[str], info: ValidationInfo) -> list[str]:
        breakout_rows(info.data.get("breakout_name", []), info.data.get("breakout_capacity", []), value)
        return value

    def rows(self) -> list[BreakoutRow]:
        """The breakout groups as typed: kept, renamed, new; an existing group left without a name is removed."""
        return breakout_rows(self.breakout_name, self.breakout_capacity, self.breakouts)


def breakout_rows(names: list[str], capacities: list[str], refs: list[str]) -> list[BreakoutRow]:
    rows, seen = [], set()
    for i in range(max(len(names), len(capacities), len(refs))):
        name = (names[i] if i < len(names) else "").strip()
        capacity = (capacities[i] if i < len(capacities) else "").strip()
        ref = (refs[i] if i < len(refs) else "").strip()
        if not name and not capacity:
            continue
        if len(name) < 2 or len(name) > 200:
            raise invalid(_("Give each breakout group a name (2 to 200 characters)."))
        if not capacity.isdigit() and capacity:
            raise invalid(_("A breakout group's places are a whole number, or empty for no limit."))
        if capacity and not 1 <= int(capacity) <= MAX_CAPACITY:
            raise invalid(_("Give a number of places from 1 to 10,000, or leave this empty for no limit."))
        if name.casefold() in seen:
            raise invalid(_("Two breakout groups have the same name."))
        seen.add(name.casefold())
        rows.append(BreakoutRow(int(ref) if ref.isdigit() else None, name, int(capacity) if capacity else None))
    if len(rows) > MAX_BREAKOUTS:
        raise invalid(_("A meeting has at most 12 breakout groups."))
    return rows


class CancelInput(BaseModel):
    reason: str = Field(min_length=5, max_length=2000)


class MinutesInput(BaseModel):
    minutes: str = Field(min_length=10, max_length=100_000)
