"""Atom feeds: new consultations and published records, for everyone or for one municipality."""

from __future__ import annotations

from datetime import datetime
from xml.etree import ElementTree

from sqlmodel import Session, col, select
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from consult.i18n import gettext
from consult.models import Consultation, Organisation, Record

ATOM = "http://www.w3.org/2005/Atom"
FEED_SIZE = 50


def feed_items(session: Session, municipality: Organisation | None) -> list[tuple[str, datetime, Consultation, str]]:
    """(kind, when, consultation, municipality name), newest first: publications and records."""
    published = (
        select(Consultation, Organisation.name)
        .join(Organisation, col(Organisation.id) == Consultation.organisation_id)
        .where(col(Consultation.published_at).is_not(None))
    )
    records = (
        select(Record.published_at, Consultation, Organisation.name)
        .join(Consultation, col(Consultation.id) == Record.consultation_id)
        .join(Organisation, col(Organisation.id) == Consultation.organisation_id)
    )
    if municipality is not None:
        published = published.where(Consultation.organisation_id == municipality.id)
        records = records.where(Consultation.organisation_id == municipality.id)
    published = published.order_by(col(Consultation.published_at).desc()).limit(FEED_SIZE)
    records = records.order_by(col(Record.published_at).desc()).limit(FEED_SIZE)
    items = [("consultation", c.published_at, c, name) for c, name in session.exec(published)]
    items += [("record", at, c, name) for at, c, name in session.exec(records)]
    return sorted(items, key=lambda item: item[1], reverse=True)[:FEED_SIZE]


def _add(parent: ElementTree.Element, tag: str, text: str | None = None, **attrs: str) -> ElementTree.Element:
    element = ElementTree.SubElement(parent, f"{{{ATOM}}}{tag}", attrs)
    element.text = text
    return element


def atom(request: Request, title: str, items, base: str) -> bytes:
    ElementTree.register_namespace("", ATOM)
    feed = ElementTree.Element(f"{{{ATOM}}}feed", {"{http://www.w3.org/XML/1998/namespace}lang": "pl"})
    _add(feed, "title", title)
    _add(feed, "id", str(request.url))
    _add(feed, "link", rel="self", href=str(request.url))
    _add(feed, "link", rel="alternate", type="text/html", href=str(request.url_for("consultations:list")))
    _add(feed, "updated", (items[0][1] if items else datetime(2026, 1, 1).astimezone()).isoformat())
    _add(_add(feed, "author"), "name", "consult")
    for kind, when, consultation, municipality in items:
        entry = _add(feed, "entry")
        if kind == "record":
            url = str(request.url_for("records:record", slug=consultation.slug))
            heading = gettext("Record published: %(title)s", title=consultation.title)
            summary = gettext("The municipality has published what came of the consultation.")
        else:
            url = str(request.url_for("consultations:detail", slug=consultation.slug))
            heading = consultation.title
            summary = consultation.summary
        _add(entry, "title", heading)
        _add(entry, "id", f"{base}/{kind}/{consultation.id}")
        _add(entry, "link", rel="alternate", type="text/html", href=url)
        _add(entry, "updated", when.isoformat())
        _add(entry, "published", when.isoformat())
        _add(_add(entry, "author"), "name", municipality)
        _add(entry, "summary", summary)
    return ElementTree.tostring(feed, encoding="utf-8", xml_declaration=True)


async def consultations_feed(request: Request):
    db = request.state.db
    slug = request.query_params.get("municipality", "")
    municipality = None
    if slug:
        municipality = db.exec(
            select(Organisation).where(Organisation.slug == slug, Organisation.kind == "municipality")
        ).first()
        if municipality is None:
            raise HTTPException(404)
    title = gettext("Consultations: %(name)s", name=municipality.name) if municipality else gettext("Consultations")
    base = f"tag:{request.url.hostname},2026:consult"
    body = atom(request, title, feed_items(db, municipality), base)
    return Response(body, media_type="application/atom+xml; charset=utf-8")


routes = [Route("/feeds/consultations.atom", consultations_feed, name="feeds:consultations")]
