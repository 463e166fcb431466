"""2,000 messages through the outbox by several senders at once: is a message sent twice, or lost?

Queues `--messages` messages (default 2,000) through `consult.mail.queue_mail` in the database named by the URL
(default: a fresh SQLite file; for a PostgreSQL URL the script creates a database of its own on that server and drops
it at the end), starts an aiosmtpd server on 127.0.0.1 that counts what it receives by Message-ID (the outbox gives
every message one, the same on every attempt), then starts `n` sender processes at once, each sending
(`deliver_pending`) until nothing is left. For each number of senders in `--senders` it prints

    db=<sqlite|postgresql> senders=<n> queued=<n> delivered=<n> doubled=<n> lost=<n> seconds=<n>

delivered: distinct messages the SMTP server received; doubled: copies beyond the first; lost: queued messages the
server never received (or not marked sent in the outbox); seconds: from the senders' start to the last one's end.
Lines beginning with "#" are notes. Run from the project root:

    .venv/bin/python bench/mail.py [DATABASE_URL] [--messages 2000] [--senders 1,4]
    .venv/bin/python bench/mail.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/test

Exit status: 0 nothing doubled or lost; 1 otherwise.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script: bench/ is on the path, the project root is not
    sys.path.insert(0, str(ROOT))

from aiosmtpd.controller import Controller  # noqa: E402
from sqlalchemy import func, text  # noqa: E402
from sqlmodel import Session, SQLModel, col, select  # noqa: E402

from consult.db import make_engine  # noqa: E402
from consult.mail import deliver_pending, queue_mail  # noqa: E402
from consult.models import OutboxMessage  # noqa: E402
from consult.settings import Settings  # noqa: E402


class Counting:
    """The SMTP server's side: how many times each Message-ID arrived."""

    def __init__(self) -> None:
        self.seen: Counter[str] = Counter()
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        for line in envelope.original_content.split(b"\r\n"):
            if line.lower().startswith(b"message-id:"):
                with self.lock:
                    self.seen[line.split(b":", 1)[1].strip().decode()] += 1
                break
        return "250 OK"


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def postgres_database(url: str) -> Iterator[str]:
    """A database of the bench's own on the server of `url`, dropped at the end."""
    from sqlalchemy.engine import make_url

    name = f"bench_mail_{uuid.uuid4().hex[:8]}"
    base = make_url(url).set(query={})
    admin = make_engine(base.render_as_string(hide_password=False)).execution_options(isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"CREATE DATABASE {name}"))
    try:
        yield base.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        admin.engine.dispose()


def fill(url: str, count: int) -> list[str]:
    """An empty outbox, then `count` messages queued; their Message-IDs as the sender will write them."""
    from consult.mail import message_id

    engine = make_engine(url)
    SQLModel.metadata.create_all(engine, tables=[OutboxMessage.__table__])  # the outbox is all it needs
    settings = Settings(environment="test", database_url=url)
    try:
        with Session(engine, expire_on_commit=False) as session:
            session.execute(text("DELETE FROM outbox_message"))
            items = [queue_mail(session, f"osoba{i}@bench.example", f"Wiadomość {i}", "Treść.") for i in range(count)]
            session.commit()
            return [message_id(settings, item) for item in items]
    finally:
        engine.dispose()


def child(url: str, smtp_url: str) -> int:
    """One sender: send until nothing is left to claim."""
    settings = Settings(environment="test", database_url=url, smtp_url=smtp_url)
    engine = make_engine(url)
    try:
        with Session(engine, expire_on_commit=False) as session:
            while deliver_pending(session, settings):
                pass
    finally:
        engine.dispose()
    return 0


def unsent(url: str) -> int:
    engine = make_engine(url)
    try:
        with Session(engine) as session:
            query = select(func.count()).select_from(OutboxMessage).where(col(OutboxMessage.sent_at).is_(None))
            return session.exec(query).one()
    finally:
        engine.dispose()


def run(url: str, label: str, senders: int, messages: int) -> bool:
    expected = fill(url, messages)
    box = Counting()
    controller = Controller(box, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        smtp_url = f"smtp://127.0.0.1:{controller.port}"
        began = time.perf_counter()
        procs = [
            subprocess.Popen([sys.executable, __file__, "--child", url, smtp_url], cwd=ROOT) for _ in range(senders)
        ]
        codes = [p.wait(timeout=1800) for p in procs]
        seconds = time.perf_counter() - began
    finally:
        controller.stop()
    delivered = sum(1 for mid in expected if box.seen[mid])
    doubled = sum(n - 1 for n in box.seen.values() if n > 1)
    lost = max(messages - delivered, unsent(url))
    print(
        f"db={label} senders={senders} queued={messages} delivered={delivered} doubled={doubled} lost={lost} "
        f"seconds={seconds:.2f}",
        flush=True,
    )
    if any(codes):
        print(f"# a sender failed: exit codes {codes}", flush=True)
    return doubled == 0 and lost == 0 and not any(codes)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("database_url", nargs="?", default="", help="default: a fresh SQLite file")
    parser.add_argument("--database-url", dest="database_url_option", default="", help="the same, as an option")
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--senders", default="1,4", help="numbers of sender processes, comma-separated")
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        return child(*args.child)
    os.environ.setdefault("ENVIRONMENT", "test")
    url = args.database_url_option or args.database_url
    counts = [int(n) for n in args.senders.split(",")]
    print(f"# {os.cpu_count()} CPUs; load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}", flush=True)
    ok = True
    if url.startswith("postgresql"):
        with postgres_database(url) as own:
            for n in counts:
                ok &= run(own, "postgresql", n, args.messages)
    else:
        with tempfile.TemporaryDirectory(prefix="consult-mail-") as folder:
            own = url or f"sqlite:///{Path(folder) / 'mail.db'}"
            for n in counts:
                ok &= run(own, "sqlite", n, args.messages)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
