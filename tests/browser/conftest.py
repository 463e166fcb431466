"""The real app served by uvicorn on a free port, Debian's Chromium driven by Playwright, axe-core injected.

The browser tests skip, saying why, when Chromium or axe-core is missing; with CONSULT_REQUIRE_BROWSER=1 (CI) they
fail instead. On PostgreSQL they run only when asked (CONSULT_BROWSER_ON_POSTGRES=1).
"""

from __future__ import annotations

import importlib.util
import os
import threading
import time
from pathlib import Path

import pytest
import uvicorn

from consult.settings import Settings
from tests.conftest import free_port
from tests.factories import PASSWORD

CHROMIUM = Path("/usr/bin/chromium")
AXE_PATH = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM_ARGS = [
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
WCAG_21_AA = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}
HERE = Path(__file__).resolve().parent
TIMEOUT_MS = 10_000


def missing_tools() -> list[str]:
    missing = []
    if importlib.util.find_spec("playwright") is None:
        missing.append("the playwright package (pip install -e '.[dev]')")
    if not CHROMIUM.exists():
        missing.append(f"{CHROMIUM} (apt-get install chromium)")
    if not AXE_PATH.exists():
        missing.append(f"{AXE_PATH} (npm install)")
    return missing


def browser_required() -> bool:
    return os.environ.get("CONSULT_REQUIRE_BROWSER") == "1"


def on_postgresql_only_by_request() -> str | None:
    """Why the journeys skip on PostgreSQL: they test pages and scripts, which the database does not change."""
    if os.environ.get("CONSULT_TEST_DATABASE_URL") and os.environ.get("CONSULT_BROWSER_ON_POSTGRES") != "1":
        return (
            "browser journeys run on SQLite; on PostgreSQL the HTTP and domain suite covers the same server code "
            "(CONSULT_BROWSER_ON_POSTGRES=1 runs them here too)"
        )
    return None


def pytest_collection_modifyitems(config, items):
    if reason := on_postgresql_only_by_request():
        for item in items:
            if HERE in Path(item.path).resolve().parents:
                item.add_marker(pytest.mark.skip(reason=reason))
        return
    missing = missing_tools()
    if not missing or browser_required():
        return
    reason = "browser tests need " + ", ".join(missing) + " (with CONSULT_REQUIRE_BROWSER=1 they fail instead)"
    skip = pytest.mark.skip(reason=reason)
    for item in items:
        if HERE in Path(item.path).resolve().parents:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    missing = missing_tools()
    if missing:  # only reached with CONSULT_REQUIRE_BROWSER=1: the others were skipped at collection
        pytest.fail("CONSULT_REQUIRE_BROWSER=1 but the browser tests need " + ", ".join(missing))
    return {**browser_type_launch_args, "executable_path": str(CHROMIUM), "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def axe_source() -> str:
    return AXE_PATH.read_text(encoding="utf-8")


@pytest.fixture
def live_port() -> int:
    return free_port()


@pytest.fixture
def settings(settings: Settings, live_port: int) -> Settings:
    """The harness's settings, with e-mailed links pointing at the live server."""
    return settings.model_copy(update={"base_url": f"http://127.0.0.1:{live_port}"})


@pytest.fixture
def live_server(app, settings: Settings, live_port: int, mailbox):
    """The `app` fixture (same per-test database, same SMTP server) served over real HTTP; yields the base URL."""
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=live_port, log_level="warning"))
    thread = threading.Thread(target=server.run, name="live-server", daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "the live server did not start"
        time.sleep(0.01)
    yield settings.base_url
    server.should_exit = True
    thread.join(timeout=10)


class Visitor:
    """Opens browser contexts on the live server: a reader with JavaScript on or off, in Polish or English."""

    def __init__(self, browser, base_url: str) -> None:
        self.browser = browser
        self.base_url = base_url
        self.contexts = []
        self.console_errors: list[str] = []

    def page(self, *, js: bool = True, lang: str | None = "en", locale: str = "pl-PL"):
        """A new page in a fresh context; `lang` sets the consult_lang cookie (None: the browser's locale decides)."""
        context = self.browser.new_context(base_url=self.base_url, java_script_enabled=js, locale=locale)
        context.set_default_timeout(TIMEOUT_MS)
        if lang:
            context.add_cookies([{"name": "consult_lang", "value": lang, "url": self.base_url}])
        self.contexts.append(context)
        page = context.new_page()
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.console_errors.append(f"uncaught: {error}"))
        return page

    def _console(self, message) -> None:
        if message.type != "error":
            return
        if message.location.get("url", "").endswith("/favicon.ico"):  # no favicon yet; nothing to do with the CSP
            return
        self.console_errors.append(f"{message.text} ({message.location.get('url')})")

    def log_in(self, page, email: str, password: str = PASSWORD) -> None:
        """Log in through the form (fields found by id, so in either language); the journeys use the labels."""
        page.goto("/login")
        page.locator("#field-email").fill(email)
        page.locator("#field-password").fill(password)
        page.locator("main form button[type=submit]").click()
        page.wait_for_url(lambda url: "/login" not in url)

    def close(self) -> None:
        for context in self.contexts:
            context.close()


@pytest.fixture
def visitor(browser, live_server):
    v = Visitor(browser, live_server)
    yield v
    v.close()


@pytest.fixture
def assert_accessible(axe_source):
    """Run axe-core (WCAG 2.1 A and AA rules) on the current page: zero violations, and exactly one h1."""

    def check(page) -> None:
        page.evaluate(axe_source)  # after every navigation; the CSP blocks add_script_tag
        result = page.evaluate("options => axe.run(document, options)", WCAG_21_AA)
        violations = [
            f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']]}"
            for v in result["violations"]
        ]
        assert violations == [], f"axe on {page.url}:\n" + "\n".join(violations)
        assert page.locator("h1").count() == 1, f"{page.url} has {page.locator('h1').count()} h1 elements"

    return check
