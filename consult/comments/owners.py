"""Who owns a thread: each owner (consultation, later proposal, group, meeting) registers a resolver here,
so the comment views can ask for the rules and the place of a thread without knowing what it hangs on."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import Session

from consult.comments.actions import Gate
from consult.models import Thread


@dataclass(frozen=True)
class ThreadContext:
    thread: Thread | None
    gate: Gate
    scope: str  # DOM-safe name of the thread within its page: "general" or a paragraph key
    page_url: str  # the full page of this thread (without JavaScript)
    post_url: str  # where a new comment in it is posted
    title: str  # what the thread is about, for headings
    owner: Any  # the owning object, for the templates (a consultation)
    extra: dict[str, Any]
    # Who may read the thread when not everyone may (a network's members-only discussion): the comment pages send
    # a visitor to the log-in page and refuse the others, saying why (read_refusal, a msgid).
    may_read: Callable[[Any], bool] | None = None
    read_refusal: str = ""


Resolver = Callable[[Session, Thread, Callable[..., str], datetime | None], ThreadContext]
RESOLVERS: dict[str, Resolver] = {}


def register(kind: str, resolver: Resolver) -> None:
    RESOLVERS[kind] = resolver


def resolve(
    session: Session, thread: Thread, url_for: Callable[..., str], now: datetime | None = None
) -> ThreadContext:
    return RESOLVERS[thread.owner_kind](session, thread, url_for, now)
