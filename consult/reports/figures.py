"""The figures the platform counts for a municipality's year: one small function per source.

Each function answers a dict of plain numbers, or None when the platform has no source for it (the feature is not
built, or keeps nothing for this municipality): the report shows None as "not recorded on the platform", never as 0.
A year runs from 1 January to 1 January in Europe/Warsaw.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import and_, func, or_
from sqlmodel import Session, col, select

from consult import models
from consult.models import (
    DOCUMENT_THREADS,
    POSITIONS,
    Answer,
    AnswerLink,
    Comment,
    Consultation,
    CoSignature,
    GroupDeclaration,
    Meeting,
    Proposal,
    Registration,
    Thread,
    Vote,
    WorkingGroup,
)

WARSAW = ZoneInfo("Europe/Warsaw")
Figures = dict[str, Any] | None


def year_bounds(year: int) -> tuple[datetime, datetime]:
    """The year's first moment and the next year's, in UTC."""
    return (
        datetime(year, 1, 1, tzinfo=WARSAW).astimezone(UTC),
        datetime(year + 1, 1, 1, tzinfo=WARSAW).astimezone(UTC),
    )


def _in_year(column, year: int):
    start, end = year_bounds(year)
    return and_(column >= start, column < end)


def _consultations_of(municipality_id: int, year: int):
    """The ids of the consultations the municipality held in the year: published, not cancelled, opened that year."""
    return select(Consultation.id).where(
        Consultation.organisation_id == municipality_id,
        col(Consultation.published_at).is_not(None),
        col(Consultation.cancelled_at).is_(None),
        _in_year(col(Consultation.opens_at), year),
    )


def _root_comments(consultation_ids):
    return (
        select(Comment.id)
        .join(Thread, col(Thread.id) == Comment.thread_id)
        .where(
            col(Thread.consultation_id).in_(consultation_ids),
            col(Thread.owner_kind).in_(DOCUMENT_THREADS),
            col(Comment.parent_id).is_(None),
            Comment.status == "visible",
        )
    )


def _proposals(consultation_ids):
    return select(Proposal.id).where(col(Proposal.consultation_id).in_(consultation_ids), Proposal.status == "visible")


def consultations(session: Session, municipality_id: int, year: int) -> Figures:
    rows = session.exec(
        select(Consultation.slug, Consultation.title, Consultation.opens_at, Consultation.closes_at)
        .where(col(Consultation.id).in_(_consultations_of(municipality_id, year)))
        .order_by(col(Consultation.opens_at), col(Consultation.id))
    ).all()
    items = [
        {
            "slug": slug,
            "title": title,
            "opens_at": opens.astimezone(UTC).isoformat(),
            "closes_at": closes.astimezone(UTC).isoformat(),
        }
        for slug, title, opens, closes in rows
    ]
    return {"held": len(items), "items": items}


def contributions(session: Session, municipality_id: int, year: int) -> Figures:
    """Comments and proposals on the year's consultations (withdrawn and hidden ones left out), by channel."""
    ids = _consultations_of(municipality_id, year)
    comments = session.exec(
        select(Comment.channel, func.count()).where(col(Comment.id).in_(_root_comments(ids))).group_by(Comment.channel)
    ).all()
    proposals = session.exec(
        select(Proposal.channel, func.count()).where(col(Proposal.id).in_(_proposals(ids))).group_by(Proposal.channel)
    ).all()
    channels: dict[str, int] = {}
    for channel, n in [*comments, *proposals]:
        channels[channel] = channels.get(channel, 0) + n
    n_comments, n_proposals = sum(n for _c, n in comments), sum(n for _c, n in proposals)
    return {"total": n_comments + n_proposals, "comments": n_comments, "proposals": n_proposals, "channels": channels}


def positions(session: Session, municipality_id: int, year: int) -> Figures:
    """The municipality's positions on those contributions, and how many have none (yet)."""
    ids = _consultations_of(municipality_id, year)
    counted = dict.fromkeys(POSITIONS, 0)
    for kind, subquery in (("comment", _root_comments(ids)), ("proposal", _proposals(ids))):
        rows = session.exec(
            select(Answer.position, func.count())
            .join(AnswerLink, col(AnswerLink.answer_id) == Answer.id)
            .where(AnswerLink.contribution_kind == kind, col(AnswerLink.contribution_id).in_(subquery))
            .group_by(Answer.position)
        ).all()
        for position, n in rows:
            counted[position] = counted.get(position, 0) + n
    total = (contributions(session, municipality_id, year) or {}).get("total", 0)
    return {**counted, "none": total - sum(counted.values())}


def _consulting_organisations(municipality_id: int, year: int):
    ids = _consultations_of(municipality_id, year)
    threads = select(Thread.id).where(col(Thread.consultation_id).in_(ids))
    proposal_ids = select(Proposal.id).where(col(Proposal.consultation_id).in_(ids))
    comment_ids = select(Comment.id).where(col(Comment.thread_id).in_(threads))
    return or_(
        col(models.Organisation.id).in_(select(Comment.organisation_id).where(col(Comment.thread_id).in_(threads))),
        col(models.Organisation.id).in_(select(Proposal.organisation_id).where(col(Proposal.consultation_id).in_(ids))),
        col(models.Organisation.id).in_(select(Vote.organisation_id).where(col(Vote.proposal_id).in_(proposal_ids))),
        col(models.Organisation.id).in_(
            select(CoSignature.organisation_id).where(
                ((CoSignature.subject_kind == "proposal") & col(CoSignature.subject_id).in_(proposal_ids))
                | ((CoSignature.subject_kind == "comment") & col(CoSignature.subject_id).in_(comment_ids))
            )
        ),
    )


