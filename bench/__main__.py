"""`make bench` / `make bench-quick` (`python -m bench [--quick]`): every figure against its
baseline in the same run, three interleaved rounds, the median; prints a table and writes
bench/results/latest.json ({name: {ours, baseline, ratio, unit, target, met, rounds}}) and
bench/results/latest-meta.json (when, where, the sizes). BENCHMARKS.md says what each
figure measures and what bounds it.

`--only NAME[,NAME]` runs only those figures (FIGURES names them: commands, import,
catch-up, audit, clocks, freshness, reads, workbench) and writes bench/results/only.json
instead, so latest.json always holds one whole run.

Runs against DATABASE_URL when set, else an embedded PostgreSQL in a temporary folder;
each figure builds its own data in a fresh schema that is dropped afterwards. A figure that
fails is listed as not measured, with the reason, and the others still run. Sizes can be
set by environment variable (BENCH_EVENTS, BENCH_IMPORT_ROWS, ...; see SIZES).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from bench import audit, catch_up, clocks, commands, freshness, ledger_import, reads, workbench
from bench.runner import RESULTS, Result, table, write_json
from bench.setup import site

ROUNDS = 3
# name: (quick, full); BENCH_<NAME> overrides either
SIZES = {
    "EVENTS": (200_000, 1_000_000),  # read-side catch-up and rebuild
    "IMPORT_ROWS": (2_000, 10_000),  # ledger import, per round
    # the log audit verify reads (plus one 1,000-event item); quick as full: a verify of
    # 3,040 events took 12–18 ms, and the ratio swung with it (ADR 0078)
    "AUDIT_ISSUES": (20_000, 20_000),
    "SITE_ISSUES": (5_000, 100_000),  # behind the served figures (reads, freshness, workbench)
    "COMMAND_SAMPLES": (20, 100),  # freshness and acknowledgement, per round
    # requests in turn from one client per round (the served figures' p50)
    "READS_PER_CLIENT": (15, 30),
    # seconds each server is saturated by 16 clients per round: a time, not a count of
    # requests, so the faster reads get as long a sample (ADR 0083: at 15 requests a
    # client, the dashboard's 240 took 0.12-0.17 s and its rounds spread 0.70-0.79)
    "READS_SECONDS": (1, 3),
    "READS_AT_RATE": (240, 1_440),  # requests per side per round at the stated rate
    "PAGE_LOADS": (1, 3),  # workbench page loads per round
    # open clocks on the one worker; quick: fewer, and fewer due a round (their opening and
    # the rounds' spread of dues are the figure's time: bench-quick under 3 minutes)
    "CLOCKS": (200, 10_000),
    "CLOCKS_DUE": (40, 200),  # of them, falling due per round (and as many bare timers)
}
# --only names, in the order they run; the last three share one served site
FIGURES = ("commands", "import", "catch-up", "audit", "clocks", "freshness", "reads", "workbench")
SERVED = frozenset({"freshness", "reads", "workbench"})


def selected(only: str | None) -> list[str]:
    """The figures to run: all, or those named by --only (comma-separated, any order)."""
    if only is None:
        return list(FIGURES)
    names = {name.strip() for name in only.split(",") if name.strip()}
    unknown = sorted(names - set(FIGURES))
    if unknown or not names:
        named = ", ".join(unknown) or "(none)"
        raise SystemExit(f"--only: unknown figure {named}; one of {', '.join(FIGURES)}")
    return [name for name in FIGURES if name in names]


def arguments(argv: list[str]) -> argparse.Namespace:
    """`--quick` and `--only a,b` (or `--only=a,b`). An argument it does not know, `--help`
    included, ends the program before anything is measured: a mistyped flag must not start
    a quarter of an hour's full run."""
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description="Every figure against its baseline in the same run (BENCHMARKS.md).",
    )
    parser.add_argument(
        "--quick", action="store_true", help="bench-quick's sizes (under 3 minutes)"
    )
    parser.add_argument(
        "--only",
        metavar="NAMES",
        help=f"comma-separated figures to run, of: {', '.join(FIGURES)}; "
        "writes bench/results/only.json",
    )
    return parser.parse_args(argv)


