"""Figures for the yearly report and the centre's queue: requests by topic, and the time to the first answer."""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlmodel import Session, col, select

from consult.models import ADVICE_TOPICS, AdviceRequest, Organisation


@dataclass(frozen=True)
class AdviceFigures:
    start: datetime
    end: datetime
    total: int
    by_topic: dict[str, int]  # every topic, in ADVICE_TOPICS order, zero included
    answered: int  # requests with a first answer
    closed: int
    median_hours_to_first_answer: float | None  # None when nothing was answered
    mean_hours_to_first_answer: float | None
    ratings: int
    mean_rating: float | None


def advice_figures(session: Session, centre_or_municipality: Organisation, start: datetime, end: datetime):
    """Requests made in [start, end) to this support centre (or, for a municipality, concerning it): counts by
    topic, and the median and mean hours from asking to the first answer among those answered."""
    query = select(
        AdviceRequest.topic,
        AdviceRequest.created_at,
        AdviceRequest.first_answered_at,
        AdviceRequest.closed_at,
        AdviceRequest.rating,
    ).where(col(AdviceRequest.created_at) >= start, col(AdviceRequest.created_at) < end)
    if centre_or_municipality.kind == "municipality" and not centre_or_municipality.support_centre:
        query = query.where(AdviceRequest.municipality_id == centre_or_municipality.id)
    else:
        query = query.where(AdviceRequest.centre_id == centre_or_municipality.id)
    rows = session.exec(query).all()
    by_topic = dict.fromkeys(ADVICE_TOPICS, 0)
    hours: list[float] = []
    ratings: list[int] = []
    for topic, created_at, first_answered_at, _closed_at, rating in rows:
        by_topic[topic] = by_topic.get(topic, 0) + 1
        if first_answered_at is not None:
            hours.append((_aware(first_answered_at) - _aware(created_at)).total_seconds() / 3600)
        if rating is not None:
            ratings.append(rating)
    return AdviceFigures(
        start=start,
        end=end,
        total=len(rows),
        by_topic=by_topic,
        answered=len(hours),
        closed=sum(1 for row in rows if row[3] is not None),
        median_hours_to_first_answer=round(statistics.median(hours), 1) if hours else None,
        mean_hours_to_first_answer=round(statistics.fmean(hours), 1) if hours else None,
        ratings=len(ratings),
        mean_rating=round(statistics.fmean(ratings), 1) if ratings else None,
    )


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
