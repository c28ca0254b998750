"""The workbench's first page load: a liaison, already signed in, opens 我的待办 in a fresh
browser profile (nothing cached) until the queue's first rows are drawn, in Debian's
Chromium driven by Playwright as tests/browser drives it; against the same browser loading
a one-line page from the plain server (the browser's own floor). The built bundle's size
(api/web_dist/, without the build's .br/.gz copies) is reported beside it, and what the
first page load itself fetches: the files index.html names (the entry, its preloads, its
style), as built and as sent brotli-compressed (ADR 0058)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from playwright.sync_api import Browser, sync_playwright

from bench.runner import Result, Sample, Target, interleave
from bench.setup import Site

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip
WEB_DIST = Path(__file__).resolve().parents[1] / "api" / "web_dist"
USER, PASSWORD = "bench-liaison", "Jizhun-2026-bench!"


COPIES = (".br", ".gz")


def bundle_kib() -> float:
    """Every built file, not counting the compressed copies of them."""
    built = (f for f in WEB_DIST.rglob("*") if f.is_file() and f.suffix not in COPIES)
    return sum(f.stat().st_size for f in built) / 1024


def first_load_files() -> list[Path]:
    """The files index.html names: the entry script, its modulepreloads, its style."""
    page = (WEB_DIST / "index.html").read_text("utf-8")
    return [WEB_DIST / name for name in re.findall(r'(?:src|href)="/(assets/[^"]+)"', page)]


def first_load_kib(suffix: str = "") -> float:
    """Their size as built, or of their `suffix` copies (a file without one counts whole)."""
    sizes = []
    for path in first_load_files():
        copy = path.with_name(path.name + suffix)
        sizes.append((copy if suffix and copy.is_file() else path).stat().st_size)
    return sum(sizes) / 1024


def _add_user(site: Site, agency: str) -> None:
    env = dict(os.environ, DATABASE_URL=site.schema.url, RECTIFY_DB_SCHEMA=site.schema.name)
    done = subprocess.run(
        [sys.executable, "-m", "rectify", "user", "add", USER, "--name", "基准联络员",
         "--role", "liaison", "--agency", agency, "--password-stdin"],
        env=env, input=PASSWORD + "\n", capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    if done.returncode != 0:
        raise RuntimeError(f"rectify user add: {done.stdout}{done.stderr}")


def _signed_in_state(browser: Browser, base: str) -> dict[str, object]:
    context = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai")
    page = context.new_page()
    page.goto(base + "/")
    page.get_by_label("账号").fill(USER)
    page.get_by_label("密码", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.get_by_test_id("queue").locator("tr.el-table__row").first.wait_for(timeout=60_000)
    state: dict[str, object] = context.storage_state()  # type: ignore[assignment]
    context.close()
    return state


def _load_ms(browser: Browser, url: str, state: dict[str, object] | None, ready: str) -> float:
    context = browser.new_context(
        locale="zh-CN",
        timezone_id="Asia/Shanghai",
        storage_state=state,  # type: ignore[arg-type]
    )
    page = context.new_page()
    started = time.perf_counter()
    page.goto(url)
    page.locator(ready).first.wait_for(timeout=60_000)
    elapsed = (time.perf_counter() - started) * 1000
    context.close()
    return elapsed


def _median_of_loads(load: Callable[[], float], loads: int) -> Sample:
    times = sorted(load() for _ in range(loads))
    return Sample(times[len(times) // 2], {"fastest_ms": times[0], "slowest_ms": times[-1]})


def measure(site: Site, rounds: int, loads: int) -> list[Result]:
    """`loads` page loads per round; the median is the round's value."""
    if not os.access(CHROMIUM, os.X_OK):
        raise RuntimeError(f"{CHROMIUM} is missing: apt-get install -y chromium fonts-noto-cjk")
    if not (WEB_DIST / "index.html").is_file():
        raise RuntimeError("the workbench is not built: make web")
    _add_user(site, site.issues[0][2])
    queue_rows = '[data-testid="queue"] tr.el-table__row'
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        try:
            state = _signed_in_state(browser, site.rectify.base_url)
            done = interleave(
                rounds,
                lambda: _median_of_loads(
                    lambda: _load_ms(browser, site.rectify.base_url + "/todo", state, queue_rows),
                    loads,
                ),
                lambda: _median_of_loads(
                    lambda: _load_ms(browser, site.plain.base_url + "/healthz", None, "body"),
                    loads,
                ),
            )
        finally:
            browser.close()
    return [
        Result(
            "workbench first page load (queue rows drawn)", "ms", "lower",
            Target("ours", "<", 1000), done,
            note=f"signed-in liaison, fresh profile, median of {loads} loads per round; "
            "baseline: a one-line page from the plain server",
        ),
        Result(
            "workbench bundle (api/web_dist/)", "KiB", "lower", None,
            [{"ours": bundle_kib(), "baseline": None}],
            note="built files, uncompressed, without their .br/.gz copies",
        ),
        Result(
            "workbench first load's files (entry, preloads, style)", "KiB", "lower", None,
            [{"ours": first_load_kib(), "baseline": None}],
            note=f"as built; as sent (brotli) {first_load_kib('.br'):.0f} KiB",
        ),
    ]  # fmt: skip
