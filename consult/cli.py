"""python -m consult serve | migrate | demo | createadmin | verify | reindex | worker | backup | restore"""

from __future__ import annotations

import argparse
import getpass
import sys
import time
from pathlib import Path

from consult.settings import Settings, UnsafeToServe

ROOT = Path(__file__).resolve().parent.parent


def alembic_config(database_url: str):
    from alembic.config import Config

    config = Config(toml_file=str(ROOT / "pyproject.toml"))
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))  # configparser interpolates %
    return config


def migrate(settings: Settings) -> None:
    from alembic import command

    command.upgrade(alembic_config(settings.database_url), "head")
    _fill_search_index(settings)
    _store_record_snapshots(settings)


def _fill_search_index(settings: Settings) -> None:
    """A database migrated from before the search index gets its entries once."""
    from sqlmodel import select

    from consult.db import make_engine, session_scope
    from consult.models import Consultation, SearchEntry
    from consult.search.actions import reindex

    engine = make_engine(settings.database_url)
    with session_scope(engine) as session:
        if session.exec(select(SearchEntry.id)).first() is None and session.exec(select(Consultation.id)).first():
            print("Search index filled:", reindex(session), "texts")
    engine.dispose()


def _store_record_snapshots(settings: Settings) -> None:
    """Records published before snapshots were stored (migration 0008) get theirs once, and their PDF queued."""
    from consult.db import make_engine, session_scope
    from consult.records.snapshot import backfill

    engine = make_engine(settings.database_url)
    with session_scope(engine) as session:
        stored, mismatched = backfill(session)
    engine.dispose()
    if stored:
        print("Record snapshots stored:", stored)
    for slug in mismatched:
        print(f"record {slug}: its data no longer gives the published sha256; no snapshot stored", file=sys.stderr)


def _serve(settings: Settings, args: argparse.Namespace) -> int:
    from consult.server import serve, workers_from_environment

    try:
        settings.refuse_public_key(args.host)
    except UnsafeToServe as refusal:
        sys.exit(str(refusal))
    serve(settings, args.host, args.port, args.workers or workers_from_environment())
    return 0


def _backup(settings: Settings, args: argparse.Namespace) -> int:
    from consult.backup import BackupError, backup, restore

    began = time.perf_counter()
    try:
        if args.command == "backup":
            backup(settings.database_url, args.file)
        else:
            restore(settings.database_url, args.file, force=args.force)
    except BackupError as error:
        print(f"{args.command} failed: {error}", file=sys.stderr)
        return 1
    done = "backed up to" if args.command == "backup" else "restored from"
    size = args.file.stat().st_size / 1_000_000
    print(f"{done} {args.file} ({size:.1f} MB) in {time.perf_counter() - began:.1f} s")
    if args.command == "restore":
        print("now run `python -m consult migrate` and `verify`, and restart the web processes and the worker")
    return 0


def _demo(settings: Settings, args: argparse.Namespace) -> int:
    from consult.db import make_engine, session_scope
    from consult.demo import DEMO_PASSWORD, load_demo
    from consult.jobs import run_due_jobs

    with session_scope(make_engine(settings.database_url)) as session:
        logins = load_demo(session)
        run_due_jobs(session, settings)  # the demo record's PDF, as the worker would
    print(
        "Demo data loaded. Log in at",
        settings.base_url + "/login",
        "with any of these (password:",
        DEMO_PASSWORD + "):",
    )
    for email, what in logins:
        print(f"  {email:36} {what}")
    return 0


def _createadmin(settings: Settings, args: argparse.Namespace) -> int:
    from consult.accounts.actions import RegisterInput, register_user
    from consult.db import make_engine, session_scope
    from consult.forms import DomainError, validate
    from consult.models import utcnow

    password = args.password or getpass.getpass("Password: ")
    form = validate(
        RegisterInput,
        {"email": args.email, "display_name": args.name, "password": password, "password_confirm": password},
    )
    if not form.ok:
        for name, message in form.errors.items():
            print(f"{name}: {message}", file=sys.stderr)
        return 1
    with session_scope(make_engine(settings.database_url)) as session:
        try:
            user = register_user(session, form.data, is_admin=True)
        except DomainError as error:
            print(error.translated(), file=sys.stderr)
            return 1
        user.confirmed_at = utcnow()
        session.add(user)
        session.commit()
    print("Platform admin created:", args.email)
    return 0


