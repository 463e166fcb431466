"""Does a keep-alive connection wait for Nagle's algorithm? One request at a time, with and without consult's fix.

1. `bench/bare_app.py` served by uvicorn on a listening socket made with proto 0, as uvicorn up to 0.54 made it for
   `--workers N`, and as gunicorn and systemd socket activation hand one over: uvicorn's own HTTP protocol against
   `consult.server.NoDelayHTTPProtocol`.
2. The deployment command itself, `python -m consult serve --workers 2` (the Procfile's `web:`), on a migrated SQLite
   file, against stock `uvicorn consult.app:app --workers 2`: `/accessibility`.

Output: `case=<name> service_ms=<median of --requests sequential requests on one connection>`.

    .venv/bin/python bench/nodelay.py
"""

from __future__ import annotations

import argparse
import http.client
import os
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]
HOST = "127.0.0.1"


def service_ms(port: int, path: str, requests: int) -> float:
    conn = http.client.HTTPConnection(HOST, port, timeout=10)
    times = []
    try:
        for i in range(requests + 10):
            began = time.perf_counter()
            conn.request("GET", path)
            response = conn.getresponse()
            response.read()
            assert response.status == 200, response.status
            if i >= 10:
                times.append(time.perf_counter() - began)
    finally:
        conn.close()
    return statistics.median(times) * 1000


def proto_zero_case(protocol, requests: int) -> float:
    import uvicorn
    from bare_app import app

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, 0)  # proto 0: asyncio leaves Nagle on
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((HOST, 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, http=protocol, log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.01)
    try:
        return service_ms(port, "/", requests)
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()


def command_case(command: list[str], env: dict[str, str], requests: int) -> float:
    port = _free_port()
    process = subprocess.Popen(
        [*command, "--host", HOST, "--port", str(port)],
        cwd=ROOT,
        env={**os.environ, **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                return service_ms(port, "/accessibility", requests)
            except (OSError, http.client.HTTPException):
                if time.monotonic() > deadline or process.poll() is not None:
                    raise RuntimeError(f"{command} did not serve") from None
                time.sleep(0.3)
    finally:
        process.terminate()
        process.wait(20)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def main(argv: list[str] | None = None) -> int:
    import uvicorn

    from consult.server import NoDelayHTTPProtocol

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args(argv)
    print(f"# uvicorn {uvicorn.__version__}; load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(f"case=proto0_uvicorn_protocol service_ms={proto_zero_case('auto', args.requests):.2f}", flush=True)
    print(f"case=proto0_consult_protocol service_ms={proto_zero_case(NoDelayHTTPProtocol, args.requests):.2f}")
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'nodelay.db'}"
        env = {"DATABASE_URL": url, "SECRET_KEY": secrets.token_urlsafe(32), "ENVIRONMENT": "production"}
        subprocess.run([sys.executable, "-m", "consult", "migrate"], cwd=ROOT, env={**os.environ, **env}, check=True,
                       stdout=subprocess.DEVNULL)  # fmt: skip
        stock = [sys.executable, "-m", "uvicorn", "consult.app:app", "--workers", "2", "--no-access-log"]
        ours = [sys.executable, "-m", "consult", "serve", "--workers", "2"]
        print(f"case=stock_uvicorn_workers2 service_ms={command_case(stock, env, args.requests):.2f}", flush=True)
        print(f"case=consult_serve_workers2 service_ms={command_case(ours, env, args.requests):.2f}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
