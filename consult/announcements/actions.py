"""Announcements and funding opportunities: the form's input model, then the actions (post, edit, withdraw).

Importing this module registers the feature's rules (prefix "announcement"); the reads are in queries.py.
"""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, Field, ValidationInfo, field_validator
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, delete

from consult import ledger, permissions
from consult.announcements import queries
from consult.announcements.rules import Posting, rules
from consult.errors import DomainError
from consult.forms import invalid
from consult.i18n import _, gettext
from consult.markdown import render_markdown
from consult.models import ANNOUNCEMENT_CATEGORIES, FIELDS_OF_ACTIVITY, Announcement, AnnouncementField, utcnow
from consult.notifications.dispatch import notify
from consult.permissions import Principal, can
from consult.slugs import unique_slug

permissions.register_rules("announcement", rules)

CATEGORY_LABELS = {
    "funding": _("Funding opportunity"),
    "training": _("Training"),
    "event": _("Event"),
    "general": _("General announcement"),
}
AUDIENCE_LABELS = {
    "everyone": _("Everyone"),
    "municipality": _("Organisations of a municipality"),
    "network": _("Member organisations of a network"),
    "group": _("Members of a working group"),
}
RESERVED_SLUGS = {"new", "funding", "archive"}
MAX_AMOUNT = 10_000_000_000  # ten billion złoty: past any call for proposals, within a 64-bit column
NOT_YOUR_AUDIENCE = _(
    "You cannot post to this audience: officials post to their municipality, coordinators to their network or "
    "working group, and the support centre to everyone or a municipality."
)


def _blank_is_none(value: object) -> object:
    return None if isinstance(value, str) and not value.strip() else value


class AnnouncementInput(BaseModel):
    title: str = Field(min_length=5, max_length=300)
    category: str = "general"
    audience: str = ""
    body: str = Field(min_length=10, max_length=20_000)
    funder: str = Field(default="", max_length=200, validate_default=True)
    amount_min: int | None = None
    amount_max: int | None = Field(default=None, validate_default=True)
    deadline: date | None = Field(default=None, validate_default=True)
    fields: list[str] = Field(default_factory=list, validate_default=True)
    link: str = Field(default="", max_length=500)

    @field_validator("category")
    @classmethod
    def _category(cls, value: str) -> str:
        if value not in ANNOUNCEMENT_CATEGORIES:
            raise invalid(_("Choose what kind of announcement it is."))
        return value

    @field_validator("audience")
    @classmethod
    def _audience(cls, value: str) -> str:
        if queries.parse_audience(value) is None:
            raise invalid(_("Choose who the announcement is for."))
        return value

    @field_validator("funder")
    @classmethod
    def _funder(cls, value: str, info: ValidationInfo) -> str:
        if info.data.get("category") == "funding" and len(value.strip()) < 2:
            raise invalid(_("Give who funds the opportunity."))
        return value.strip()

    @field_validator("amount_min", "amount_max", mode="before")
    @classmethod
    def _amount_text(cls, value: object) -> object:
        """ "10 000", "10 000 zł" and "10000" are the same amount; empty is none."""
        if isinstance(value, str):
            value = value.replace("\u00a0", "").replace(" ", "").removesuffix("zł").removesuffix("PLN")
        return _blank_is_none(value)

    @field_validator("amount_min", "amount_max")
    @classmethod
    def _amount(cls, value: int | None) -> int | None:
        if value is not None and not 0 <= value <= MAX_AMOUNT:
            raise invalid(_("Give an amount in whole złoty, from 0 to 10 billion."))
        return value

    @field_validator("amount_max")
    @classmethod
    def _range(cls, value: int | None, info: ValidationInfo) -> int | None:
        low = info.data.get("amount_min")
        if value is not None and low is not None and low > value:
            raise invalid(_("The highest amount must not be below the lowest."))
        return value

    @field_validator("deadline", mode="before")
    @classmethod
    def _date(cls, value: object) -> object:
        value = _blank_is_none(value)
        if isinstance(value, str):
            try:
                return date.fromisoformat(value.strip())
            except ValueError:
                raise invalid(_("Enter a valid date.")) from None
        return value

    @field_validator("deadline")
    @classmethod
    def _deadline(cls, value: date | None, info: ValidationInfo) -> date | None:
        if info.data.get("category") == "funding" and value is None:
            raise invalid(_("Give the last day to apply."))
        return value

    @field_validator("fields", mode="before")
    @classmethod
    def _listed(cls, value: object) -> object:
        return [value] if isinstance(value, str) else value

    @field_validator("fields")
    @classmethod
    def _fields(cls, value: list[str], info: ValidationInfo) -> list[str]:
        if any(f not in FIELDS_OF_ACTIVITY for f in value):
            raise invalid(_("Choose fields of activity from the list."))
        if info.data.get("category") == "funding" and not value:
            raise invalid(_("Choose at least one field of activity the funding is for."))
        return sorted(set(value))

    @field_validator("link")
    @classmethod
    def _url(cls, value: str) -> str:
        if value and (not value.startswith(("https://", "http://")) or any(c.isspace() for c in value)):
            raise invalid(_("Give a web address starting with https://, or leave this empty."))
        return value


class WithdrawInput(BaseModel):
    confirm: str = Field(default="", validate_default=True)

    @field_validator("confirm")
    @classmethod
    def _confirmed(cls, value: str) -> str:
        if value != "yes":
            raise invalid(_("Confirm that the announcement is to be withdrawn."))
        return value


# --- checks ------------------------------------------------------------------------------------


