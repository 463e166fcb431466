"""Per-request context: the reader's locale and the signed-in principal."""

from __future__ import annotations

from starlette.requests import Request

from consult import i18n
from consult.accounts.actions import load_principal
from consult.permissions import Principal

LOCALE_COOKIE = "consult_lang"


class LocaleMiddleware:
    def __init__(self, app, default_locale: str) -> None:
        self.app = app
        self.default_locale = default_locale

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] == "http":
            request = Request(scope)
            locale = i18n.pick_locale(request.cookies.get(LOCALE_COOKIE), self.default_locale)
            i18n.current_locale.set(locale)
        await self.app(scope, receive, send)


class AuthMiddleware:
    """Loads the principal of the session cookie into request.state.user (None when signed out)."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] == "http":
            state = scope.setdefault("state", {})
            sid = scope["session"].get("sid")
            state["user"] = load_principal(state["db"], sid) if sid else None
            state["db"].commit()  # end the read: no transaction stays open while the handler awaits
            # Read once now: after a handler's rollback the user row is expired and its session may be gone.
            state["user_id"] = state["user"].id if state["user"] is not None else None
            if sid and state["user"] is None:
                scope["session"].pop("sid", None)  # ended elsewhere (log-out, password reset)
        await self.app(scope, receive, send)


def current_user(request: Request) -> Principal | None:
    return request.state.user
