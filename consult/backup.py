"""`python -m consult backup FILE` and `restore FILE`: the whole database in one file, and back.

SQLite: the online backup API (`sqlite3.Connection.backup`), a consistent copy while the site runs, written beside
FILE and renamed over it when complete. PostgreSQL: `pg_dump --format=custom` and `pg_restore --clean --if-exists`
in one transaction, with the password in the environment, never on a command line. pg_dump must be of the server's
major version or newer, pg_restore of pg_dump's or newer (README, "Backups").

A restore refuses a database that holds any row unless forced: it replaces everything in it.
"""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import subprocess
from pathlib import Path
from urllib.parse import unquote

from sqlalchemy import inspect, text
from sqlalchemy.engine import URL, make_url
from sqlmodel import SQLModel

from consult import models  # noqa: F401  (registers the tables)
from consult.db import make_engine

MARKER_TABLE = "ledger_event"  # every consult database has it: a file without it is not a consult backup


class BackupError(RuntimeError):
    """Said to the operator as it is; the command exits 1."""


def backup(database_url: str, file: Path) -> None:
    if _is_sqlite(database_url):
        _sqlite_backup(_sqlite_path(database_url), file)
    else:
        _pg_backup(make_url(database_url), file)


def restore(database_url: str, file: Path, force: bool = False) -> None:
    if not file.is_file():
        raise BackupError(f"{file}: no such file")
    if not force and not is_empty(database_url):
        raise BackupError(
            "the database holds data, which a restore replaces; restore into an empty database, or add --force"
        )
    if _is_sqlite(database_url):
        _sqlite_restore(file, _sqlite_path(database_url))
    else:
        _pg_restore(make_url(database_url), file)


def is_empty(database_url: str) -> bool:
    """No row in any of consult's tables (a database just migrated is empty; so is one that does not exist yet)."""
    if _is_sqlite(database_url) and not _sqlite_path(database_url).exists():
        return True
    engine = make_engine(database_url)
    try:
        with engine.connect() as conn:
            present = set(inspect(conn).get_table_names())
            for table in SQLModel.metadata.sorted_tables:
                if table.name in present and conn.execute(text(f'SELECT 1 FROM "{table.name}" LIMIT 1')).first():
                    return False
        return True
    finally:
        engine.dispose()


# --- SQLite ------------------------------------------------------------------------------------------------------


def _is_sqlite(url: str) -> bool:
    return url.startswith("sqlite")


def _sqlite_path(url: str) -> Path:
    database = make_url(url).database
    if not database or database == ":memory:":
        raise BackupError("an in-memory SQLite database has nothing to back up")
    return Path(database)


def _sqlite_backup(source: Path, file: Path) -> None:
    if not source.exists():
        raise BackupError(f"{source}: no such database")
    partial = file.with_name(file.name + ".partial")
    partial.unlink(missing_ok=True)
    src = sqlite3.connect(source)
    dst = sqlite3.connect(partial)
    try:
        src.backup(dst)  # page by page; writers may go on meanwhile, SQLite restarts the copy if they do
        dst.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal beside it
    finally:
        dst.close()
        src.close()
    os.replace(partial, file)


def _sqlite_restore(file: Path, target: Path) -> None:
    src = sqlite3.connect(f"file:{file}?mode=ro", uri=True)
    try:
        try:
            tables = {row[0] for row in src.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            checked = src.execute("PRAGMA quick_check").fetchone()[0]
        except sqlite3.DatabaseError as error:
            raise BackupError(f"{file} is not an SQLite database: {error}") from error
        if MARKER_TABLE not in tables or checked != "ok":
            raise BackupError(f"{file} is not a consult backup ({'damaged' if checked != 'ok' else 'no ledger'})")
        target.parent.mkdir(parents=True, exist_ok=True)
        dst = sqlite3.connect(target)
        try:
            dst.execute("PRAGMA journal_mode=WAL")  # as the application opens it (consult/db.py)
            src.backup(dst)
        finally:
            dst.close()
    finally:
        src.close()


# --- PostgreSQL ---------------------------------------------------------------------------------------------------


def _tool(name: str) -> str:
    found = shutil.which(name, path=os.environ.get("PG_BIN") or None) or shutil.which(name)
    if not found:
        raise BackupError(f"{name} is not installed (apt-get install postgresql-client), or set PG_BIN to its folder")
    return found


def _libpq(url: URL) -> tuple[str, dict[str, str]]:
    """The connection URI for libpq without the password, and the environment that carries the password."""
    env = {**os.environ}
    if url.password:
        env["PGPASSWORD"] = url.password
    plain = url.set(drivername="postgresql", password=None)
    return plain.render_as_string(hide_password=False), env


def _schema(url: URL) -> str | None:
    """The schema an `options=-csearch_path=…` in the URL puts the tables in (the tests' per-process schemas)."""
    options = url.query.get("options", "")
    found = re.search(r"search_path\s*=\s*([A-Za-z0-9_]+)", unquote(options if isinstance(options, str) else ""))
    return found.group(1) if found else None


def _run(command: list[str], env: dict[str, str]) -> None:
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise BackupError(f"{Path(command[0]).name} failed ({done.returncode}): {done.stderr.strip()}")


def _pg_backup(url: URL, file: Path) -> None:
    uri, env = _libpq(url)
    partial = file.with_name(file.name + ".partial")
    command = [_tool("pg_dump"), "--format=custom", "--no-owner", "--no-privileges", f"--file={partial}"]
    if schema := _schema(url):
        command.append(f"--schema={schema}")
    _run([*command, f"--dbname={uri}"], env)
    os.replace(partial, file)


def _pg_restore(url: URL, file: Path) -> None:
    uri, env = _libpq(url)
    listing = subprocess.run([_tool("pg_restore"), "--list", str(file)], capture_output=True, text=True, check=False)
    if listing.returncode != 0 or not re.search(rf"TABLE DATA \S+ {MARKER_TABLE}\b", listing.stdout):
        raise BackupError(f"{file} is not a consult backup made by pg_dump --format=custom")
    command = [_tool("pg_restore"), "--clean", "--if-exists", "--no-owner", "--no-privileges"]
    _run([*command, "--single-transaction", "--exit-on-error", f"--dbname={uri}", str(file)], env)
