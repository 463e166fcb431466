"""The report's data as labelled rows in the reader's language: one source for the page, the CSV and the PDF.

A figure the platform has no source for reads "not recorded on the platform", never 0; a figure the official has
not entered yet (a draft) reads "not entered yet".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from consult.i18n import _, current_locale, gettext
from consult.reports.entered import format_amount

NOT_RECORDED = _("not recorded on the platform")
NOT_ENTERED = _("not entered yet")
CHANNELS = {
    "platform": _("on the platform"),
    "paper": _("on paper"),
    "email": _("by e-mail"),
    "meeting": _("at a meeting"),
}
POSITIONS = {
    "accepted": _("accepted"),
    "partly_accepted": _("partly accepted"),
    "rejected": _("rejected"),
    "explained": _("explained"),
    "none": _("without a position yet"),
}
COMMITMENTS = {"planned": _("planned"), "in_force": _("in force"), "done": _("done"), "dropped": _("dropped")}
TOPICS = {
    "legal": _("legal matters"),
    "finance": _("finance and accounting"),
    "fundraising": _("fundraising"),
    "partnerships": _("partnerships"),
    "promotion": _("promotion"),
    "volunteering": _("volunteering"),
}
# (source, key, label): the platform's figures in the order the report lists them.
PLATFORM_ROWS = (
    ("consultations", "held", _("Consultations held")),
    ("contributions", "total", _("Comments and proposals received")),
    ("contributions", "comments", _("of which comments")),
    ("contributions", "proposals", _("of which proposals")),
    ("organisations", "total", _("Organisations taking part")),
    ("organisations", "in_consultations", _("of which in consultations")),
    ("organisations", "in_meetings", _("of which at meetings")),
    ("organisations", "in_working_groups", _("of which in working groups")),
    ("meetings", "held", _("Meetings, trainings and forums held")),
    ("meetings", "registered", _("Participants registered")),
    ("meetings", "attended", _("Participants present (where attendance was recorded)")),
    ("working_groups", "active", _("Working groups")),
    ("working_groups", "members", _("Members of working groups")),
    ("advice", "requests", _("Advice requests to the support centre")),
    ("advice", "answered", _("of which answered")),
    ("advice", "median_hours_to_first_answer", _("Median time to the first answer, in hours")),
    ("surveys", "run", _("Surveys run")),
    ("surveys", "responses", _("Survey responses")),
)
ENTERED_ROWS = (
    ("competitions", _("Open competitions announced"), "count"),
    ("offers", _("Offers submitted"), "count"),
    ("contracts", _("Contracts signed"), "count"),
    ("small_grants", _("Small grants given outside competitions (art. 19a)"), "count"),
    ("small_grants_amount", _("Amount of small grants"), "amount"),
    ("total_amount", _("Funds spent on the priority tasks in all"), "amount"),
)


@dataclass
class Row:
    label: str
    value: str
    missing: bool = False  # not recorded or not entered: shown as such, never as 0


@dataclass
class Section:
    key: str
    title: str
    rows: list[Row] = field(default_factory=list)


def shown(value: Any, kind: str = "count", entered: bool = False) -> Row:
    if value is None:
        return Row("", gettext(NOT_ENTERED if entered else NOT_RECORDED), True)
    if kind == "amount":
        return Row("", format_amount(value))
    return Row("", str(value))


def _row(label: str, value: Any, kind: str = "count", entered: bool = False) -> Row:
    row = shown(value, kind, entered)
    row.label = label
    return row


def platform_rows(platform: dict[str, Any]) -> list[Row]:
    rows = []
    for source, key, label in PLATFORM_ROWS:
        figures = platform.get(source)
        rows.append(_row(gettext(label), None if figures is None else figures.get(key)))
    positions = platform.get("positions")
    if positions is not None and (platform.get("contributions") or {}).get("total"):
        rows += [_row(gettext(_("Position: %(position)s"), position=gettext(POSITIONS[k])), positions.get(k, 0))
                 for k in POSITIONS]  # fmt: skip
    channels = (platform.get("contributions") or {}).get("channels") or {}
    rows += [
        _row(gettext(_("Received %(channel)s"), channel=gettext(CHANNELS.get(c, c))), n)
        for c, n in sorted(channels.items())
    ]
    commitments = platform.get("commitments")
    if commitments is None:
        rows.append(_row(gettext(_("Commitments from accepted contributions")), None))
    else:
        rows += [_row(gettext(_("Commitments: %(status)s"), status=gettext(COMMITMENTS[k])), commitments.get(k, 0))
                 for k in COMMITMENTS]  # fmt: skip
    for topic, n in sorted(((platform.get("advice") or {}).get("by_topic") or {}).items()):
        rows.append(_row(gettext(_("Advice: %(topic)s"), topic=gettext(TOPICS.get(topic, topic))), n))
    return rows


def indicator_value(row: dict[str, Any]) -> Row:
    if row["kind"] == "text":
        return Row(row["name"], row["value"] or gettext(NOT_ENTERED), not row["value"])
    entered = (row["figure"] or "").startswith("entered.")
    return _row(row["name"], row["value"], row["kind"], entered)


def sections(data: dict[str, Any]) -> list[Section]:
    """The report's parts in the order councils file them (the conclusions are text, shown on their own)."""
    tasks = Section("tasks", gettext(_("I. Priority tasks of the programme and the funds spent on them")))
    tasks.rows = [_row(t["name"], t["amount"], "amount", entered=True) for t in data["priority_tasks"]]
    forms = Section("forms", gettext(_("II. Forms of cooperation: figures from the platform")))
    forms.rows = platform_rows(data["platform"])
    money = Section("money", gettext(_("III. Financial cooperation: figures entered by the municipality")))
    money.rows = [_row(gettext(label), data["entered"].get(k), kind, True) for k, label, kind in ENTERED_ROWS]
    indicators = Section("indicators", gettext(_("IV. Indicators of the programme and their values")))
    indicators.rows = [indicator_value(row) for row in data["indicators"]]
    return [tasks, forms, money, indicators]


def _decimal(value: float) -> str:
    """33.3 as the reader writes it (33,3 in Polish)."""
    text = f"{value:g}"
    return text.replace(".", ",") if current_locale.get() == "pl" else text


def evaluation_rows(evaluation: dict[str, Any] | None) -> list[dict[str, Any]]:
    """The evaluation survey's questions, each option with its count and share of those who answered the question
    (a ranking's row: how many put it first, and its average place)."""
    if not evaluation:
        return []
    return [
        {
            **q,
            "options": [{**o, "percent": _decimal(o["percent"])} for o in q.get("options", [])],
            "mean_text": _decimal(q["mean"]) if q.get("mean") is not None else None,
        }
        for q in evaluation["questions"]
    ]
