"""Full-text search of the knowledge base, the same way consult.search does it for consultations.

Each item keeps its folded text (lower case, diacritics and ł removed: consult.search.actions.fold) in
`knowledge_item.folded`; SQLite searches it through an FTS5 table kept by triggers, PostgreSQL through a GIN index
on to_tsvector('simple', folded). The FTS5 table's name starts with "search_fts", so Alembic's comparison leaves it
out as it does the consultations' one (consult.search.actions.include_object).
"""

from __future__ import annotations

from sqlalchemy import DDL, event
from sqlalchemy.sql import Select
from sqlmodel import Session, col, select, text

from consult.models import KnowledgeField, KnowledgeItem, KnowledgeTopic
from consult.search.actions import fold, tokens

FTS_TABLE = "search_fts_knowledge"
TSV_INDEX = "ix_knowledge_item_folded_tsv"

SQLITE_DDL = (
    f"CREATE VIRTUAL TABLE {FTS_TABLE} USING fts5(folded, content='knowledge_item', content_rowid='id', "
    "tokenize='unicode61')",
    f"CREATE TRIGGER knowledge_item_ai AFTER INSERT ON knowledge_item BEGIN "
    f"INSERT INTO {FTS_TABLE}(rowid, folded) VALUES (new.id, new.folded); END",
    f"CREATE TRIGGER knowledge_item_ad AFTER DELETE ON knowledge_item BEGIN "
    f"INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, folded) VALUES ('delete', old.id, old.folded); END",
    f"CREATE TRIGGER knowledge_item_au AFTER UPDATE OF folded ON knowledge_item BEGIN "
    f"INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, folded) VALUES ('delete', old.id, old.folded); "
    f"INSERT INTO {FTS_TABLE}(rowid, folded) VALUES (new.id, new.folded); END",
)
SQLITE_DROP = (
    "DROP TRIGGER IF EXISTS knowledge_item_ai",
    "DROP TRIGGER IF EXISTS knowledge_item_ad",
    "DROP TRIGGER IF EXISTS knowledge_item_au",
    f"DROP TABLE IF EXISTS {FTS_TABLE}",
)
POSTGRES_DDL = (f"CREATE INDEX {TSV_INDEX} ON knowledge_item USING gin (to_tsvector('simple', folded))",)

table = KnowledgeItem.__table__  # type: ignore[attr-defined]
for statement in SQLITE_DDL:
    event.listen(table, "after_create", DDL(statement).execute_if(dialect="sqlite"))
for statement in SQLITE_DROP:
    event.listen(table, "before_drop", DDL(statement).execute_if(dialect="sqlite"))
for statement in POSTGRES_DDL:
    event.listen(table, "after_create", DDL(statement).execute_if(dialect="postgresql"))


def folded_text(item: KnowledgeItem, fields: list[str], topics: list[str]) -> str:
    """What a search matches: the title, summary, text, and the topics and fields it is tagged with."""
    return fold("\n".join([item.title, item.summary, item.body, " ".join(topics), " ".join(fields)]))


def matching(session: Session, query: str, statement: Select) -> Select | None:
    """The statement narrowed to items matching every word of the query (each as a prefix); None if no word."""
    words = tokens(query)
    if not words:
        return None
    if session.get_bind().dialect.name == "postgresql":
        condition = text("to_tsvector('simple', knowledge_item.folded) @@ to_tsquery('simple', :kq)")
        return statement.where(condition.bindparams(kq=" & ".join(f"{w}:*" for w in words)))
    condition = text(f"knowledge_item.id IN (SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH :kq)")
    return statement.where(condition.bindparams(kq=" ".join(f'"{w}"*' for w in words)))


def reindex(session: Session) -> int:
    """Fold every item's text again (after a restore, or when the folding changes)."""
    items = session.exec(select(KnowledgeItem)).all()
    for item in items:
        fields = session.exec(select(KnowledgeField.field).where(KnowledgeField.item_id == item.id)).all()
        topics = session.exec(
            select(KnowledgeTopic.topic).where(KnowledgeTopic.item_id == item.id).order_by(col(KnowledgeTopic.topic))
        ).all()
        item.folded = folded_text(item, list(fields), list(topics))
        session.add(item)
    session.commit()
    return len(items)
