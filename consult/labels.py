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


STATUS_LABELS = {"scheduled": _("Scheduled"), "open": _("Open for comments"), "closed": _("Closed")}
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
