"""Fixtures for the browser test of the built book.

The built HTML book (``_build/html``) is served over HTTP on 127.0.0.1 from a
background thread, and Debian's Chromium is driven headless through the
Playwright Python API. Nothing is downloaded: Playwright is pointed at
``/usr/bin/chromium`` (``playwright install`` is never needed).

When the book has not been built, or Chromium is not installed, every browser
test is skipped with a reason that says what to do, unless the environment
variable ``RECURRENT_REQUIRE_BROWSER=1`` is set (as CI does): then they fail.
"""

from __future__ import annotations

import functools
import http.server
import os
import threading
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
HTML_DIR = REPO_ROOT / "_build" / "html"
CHROMIUM = Path("/usr/bin/chromium")

HOST = "127.0.0.1"

# Without the background-networking flags Chromium tries to reach Google's
# services at start-up (and those connections are refused on offline machines).
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",  # we run as root in CI containers
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

VIEWPORT = {"width": 1280, "height": 900}

# A long page of mathematics loads in about 4 s on an idle 2-core machine, but took over 30 s
# (Playwright's default timeout) while other jobs kept both cores busy: wait up to 2 minutes.
LOAD_TIMEOUT_MS = 120_000


def browser_required() -> bool:
    """True when a missing book or browser must fail the tests, not skip them."""
    return os.environ.get("RECURRENT_REQUIRE_BROWSER") == "1"


def unavailable(reason: str) -> None:
    """Skip the test with ``reason``, or fail it when the browser is required."""
    if browser_required():
        pytest.fail(f"{reason} (RECURRENT_REQUIRE_BROWSER=1, so this is a failure)")
    pytest.skip(reason)


# --------------------------------------------------------------------------
# The HTTP server
# --------------------------------------------------------------------------


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    """Serves files like ``python -m http.server`` without logging each request."""

    def log_message(self, format, *args):  # noqa: A002 (the base class's name)
        pass


@pytest.fixture(scope="session")
def html_dir() -> Path:
    """The built book; skips (or fails) when it has not been built."""
    if not (HTML_DIR / "index.html").is_file():
        unavailable(f"no built book at {HTML_DIR}: run `make book` first")
    return HTML_DIR


@pytest.fixture(scope="session")
def book_url(html_dir: Path):
    """Base URL (``http://127.0.0.1:PORT/``) of the book served over HTTP."""
    handler = functools.partial(QuietHandler, directory=str(html_dir))
    server = http.server.ThreadingHTTPServer((HOST, 0), handler)  # port 0: a free port
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://{HOST}:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()
    thread.join()


# --------------------------------------------------------------------------
# The browser
# --------------------------------------------------------------------------


@pytest.fixture(scope="session")
def browser():
    """Debian's headless Chromium, launched once for the whole session."""
    if not CHROMIUM.exists():
        unavailable(
            f"{CHROMIUM} not found: install Debian's chromium "
            "(`apt-get install chromium`)"
        )
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        unavailable("the playwright package is missing: run `make install`")

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


def is_local(url: str) -> bool:
    """True for URLs the book may load: its own server, and inline ``data:``/``blob:``."""
    parts = urlsplit(url)
    if parts.scheme in ("data", "blob", "about"):
        return True
    return parts.hostname == HOST


@dataclass
class Visit:
    """One page opened in the browser, with what happened while it loaded."""

    page: object  # playwright.sync_api.Page
    url: str
    status: int | None
    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    blocked_requests: list[str] = field(default_factory=list)
    failed_responses: list[str] = field(default_factory=list)
    responses: list[str] = field(default_factory=list)


def wait_for_mathjax(page) -> bool:
    """Wait until MathJax has typeset the page; False when the page has no MathJax."""
    if page.locator("script[src*='mathjax']").count() == 0:
        return False
    page.wait_for_function("() => window.MathJax && window.MathJax.startup "
                           "&& window.MathJax.startup.promise", timeout=LOAD_TIMEOUT_MS)
    page.evaluate("() => window.MathJax.startup.promise")
    page.evaluate("() => document.fonts.ready.then(() => true)")
    return True


def open_visit(browser, book_url: str, path: str):
    """Open ``book_url + path`` in a fresh browser context; return ``(context, Visit)``.

    Every request is routed: those to 127.0.0.1 go through, any other one is recorded and
    aborted, so the page behaves as if it were read offline. The function waits for the page to
    load, for MathJax to finish typesetting and for the network to be idle.
    """
    context = browser.new_context(viewport=VIEWPORT)
    page = context.new_page()
    record = Visit(page=page, url=book_url + path, status=None)

    def route(route):
        url = route.request.url
        if is_local(url):
            route.continue_()
        else:
            record.blocked_requests.append(url)
            route.abort()

    def on_console(message):
        if message.type == "error":
            record.console_errors.append(f"{message.text} (at {message.location})")

    def on_response(response):
        record.responses.append(response.url)
        if response.status >= 400:
            record.failed_responses.append(f"{response.status} {response.url}")

    context.route("**/*", route)
    page.on("console", on_console)
    page.on("pageerror", lambda error: record.page_errors.append(str(error)))
    page.on("response", on_response)

    response = page.goto(record.url, wait_until="load", timeout=LOAD_TIMEOUT_MS)
    record.status = response.status if response is not None else None
    wait_for_mathjax(page)
    page.wait_for_load_state("networkidle", timeout=LOAD_TIMEOUT_MS)
    return context, record


@pytest.fixture
def visit(browser, book_url):
    """``visit(path)`` opens ``book_url + path`` in a fresh browser context (see :func:`open_visit`)
    and returns a :class:`Visit`; the test may click and navigate in it."""
    contexts = []

    def open_page(path: str) -> Visit:
        context, record = open_visit(browser, book_url, path)
        contexts.append(context)
        return record

    yield open_page
    for context in contexts:
        context.close()


class LoadedPages:
    """The last page opened, kept open for the read-only checks that follow it.

    Loading a page (MathJax, network idle) takes seconds; the per-page checks only read the page,
    so they share one load. The tests of a page run one after another (their ``page`` parameter
    is module-scoped, which makes pytest group them), so one open page at a time is enough.
    A test that clicks or navigates uses ``visit`` instead, or calls :meth:`forget` afterwards.
    """

    def __init__(self, browser, book_url: str):
        self.browser, self.book_url = browser, book_url
        self.path, self.context, self.record = None, None, None

    def __call__(self, path: str) -> Visit:
        if path != self.path:
            self.forget()
            self.context, self.record = open_visit(self.browser, self.book_url, path)
            self.path = path
        return self.record

    def forget(self) -> None:
        if self.context is not None:
            self.context.close()
        self.path, self.context, self.record = None, None, None


@pytest.fixture(scope="session")
def loaded(browser, book_url):
    """``loaded(path)``: like ``visit(path)``, but reuses the page when the last call opened the
    same path. For checks that only read the page."""
    pages = LoadedPages(browser, book_url)
    yield pages
    pages.forget()
