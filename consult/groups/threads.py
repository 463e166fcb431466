"""The threads a working group owns, resolved for the comment engine: its discussion ("group") and one per
paragraph of its documents ("group_paragraph"). Everyone reads them; the group's members and its coordinator post."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime

from sqlmodel import Session

from consult.comments.actions import Gate
from consult.comments.owners import ThreadContext, register
from consult.groups.documents import GROUP_THREAD, PARAGRAPH_THREAD, paragraph_of
from consult.groups.queries import load_access
from consult.groups.rules import GroupAccess
from consult.i18n import _, gettext
from consult.models import GroupDocument, Paragraph, Thread, WorkingGroup
from consult.permissions import Principal, can

MEMBERS_ONLY = _("Only the group's members and its coordinator take part in its discussion. Declare to join the group.")


def gate_for(access: GroupAccess) -> Gate:
    """Always open; posting for the members and the coordinator (themselves, or a member organisation)."""

    def may_speak(principal: Principal, organisation_id: int | None) -> bool:
        if not can(principal, "group.post", access):
            return False
        return organisation_id is None or organisation_id in access.member_organisations

    return Gate(
        open=True,
        closed_message=MEMBERS_ONLY,
        allow_individuals=True,
        verified_only=False,
        moderator=access.organisation,  # its officials moderate a municipality's group; platform admins any
        may_speak=may_speak,
        speak_refusal=MEMBERS_ONLY,
    )


def for_reader(ctx: ThreadContext, access: GroupAccess, principal: Principal | None) -> ThreadContext:
    """The thread as this reader's page shows it: a signed-in person outside the group sees why there is no form."""
    if principal is not None and not can(principal, "group.post", access):
        return replace(ctx, gate=replace(ctx.gate, open=False))
    return ctx


def discussion_context(access: GroupAccess, thread: Thread | None, url_for: Callable[..., str]) -> ThreadContext:
    group = access.group
    return ThreadContext(
        thread=thread,
        gate=gate_for(access),
        scope="general",
        page_url=str(url_for("groups:discussion", slug=group.slug)),
        post_url=str(url_for("groups:comment", slug=group.slug)),
        title=gettext("Discussion"),  # its count follows: "Discussion (3)"
        owner=group,
        extra={
            "plain": True,
            "paragraph": None,
            "form_title": gettext("Write in the discussion"),
            "individual_label": gettext("Myself"),
            "trail": _trail(group, url_for),
        },
    )


def paragraph_context(
    access: GroupAccess,
    document: GroupDocument,
    key: str,
    paragraph: Paragraph | None,  # None: no longer in the current version (its thread stays readable)
    thread: Thread | None,
    url_for: Callable[..., str],
) -> ThreadContext:
    group = access.group
    document_url = str(url_for("groups:document", slug=group.slug, document_id=document.id))
    return ThreadContext(
        thread=thread,
        gate=gate_for(access),
        scope=key,
        page_url=str(url_for("groups:paragraph", slug=group.slug, document_id=document.id, paragraph=key)),
        post_url=str(url_for("groups:document_comment", slug=group.slug, document_id=document.id)),
        title=gettext("Comments on %(label)s", label=paragraph.label) if paragraph else gettext("Earlier comments"),
        owner=group,
        extra={
            "plain": True,
            "paragraph": paragraph,
            "document": document,
            "individual_label": gettext("Myself"),
            "trail": [*_trail(group, url_for), (document_url, document.title)],
        },
    )


def _trail(group: WorkingGroup, url_for: Callable[..., str]) -> list[tuple[str, str]]:
    return [
        (str(url_for("groups:list")), gettext("Working groups")),
        (str(url_for("groups:detail", slug=group.slug)), group.name),
    ]


def _resolve(session: Session, thread: Thread, url_for, now: datetime | None = None) -> ThreadContext:
    if thread.owner_kind == GROUP_THREAD:
        group = session.get(WorkingGroup, int(thread.owner_id))
        assert group is not None
        return discussion_context(load_access(session, group), thread, url_for)
    document_id, key = thread.owner_id.split(":", 1)
    document = session.get(GroupDocument, int(document_id))
    assert document is not None
    group = session.get(WorkingGroup, document.group_id)
    assert group is not None
    paragraph = paragraph_of(session, document, key)
    return paragraph_context(load_access(session, group), document, key, paragraph, thread, url_for)


register(GROUP_THREAD, _resolve)
register(PARAGRAPH_THREAD, _resolve)
