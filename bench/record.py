"""Time and memory of a published consultation record in each format, at 1,000 and 10,000 contributions.

Builds (bench/record_data.py), in a fresh SQLite file and, when CONSULT_TEST_DATABASE_URL is set, in that PostgreSQL
database too (its tables are DROPPED and recreated), one closed consultation of the fixture programme per size, every
contribution answered, the record published through `publish_record` (which stores its snapshot). Then, for each size
and format, a fresh subprocess loads the real app, warms it up on a small record in the same format, and fetches the
record through Starlette's TestClient, reading the streamed body to the end: once timed, once under tracemalloc. The
PDF is rendered by the worker's job (`render_pdf_job`), as in production: that is what is timed, and its memory is
the peak RSS of the process the job compiles Typst in; the request then serves the stored bytes. It prints

    size=<n> format=<html|pdf|csv|xlsx|json> seconds=<n> peak_mb=<n>

seconds: the timed request (pdf: the worker's job); peak_mb: the most the export held at once on the Python heap
(tracemalloc) plus SQLite's own heap (its high-water mark), so memory the response needs, not what the allocator
keeps (bench/README.md says why). A "#" line after each gives the body's size and the process's RSS growth during the
timed request. PostgreSQL lines begin with "db=postgresql ". Every format is made from the stored snapshot (a few MB
at 10,000 contributions, parsed whole), so memory grows with the record: the last lines give each format's peak at
the largest size over its peak at the smallest. Run from the project root:

    .venv/bin/python bench/record.py [--sizes 1000,10000] [--formats html,pdf,csv,xlsx,json] [--timeout 600]

Exit status: 0 done, 1 a measurement failed, 2 not on Linux, 130 interrupted.
"""

from __future__ import annotations

import argparse
import ctypes
import ctypes.util
import gc
import hashlib
import json
import os
import resource
import secrets
import subprocess
import sys
import tempfile
import time
import tracemalloc
from dataclasses import dataclass
from pathlib import Path

from record_data import ROOT, build

FORMATS = ("html", "pdf", "csv", "xlsx", "json")
ROUTES = {
    "html": "records:record",
    "pdf": "records:pdf",
    "csv": "records:csv",
    "xlsx": "records:xlsx",
    "json": "records:json",
}
TRACED_TIMEOUT_FACTOR = 4  # tracemalloc slows a request down 2-3 times


# --- one measurement, in a fresh process ---------------------------------------------------------------------


def proc_status(pid: int | str = "self") -> dict[str, int]:
    """VmRSS and VmHWM (peak RSS) of a process, in kB."""
    found = {}
    with open(f"/proc/{pid}/status", encoding="ascii") as status:
        for line in status:
            key, _sep, value = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                found[key] = int(value.split()[0])
    return found


class SQLiteHeap:
    """SQLite's own count of the memory it has allocated (tracemalloc does not see it); zeros without libsqlite3."""

    def __init__(self) -> None:
        name = ctypes.util.find_library("sqlite3")
        self.lib = ctypes.CDLL(name) if name else None
        if self.lib:
            self.lib.sqlite3_memory_used.restype = ctypes.c_int64
            self.lib.sqlite3_memory_highwater.restype = ctypes.c_int64
            self.lib.sqlite3_memory_highwater.argtypes = [ctypes.c_int]

    def reset(self) -> int:
        """Start a new high-water mark; the bytes in use now."""
        if not self.lib:
            return 0
        self.lib.sqlite3_memory_highwater(1)
        return self.lib.sqlite3_memory_used()

    def highwater(self) -> int:
        return self.lib.sqlite3_memory_highwater(0) if self.lib else 0


def fetch(client, app, slug: str, fmt: str, sink) -> tuple[int, str]:
    """GET the record in this format through the app, the body read as it streams; its size and X-Record-SHA256."""
    path = app.url_path_for(ROUTES[fmt], slug=slug)
    size = 0
    with client.stream("GET", path) as response:
        if response.status_code != 200:
            raise RuntimeError(f"GET {path}: {response.status_code}")
        for chunk in response.iter_raw():
            size += len(chunk)
            sink.write(chunk)
        return size, response.headers.get("X-Record-SHA256", "")


