"""The figures the platform cannot know, entered by the official: parsed, checked, and set against the programme.

Counts are whole numbers of zero or more; amounts are in złoty with grosze ("12 345,67", "12345.67 zł") and kept in
grosze. The checks that tie them: no offers without a competition, no more contracts than offers, small grants
(art. 19a) at most 10 000 zł each and within the funds spent on the priority tasks. A blank is allowed in a draft;
publication names every blank that the report needs.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from babel.numbers import format_decimal

from consult.i18n import _, current_locale, gettext
from consult.ledger import canonical_json

COUNTS = ("competitions", "offers", "contracts", "small_grants")
MAX_COUNT = 1_000_000
MAX_GROSZE = 100_000_000_000_00  # 100 billion złoty: beyond any municipality's budget
SMALL_GRANT_MAX_GROSZE = 10_000_00  # art. 19a ust. 1: at most 10 000 zł a grant
AMOUNT = re.compile(r"([0-9]+)(?:[.,]([0-9]{1,2}))?")
MAX_LINES = 40
MAX_LINE = 500
FIELD_LABELS = {
    "competitions": _("Open competitions announced"),
    "offers": _("Offers submitted"),
    "contracts": _("Contracts signed"),
    "small_grants": _("Small grants (art. 19a)"),
    "small_grants_amount": _("Amount of small grants"),
    "priority_tasks": _("Priority tasks"),
    "indicators": _("Indicators of the programme"),
    "conclusions": _("Conclusions"),
}


@dataclass
class Entered:
    """What the official entered; None where nothing was."""

    priority_tasks: list[str] = field(default_factory=list)
    indicators: list[str] = field(default_factory=list)
    counts: dict[str, int | None] = field(default_factory=lambda: dict.fromkeys(COUNTS))
    small_grants_amount: int | None = None  # grosze
    task_amounts: list[int | None] = field(default_factory=list)  # grosze, one per priority task
    indicator_values: list[str] = field(default_factory=list)  # for indicators the platform cannot count
    conclusions: str = ""

    def to_json(self) -> str:
        return canonical_json(
            {
                **self.counts,
                "small_grants_amount": self.small_grants_amount,
                "task_amounts": self.task_amounts,
                "indicator_values": self.indicator_values,
            }
        )

    @property
    def total_amount(self) -> int | None:
        if not self.task_amounts or any(a is None for a in self.task_amounts):
            return None
        return sum(a for a in self.task_amounts if a is not None)


def lines(text: str) -> list[str]:
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


def load(report) -> Entered:
    """A report's entered figures as stored."""
    stored = json.loads(report.entered or "{}")
    tasks = lines(report.priority_tasks)
    indicators = lines(report.indicators)
    amounts = list(stored.get("task_amounts") or [])
    values = list(stored.get("indicator_values") or [])
    return Entered(
        priority_tasks=tasks,
        indicators=indicators,
        counts={k: stored.get(k) for k in COUNTS},
        small_grants_amount=stored.get("small_grants_amount"),
        task_amounts=(amounts + [None] * len(tasks))[: len(tasks)],
        indicator_values=(values + [""] * len(indicators))[: len(indicators)],
        conclusions=report.conclusions,
    )


def form_values(entered: Entered) -> dict[str, str]:
    """The stored figures as the form shows them."""
    values = {
        "priority_tasks": "\n".join(entered.priority_tasks),
        "indicators": "\n".join(entered.indicators),
        "conclusions": entered.conclusions,
        "small_grants_amount": format_amount(entered.small_grants_amount, unit=False),
    }
    values |= {k: "" if v is None else str(v) for k, v in entered.counts.items()}
    values |= {f"task_amount_{i}": format_amount(a, unit=False) for i, a in enumerate(entered.task_amounts)}
    values |= {f"indicator_value_{i}": v for i, v in enumerate(entered.indicator_values)}
    return values


def format_amount(grosze: int | None, unit: bool = True) -> str:
    """12 345,67 zł (with a non-breaking space between thousands), or "" for None."""
    if grosze is None:
        return ""
    text = format_decimal(Decimal(grosze) / 100, format="#,##0.00", locale=current_locale.get())
    return f"{text}\u00a0zł" if unit else text


def _count(raw: str) -> tuple[int | None, str | None]:
    text = raw.replace(" ", "").replace("\u00a0", "")
    if not text:
        return None, None
    if text.startswith("-") and text[1:].isdigit():
        return None, _("Enter zero or more.")
    if not text.isascii() or not text.isdigit():
        return None, _("Enter a whole number.")
    if int(text[:12]) > MAX_COUNT:
        return None, _("This number is too large.")
    return int(text), None


