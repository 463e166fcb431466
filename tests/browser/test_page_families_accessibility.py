"""axe-core (WCAG 2.1 A and AA) on every page family of the demo, as a visitor, an NGO admin and an official, on a
phone (390 px) and a desktop (1280 px), in English (so the Polish content's lang="pl" marks are read too)."""

from __future__ import annotations

import pytest
from sqlmodel import select

from consult.demo import DEMO_PASSWORD, DOMAIN, load_demo
from consult.demo_last_year import SLUG as CLOSED
from consult.models import Comment, Consultation, LedgerEvent, Proposal, Thread

OPEN = "program-wspolpracy-2027"
WIDTHS = pytest.mark.parametrize("width", [390, 1280], ids=["phone", "desktop"])


def family_urls(db, role: str) -> list[str]:
    """One page of each family this role reaches."""
    open_id = db.exec(select(Consultation.id).where(Consultation.slug == OPEN)).one()
    comment = db.exec(
        select(Comment).join(Thread, Thread.id == Comment.thread_id).where(Thread.consultation_id == open_id)
    ).first()
    proposal = db.exec(select(Proposal).where(Proposal.consultation_id == open_id)).first()
    key = db.exec(select(Thread.owner_id).where(Thread.id == comment.thread_id)).one().split(":")[-1]
    seq = db.exec(select(LedgerEvent.seq).order_by(LedgerEvent.seq.desc())).first()
    urls = [
        "/",
        "/consultations",
        f"/consultations/{OPEN}",
        f"/consultations/{OPEN}/paragraphs/{key}" if key.isalnum() else f"/consultations/{OPEN}/discussion",
        f"/consultations/{OPEN}/discussion",
        f"/consultations/{OPEN}/proposals",
        f"/consultations/{OPEN}/proposals/{proposal.id}",
        f"/consultations/{OPEN}/opinion",
        f"/consultations/{CLOSED}",
        f"/consultations/{CLOSED}/record",
        f"/consultations/{CLOSED}/versions",
        f"/consultations/{CLOSED}/diff",
        f"/comments/{comment.id}/replies",
        f"/receipts/{seq}",
        "/organisations",
        "/municipalities/gmina-wierzbno",
        "/municipalities/gmina-wierzbno/reports",
        "/municipalities/gmina-wierzbno/reports/2025",
        "/search?q=program",
        "/accessibility",
        "/login",
        "/register",
        "/password/forgot",
        "/no-such-page",
    ]
    if role == "ngo":
        urls += [
            "/my/organisations",
            "/organisations/new",
            f"/consultations/{OPEN}/proposals/new",
            f"/comments/{comment.id}/reply",
        ]
    if role == "official":
        urls += [
            f"/consultations/{OPEN}/review",
            f"/consultations/{CLOSED}/review",
            f"/consultations/{OPEN}/entries/new",
            f"/consultations/{CLOSED}/record/publish",
            f"/consultations/{CLOSED}/versions/new",
            f"/comments/{comment.id}/hide",
            "/consultations/new",
            "/organisations/gmina-wierzbno/members",
            "/municipalities/gmina-wierzbno/reports/2026",
            "/municipalities/gmina-wierzbno/reports/2026/edit",
            "/municipalities/gmina-wierzbno/reports/2026/publish",
        ]
    return urls


@WIDTHS
@pytest.mark.parametrize("role", ["visitor", "ngo", "official"])
def test_every_page_family_has_no_wcag_violations(role, width, db, visitor, assert_accessible):
    load_demo(db)
    page = visitor.page(js=True, lang="en")
    page.set_viewport_size({"width": width, "height": 900})
    if role != "visitor":
        visitor.log_in(page, f"{'klub' if role == 'ngo' else 'urzednik'}@{DOMAIN}", DEMO_PASSWORD)
    failures = []
    for url in family_urls(db, role):
        response = page.goto(url)
        assert response is not None and response.status < 500, url
        try:
            assert_accessible(page)
        except AssertionError as error:
            failures.append(f"{url}: {error}")
        overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        if overflow > 0:
            failures.append(f"{url}: {overflow}px wider than a {width}px window")
    assert failures == [], "\n".join(failures)
