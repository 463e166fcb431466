"""`/forum`: the front page of the cross-sector forum."""

from __future__ import annotations

from starlette.requests import Request
from starlette.routing import Route

from consult.forum.actions import overview
from consult.web import render


async def index(request: Request):
    return render(request, "forum/index.html", {"overview": overview(request.state.db)})


routes = [Route("/forum", index, name="forum:index")]