def check_body(path: Path, fmt: str, sha256: str) -> None:
    """The response is what it claims to be: the JSON's hash recomputed, the hash on the CSV and the page."""
    body = path.read_bytes()
    if fmt == "json":
        data = json.loads(body)
        assert data.pop("sha256") == sha256, "the JSON's sha256 is not the header's"
        canonical = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
        assert hashlib.sha256(canonical).hexdigest() == sha256, "the JSON does not hash to its sha256"
    elif fmt == "csv":
        assert body.startswith(b"\xef\xbb\xbf") and body.rstrip().endswith(sha256.encode()), "CSV without its hash"
    elif fmt == "pdf":
        assert body.startswith(b"%PDF-"), "not a PDF"
    elif fmt == "xlsx":
        assert body.startswith(b"PK"), "not an XLSX (zip) file"
    else:
        assert sha256.encode() in body, "the page does not show the hash"


def _record_id(app, slug: str) -> int:
    from sqlmodel import Session, select

    from consult.models import Consultation, Record

    with Session(app.state.engine) as session:
        query = select(Record.id).join(Consultation, Consultation.id == Record.consultation_id)
        return session.exec(query.where(Consultation.slug == slug)).one()


def render_in_worker(app, settings, slug: str) -> float:
    """The worker's job for this record's PDF (its stored PDF removed first), timed; the seconds."""
    from sqlalchemy import text
    from sqlmodel import Session

    from consult.records.snapshot import render_pdf_job

    record_id = _record_id(app, slug)
    with Session(app.state.engine) as session:
        session.execute(text("DELETE FROM record_file WHERE record_id = :r AND format = 'pdf'"), {"r": record_id})
        session.commit()
        started = time.perf_counter()
        render_pdf_job(session, settings, str(record_id))
        return time.perf_counter() - started


def child(url: str, slug: str, fmt: str, warm_slug: str, out: str) -> None:
    """Warm up, then time one response, then trace the same response's memory; each result a JSON line in `out`.

    The PDF is the worker's job (`render_pdf_job`): timed there, its memory the process's RSS growth (Typst allocates
    outside the Python heap, which tracemalloc does not see); the request then serves the stored bytes.
    """
    from starlette.testclient import TestClient

    from consult.app import create_app
    from consult.settings import Settings

    settings = Settings(
        environment="production", database_url=url, secret_key=secrets.token_hex(32), base_url="http://testserver"
    )
    app = create_app(settings)
    sqlite = SQLiteHeap()
    with (
        tempfile.TemporaryDirectory() as tmp,
        TestClient(app, base_url="http://testserver") as client,
        open(out, "a", encoding="utf-8") as results,
    ):
        body = Path(tmp) / f"record.{fmt}"
        if fmt == "pdf":
            render_in_worker(app, settings, warm_slug)  # fonts and the Typst compiler loaded
        with open(os.devnull, "wb") as sink:
            fetch(client, app, warm_slug, fmt, sink)  # imports, templates, fonts, compiled SQL: not the export's
        gc.collect()
        with open("/proc/self/clear_refs", "w", encoding="ascii") as clear:
            clear.write("5")  # VmHWM starts again from the current RSS (Linux 4.0+)
        before = proc_status()
        job_seconds = render_in_worker(app, settings, slug) if fmt == "pdf" else None
        with open(body, "wb") as sink:  # to a file: the page cache, not this process's memory
            started = time.perf_counter()
            size, sha256 = fetch(client, app, slug, fmt, sink)
            seconds = time.perf_counter() - started
        rss_kb = proc_status()["VmHWM"] - before["VmRSS"]
        check_body(body, fmt, sha256)
        timed = {"seconds": seconds, "bytes": size, "rss_growth_kb": rss_kb, "rss_before_kb": before["VmRSS"]}
        if job_seconds is not None:
            timed.update(seconds=job_seconds, served_seconds=seconds)
        results.write(json.dumps(timed) + "\n")
        results.flush()
        if fmt == "pdf":  # Typst runs in a child process of the job: its peak RSS (the warm-up's child was smaller)
            child_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
            results.write(json.dumps({"python_peak": child_kb * 1024, "sqlite_peak": 0, "rss": True}) + "\n")
            app.state.engine.dispose()
            return
        page_cache = getattr(app.state, "page_cache", None)
        if page_cache is not None:
            page_cache.pages.clear()  # the page is kept for readers: measure producing it again, not the cache
        gc.collect()
        in_use = sqlite.reset()
        tracemalloc.start()
        with open(os.devnull, "wb") as sink:
            fetch(client, app, slug, fmt, sink)
        python_peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        results.write(json.dumps({"python_peak": python_peak, "sqlite_peak": sqlite.highwater() - in_use}) + "\n")
    app.state.engine.dispose()


