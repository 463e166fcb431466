"""Atom feeds of announcements: all, one municipality's (?municipality=slug), one network's (?network=slug).

Built with the feeds package's element helper; a working group's announcements are never in a feed (they are for
the group's members only), nor are withdrawn ones."""

from __future__ import annotations

from datetime import UTC, datetime
from xml.etree import ElementTree

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from consult.announcements import queries
from consult.feeds.views import ATOM, _add
from consult.i18n import gettext
from consult.models import Announcement, Network, Organisation, User

FEED_SIZE = 50


def _entry(feed: ElementTree.Element, request: Request, a: Announcement, names: queries.Names, authors: dict) -> None:
    from consult.announcements.views import amount_text, day_text

    url = str(request.url_for("announcements:detail", slug=a.slug))
    when = (a.updated_at or a.published_at or a.created_at).isoformat()
    entry = _add(feed, "entry")
    _add(entry, "title", a.title)
    _add(entry, "id", f"tag:{request.url.hostname},2026:consult/announcement/{a.id}")
    _add(entry, "link", rel="alternate", type="text/html", href=url)
    _add(entry, "updated", when)
    _add(entry, "published", (a.published_at or a.created_at).isoformat())
    _add(_add(entry, "author"), "name", names.poster(a) or authors.get(a.author_id, "consult"))
    _add(entry, "category", term=a.category)
    if a.category == "funding" and a.deadline is not None:
        facts = [gettext("Last day to apply: %(day)s", day=day_text(a.deadline))]
        facts += [gettext("Funder: %(name)s", name=a.funder)] if a.funder else []
        facts += [amount_text(a)] if amount_text(a) else []
        _add(entry, "summary", " · ".join(facts))
    _add(entry, "content", a.body_html, type="html")


def feed_response(request: Request) -> Response:
    db, params = request.state.db, request.query_params
    municipality = network = None
    if params.get("municipality"):
        municipality = queries.by_slug(db, Organisation, params["municipality"])
        if municipality is None or municipality.kind != "municipality":
            raise HTTPException(404)
    if params.get("network"):
        network = queries.by_slug(db, Network, params["network"])
        if network is None:
            raise HTTPException(404)
    f = queries.Filter(municipality=municipality, network=network)
    rows, _total = queries.list_announcements(db, None, f, limit=FEED_SIZE)  # as a visitor: public ones only
    names = queries.names_for(db, rows)
    author_ids = sorted({a.author_id for a in rows if a.author_id})
    authors = {u.id: u.display_name for u in (db.get(User, i) for i in author_ids) if u is not None}
    named = municipality or network
    title = gettext("Announcements: %(name)s", name=named.name) if named else gettext("Announcements")

    ElementTree.register_namespace("", ATOM)
    feed = ElementTree.Element(f"{{{ATOM}}}feed", {"{http://www.w3.org/XML/1998/namespace}lang": "pl"})
    _add(feed, "title", title)
    _add(feed, "id", str(request.url))
    _add(feed, "link", rel="self", href=str(request.url))
    _add(feed, "link", rel="alternate", type="text/html", href=str(request.url_for("announcements:list")))
    moments = [a.updated_at or a.published_at or a.created_at for a in rows]
    latest = max(moments, default=datetime(2026, 1, 1, tzinfo=UTC))
    _add(feed, "updated", latest.isoformat())
    _add(_add(feed, "author"), "name", "consult")
    for a in rows:
        _entry(feed, request, a, names, authors)
    body = ElementTree.tostring(feed, encoding="utf-8", xml_declaration=True)
    return Response(body, media_type="application/atom+xml; charset=utf-8")
