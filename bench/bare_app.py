"""The `bare` case of bench/consultation_page.py: one Starlette endpoint, no middleware, no database, no template."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.routing import Route

BODY = '<!doctype html><html lang="pl"><head><title>ok</title></head><body><p>ok</p></body></html>'


async def hello(request: Request) -> HTMLResponse:
    return HTMLResponse(BODY)


app = Starlette(routes=[Route("/", hello)])
