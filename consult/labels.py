"""Translated names of the fixed vocabularies (organisation kinds, fields of activity, roles)."""

from __future__ import annotations

from consult.i18n import _, gettext

KIND_LABELS = {
    "municipality": _("Municipality"),
    "ngo": _("Non-governmental organisation"),
    "informal": _("Informal group"),
    "other": _("Other institution"),
}
FIELD_LABELS = {
    "culture": _("Culture and heritage"),
    "sport": _("Sport and recreation"),
    "social_services": _("Social services"),
    "seniors": _("Seniors"),
    "disability": _("People with disabilities"),
    "education": _("Education"),
    "health": _("Health"),
    "environment": _("Environment"),
    "youth": _("Children and youth"),
    "safety": _("Public safety and rescue"),
    "tourism": _("Tourism"),
    "ngo_development": _("NGO development"),
}
ROLE_LABELS = {"member": _("Member"), "admin": _("Admin"), "official": _("Official")}


def kind_label(kind: str) -> str:
    return gettext(KIND_LABELS.get(kind, kind))


def field_label(field: str) -> str:
    return gettext(FIELD_LABELS.get(field, field))


def role_label(role: str) -> str:
    return gettext(ROLE_LABELS.get(role, role))


def field_options(fields: tuple[str, ...] | list[str]) -> list[tuple[str, str]]:
    return [(f, field_label(f)) for f in fields]


def role_options(roles: tuple[str, ...] | list[str]) -> list[tuple[str, str]]:
    return [(r, role_label(r)) for r in roles]


STATUS_LABELS = {
    "scheduled": _("Scheduled"),
    "open": _("Open for comments"),
    "closed": _("Closed"),
    "cancelled": _("Cancelled"),
}
PARTICIPATION_LABELS = {
    "verified_organisations": _("Verified organisations"),
    "signed_in": _("Everyone with an account (organisations and residents)"),
}


def status_label(status: str) -> str:
    return gettext(STATUS_LABELS.get(status, status))


def participation_options(choices: tuple[str, ...]) -> list[tuple[str, str]]:
    return [(c, gettext(PARTICIPATION_LABELS.get(c, c))) for c in choices]


def participation_label(choice: str) -> str:
    return gettext(PARTICIPATION_LABELS.get(choice, choice))


def municipality_options(organisations) -> list[tuple[str, str]]:
    return [(str(o.id), o.name) for o in organisations]


# What the error summary calls each form field ("Title: …"), by the field's name in every form: one place, so that
# every form's summary names its fields. A field missing here is summarised by its message alone.
FORM_FIELD_LABELS = {
    "area_served": _("Area served"),
    "body": _("Content"),
    "category": _("Category"),
    "channel": _("How it was received"),
    "closes_at": _("Closing time"),
    "conclusion": _("Conclusion"),
    "contact_email": _("E-mail"),
    "contact_person": _("Contact person"),
    "contact_phone": _("Phone"),
    "council_id": _("Public benefit council"),
    "current_wording": _("Current wording"),
    "description": _("Description"),
    "display_name": _("Your name"),
    "document": _("Document text"),
    "docx": _("Word file"),
    "email": _("E-mail address"),
    "fields": _("Fields of activity"),
    "justification": _("Justification"),
    "kind": _("Kind"),
    "krs": _("KRS number"),
    "message": _("Message"),
    "name": _("Name"),
    "note": _("What changed"),
    "opens_at": _("Opening time"),
    "organisation": _("Organisation"),
    "organisation_id": _("Organisation"),
    "paragraph": _("Part of the document"),
    "paragraph_key": _("Part of the document"),
    "participation": _("Who may take part"),
    "password": _("Password"),
    "password_confirm": _("Repeat the password"),
    "position": _("Position"),
    "proposed_wording": _("Proposed wording"),
    "reason": _("Reason"),
    "received_at": _("Date of receipt"),
    "responsible_unit": _("Responsible unit"),
    "role": _("Role"),
    "sender": _("Who sent it"),
    "sender_address": _("Address"),
    "sender_name": _("Name of the person or group"),
    "short_window_reason": _("Reason for a shorter consultation"),
    "slug": _("Web address"),
    "summary": _("Summary"),
    "title": _("Title"),
    "website": _("Website"),
}


def form_field_label(name: str) -> str:
    """The name of a form field as the error summary gives it; "" when the field has none."""
    label = FORM_FIELD_LABELS.get(name)
    return gettext(label) if label else ""
