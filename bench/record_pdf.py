"""WeasyPrint against Typst on the record's PDF: the same record data, the same 8-column table, N contributions.

Makes a record snapshot in memory (the shape `publish_record` stores: bench/record_data.py's kind of Polish text),
then in a fresh process per engine and size renders it: Typst through consult.records.pdf (what the worker runs),
WeasyPrint from plain HTML of the same rows with an A4-landscape stylesheet and page numbers. It prints

    engine=<typst|weasyprint> size=<n> seconds=<n> peak_rss_mb=<n> pages=<n> tagged=<yes|no>

peak_rss_mb: WeasyPrint's process's peak RSS over its RSS before rendering; for Typst, the peak RSS of the process
it compiles in (both engines allocate natively). A process past
--timeout or --max-rss-mb is stopped and said so. Run from the project root:

    .venv/bin/python bench/record_pdf.py [--sizes 1000,10000] [--engines typst,weasyprint] [--timeout 600]
"""

from __future__ import annotations

import argparse
import contextlib
import html
import io
import json
import random
import resource
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
WORDS_TEXT = (
    "gmina organizacje współpraca program zadania publiczne konkurs ofert dotacja sprawozdanie rada działalność "
    "pożytku wolontariat mieszkańcy seniorzy młodzież sport kultura edukacja zdrowie ekologia partnerstwo jawność"
)
WORDS = WORDS_TEXT.split()
POSITIONS = ("accepted", "partly_accepted", "rejected", "explained")
CSS = """@page { size: A4 landscape; margin: 1.5cm; font-family: 'Liberation Sans', sans-serif; font-size: 8pt;
  @top-left { content: "Gmina Wierzbno"; } @bottom-center { content: "Strona " counter(page) " z " counter(pages); } }
body { font-family: 'Liberation Sans', sans-serif; font-size: 9pt; }
table { border-collapse: collapse; width: 100%; }
th, td { border: 0.4pt solid #777; padding: 3pt; vertical-align: top; }
thead { display: table-header-group; } td { white-space: pre-line; }"""


def sentence(rng: random.Random, low: int, high: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(rng.randint(low, high))).capitalize() + "."


def snapshot(size: int) -> dict:
    rng = random.Random(size)
    now = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)
    rows = []
    for i in range(size):
        rows.append(
            {
                "id": i + 1,
                "kind": "comment",
                "paragraph": None if i % 7 == 0 else f"§ {i % 12 + 1} ust. {i % 5 + 1}",
                "organisation": {"name": f"Stowarzyszenie {rng.choice(WORDS).capitalize()} {i % 36}", "krs": None},
                "co_signers": [],
                "channel": "platform",
                "received_at": None,
                "submitted_at": (now - timedelta(days=3, minutes=i)).isoformat(),
                "status": "visible",
                "status_reason": None,
                "current_wording": sentence(rng, 5, 15) if i % 2 else "",
                "proposed_wording": sentence(rng, 5, 15) if i % 2 else "",
                "justification": sentence(rng, 10, 30),
                "body": sentence(rng, 15, 45),
                "position": POSITIONS[i % 4],
                "position_justification": sentence(rng, 5, 20) if i % 4 else "",
                "replies_count": 0,
            }
        )
    counts = dict.fromkeys(("total", *POSITIONS, "withdrawn", "hidden"), 0)
    counts["total"] = size
    for row in rows:
        counts[row["position"]] += 1
    c = {
        "slug": "program-2027",
        "title": "Program współpracy na rok 2027",
        "municipality": "Gmina Wierzbno",
        "summary": "",
        "responsible_unit": "Referat Promocji",
        "contact_person": "Katarzyna Nowak",
        "participation": "verified_organisations",
        "announced_at": (now - timedelta(days=30)).isoformat(),
        "opens_at": (now - timedelta(days=28)).isoformat(),
        "closes_at": (now - timedelta(days=1)).isoformat(),
        "published_at": now.isoformat(),
    }
    return {
        "consultation": c,
        "course": {"forms": ["platform"], "short_window_reason": None},
        "participants": [],
        "proposals": [],
        "documents": [],
        "council_opinion": None,
        "conclusion": {"outcome": "unchanged", "text": "", "changes": []},
        "ledger": {"seq": 1, "hash": "0" * 64},
        "contributions": rows,
        "counts": counts,
    }