def _meetings_of(municipality_id: int, year: int):
    return select(Meeting.id).where(
        or_(Meeting.organisation_id == municipality_id, Meeting.municipality_id == municipality_id),
        col(Meeting.published_at).is_not(None),
        col(Meeting.cancelled_at).is_(None),
        _in_year(col(Meeting.starts_at), year),
    )


def _groups_of(municipality_id: int, year: int):
    _start, end = year_bounds(year)
    return select(WorkingGroup.id).where(WorkingGroup.organisation_id == municipality_id, WorkingGroup.created_at < end)


def organisations(session: Session, municipality_id: int, year: int) -> Figures:
    """Organisations (other than the municipality) that took part in its consultations, meetings or working groups."""
    org = models.Organisation
    not_self = and_(col(org.id) != municipality_id, org.kind != "municipality")

    def ids(condition) -> set[int]:
        return set(session.exec(select(org.id).where(not_self, condition)).all())

    consulting = ids(_consulting_organisations(municipality_id, year))
    meeting = ids(
        col(org.id).in_(
            select(Registration.organisation_id).where(
                col(Registration.meeting_id).in_(_meetings_of(municipality_id, year)),
                Registration.status == "confirmed",
            )
        )
    )
    grouped = ids(
        col(org.id).in_(
            select(GroupDeclaration.organisation_id).where(
                col(GroupDeclaration.group_id).in_(_groups_of(municipality_id, year)),
                GroupDeclaration.status == "accepted",
            )
        )
    )
    return {
        "total": len(consulting | meeting | grouped),
        "in_consultations": len(consulting),
        "in_meetings": len(meeting),
        "in_working_groups": len(grouped),
    }


def meetings(session: Session, municipality_id: int, year: int) -> Figures:
    """Meetings the municipality organised or held for its area in the year, with registered people and attendance."""
    ids = _meetings_of(municipality_id, year)
    held = session.exec(select(func.count()).select_from(Meeting).where(col(Meeting.id).in_(ids))).one()
    registered, attended, recorded = session.exec(
        select(
            func.coalesce(func.sum(Registration.head_count), 0),
            func.coalesce(func.sum(Registration.attended), 0),
            func.count(Registration.attended),
        ).where(col(Registration.meeting_id).in_(ids), Registration.status == "confirmed")
    ).one()
    return {"held": held, "registered": int(registered), "attended": int(attended) if recorded else None}


def working_groups(session: Session, municipality_id: int, year: int) -> Figures:
    """Working groups the municipality ran by the year's end, and their accepted members."""
    ids = _groups_of(municipality_id, year)
    active = session.exec(select(func.count()).select_from(WorkingGroup).where(col(WorkingGroup.id).in_(ids))).one()
    members = session.exec(
        select(func.count())
        .select_from(GroupDeclaration)
        .where(col(GroupDeclaration.group_id).in_(ids), GroupDeclaration.status == "accepted")
    ).one()
    return {"active": active, "members": members}


def advice(session: Session, municipality_id: int, year: int) -> Figures:
    """Advice requests to the support centre that concerned the municipality, asked in the year (the advice
    feature's `advice_figures`)."""
    if getattr(models, "AdviceRequest", None) is None:
        return None
    try:
        from consult.advice.stats import advice_figures
    except ImportError:
        return None
    start, end = year_bounds(year)
    found = advice_figures(session, session.get(models.Organisation, municipality_id), start, end)
    return {
        "requests": found.total,
        "answered": found.answered,
        "closed": found.closed,
        "median_hours_to_first_answer": found.median_hours_to_first_answer,
        "by_topic": {topic: n for topic, n in found.by_topic.items() if n},
    }


def surveys(session: Session, municipality_id: int, year: int) -> Figures:
    """Surveys the municipality ran in the year (their opening in the year), and the answers they got."""
    survey, response = getattr(models, "Survey", None), getattr(models, "SurveyResponse", None)
    if survey is None or response is None:
        return None
    from consult.reports.survey import surveys_run

    return surveys_run(session, survey, response, municipality_id, year)


def commitments(session: Session, municipality_id: int, year: int) -> Figures:
    """What became of accepted contributions: commitments by status (the commitments feature counts them)."""
    if getattr(models, "Commitment", None) is None:
        return None
    try:
        from consult.commitments.queries import commitment_counts
    except ImportError:
        return None
    return dict(commitment_counts(session, municipality_id, year))


SOURCES: dict[str, Callable[[Session, int, int], Figures]] = {
    "consultations": consultations,
    "contributions": contributions,
    "positions": positions,
    "organisations": organisations,
    "meetings": meetings,
    "working_groups": working_groups,
    "advice": advice,
    "surveys": surveys,
    "commitments": commitments,
}


def platform_figures(session: Session, municipality_id: int, year: int) -> dict[str, Figures]:
    """Every source's figures for the municipality's year (None: not recorded on the platform)."""
    return {name: source(session, municipality_id, year) for name, source in SOURCES.items()}
