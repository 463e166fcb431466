"""The year's cooperation programme as consulted on the platform: its priority tasks, its indicators, and which
figure of the report measures each indicator.

A programme is found by its consultation's title ("… na rok 2026"); its priority tasks are the points of the section
titled "Priorytetowe zadania …" and its indicators the list after the colon in the section "Sposób oceny realizacji
programu" (the fixture programme's § 6 and § 10).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlmodel import Session, col, select

from consult.consultations.actions import current_version, document_of
from consult.models import Consultation

SPLIT = re.compile(r",\s*|\s+oraz\s+|\s+i\s+|;\s*")
# Which figure measures an indicator, by the words in its name (the first rule that matches wins).
RULES: tuple[tuple[tuple[str, ...], str], ...] = (
    (("ofert",), "entered.offers"),
    (("konkurs",), "entered.competitions"),
    (("umów", "umow"), "entered.contracts"),
    (("19a", "małych grant", "malych grant"), "entered.small_grants"),
    (("dotacj", "środk", "srodk", "kwot"), "entered.total_amount"),
    (("organizacji", "podmiot"), "organisations"),
    (("konsultac",), "consultations.held"),
    (("uwag", "opinii"), "contributions.total"),
    (("spotka", "szkole", "forum"), "meetings.held"),
    (("zespoł", "zespol", "grup rob"), "working_groups.active"),
    (("porad", "doradz"), "advice.requests"),
    (("ankiet", "badań", "badan"), "surveys.run"),
)


@dataclass(frozen=True)
class Programme:
    consultation: Consultation | None
    priority_tasks: list[str]
    indicators: list[str]


def find_programme(session: Session, municipality_id: int, year: int) -> Consultation | None:
    """The municipality's published consultation of the year's cooperation programme, the newest if several."""
    return session.exec(
        select(Consultation)
        .where(
            Consultation.organisation_id == municipality_id,
            col(Consultation.published_at).is_not(None),
            col(Consultation.cancelled_at).is_(None),
            col(Consultation.title).ilike(f"%na rok {year}%"),
            col(Consultation.title).ilike("%program%"),
        )
        .order_by(col(Consultation.opens_at).desc())
    ).first()


def _clean(text: str) -> str:
    return text.strip().rstrip(";.,").strip()


def read_programme(session: Session, municipality_id: int, year: int) -> Programme:
    consultation = find_programme(session, municipality_id, year)
    version = current_version(session, consultation) if consultation else None
    if version is None:
        return Programme(consultation, [], [])
    tasks: list[str] = []
    indicators: list[str] = []
    for section, paragraphs in document_of(session, version).sections:
        title = section.title.lower()
        if "priorytet" in title:
            points = [p for p in paragraphs if p.depth > 0] or paragraphs
            tasks = [_clean(p.text) for p in points if _clean(p.text)]
        elif "oceny" in title and paragraphs:
            indicators = split_indicators(paragraphs[0].text)
    return Programme(consultation, tasks, indicators)


def split_indicators(text: str) -> list[str]:
    """ "Miernikami … są w szczególności: liczba A, liczba B oraz liczba C." → the three indicators."""
    listed = text.split(":", 1)[1] if ":" in text else text
    return [_clean(part) for part in SPLIT.split(listed) if _clean(part)]


def figure_for(indicator: str) -> str | None:
    """The key of the figure that measures this indicator ("entered.contracts", "organisations"), or None."""
    name = indicator.lower()
    for words, key in RULES:
        if any(word in name for word in words):
            if key == "organisations" and "konsultac" in name:
                return "organisations.in_consultations"
            if key == "organisations" and ("spotka" in name or "forum" in name):
                return "organisations.in_meetings"
            return "organisations.total" if key == "organisations" else key
    return None