def _amount(raw: str) -> tuple[int | None, str | None]:
    text = re.sub(r"[\s\u00a0]", "", raw).removesuffix("zł").removesuffix("PLN")
    if not text:
        return None, None
    if text.startswith("-"):
        return None, _("Enter an amount of zero or more.")
    found = AMOUNT.fullmatch(text) if text.isascii() else None
    if found is None:
        return None, _("Enter an amount in złoty, with grosze after a comma, e.g. 12 345,67.")
    whole, fraction = found[1], (found[2] or "").ljust(2, "0")
    if len(whole) > 12 or int(whole) * 100 + int(fraction) > MAX_GROSZE:
        return None, _("This amount is too large.")
    return int(whole) * 100 + int(fraction), None


def parse(values: dict[str, Any]) -> tuple[Entered, dict[str, str]]:
    """The form's values as entered figures, and the errors beside their fields (translated)."""
    errors: dict[str, str] = {}

    def text(name: str) -> str:
        value = values.get(name, "")
        return value if isinstance(value, str) else ""

    entered = Entered(conclusions=text("conclusions").strip())
    for name in ("priority_tasks", "indicators"):
        found = lines(text(name))
        if len(found) > MAX_LINES or any(len(line) > MAX_LINE for line in found):
            errors[name] = gettext(
                _("Enter at most %(lines)s lines of at most %(chars)s characters."), lines=MAX_LINES, chars=MAX_LINE
            )
        setattr(entered, name, found[:MAX_LINES])
    if len(entered.conclusions) > 20_000:
        errors["conclusions"] = gettext(_("This text is too long."))
    for name in COUNTS:
        entered.counts[name], error = _count(text(name))
        if error:
            errors[name] = gettext(error)
    entered.small_grants_amount, error = _amount(text("small_grants_amount"))
    if error:
        errors["small_grants_amount"] = gettext(error)
    for i in range(len(entered.priority_tasks)):
        amount, error = _amount(text(f"task_amount_{i}"))
        entered.task_amounts.append(amount)
        if error:
            errors[f"task_amount_{i}"] = gettext(error)
    entered.indicator_values = [text(f"indicator_value_{i}").strip()[:MAX_LINE] for i in range(len(entered.indicators))]
    for name, message in consistency(entered).items():
        errors.setdefault(name, message)
    return entered, errors


def consistency(e: Entered) -> dict[str, str]:
    """The sums that must agree, checked where both sides were entered."""
    errors: dict[str, str] = {}
    competitions, offers, contracts, grants = (e.counts[k] for k in COUNTS)
    if competitions == 0 and offers:
        errors["offers"] = gettext(_("Offers are submitted in open competitions: with no competition there are none."))
    if offers is not None and contracts is not None and contracts > offers:
        errors["contracts"] = gettext(
            _("There cannot be more contracts signed than offers submitted (%(offers)s)."), offers=offers
        )
    amount = e.small_grants_amount
    if grants is not None and amount is not None:
        if grants == 0 and amount > 0:
            errors["small_grants_amount"] = gettext(_("With no small grant the amount is 0."))
        elif grants > 0 and amount == 0:
            errors["small_grants_amount"] = gettext(_("Enter the amount of the small grants given."))
        elif amount > grants * SMALL_GRANT_MAX_GROSZE:
            errors["small_grants_amount"] = gettext(
                _("A small grant is at most 10 000 zł (art. 19a): with %(num)s small grants, at most %(max)s in all."),
                num=grants,
                max=format_amount(grants * SMALL_GRANT_MAX_GROSZE),
            )
    total = e.total_amount
    if amount is not None and total is not None and amount > total and "small_grants_amount" not in errors:
        errors["small_grants_amount"] = gettext(
            _("Small grants are part of the funds spent on the priority tasks: at most %(total)s."),
            total=format_amount(total),
        )
    return errors


def missing(e: Entered, needs_value: list[bool]) -> list[str]:
    """What the report still needs before it can be published, named for the official (translated)."""
    found = []
    if not e.priority_tasks:
        found.append(gettext(FIELD_LABELS["priority_tasks"]))
    found += [gettext(FIELD_LABELS[k]) for k in COUNTS if e.counts[k] is None]
    if e.small_grants_amount is None:
        found.append(gettext(FIELD_LABELS["small_grants_amount"]))
    for task, amount in zip(e.priority_tasks, e.task_amounts, strict=True):
        if amount is None:
            found.append(gettext(_("Amount spent on the task: %(task)s"), task=task))
    for name, value, needed in zip(e.indicators, e.indicator_values, needs_value, strict=True):
        if needed and not value:
            found.append(gettext(_("Value of the indicator: %(name)s"), name=name))
    if not e.conclusions:
        found.append(gettext(FIELD_LABELS["conclusions"]))
    return found
