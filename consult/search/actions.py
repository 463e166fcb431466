"""Full-text search over consultations, their documents, comments and proposals.

SQLite searches through an FTS5 index, PostgreSQL through a GIN index on to_tsvector('simple', …). Both match the
same folded text (lower case, diacritics and ł removed, one character for one), so "swiadczenie" finds "świadczenie"
on either database, and a snippet can be cut from the original text at the folded match's position.
The index follows the data by itself: a flush listener writes the entries of the rows that changed.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from sqlalchemy import DDL, delete, event, insert, select, text
from sqlalchemy.engine import Connection
from sqlmodel import Session

from consult.models import (
    Comment,
    Consultation,
    DocumentVersion,
    Paragraph,
    Proposal,
    SearchEntry,
    Thread,
)

PAGE_SIZE = 20
SNIPPET_CHARS = 220
TOKEN_RE = re.compile(r"[a-z0-9]+")
FTS_TABLE = "search_fts"
TSV_INDEX = "ix_search_entry_folded_tsv"

SQLITE_DDL = (
    f"CREATE VIRTUAL TABLE {FTS_TABLE} USING fts5(folded, content='search_entry', content_rowid='id', "
    "tokenize='unicode61')",
    f"CREATE TRIGGER search_entry_ai AFTER INSERT ON search_entry BEGIN "
    f"INSERT INTO {FTS_TABLE}(rowid, folded) VALUES (new.id, new.folded); END",
    f"CREATE TRIGGER search_entry_ad AFTER DELETE ON search_entry BEGIN "
    f"INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, folded) VALUES ('delete', old.id, old.folded); END",
    f"CREATE TRIGGER search_entry_au AFTER UPDATE ON search_entry BEGIN "
    f"INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, folded) VALUES ('delete', old.id, old.folded); "
    f"INSERT INTO {FTS_TABLE}(rowid, folded) VALUES (new.id, new.folded); END",
)
SQLITE_DROP = (
    "DROP TRIGGER IF EXISTS search_entry_ai",
    "DROP TRIGGER IF EXISTS search_entry_ad",
    "DROP TRIGGER IF EXISTS search_entry_au",
    f"DROP TABLE IF EXISTS {FTS_TABLE}",
)
POSTGRES_DDL = (f"CREATE INDEX {TSV_INDEX} ON search_entry USING gin (to_tsvector('simple', folded))",)


def _fold_char(char: str) -> str:
    if char in "łŁ":
        return "l"
    base = unicodedata.normalize("NFKD", char)[:1] or char
    folded = base.lower()
    return folded if len(folded) == 1 else char


def fold(value: str) -> str:
    """Lower case without diacritics, one character for each character of the original."""
    return "".join(_fold_char(c) for c in value)


def tokens(query: str) -> list[str]:
    return TOKEN_RE.findall(fold(query))[:12]


# --- schema: the dialect's own index beside the table ----------------------------------------


for statement in SQLITE_DDL:
    event.listen(SearchEntry.__table__, "after_create", DDL(statement).execute_if(dialect="sqlite"))
for statement in SQLITE_DROP:
    event.listen(SearchEntry.__table__, "before_drop", DDL(statement).execute_if(dialect="sqlite"))
for statement in POSTGRES_DDL:
    event.listen(SearchEntry.__table__, "after_create", DDL(statement).execute_if(dialect="postgresql"))


def include_object(obj, name, type_, reflected, compare_to) -> bool:
    """For Alembic's comparison: the FTS5 tables and the GIN indexes (the search's and the knowledge base's,
    `ix_knowledge_item_folded_tsv`) are the search's own, not the models'."""
    if type_ == "table" and name and name.startswith(FTS_TABLE):
        return False
    return not (type_ == "index" and name in (TSV_INDEX, "ix_knowledge_item_folded_tsv"))


# --- keeping the index ------------------------------------------------------------------------


def _entry_of(conn: Connection, obj) -> tuple[str, str, dict | None]:
    """(kind, ref, values or None to remove) for a changed row."""
    if isinstance(obj, Consultation):
        return (
            "consultation",
            str(obj.id),
            {
                "consultation_id": obj.id,
                "title": obj.title,
                "text": f"{obj.title}\n{obj.summary}",
            },
        )
    if isinstance(obj, Paragraph):
        consultation_id = conn.execute(
            select(DocumentVersion.consultation_id).where(DocumentVersion.id == obj.version_id)
        ).scalar()
        return (
            "paragraph",
            f"{consultation_id}:{obj.key}",
            {
                "consultation_id": consultation_id,
                "title": obj.label,
                "text": obj.text,
            },
        )
    if isinstance(obj, Comment):
        consultation_id = conn.execute(select(Thread.consultation_id).where(Thread.id == obj.thread_id)).scalar()
        if consultation_id is None or obj.status != "visible":
            return "comment", str(obj.id), None
        body = "\n".join(part for part in (obj.body, obj.proposed_wording, obj.justification) if part)
        return "comment", str(obj.id), {"consultation_id": consultation_id, "title": "", "text": body}
    assert isinstance(obj, Proposal)
    if obj.status != "visible":
        return "proposal", str(obj.id), None
    return (
        "proposal",
        str(obj.id),
        {
            "consultation_id": obj.consultation_id,
            "title": obj.title,
            "text": f"{obj.title}\n{obj.body}",
        },
    )


INDEXED = (Consultation, Paragraph, Comment, Proposal)


def write_entries(conn: Connection, objects) -> None:
    for obj in objects:
        kind, ref, values = _entry_of(conn, obj)
        conn.execute(delete(SearchEntry).where(SearchEntry.kind == kind, SearchEntry.ref == ref))
        if values is not None and values["consultation_id"] is not None:
            conn.execute(insert(SearchEntry).values(kind=kind, ref=ref, folded=fold(values["text"]), **values))


@event.listens_for(Session, "after_flush")
def _index_changes(session: Session, _context) -> None:
    changed = [o for o in (*session.new, *session.dirty) if isinstance(o, INDEXED)]
    for version in (o for o in session.deleted if isinstance(o, DocumentVersion)):
        # A draft's replaced document: its paragraphs went with it (ON DELETE CASCADE), so do their entries.
        session.connection().execute(
            delete(SearchEntry).where(
                SearchEntry.kind == "paragraph", SearchEntry.consultation_id == version.consultation_id
            )
        )
    if changed:
        write_entries(session.connection(), changed)


def reindex(session: Session) -> int:
    """Rebuild the whole index from the data (after restoring a backup, or on a database indexed before)."""
    conn = session.connection()
    conn.execute(delete(SearchEntry))
    count = 0
    for model in INDEXED:
        rows = session.scalars(select(model)).all()
        write_entries(conn, rows)
        count += len(rows)
    session.commit()
    return count


# --- searching ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Hit:
    kind: str
    ref: str
    title: str
    snippet: str
    consultation_slug: str
    consultation_title: str
    municipality: str


def snippet(original: str, words: list[str], size: int = SNIPPET_CHARS) -> str:
    """The part of the text around the first matched word (the folded text has the original's positions)."""
    folded = fold(original)
    starts = [m.start() for w in words if (m := re.search(r"\b" + re.escape(w), folded))]
    start = max(min(starts) - size // 3, 0) if starts else 0
    piece = original[start : start + size].strip()
    return ("…" if start else "") + piece + ("…" if start + size < len(original) else "")


def search(session: Session, query: str, page: int = 1) -> tuple[list[Hit], int]:
    """Published consultations' texts matching every word of the query (a word matches as a prefix)."""
    words = tokens(query)
    if not words:
        return [], 0
    if session.get_bind().dialect.name == "postgresql":
        match = "to_tsvector('simple', e.folded) @@ to_tsquery('simple', :q)"
        rank = "ts_rank(to_tsvector('simple', e.folded), to_tsquery('simple', :q)) DESC"
        params = {"q": " & ".join(f"{w}:*" for w in words)}
        source = "search_entry e"
    else:
        match = f"{FTS_TABLE} MATCH :q"
        rank = f"{FTS_TABLE}.rank"
        params = {"q": " ".join(f'"{w}"*' for w in words)}
        source = f"{FTS_TABLE} JOIN search_entry e ON e.id = {FTS_TABLE}.rowid"
    where = f"{match} AND c.published_at IS NOT NULL"
    joins = "JOIN consultation c ON c.id = e.consultation_id JOIN organisation o ON o.id = c.organisation_id"
    total = session.execute(text(f"SELECT count(*) FROM {source} {joins} WHERE {where}"), params).scalar_one()
    rows = session.execute(
        text(
            f"SELECT e.kind, e.ref, e.title, e.text, c.slug, c.title, o.name FROM {source} {joins} "
            f"WHERE {where} ORDER BY {rank}, e.id LIMIT :limit OFFSET :offset"
        ),
        {**params, "limit": PAGE_SIZE, "offset": (max(page, 1) - 1) * PAGE_SIZE},
    ).all()
    return [Hit(kind, ref, title, snippet(body, words), *rest) for kind, ref, title, body, *rest in rows], total
