"""`python -m consult serve`: uvicorn with TCP_NODELAY on every connection, JSON logs, N worker processes.

asyncio sets TCP_NODELAY on an accepted socket only when the listening socket was made with proto IPPROTO_TCP.
uvicorn up to 0.54 bound the shared socket of `--workers N` with proto 0, and a socket handed over by gunicorn or by
systemd socket activation has proto 0 still; Nagle's algorithm then holds the end of every response on a keep-alive
connection until the client's delayed ACK, about 40 ms a request (uvicorn issue #3149; bench/README.md measures it).
The protocol below sets the option itself on every connection it is given, whoever made the socket.
"""

from __future__ import annotations

import asyncio
import os
import socket

from uvicorn.protocols.http.auto import AutoHTTPProtocol

from consult.logs import logging_config
from consult.settings import Settings


def set_nodelay(transport: asyncio.BaseTransport) -> None:
    sock = transport.get_extra_info("socket")
    if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


class NoDelayHTTPProtocol(AutoHTTPProtocol):  # type: ignore[misc, valid-type]  (h11, or httptools when installed)
    def connection_made(self, transport) -> None:  # type: ignore[override]
        set_nodelay(transport)
        super().connection_made(transport)


def workers_from_environment() -> int:
    """WEB_CONCURRENCY, as Heroku-style platforms and uvicorn's own command line read it; 1 when unset."""
    return max(int(os.environ.get("WEB_CONCURRENCY", "") or 1), 1)


def serve(settings: Settings, host: str, port: int, workers: int) -> None:
    import uvicorn

    uvicorn.run(
        "consult.app:app",
        host=host,
        port=port,
        workers=workers,
        http=NoDelayHTTPProtocol,
        proxy_headers=True,
        forwarded_allow_ips=settings.trusted_proxies,  # the same list the application believes (create_app)
        log_config=logging_config(),
        access_log=False,  # consult.logs writes the access line, with the request id and no query string
    )
