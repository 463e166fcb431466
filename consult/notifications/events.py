"""Who is told of what happens in other features: each function is called by the feature's action, in its
transaction, and passes the people it finds to `notify` (which honours their settings)."""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache

from sqlmodel import Session, col, select

from consult.i18n import format_when, gettext
from consult.me.actions import serves
from consult.models import Comment, Consultation, Membership, Organisation, Proposal, Thread
from consult.notifications.dispatch import notify, settings_for

EXCERPT = 500  # characters of a comment quoted in a mail


@cache
def _router():
    from starlette.routing import Router

    from consult.announcements.views import routes as announcements
    from consult.comments.permalink import routes as permalink
    from consult.consultations.views import routes as consultations
    from consult.meetings.views import routes as meetings
    from consult.proposals.views import routes as proposals
    from consult.records.views import routes as records

    return Router(routes=[*consultations, *records, *permalink, *proposals, *meetings, *announcements])


def absolute_url(session: Session, name: str, **params: object) -> str:
    """The address of a named route on this site, for a mail (the site's root when no such route exists yet)."""
    from starlette.routing import NoMatchFound

    base = settings_for(session).base_url.rstrip("/")
    try:
        return base + str(_router().url_path_for(name, **params))
    except NoMatchFound:
        return base + "/"


def _excerpt(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= EXCERPT else text[: EXCERPT - 1] + "…"


def members_of(session: Session, organisation_ids: Iterable[int | None]) -> set[int]:
    ids = sorted({i for i in organisation_ids if i is not None})
    if not ids:
        return set()
    return set(session.exec(select(Membership.user_id).where(col(Membership.organisation_id).in_(ids))).all())


def consultation_published(session: Session, consultation: Consultation) -> int:
    """Members of the organisations whose area served names the consultation's municipality."""
    municipality = session.get(Organisation, consultation.organisation_id)
    organisations = session.exec(
        select(Organisation.id, Organisation.area_served).where(
            Organisation.area_served != "", Organisation.id != municipality.id
        )
    ).all()
    people = members_of(session, [oid for oid, area in organisations if serves(area, municipality)])
    people -= members_of(session, [municipality.id])  # its officials published it
    return notify(
        session,
        people,
        "consultation_new",
        gettext("New consultation: %(title)s", title=consultation.title),
        gettext(
            "%(municipality)s has published a consultation: “%(title)s”. Comments may be submitted from %(opens)s "
            "until %(closes)s.",
            municipality=municipality.name,
            title=consultation.title,
            opens=format_when(consultation.opens_at),
            closes=format_when(consultation.closes_at),
        ),
        absolute_url(session, "consultations:detail", slug=consultation.slug),
    )


def comment_replied(session: Session, reply: Comment, parent: Comment) -> int:
    """The author of the comment replied to (not when they answer themselves)."""
    if parent.author_id == reply.author_id:
        return 0
    return notify(
        session,
        [parent.author_id],
        "comment_reply",
        gettext("A reply to your comment"),
        gettext("Someone has replied to your comment:\n\n%(reply)s", reply=_excerpt(reply.body)),
        absolute_url(session, "comments:show", comment_id=reply.id),
    )


def positions_given(session: Session, consultation: Consultation, refs: Iterable[tuple[str, int]]) -> int:
    """For each contribution given a position: its organisation's members, or its author when made in their name."""
    refs = list(refs)
    comment_ids = [i for kind, i in refs if kind == "comment"]
    proposal_ids = [i for kind, i in refs if kind == "proposal"]
    rows: list[tuple[int, int | None, str]] = []
    if comment_ids:
        rows += session.exec(
            select(Comment.author_id, Comment.organisation_id, Comment.channel).where(col(Comment.id).in_(comment_ids))
        ).all()
    if proposal_ids:
        rows += session.exec(
            select(Proposal.author_id, Proposal.organisation_id, Proposal.channel).where(
                col(Proposal.id).in_(proposal_ids)
            )
        ).all()
    people = members_of(session, [organisation_id for _a, organisation_id, _c in rows])
    # An official's entry of what someone sent on paper names no account of theirs: nobody to tell by mail.
    people |= {author for author, organisation_id, channel in rows if organisation_id is None and channel == "platform"}
    return notify(
        session,
        people,
        "position",
        gettext("The municipality's position on your contribution: %(title)s", title=consultation.title),
        gettext(
            "The municipality has given its position on a contribution you submitted to the consultation “%(title)s”. "
            "The position and its justification are on the consultation's page.",
            title=consultation.title,
        ),
        absolute_url(session, "consultations:detail", slug=consultation.slug),
    )


def record_published(session: Session, consultation: Consultation) -> int:
    """Everyone who took part: authors of its comments and proposals, and their organisations' members."""
    comment_rows = session.exec(
        select(Comment.author_id, Comment.organisation_id, Comment.channel)
        .join(Thread, col(Thread.id) == Comment.thread_id)
        .where(Thread.consultation_id == consultation.id, Comment.status != "hidden")
    ).all()
    proposal_rows = session.exec(
        select(Proposal.author_id, Proposal.organisation_id, Proposal.channel).where(
            Proposal.consultation_id == consultation.id, Proposal.status != "hidden"
        )
    ).all()
    rows = [*comment_rows, *proposal_rows]
    municipality = session.get(Organisation, consultation.organisation_id)
    people = members_of(session, [o for _a, o, _c in rows if o != municipality.id])
    people |= {author for author, _o, channel in rows if channel == "platform"}
    people -= members_of(session, [municipality.id])
    return notify(
        session,
        people,
        "record_published",
        gettext("The record of the consultation is published: %(title)s", title=consultation.title),
        gettext(
            "%(municipality)s has published the record of the consultation “%(title)s”, in which you took part: "
            "every contribution with the municipality's position and its justification.",
            municipality=municipality.name,
            title=consultation.title,
        ),
        absolute_url(session, "records:record", slug=consultation.slug),
    )
