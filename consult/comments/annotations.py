"""What other features add to the comments a page shows (co-signatures, answers), loaded in one query per feature.

A feature registers an annotator; the comment engine calls every annotator on each list of comments it loads, so a
page costs the same number of queries however many comments it shows, and the engine never names the features.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from sqlmodel import Session

if TYPE_CHECKING:
    from consult.comments.actions import CommentView

Annotator = Callable[[Session, "list[CommentView]"], None]
ANNOTATORS: dict[str, Annotator] = {}


def register(name: str, annotator: Annotator) -> None:
    """An annotator fills view.extras[...] for the views it concerns (the top-level ones; replies are nested)."""
    ANNOTATORS[name] = annotator


def annotate(session: Session, views: list[CommentView]) -> list[CommentView]:
    if views:
        for annotator in ANNOTATORS.values():
            annotator(session, views)
    return views
