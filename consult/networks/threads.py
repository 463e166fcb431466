"""A network's members' discussion: a comment thread owned by the network, which only the people of its member
organisations and its coordinators read and write, resolved for the comment engine."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from consult.comments.actions import CommentInput, Gate, submit_comment
from consult.comments.owners import ThreadContext, register
from consult.errors import DomainError
from consult.i18n import _, gettext
from consult.models import Comment, Network, Thread
from consult.networks import queries
from consult.networks.rules import NetworkAccess
from consult.permissions import Principal, can

OWNER_KIND = "network"
MEMBERS_ONLY = _("The discussion of a network is for the people of its member organisations and its coordinators.")
FOR_MEMBERS = _("Write on behalf of a member organisation of the network, or as yourself.")


def gate_of(access: NetworkAccess) -> Gate:
    """Open while the network exists, to its members and coordinators, each speaking for themselves or for a member
    organisation; no municipality moderates it (its members can report a comment)."""

    def may_speak(principal: Principal, organisation_id: int | None) -> bool:
        member_organisation = organisation_id is None or organisation_id in access.member_organisation_ids
        return can(principal, "network.post", access) and member_organisation

    return Gate(
        open=True,
        closed_message="",
        allow_individuals=True,
        verified_only=False,
        moderator=None,
        may_speak=may_speak,
        speak_refusal=FOR_MEMBERS,
    )


def thread_of(session: Session, network: Network) -> Thread | None:
    return session.exec(
        select(Thread).where(Thread.owner_kind == OWNER_KIND, Thread.owner_id == str(network.id))
    ).first()


def _thread_for_posting(session: Session, network: Network) -> Thread:
    """The network's thread, made on the first post."""
    thread = thread_of(session, network)
    if thread is not None:
        return thread
    thread = Thread(owner_kind=OWNER_KIND, owner_id=str(network.id))
    session.add(thread)
    try:
        session.flush()
    except IntegrityError:  # two first posts at once: the other made it
        session.rollback()
        thread = thread_of(session, network)
        assert thread is not None
    return thread


def discussion_context(
    session: Session,
    network: Network,
    thread: Thread | None,
    url_for: Callable[..., object],
    access: NetworkAccess | None = None,
) -> ThreadContext:
    access = access or queries.access_of(session, network)
    return ThreadContext(
        thread=thread,
        gate=gate_of(access),
        scope=f"network-{network.id}",
        page_url=str(url_for("networks:discussion", slug=network.slug)),
        post_url=str(url_for("networks:comment", slug=network.slug)),
        title=gettext("Members' discussion"),
        owner=network,
        extra={
            "network": network,
            "plain": True,
            "form_title": gettext("Write to the network's members"),
            "individual_label": gettext("Myself"),
            "trail": [
                (str(url_for("networks:list")), gettext("Networks")),
                (str(url_for("networks:detail", slug=network.slug)), network.name),
            ],
        },
        may_read=lambda principal: can(principal, "network.read_members", access),
        read_refusal=MEMBERS_ONLY,
    )


def _resolve(session: Session, thread: Thread, url_for, now: datetime | None = None) -> ThreadContext:
    network = session.get(Network, int(thread.owner_id))
    assert network is not None
    return discussion_context(session, network, thread, url_for)


register(OWNER_KIND, _resolve)


def post_to_discussion(session: Session, principal: Principal | None, network: Network, data: CommentInput) -> Comment:
    """A member (for themselves or for their member organisation) or a coordinator writes in the discussion."""
    access = queries.access_of(session, network)
    if principal is None or not can(principal, "network.post", access):
        raise DomainError("", MEMBERS_ONLY, 403)
    if data.organisation_id is not None and data.organisation_id not in access.member_organisation_ids:
        raise DomainError("organisation_id", FOR_MEMBERS, 403)
    thread = _thread_for_posting(session, network)
    return submit_comment(session, principal, thread.id, gate_of(access), data)
