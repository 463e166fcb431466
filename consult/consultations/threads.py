"""The threads a consultation owns (its general discussion and one per paragraph), resolved for the comment engine."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlmodel import Session

from consult.comments.owners import ThreadContext, register
from consult.consultations import actions
from consult.i18n import gettext
from consult.models import Consultation, Organisation, Paragraph, Thread


def thread_context(
    session: Session,
    consultation: Consultation,
    municipality: Organisation,
    thread: Thread | None,
    paragraph: Paragraph | None,
    url_for: Callable[..., str],
    now: datetime | None = None,
) -> ThreadContext:
    gate = actions.gate_for(consultation, municipality, now, frozen=actions.is_frozen(session, consultation))
    if paragraph is not None:
        page_url = url_for("consultations:paragraph", slug=consultation.slug, key=paragraph.key)
        title = gettext("Comments on %(label)s", label=paragraph.label)
        scope = paragraph.key
    else:
        page_url = url_for("consultations:discussion", slug=consultation.slug)
        title = gettext("General discussion")
        scope = "general"
    return ThreadContext(
        thread=thread,
        gate=gate,
        scope=scope,
        page_url=str(page_url),
        post_url=str(url_for("consultations:comment", slug=consultation.slug)),
        title=title,
        owner=consultation,
        extra={"municipality": municipality, "paragraph": paragraph},
    )


def _resolve(session: Session, thread: Thread, url_for, now: datetime | None = None) -> ThreadContext:
    consultation = session.get(Consultation, thread.consultation_id)
    assert consultation is not None
    municipality = session.get(Organisation, consultation.organisation_id)
    assert municipality is not None
    paragraph = None
    if thread.owner_kind == "paragraph":
        key = thread.owner_id.split(":", 1)[1]
        version = actions.current_version(session, consultation)
        paragraph = actions.get_paragraph(session, version, key) if version else None
    return thread_context(session, consultation, municipality, thread, paragraph, url_for, now)


register("consultation", _resolve)
register("paragraph", _resolve)