def _posting(session: Session, principal: Principal | None, data: AnnouncementInput) -> Posting:
    """Who posts to the audience chosen, checked against the author's role (403 beside the audience otherwise)."""
    if principal is None:
        raise DomainError("audience", NOT_YOUR_AUDIENCE, 403)
    kind, target = queries.parse_audience(data.audience) or ("", None)
    posting = queries.posting_for(session, principal, kind, target)
    if posting is None:
        raise DomainError("audience", _("Choose who the announcement is for."))
    if not can(principal, "announcement.post", posting):
        raise DomainError("audience", NOT_YOUR_AUDIENCE, 403)
    return posting


def _apply(session: Session, announcement: Announcement, data: AnnouncementInput, posting: Posting) -> None:
    funding = data.category == "funding"
    changed = data.deadline != announcement.deadline
    if funding and data.deadline is not None and changed and data.deadline < queries.today():
        raise DomainError("deadline", _("The last day to apply has passed: give a day from today on."))
    announcement.title = data.title.strip()
    announcement.category = data.category
    announcement.body = data.body
    announcement.body_html = render_markdown(data.body)
    announcement.audience_kind, announcement.audience_id = posting.audience_kind, posting.audience_id
    announcement.organisation_id = posting.organisation_id
    announcement.funder = data.funder if funding else ""
    announcement.amount_min = data.amount_min if funding else None
    announcement.amount_max = data.amount_max if funding else None
    announcement.deadline = data.deadline if funding else None
    announcement.link = data.link


def _set_fields(session: Session, announcement: Announcement, fields: list[str]) -> None:
    session.exec(delete(AnnouncementField).where(col(AnnouncementField.announcement_id) == announcement.id))
    session.add_all(AnnouncementField(announcement_id=announcement.id, field=f) for f in fields)


def _summary(announcement: Announcement, fields: list[str]) -> dict:
    return {
        "slug": announcement.slug,
        "title": announcement.title,
        "category": announcement.category,
        "audience": [announcement.audience_kind, announcement.audience_id],
        "organisation": announcement.organisation_id,
        "body_sha256": ledger.sha256_hex(announcement.body),
        "funder": announcement.funder,
        "amount": [announcement.amount_min, announcement.amount_max],
        "deadline": announcement.deadline.isoformat() if announcement.deadline else None,
        "fields": fields,
    }


# --- actions -----------------------------------------------------------------------------------


def post_announcement(session: Session, principal: Principal | None, data: AnnouncementInput, link_of) -> Announcement:
    """Publish an announcement to an audience the author's role admits, and tell the people in it.

    `link_of(slug)` gives the announcement's absolute address for the e-mail."""
    posting = _posting(session, principal, data)
    assert principal is not None
    slug = unique_slug(session, Announcement, data.title, fallback="ogloszenie", reserved=RESERVED_SLUGS)
    announcement = Announcement(slug=slug, title="", author_id=principal.id, published_at=utcnow())
    _apply(session, announcement, data, posting)
    session.add(announcement)
    try:
        session.flush()
    except IntegrityError as error:  # the same title posted twice at once
        session.rollback()
        raise DomainError("title", _("Another announcement was just given this address: post again."), 409) from error
    _set_fields(session, announcement, data.fields)
    ledger.append(
        session,
        actor_id=principal.id,
        action="announcement.published",
        subject_kind="announcement",
        subject_id=announcement.id,
        payload=_summary(announcement, data.fields),
    )
    _tell(session, announcement, link_of(announcement.slug))
    session.commit()
    return announcement


def _tell(session: Session, announcement: Announcement, link: str) -> None:
    subject = gettext("Announcement: %(title)s", title=announcement.title)
    if announcement.category == "funding" and announcement.deadline is not None:
        subject = gettext("Funding opportunity: %(title)s", title=announcement.title)
    notify(session, queries.audience_people(session, announcement), "announcement", subject, announcement.body, link)


def edit_announcement(
    session: Session, principal: Principal | None, announcement: Announcement, data: AnnouncementInput
) -> Announcement:
    """The author corrects their announcement; the audience must still be one their role admits."""
    if principal is None or not can(principal, "announcement.edit", announcement):
        raise DomainError("", _("Only the announcement's author may change it."), 403)
    if announcement.withdrawn_at is not None:
        raise DomainError("", _("This announcement was withdrawn."), 409)
    posting = _posting(session, principal, data)
    _apply(session, announcement, data, posting)
    announcement.updated_at = utcnow()
    session.add(announcement)
    _set_fields(session, announcement, data.fields)
    ledger.append(
        session,
        actor_id=principal.id,
        action="announcement.changed",
        subject_kind="announcement",
        subject_id=announcement.id,
        payload=_summary(announcement, data.fields),
    )
    session.commit()
    return announcement


def withdraw_announcement(session: Session, principal: Principal | None, announcement: Announcement) -> Announcement:
    """The author (or a platform admin) withdraws it: it leaves the lists and the feeds; its page says so."""
    if principal is None or not can(principal, "announcement.withdraw", announcement):
        raise DomainError("", _("Only the announcement's author may withdraw it."), 403)
    if announcement.withdrawn_at is not None:
        raise DomainError("", _("This announcement was withdrawn."), 409)
    announcement.withdrawn_at = utcnow()
    announcement.withdrawn_by_id = principal.id
    session.add(announcement)
    ledger.append(
        session,
        actor_id=principal.id,
        action="announcement.withdrawn",
        subject_kind="announcement",
        subject_id=announcement.id,
    )
    session.commit()
    return announcement
