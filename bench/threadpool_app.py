"""The real app with the consultation page and the paragraph thread run in Starlette's thread pool.

The `*_threadpool` cases of bench/consultation_page.py serve this module to compare with the current design, where
the async handlers use the request's sync session (and render) on the event loop. Everything else is unchanged:
same middleware, same handlers, same templates; only where the handler's work runs differs.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Coroutine
from typing import Any

import anyio.to_thread
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.routing import Route

from consult.app import create_app

WRAPPED = ("consultations:detail", "consultations:paragraph")
# Threads per worker for these handlers: 40 is Starlette's (anyio's) default, what a plain `def` endpoint gets.
THREADS = int(os.environ.get("BENCH_THREADPOOL_SIZE", "40"))
_limiter: anyio.CapacityLimiter | None = None


def _drive(coroutine: Coroutine[Any, Any, Any]) -> Any:
    """Run a coroutine that never suspends (these handlers do sync work only) to its result, in this thread."""
    try:
        coroutine.send(None)
    except StopIteration as done:
        return done.value
    coroutine.close()
    raise RuntimeError("the handler awaited something: it cannot run in the thread pool this way")


def in_threadpool(handler: Callable[[Request], Coroutine[Any, Any, Any]]):
    async def endpoint(request: Request):
        global _limiter
        if _limiter is None:  # made in the event loop, on first use
            _limiter = anyio.CapacityLimiter(THREADS)
        return await anyio.to_thread.run_sync(_drive, handler(request), limiter=_limiter)  # copies contextvars

    endpoint.__name__ = handler.__name__
    return endpoint


def threadpool_app() -> Starlette:
    app = create_app()
    routes = app.router.routes
    for index, route in enumerate(routes):
        if isinstance(route, Route) and route.name in WRAPPED:
            routes[index] = Route(
                route.path, in_threadpool(route.endpoint), methods=sorted(route.methods or ()), name=route.name
            )
    return app


app = threadpool_app()
