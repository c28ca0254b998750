"""Browser tests: Playwright for Python driving Debian's Chromium (never a downloaded
browser) against the system started as `make run` starts it, once for them all.

On a failure the page's screenshot and its console are kept in a folder whose path is
printed (RECTIFY_BROWSER_ARTIFACTS, else browser-artifacts/ under pytest's basetemp)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, ConsoleMessage, Page, sync_playwright

from tests.browser.system import System, start_system

CHROMIUM = "/usr/bin/chromium"
# Without the background-networking flags Chromium keeps calling out of this closed network.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
BUILT = Path(__file__).resolve().parents[2] / "api" / "web_dist" / "index.html"


@pytest.fixture(scope="session", autouse=True)
def _prerequisites() -> None:
    """Never skipped silently: without Chromium or the built workbench, every browser test
    fails saying how to get them."""
    missing = []
    if not os.access(CHROMIUM, os.X_OK):
        missing.append(f"{CHROMIUM} is missing: apt-get install -y chromium fonts-noto-cjk")
    if not BUILT.is_file():
        missing.append("the workbench is not built: make web")
    if missing:
        pytest.fail("; ".join(missing), pytrace=False)


@pytest.fixture(scope="package")
def chromium() -> Iterator[Browser]:
    """Our own fixture, not pytest-playwright's session-wide one: the sync API keeps an
    event loop running in this thread while it is started, which would stop every asyncio
    test after the browser tests; this one is stopped when they are done."""
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
        )
        yield browser
        browser.close()


@pytest.fixture
def page(chromium: Browser) -> Iterator[Page]:
    """A new browser profile per test: no cookie or stored language carried over."""
    context = chromium.new_context(
        locale="zh-CN", timezone_id="Asia/Shanghai", viewport={"width": 1280, "height": 800}
    )
    yield context.new_page()
    context.close()


@pytest.fixture(scope="package")
def system(tmp_path_factory: pytest.TempPathFactory) -> Iterator[System]:
    """One system for all the browser tests, stopped when they are done (not left running
    through the rest of `make test`)."""
    yield from start_system(tmp_path_factory.mktemp("home"))


@pytest.fixture(scope="session")
def artifacts(tmp_path_factory: pytest.TempPathFactory) -> Path:
    named = os.environ.get("RECTIFY_BROWSER_ARTIFACTS")
    folder = Path(named) if named else tmp_path_factory.getbasetemp() / "browser-artifacts"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report = yield
    if report.when == "call":
        item.stash[FAILED] = report.failed
    return report


FAILED = pytest.StashKey[bool]()


@pytest.fixture
def console(page: Page) -> list[str]:
    """Every line the page wrote to its console, and its uncaught errors."""
    lines: list[str] = []

    def keep(message: ConsoleMessage) -> None:
        lines.append(f"[{message.type}] {message.text}")

    page.on("console", keep)
    page.on("pageerror", lambda error: lines.append(f"[pageerror] {error}"))
    return lines


@pytest.fixture
def web(
    page: Page, console: list[str], system: System, artifacts: Path, request: pytest.FixtureRequest
) -> Iterator[Page]:
    """The page, pointed at the system; its screenshot and console kept if the test fails.
    A Content-Security-Policy violation fails the test: the strict policy must hold."""
    page.set_default_timeout(15_000)
    yield page
    if request.node.stash.get(FAILED, False):
        name = request.node.name.replace("/", "_")[:120]
        page.screenshot(path=str(artifacts / f"{name}.png"), full_page=True)
        (artifacts / f"{name}.console.txt").write_text("\n".join(console), encoding="utf-8")
        print(f"\nbrowser artifacts of {request.node.nodeid}: {artifacts}")
    violations = [line for line in console if "Content Security Policy" in line]
    assert not violations, violations