def weasyprint_pdf(data: dict) -> bytes:
    from weasyprint import HTML

    from consult.records.table import comment_rows

    cells = []
    for r in comment_rows(data):
        values = (r.lp, f"{r.organisation}", r.part, r.current_wording, r.content, r.justification, r.position)
        cells.append("<tr>" + "".join(f"<td>{html.escape(str(v))}</td>" for v in (*values, r.position_justification)))
    head = "".join(f"<th>{h}</th>" for h in ("Lp.", "Podmiot", "Część", "Zapis", "Propozycja", "Uzas.", "St.", "Uz."))
    page = (
        f'<!doctype html><html lang="pl"><head><meta charset="utf-8"><title>Protokół</title><style>{CSS}</style>'
        f"</head><body><h1>Protokół z konsultacji</h1><table><thead><tr>{head}</tr></thead><tbody>"
        + "".join(cells)
        + "</tbody></table></body></html>"
    )
    return HTML(string=page).write_pdf(pdf_variant="pdf/ua-1")


def typst_pdf(data: dict) -> bytes:
    from consult.records import pdf

    record = SimpleNamespace(sha256="a" * 64, published_at=datetime(2026, 12, 3, 9, 0, tzinfo=UTC))
    return pdf.render(data, record, "https://konsultacje.example")


def child(engine: str, size: int) -> None:
    from pypdf import PdfReader

    data = snapshot(size)
    before = _rss_kb("VmRSS")
    started = time.perf_counter()
    content = (typst_pdf if engine == "typst" else weasyprint_pdf)(data)
    seconds = time.perf_counter() - started
    reader = PdfReader(io.BytesIO(content))
    tagged = "/StructTreeRoot" in reader.trailer["/Root"]
    # Typst compiles in a child process of render() (consult/records/pdf.py): its peak, or this process's growth
    peak = max(_rss_kb("VmHWM") - before, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss) / 1024
    print(json.dumps({"seconds": seconds, "peak": peak, "pages": len(reader.pages), "tagged": tagged}))


def _rss_kb(key: str, pid: str = "self") -> int:
    with open(f"/proc/{pid}/status", encoding="ascii") as status:
        for line in status:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    return 0


def measure(engine: str, size: int, timeout: float, max_rss_mb: int) -> str:
    proc = subprocess.Popen(
        [sys.executable, __file__, "--child", engine, str(size)], cwd=ROOT, stdout=subprocess.PIPE, text=True
    )
    started, highest = time.monotonic(), 0.0
    while proc.poll() is None:
        with contextlib.suppress(FileNotFoundError, ProcessLookupError):
            highest = max(highest, _rss_kb("VmRSS", str(proc.pid)) / 1024)
        if time.monotonic() - started > timeout or highest > max_rss_mb:
            proc.kill()
            proc.wait()
            return f"# engine={engine} size={size} stopped after {time.monotonic() - started:.0f} s at {highest:.0f} MB"
        time.sleep(0.2)
    found = json.loads(proc.stdout.read().strip().splitlines()[-1])
    return (
        f"engine={engine} size={size} seconds={found['seconds']:.2f} peak_rss_mb={found['peak']:.0f}"
        f" pages={found['pages']} tagged={'yes' if found['tagged'] else 'no'}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1000,10000")
    parser.add_argument("--engines", default="typst,weasyprint")
    parser.add_argument("--timeout", type=float, default=600)
    parser.add_argument("--max-rss-mb", type=int, default=6144)
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child(args.child[0], int(args.child[1]))
        return 0
    for size in sorted(int(s) for s in args.sizes.split(",")):
        for engine in args.engines.split(","):
            print(measure(engine, size, args.timeout, args.max_rss_mb), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