# --- the run -------------------------------------------------------------------------------------------------


@dataclass
class Outcome:
    seconds: float | None = None
    peak_mb: float | None = None
    note: str = ""


def _rss_mb(pid: int) -> float:
    try:
        return proc_status(pid).get("VmRSS", 0) / 1024
    except (FileNotFoundError, ProcessLookupError):
        return 0.0


def _results(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def measure(url: str, slug: str, fmt: str, warm_slug: str, timeout: float, max_rss_mb: int) -> Outcome:
    """One measurement in a fresh process, stopped (and said so) past the timeout or the memory cap."""
    with tempfile.TemporaryDirectory() as tmp:
        out, errors_path = Path(tmp) / "results.jsonl", Path(tmp) / "stderr"
        out.touch()
        with open(errors_path, "wb") as errors:
            proc = subprocess.Popen(
                [sys.executable, str(Path(__file__).resolve()), "--child", url, slug, fmt, warm_slug, str(out)],
                cwd=ROOT,
                stdout=subprocess.DEVNULL,
                stderr=errors,
                start_new_session=True,
            )
        started, highest, stopped = time.monotonic(), 0.0, ""
        try:
            while proc.poll() is None:
                highest = max(highest, _rss_mb(proc.pid))
                phase_timeout = timeout if not _results(out) else timeout * (1 + TRACED_TIMEOUT_FACTOR)
                if time.monotonic() - started > phase_timeout:
                    stopped = f"stopped after {time.monotonic() - started:.0f} s"
                elif highest > max_rss_mb:
                    stopped = f"stopped at {highest:.0f} MB RSS (cap {max_rss_mb} MB)"
                if stopped:
                    break
                time.sleep(0.2)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        found = _results(out)
        if not found:
            tail = " | ".join(errors_path.read_text(errors="replace").strip().splitlines()[-4:])
            why = stopped or f"failed with exit status {proc.returncode}: {tail}"
            return Outcome(note=f"{why}; the process's RSS reached {highest:.0f} MB")
    timed = found[0]
    note = (
        f"{timed['bytes']:,} bytes; RSS {timed['rss_before_kb'] / 1024:.0f} MB before the timed request,"
        f" +{timed['rss_growth_kb'] / 1024:.1f} MB during it"
    )
    if "served_seconds" in timed:
        note = f"rendered by the worker's job; then served from storage in {timed['served_seconds']:.3f} s; {note}"
    if len(found) < 2:
        return Outcome(timed["seconds"], None, f"{note}; memory not traced: {stopped or 'the traced request failed'}")
    traced = found[1]
    peak = (traced["python_peak"] + traced["sqlite_peak"]) / 2**20
    if traced.get("rss"):
        return Outcome(timed["seconds"], peak, note + "; peak_mb: the peak RSS of the job's Typst process")
    note += f"; traced: Python heap {traced['python_peak'] / 2**20:.1f} MB + SQLite {traced['sqlite_peak'] / 2**20:.1f}"
    return Outcome(timed["seconds"], peak, note)


def run(label: str, url: str, sizes: list[int], formats: list[str], args) -> bool:
    """Build, measure and print one database's lines; False when a measurement failed."""
    prefix = f"db={label} " if label != "sqlite" else ""
    slugs = build(url, sizes, fresh_schema=label != "sqlite")
    peaks: dict[tuple[int, str], float] = {}
    ok = True
    for size in sizes:
        for fmt in formats:
            outcome = measure(url, slugs[size], fmt, slugs[0], args.timeout, args.max_rss_mb)
            if outcome.seconds is None:
                print(f"# {prefix}size={size} format={fmt} not measured: {outcome.note}", flush=True)
                ok = False
                continue
            peak = "n/a" if outcome.peak_mb is None else f"{outcome.peak_mb:.1f}"
            print(f"{prefix}size={size} format={fmt} seconds={outcome.seconds:.3f} peak_mb={peak}")
            print(f"# {prefix}size={size} format={fmt}: {outcome.note}", flush=True)
            if outcome.peak_mb is not None:
                peaks[size, fmt] = outcome.peak_mb
    small, large = min(sizes), max(sizes)
    for fmt in formats:
        if small != large and (small, fmt) in peaks and (large, fmt) in peaks and peaks[small, fmt]:
            ratio = peaks[large, fmt] / peaks[small, fmt]
            print(f"# {prefix}{fmt}: peak at {large} is {ratio:.1f} x that at {small}")
    return ok


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1000,10000", help="contributions per record, comma-separated")
    parser.add_argument("--formats", default=",".join(FORMATS), help="some of html,pdf,csv,xlsx,json")
    parser.add_argument("--timeout", type=float, default=600, help="seconds the timed request may take")
    parser.add_argument("--max-rss-mb", type=int, default=6144, help="stop a measurement whose RSS passes this")
    parser.add_argument("--sqlite-only", action="store_true", help="ignore CONSULT_TEST_DATABASE_URL")
    parser.add_argument("--postgresql-only", action="store_true", help="only CONSULT_TEST_DATABASE_URL")
    parser.add_argument("--keep", action="store_true", help="keep the SQLite file and print its path")
    parser.add_argument("--child", nargs=5, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child(*args.child)
        return 0
    if not Path("/proc/self/clear_refs").exists():
        print("bench/record.py needs Linux: it resets and reads the peak RSS through /proc", file=sys.stderr)
        return 2
    sizes = sorted({int(s) for s in args.sizes.split(",")})
    formats = [f for f in args.formats.split(",") if f]
    if any(f not in FORMATS for f in formats) or any(s < 2 for s in sizes):
        parser.error("formats are html, pdf, csv, xlsx, json; sizes at least 2")
    print(f"# {os.cpu_count()} CPUs; load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}", flush=True)
    pg_url = "" if args.sqlite_only else os.environ.get("CONSULT_TEST_DATABASE_URL", "")
    if args.postgresql_only and not pg_url:
        parser.error("--postgresql-only needs CONSULT_TEST_DATABASE_URL")
    workdir = Path(tempfile.mkdtemp(prefix="consult-record-bench-"))
    ok = True
    try:
        if not args.postgresql_only:
            ok = run("sqlite", f"sqlite:///{workdir / 'record.db'}", sizes, formats, args)
        if pg_url:
            ok = run("postgresql", pg_url, sizes, formats, args) and ok
    except KeyboardInterrupt:
        print("# interrupted", flush=True)
        return 130
    finally:
        if args.keep and (workdir / "record.db").exists():
            print(f"# kept {workdir / 'record.db'}")
        else:
            for leftover in workdir.iterdir():
                leftover.unlink()
            workdir.rmdir()
    print(f"# load average at the end {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
