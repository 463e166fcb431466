"""The demo's information and evaluation: announcements, guides, advice, surveys, commitments, the yearly report."""

from __future__ import annotations

from sqlmodel import Session


def load_information(session: Session, domain: str, municipality: str) -> None:
    """Each feature's demo, in the order it happened; every loader is idempotent."""
    # each feature adds its line here: from consult.<feature>.demo import load as load_<feature>; load_<feature>(…)
