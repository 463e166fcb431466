"""The report as a tagged PDF (PDF/A-2a, PDF/UA-1) through Typst, from its snapshot, as the record's PDF is made."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

from consult.i18n import format_when, gettext
from consult.records.pdf import STANDARDS, clean
from consult.reports import present

TEMPLATE = Path(__file__).resolve().parents[2] / "templates" / "reports" / "report.typ"
RENDER_TIMEOUT = 300  # seconds


def _labels() -> dict[str, str]:
    return {
        "page": gettext("Page"),
        "of": gettext("of"),
        "none": gettext("None."),
        "evaluation": gettext("V. Evaluation of cooperation by organisations"),
        "no_evaluation": gettext("No evaluation survey was run on the platform."),
        "conclusions": gettext("VI. Conclusions"),
        "proof": gettext("Proof of integrity"),
    }


def _evaluation(data: dict[str, Any]) -> list[dict[str, Any]]:
    listed = []
    for q in present.evaluation_rows(data["evaluation"]):
        options = [[o["option"], str(o["count"]), f"{o['percent']}%"] for o in q.get("options", [])]
        note = ""
        if q["mean_text"]:
            note = gettext("Mean: %(mean)s on a scale of 1 to 5.", mean=q["mean_text"])
        elif q["kind"] == "ranking":
            note = gettext("Responses: how many put it first.")
        elif not options:
            note = gettext("Text answers: %(num)s (listed on the survey's results page).", num=q.get("texts", 0))
        listed.append({"text": q["text"], "options": options, "note": note})
    return listed


def document(data: dict[str, Any], sha256: str, published_at: datetime, base_url: str) -> dict[str, Any]:
    r = data["report"]
    url = f"{base_url}/municipalities/{r['municipality_slug']}/reports/{r['year']}"
    evaluation = data["evaluation"]
    return {
        "labels": _labels(),
        "title": gettext("Report on the cooperation programme for %(year)s", year=r["year"]),
        "heading": gettext("Report on the implementation of the cooperation programme"),
        "subject": gettext("%(municipality)s, the year %(year)s", municipality=r["municipality"], year=r["year"]),
        "municipality": r["municipality"],
        "header": gettext("Report for %(year)s", year=r["year"]),
        "sha256": sha256,
        "sections": [
            {"title": s.title, "rows": [[row.label, row.value] for row in s.rows]} for s in present.sections(data)
        ],
        "evaluation": _evaluation(data),
        "evaluation_intro": gettext(
            "%(title)s: %(num)s responses.", title=evaluation["title"], num=evaluation["responses"]
        )
        if evaluation
        else "",
        "evaluation_columns": [gettext("Answer"), gettext("Responses"), gettext("Share")],
        "conclusions": [p for p in (data["conclusions"] or "").split("\n\n") if p.strip()],
        "proof": [
            [gettext("Report published"), format_when(published_at)],
            ["SHA-256", sha256],
            [gettext("Ledger head at publication"), f"{data['ledger']['seq']} · {data['ledger']['hash']}"],
            [gettext("Check it at"), url],
        ],
    }


def compile_pdf(inputs: str, timestamp: int) -> bytes:
    import typst  # imported here: only the worker renders

    return typst.compile(
        TEMPLATE.read_bytes(), format="pdf", sys_inputs={"data": inputs}, pdf_standards=STANDARDS, timestamp=timestamp
    )


def render(data: dict[str, Any], sha256: str, published_at: datetime, base_url: str) -> bytes:
    """The PDF, compiled in a child process as the record's is (its memory goes back when the child ends)."""
    inputs = json.dumps(clean(document(data, sha256, published_at, base_url)), ensure_ascii=False)
    done = subprocess.run(
        [sys.executable, "-m", "consult.reports.pdf", str(int(published_at.timestamp()))],
        input=inputs.encode("utf-8"),
        capture_output=True,
        timeout=RENDER_TIMEOUT,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"Typst failed: {done.stderr.decode(errors='replace').strip()[-1500:]}")
    return done.stdout


if __name__ == "__main__":  # the child of render(): the document's JSON on stdin, the PDF on stdout
    sys.stdout.buffer.write(compile_pdf(sys.stdin.buffer.read().decode("utf-8"), int(sys.argv[1])))
