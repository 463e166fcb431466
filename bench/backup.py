"""How long does a backup round trip take? `python -m consult backup`, `restore` into an empty database, `verify`.

Two databases are measured: the demo (`python -m consult demo`: Wierzbno, five NGOs, two consultations, one record
with its PDF) and a closed consultation of 10,000 contributions with its record published (bench/record_data.py, no
PDF: rendering it takes the worker 3 GB). Each on SQLite (temporary files) and, when CONSULT_TEST_DATABASE_URL is set,
on PostgreSQL, in two databases this script creates on that server and drops at the end.

Output: `db=<sqlite|postgresql> data=<demo|10000> size_mb=… backup_s=… restore_s=… verify_s=…`.

    .venv/bin/python bench/backup.py                 # SQLite: about 2 minutes, most of it building the 10,000
    CONSULT_TEST_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/test .venv/bin/python bench/backup.py
    .venv/bin/python bench/backup.py --demo-only     # a quick look
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]


def cli(*argv: str, url: str) -> int:
    from consult.cli import main

    os.environ["DATABASE_URL"] = url
    with contextlib.redirect_stdout(io.StringIO()):
        return main(list(argv))


def fill(url: str, data: str) -> None:
    from record_data import build

    assert cli("migrate", url=url) == 0
    if data == "demo":
        assert cli("demo", url=url) == 0
    else:
        with contextlib.redirect_stdout(io.StringIO()):
            build(url, [int(data)], fresh_schema=False)


def round_trip(source: str, target: str, file: Path, label: str) -> None:
    from consult.backup import backup, restore

    began = time.perf_counter()
    backup(source, file)
    backed = time.perf_counter()
    restore(target, file)
    restored = time.perf_counter()
    assert cli("verify", url=target) == 0, "verify failed after the restore"
    verified = time.perf_counter()
    print(
        f"{label} size_mb={file.stat().st_size / 1e6:.1f} backup_s={backed - began:.2f} "
        f"restore_s={restored - backed:.2f} verify_s={verified - restored:.2f}",
        flush=True,
    )


@contextmanager
def postgres_databases(url: str, count: int) -> Iterator[list[str]]:
    from sqlalchemy import text
    from sqlalchemy.engine import make_url

    from consult.db import make_engine

    names = [f"bench_backup_{uuid.uuid4().hex[:8]}" for _ in range(count)]
    base = make_url(url).set(query={})  # no per-process search_path: the bench's databases use public
    admin = make_engine(base.render_as_string(hide_password=False)).execution_options(isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            for name in names:
                conn.execute(text(f"CREATE DATABASE {name}"))
        yield [base.set(database=name).render_as_string(hide_password=False) for name in names]
    finally:
        with admin.connect() as conn:
            for name in names:
                conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        admin.engine.dispose()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--demo-only", action="store_true", help="measure the demo only")
    parser.add_argument("--size", type=int, default=10_000, help="contributions of the large consultation")
    args = parser.parse_args(argv)
    os.environ.setdefault("ENVIRONMENT", "development")
    datasets = ["demo"] if args.demo_only else ["demo", str(args.size)]
    print(f"# {os.cpu_count()} CPUs; load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}", flush=True)
    with tempfile.TemporaryDirectory(prefix="consult-backup-") as folder:
        directory = Path(folder)
        for data in datasets:
            source, target = (f"sqlite:///{directory / f'{data}-{side}.db'}" for side in ("source", "restored"))
            began = time.perf_counter()
            fill(source, data)
            print(f"# db=sqlite data={data} built in {time.perf_counter() - began:.1f} s", flush=True)
            round_trip(source, target, directory / f"{data}.sqlite3", f"db=sqlite data={data}")
        pg_url = os.environ.get("CONSULT_TEST_DATABASE_URL", "")
        if pg_url:
            for data in datasets:
                with postgres_databases(pg_url, 2) as (source, target):
                    began = time.perf_counter()
                    fill(source, data)
                    print(f"# db=postgresql data={data} built in {time.perf_counter() - began:.1f} s", flush=True)
                    round_trip(source, target, directory / f"{data}.dump", f"db=postgresql data={data}")
    print(f"# load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
