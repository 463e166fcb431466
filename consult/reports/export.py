"""The published report as CSV, from its snapshot: one row per figure (part, item, value), then the hash."""

from __future__ import annotations

import csv
import io
from typing import Any

from consult.i18n import gettext
from consult.reports import present


def _csv_cell(value: Any) -> str:
    """A cell a spreadsheet shows as text: a leading =, +, - or @ would make it a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text


def csv_text(data: dict[str, Any], sha256: str) -> str:
    """UTF-8 with a BOM (spreadsheet programs then read Polish letters); a report is a few hundred rows at most."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out)
    writer.writerow([gettext("Part"), gettext("Item"), gettext("Value")])
    for section in present.sections(data):
        for row in section.rows:
            writer.writerow([_csv_cell(section.title), _csv_cell(row.label), _csv_cell(row.value)])
    evaluation = gettext("V. Evaluation of cooperation by organisations")
    for q in present.evaluation_rows(data["evaluation"]):
        for o in q.get("options", []):
            item = f"{q['text']}: {o['option']}"
            writer.writerow([evaluation, _csv_cell(item), f"{o['count']} ({o['percent']}%)"])
    writer.writerow([gettext("VI. Conclusions"), "", _csv_cell(data["conclusions"])])
    writer.writerow([])
    writer.writerow([gettext("SHA-256 of the report"), "", sha256])
    return out.getvalue()
