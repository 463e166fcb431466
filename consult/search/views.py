"""The search page: every published consultation's title, document, comments and proposals."""

from __future__ import annotations

from starlette.requests import Request
from starlette.routing import Route

from consult.i18n import _, gettext
from consult.knowledge.actions import search_items
from consult.search import actions
from consult.web import page_number, render

KIND_LABELS = {
    "consultation": _("Consultation"),
    "paragraph": _("Document"),
    "comment": _("Comment"),
    "proposal": _("Proposal"),
}


def hit_url(request: Request, hit: actions.Hit) -> str:
    """Where a hit is read: the consultation, the paragraph's thread, the comment, the proposal."""
    if hit.kind == "paragraph":
        return str(request.url_for("consultations:paragraph", slug=hit.consultation_slug, key=hit.ref.split(":", 1)[1]))
    if hit.kind == "comment":
        return str(request.url_for("comments:show", comment_id=int(hit.ref)))
    if hit.kind == "proposal":
        return str(request.url_for("proposals:detail", slug=hit.consultation_slug, proposal_id=int(hit.ref)))
    return str(request.url_for("consultations:detail", slug=hit.consultation_slug))


async def search(request: Request):
    query = request.query_params.get("q", "").strip()[:200]
    page = page_number(request)
    hits, total = actions.search(request.state.db, query, page) if query else ([], 0)
    # The knowledge base's guides matching the same words, above the consultations' hits on the first page.
    guide_hits, guide_total = search_items(request.state.db, query) if query and page == 1 else ([], 0)
    context = {
        "query": query,
        "hits": [(hit, hit_url(request, hit)) for hit in hits],
        "total": total,
        "page": page,
        "page_size": actions.PAGE_SIZE,
        "kind_labels": {kind: gettext(label) for kind, label in KIND_LABELS.items()},
        "guide_hits": guide_hits,
        "guide_total": guide_total,
    }
    return render(request, "search/search.html", context, fragment="search/_results.html")


routes = [Route("/search", search, name="search:search")]
