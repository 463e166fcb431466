"""Logs as JSON lines on stderr: one access line per request and every error, each with the request's id.

`configure_logging()` is the one place logging is set up (`python -m consult serve` hands the same configuration to
uvicorn for its own messages). `RequestLogMiddleware` gives each request an id, returns it as `X-Request-ID`, and
writes the access line: method, path, status, duration and the signed-in user's id; never a query string, an e-mail
or a token in a path (`/password/reset/{token}` is logged as written in the route).
"""

from __future__ import annotations

import ipaddress
import json
import logging
import logging.config
import re
import secrets
import time
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

REQUEST_ID_HEADER = "X-Request-ID"
INCOMING_ID = re.compile(r"[A-Za-z0-9._:-]{1,64}")  # what a proxy's id may look like; anything else is replaced
request_id: ContextVar[str] = ContextVar("request_id", default="")
access_log = logging.getLogger("consult.access")
error_log = logging.getLogger("consult.error")
# Attributes every LogRecord has; anything else was passed in `extra` and goes into the JSON line.
_STANDARD = set(logging.LogRecord("", 0, "", 0, "", (), None).__dict__) | {"message", "asctime", "request_id"}


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (UTC), level, logger, message, request_id, the `extra` fields, the traceback."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        rid = getattr(record, "request_id", "") or request_id.get()
        if rid:
            line["request_id"] = rid
        line.update({k: v for k, v in record.__dict__.items() if k not in _STANDARD and not k.startswith("_")})
        line.pop("color_message", None)  # uvicorn's coloured copy of the message
        if record.exc_info:
            line["traceback"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False, default=str)


def logging_config(level: str = "INFO") -> dict:
    """The dictConfig of every process: consult's loggers and uvicorn's, as JSON lines on stderr."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": JsonFormatter}},
        "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stderr"}},
        "loggers": {
            "consult": {"handlers": ["stderr"], "level": level, "propagate": False},
            "uvicorn": {"handlers": ["stderr"], "level": level, "propagate": False},
            "uvicorn.access": {"handlers": [], "level": "WARNING", "propagate": False},  # ours has the request id
        },
        "root": {"handlers": ["stderr"], "level": "WARNING"},
    }


def configure_logging(level: str = "INFO") -> None:
    """Set up logging once per process; a process whose server configured it already (serve) keeps that."""
    if logging.getLogger("consult").handlers:
        return
    logging.config.dictConfig(logging_config(level))


def _networks(trusted: str) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    return [ipaddress.ip_network(part.strip(), strict=False) for part in trusted.split(",") if part.strip()]


def _loggable_path(scope: Scope) -> str:
    """The path, unless a path parameter is a secret (a token): then the route's own pattern."""
    params = scope.get("path_params") or {}
    route = scope.get("route")
    if route is not None and any("token" in name for name in params):
        return getattr(route, "path", "") or "(token)"
    return scope.get("path", "")


class RequestLogMiddleware:
    """The request id (a trusted proxy's, or a new one), its response header, the access line and the error log.

    Outermost of the application's middleware: it sees the peer before ProxyHeadersMiddleware rewrites the client,
    and an exception on its way to the 500 page.
    """

    def __init__(self, app: ASGIApp, trusted_proxies: str = "", quiet_paths: tuple[str, ...] = ()) -> None:
        self.app = app
        self.trusted = _networks(trusted_proxies)
        self.quiet_paths = quiet_paths  # a load balancer's probe, every few seconds: logged only when it fails

    def _from_trusted_proxy(self, scope: Scope) -> bool:
        client = scope.get("client")
        if not client:
            return False
        try:
            address = ipaddress.ip_address(client[0])
        except ValueError:
            return False
        return any(address in network for network in self.trusted)

    def _request_id(self, scope: Scope) -> str:
        if self._from_trusted_proxy(scope):
            for name, value in scope.get("headers", ()):
                if name == b"x-request-id":
                    given = value.decode("latin-1")
                    if INCOMING_ID.fullmatch(given):
                        return given
        return secrets.token_hex(8)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        rid = self._request_id(scope)
        request_id.set(rid)  # each request runs in a task of its own: the id does not leak into the next
        scope.setdefault("state", {})["request_id"] = rid
        began = time.perf_counter()
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                MutableHeaders(scope=message)[REQUEST_ID_HEADER] = rid
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception:
            status = 500
            path = _loggable_path(scope)
            error_log.exception("unhandled error: %s %s", scope["method"], path, extra={"request_id": rid})
            raise
        finally:
            if status != 200 or scope["path"] not in self.quiet_paths:
                self._access(scope, rid, status, began)

    @staticmethod
    def _access(scope: Scope, rid: str, status: int, began: float) -> None:
        state = scope.get("state", {})
        fields = {
            "request_id": rid,
            "method": scope["method"],
            "path": _loggable_path(scope),
            "status": status,
            "duration_ms": round((time.perf_counter() - began) * 1000, 2),
            "user_id": state.get("user_id"),
        }
        access_log.info("%s %s %s", fields["method"], fields["path"], status, extra=fields)
