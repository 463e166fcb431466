"""A comment's lasting address: it redirects to the page, and the page of replies, where the comment is shown."""

from __future__ import annotations

from starlette.requests import Request
from starlette.routing import Route

from consult.comments.views import load_comment, location
from consult.web import see_other


async def show(request: Request):
    comment, ctx = load_comment(request)
    return see_other(location(request, ctx, comment))


routes = [Route("/comments/{comment_id:id}", show, name="comments:show")]