def sizes(quick: bool) -> dict[str, int]:
    return {
        name: int(os.environ.get(f"BENCH_{name}", str(pair[0] if quick else pair[1])))
        for name, pair in SIZES.items()
    }


def _attempt(
    name: str, figure: Callable[[], list[Result]], missing: dict[str, str]
) -> list[Result]:
    started = time.perf_counter()
    try:
        done = figure()
    except Exception as failed:  # a broken figure must not hide the others
        traceback.print_exc()
        missing[name] = f"failed: {type(failed).__name__}: {str(failed)[:200]}"
        return []
    print(f"  {name}: {time.perf_counter() - started:.1f} s", file=sys.stderr, flush=True)
    return done


def run(url: str, quick: bool, figures: list[str] | None = None) -> None:
    chosen = list(FIGURES) if figures is None else figures
    n = sizes(quick)
    started = time.perf_counter()
    load_before = os.getloadavg()
    missing: dict[str, str] = {}
    results: list[Result] = []
    plain: dict[str, Callable[[], list[Result]]] = {
        "commands": lambda: commands.measure(url, ROUNDS),
        "import": lambda: ledger_import.measure(url, ROUNDS, n["IMPORT_ROWS"]),
        "catch-up": lambda: catch_up.measure(url, ROUNDS, n["EVENTS"]),
        "audit": lambda: audit.measure(url, ROUNDS, n["AUDIT_ISSUES"]),
        "clocks": lambda: clocks.measure(url, ROUNDS, n["CLOCKS"], n["CLOCKS_DUE"]),
    }
    for name in chosen:
        if name in plain:
            results += _attempt(name, plain[name], missing)
    served = [name for name in chosen if name in SERVED]
    try:
        if served:
            with site(url, n["SITE_ISSUES"]) as on:
                figure: dict[str, Callable[[], list[Result]]] = {
                    "freshness": lambda: freshness.measure(on, ROUNDS, n["COMMAND_SAMPLES"]),
                    "reads": lambda: reads.measure(
                        on, ROUNDS, n["READS_PER_CLIENT"], n["READS_SECONDS"], n["READS_AT_RATE"]
                    ),
                    "workbench": lambda: workbench.measure(on, ROUNDS, n["PAGE_LOADS"]),
                }
                for name in served:
                    results += _attempt(name, figure[name], missing)
    except Exception as failed:
        traceback.print_exc()
        missing["served figures"] = f"the site did not start: {failed}"
    meta = {
        "finished": datetime.now(UTC).isoformat(timespec="seconds"),
        "mode": "quick" if quick else "full",
        "seconds": round(time.perf_counter() - started, 1),
        "rounds": ROUNDS,
        "sizes": n,
        "figures": chosen,
        "load_average_before": [round(x, 2) for x in load_before],
        "load_average_after": [round(x, 2) for x in os.getloadavg()],
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, {platform.python_version()}",
        "database": url.rsplit("@", 1)[-1],
        "commit": _commit(),
    }
    print(table(results, missing))
    print(json.dumps(meta, ensure_ascii=False))
    # a partial run must not pass for a whole one: it has a file of its own
    written = RESULTS if figures is None else RESULTS.with_name("only.json")
    write_json(results, missing, written)
    written.with_name(written.stem + "-meta.json").write_text(
        json.dumps(meta, ensure_ascii=False, indent=2) + "\n", "utf-8"
    )
    print(f"written: {written}")


def _commit() -> str:
    try:
        return subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, timeout=10
        ).stdout.strip()
    except OSError:
        return ""


def main() -> None:
    given = arguments(sys.argv[1:])
    quick = given.quick
    figures = None if given.only is None else selected(given.only)
    if os.environ.get("DATABASE_URL"):
        run(os.environ["DATABASE_URL"], quick, figures)
        return
    from rectify.embedded import start_embedded_postgres

    with tempfile.TemporaryDirectory() as folder:
        url, server = start_embedded_postgres(Path(folder) / "pg")
        try:
            run(url, quick, figures)
        finally:
            server.cleanup()  # type: ignore[attr-defined]


if __name__ == "__main__":
    main()
