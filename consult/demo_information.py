"""The demo's information and evaluation: announcements, guides, advice, surveys, commitments, the yearly report."""

from __future__ import annotations

from sqlmodel import Session


def load_information(session: Session, domain: str, municipality: str) -> None:
    """Each feature's demo, in the order it happened; every loader is idempotent."""
    # each feature adds its line here: from consult.<feature>.demo import load as load_<feature>; load_<feature>(…)
    from consult.announcements.demo import load as load_announcements

    load_announcements(session, domain, municipality)
    from consult.knowledge.demo import load as load_knowledge

    load_knowledge(session, domain, municipality)
    from consult.advice.demo import load as load_advice

    load_advice(session, domain, municipality)
    from consult.notifications.demo import load as load_notifications

    load_notifications(session, domain, municipality)
    # keep last: the yearly report counts what every other demo above made
    from consult.reports.demo import load as load_reports

    load_reports(session, domain, municipality)
