"""A free address (slug) for a new row: the name made into a slug, then -2, -3 … until no row of the table has it."""

from __future__ import annotations

from collections.abc import Collection

from slugify import slugify
from sqlmodel import Session, SQLModel, select


def unique_slug(
    session: Session,
    table: type[SQLModel],
    name: str,
    *,
    fallback: str,
    max_length: int = 80,
    reserved: Collection[str] = (),
) -> str:
    """`reserved` holds the words a route already uses beside the slug (e.g. "new" for `/groups/new`)."""
    base = slugify(name, max_length=max_length) or fallback
    slug, n = base, 2
    column = table.slug  # type: ignore[attr-defined]
    while slug in reserved or session.exec(select(table.id).where(column == slug)).first() is not None:  # type: ignore[attr-defined]
        slug, n = f"{base}-{n}", n + 1
    return slug
