"""The report's one canonical structure: built live while it is a draft, and once, at publication, into its snapshot.

Everything in it is plain JSON: counts as numbers, amounts in grosze, times in UTC ISO; None where the platform has
no source for a figure ("not recorded on the platform"). Labels are not stored: each format translates the keys.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlmodel import Session

from consult.models import Consultation, ImplementationReport, Organisation
from consult.reports import entered as entered_figures
from consult.reports.figures import platform_figures
from consult.reports.programme import figure_for
from consult.reports.survey import evaluation_results

AMOUNT_FIGURES = ("entered.total_amount", "entered.small_grants_amount")


def iso(value: datetime | None) -> str | None:
    return value.astimezone(UTC).isoformat() if value else None


def resolve(key: str, entered: dict[str, Any], platform: dict[str, Any]) -> Any:
    """The value of a figure by its key ("entered.contracts", "meetings.held"), None when not known."""
    source, _sep, name = key.partition(".")
    figures = entered if source == "entered" else platform.get(source)
    return None if figures is None else figures.get(name)


def indicators(names: list[str], values: list[str], entered: dict[str, Any], platform: dict) -> list[dict]:
    """Each indicator of the programme with the figure that measures it, or the value the official gave."""
    rows = []
    for name, given in zip(names, values, strict=True):
        key = figure_for(name)
        value = resolve(key, entered, platform) if key else None
        if value is None and not (key or "").startswith("entered.") and given:
            key, value = None, given
        kind = "amount" if key in AMOUNT_FIGURES else "text" if key is None else "count"
        rows.append({"name": name, "figure": key, "kind": kind, "value": value})
    return rows


def needs_value(rows: list[dict]) -> list[bool]:
    """Which indicators the official must give a value for: those no figure of the report measures."""
    return [
        row["figure"] is None or (not row["figure"].startswith("entered.") and row["value"] is None) for row in rows
    ]


def build(
    session: Session,
    report: ImplementationReport,
    municipality: Organisation,
    *,
    published_at: datetime | None = None,
) -> dict[str, Any]:
    e = entered_figures.load(report)
    platform = platform_figures(session, municipality.id, report.year)
    figures = {**e.counts, "small_grants_amount": e.small_grants_amount, "total_amount": e.total_amount}
    programme = session.get(Consultation, report.programme_id) if report.programme_id else None
    return {
        "report": {
            "municipality": municipality.name,
            "municipality_slug": municipality.slug,
            "year": report.year,
            "published_at": iso(published_at),
            "programme": {"title": programme.title, "slug": programme.slug} if programme else None,
        },
        "priority_tasks": [{"name": t, "amount": a} for t, a in zip(e.priority_tasks, e.task_amounts, strict=True)],
        "entered": figures,
        "platform": platform,
        "indicators": indicators(e.indicators, e.indicator_values, figures, platform),
        "evaluation": evaluation_results(session, municipality.id, report.year),
        "conclusions": e.conclusions,
        "ledger": {"seq": report.ledger_seq, "hash": report.ledger_hash},
    }


def missing(data: dict[str, Any], report: ImplementationReport) -> list[str]:
    """The required figures still blank, named (translated)."""
    return entered_figures.missing(entered_figures.load(report), needs_value(data["indicators"]))
