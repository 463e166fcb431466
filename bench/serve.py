"""`python bench/serve.py <uvicorn arguments>`: uvicorn's command line, with TCP_NODELAY kept under --workers N.

uvicorn 0.54 binds the shared listening socket of `--workers N` with proto 0; the accepted sockets inherit it, and
asyncio sets TCP_NODELAY only when proto is IPPROTO_TCP. Nagle's algorithm then holds the last segment of every
response on a keep-alive connection until the client's delayed ACK: about 40 ms per request on Linux
(https://github.com/Kludex/uvicorn/issues/3149, open). The single-process path is not affected. This wrapper
recreates the bound socket object with proto IPPROTO_TCP (same file descriptor) and runs uvicorn's own `main`.
"""

from __future__ import annotations

import socket
import sys

import uvicorn.config
from uvicorn.main import main

_bind_socket = uvicorn.config.Config.bind_socket


def bind_socket(self: uvicorn.config.Config) -> socket.socket:
    sock = _bind_socket(self)
    if sock.family in (socket.AF_INET, socket.AF_INET6) and sock.proto == 0:
        sock = socket.socket(sock.family, sock.type, socket.IPPROTO_TCP, fileno=sock.detach())
        sock.set_inheritable(True)
    return sock


uvicorn.config.Config.bind_socket = bind_socket

if __name__ == "__main__":
    sys.exit(main(prog_name="uvicorn"))