def _verify(settings: Settings, args: argparse.Namespace) -> int:
    from consult import ledger
    from consult.db import make_engine, session_scope
    from consult.records.actions import verify_records
    from consult.reports.snapshot import verify_reports

    with session_scope(make_engine(settings.database_url)) as session:
        broken = ledger.verify(session)
        last = ledger.head(session)
        events = last.seq if last else 0
        broken_record, records = verify_records(session)
        broken_report, reports = verify_reports(session)
    if broken:
        print(f"ledger BROKEN at event {broken.seq}: {broken.reason}")
        return 1
    print(f"ledger intact: {events} events")
    if broken_record:
        print(
            f"record BROKEN: {broken_record.consultation_slug}: {broken_record.reason}: "
            f"published sha256 {broken_record.stored or '(none)'}, the stored bytes give {broken_record.computed}"
        )
        return 1
    print(f"records intact: {records}")
    if broken_report:
        print(
            f"report BROKEN: {broken_report.name}: {broken_report.reason}: "
            f"published sha256 {broken_report.stored or '(none)'}, the stored bytes give {broken_report.computed}"
        )
        return 1
    print(f"reports intact: {reports}")
    return 0


def _reindex(settings: Settings, args: argparse.Namespace) -> int:
    from consult.db import make_engine, session_scope
    from consult.search.actions import reindex

    with session_scope(make_engine(settings.database_url)) as session:
        print("Search index rebuilt:", reindex(session), "texts")
    return 0


def _worker(settings: Settings, args: argparse.Namespace) -> int:
    """Queue what is due (reminders, digests), send the outbox and run the due jobs (a record's PDF), every
    --interval seconds; --once does each once."""
    from consult.db import make_engine, session_scope, writing
    from consult.jobs import run_due_jobs
    from consult.logs import configure_logging
    from consult.mail import deliver_pending
    from consult.notifications.schedule import run_scheduled

    configure_logging()  # JSON lines, as the web processes write them
    token = writing.set(True)  # SQLite: the worker's transactions take the write lock at once (db.py says why)
    engine = make_engine(settings.database_url)
    try:
        while True:
            with session_scope(engine) as session:
                run_scheduled(session, settings)  # reminders, deadlines, weekly digests: each sent once
                deliver_pending(session, settings)
                run_due_jobs(session, settings)
            if args.once:
                return 0
            time.sleep(args.interval)
    finally:
        writing.reset(token)
        engine.dispose()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m consult")
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="serve the application")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=0, help="worker processes (default: $WEB_CONCURRENCY or 1)")
    sub.add_parser("migrate", help="bring the database to the latest schema")
    sub.add_parser("demo", help="load the demo data (idempotent)")
    admin = sub.add_parser("createadmin", help="create a platform admin")
    admin.add_argument("--email", required=True)
    admin.add_argument("--name", default="Administrator")
    admin.add_argument("--password", help="asked for when not given")
    sub.add_parser("verify", help="recompute the ledger's hash chain and every published record's and report's hash")
    sub.add_parser("reindex", help="rebuild the full-text search index")
    worker = sub.add_parser("worker", help="send the outbox and run due jobs (record PDFs)")
    worker.add_argument("--once", action="store_true")
    worker.add_argument("--interval", type=float, default=10.0)
    backup = sub.add_parser("backup", help="copy the whole database into FILE (SQLite online backup, or pg_dump)")
    backup.add_argument("file", type=Path)
    restore = sub.add_parser("restore", help="load FILE made by backup into an empty database")
    restore.add_argument("file", type=Path)
    restore.add_argument("--force", action="store_true", help="replace a database that holds data")
    args = parser.parse_args(argv)
    settings = Settings()
    if args.command == "migrate":
        migrate(settings)
        print("database at the latest schema")
        return 0
    handler = {
        "serve": _serve,
        "demo": _demo,
        "createadmin": _createadmin,
        "verify": _verify,
        "reindex": _reindex,
        "worker": _worker,
        "backup": _backup,
        "restore": _backup,
    }
    return handler[args.command](settings, args)
