"""`make bench` / `make bench-quick` (`python -m bench [--quick]`): every figure against its
baseline in the same run, three interleaved rounds, the median; prints a table and writes
bench/results/latest.json ({name: {ours, baseline, ratio, unit, target, met, rounds}}) and
bench/results/latest-meta.json (when, where, the sizes). BENCHMARKS.md says what each
figure measures and what bounds it.

Runs against DATABASE_URL when set, else an embedded PostgreSQL in a temporary folder;
each figure builds its own data in a fresh schema that is dropped afterwards. A figure that
fails is listed as not measured, with the reason, and the others still run. Sizes can be
set by environment variable (BENCH_EVENTS, BENCH_IMPORT_ROWS, ...; see SIZES).

`--only workbench,reads` runs only the figures named (FIGURES), e.g. while working on one;
such a run writes bench/results/only-<names>.json beside latest.json, never over it.
"""

from __future__ import annotations

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

from bench import audit, catch_up, commands, freshness, ledger_import, reads, workbench
from bench.runner import RESULTS, Result, table, write_json
from bench.setup import site

ROUNDS = 3
# name: (quick, full); BENCH_<NAME> overrides either
SIZES = {
    "EVENTS": (6_000, 200_000),  # read-side catch-up
    "IMPORT_ROWS": (2_000, 10_000),  # ledger import, per round
    "AUDIT_ISSUES": (2_000, 20_000),  # the log audit verify reads (plus one 1,000-event item)
    "SITE_ISSUES": (5_000, 20_000),  # behind the served figures (reads, freshness, workbench)
    "COMMAND_SAMPLES": (20, 100),  # freshness and acknowledgement, per round
    "READS_PER_CLIENT": (5, 30),  # requests per client per round, 16 clients
    "PAGE_LOADS": (1, 3),  # workbench page loads per round
}
# what --only names, in the order they run; the last three share one running site
FIGURES = ("commands", "ledger-import", "catch-up", "audit", "freshness", "reads", "workbench")
SERVED = frozenset({"freshness", "reads", "workbench"})
NOT_MEASURED = {
    "clocks: 10,000 open clocks on one worker": "not built yet (needs a Temporal dev server "
    "and the worker under load; issue 15 item 5)",
}


def sizes(quick: bool) -> dict[str, int]:
    return {
        name: int(os.environ.get(f"BENCH_{name}", str(pair[0] if quick else pair[1])))
        for name, pair in SIZES.items()
    }


def selected(argv: list[str]) -> tuple[str, ...]:
    """The figures to run: those `--only a,b` (or `--only=a,b`) names, else all of them.
    An unknown name, or --only without one, is refused with the list of names."""
    given: list[str] | None = None
    for i, arg in enumerate(argv):
        if arg == "--only" or arg.startswith("--only="):
            value = arg.partition("=")[2] if "=" in arg else (argv[i + 1 : i + 2] or [""])[0]
            given = (given or []) + [name.strip() for name in value.split(",") if name.strip()]
    if given is None:
        return FIGURES
    if not given:
        raise SystemExit(f"--only needs figure names: {', '.join(FIGURES)}")
    unknown = sorted(set(given) - set(FIGURES))
    if unknown:
        raise SystemExit(f"unknown figure {', '.join(unknown)}; the figures: {', '.join(FIGURES)}")
    return tuple(name for name in FIGURES if name in given)


def results_path(figures: tuple[str, ...]) -> Path:
    """latest.json for a run of every figure; a partial run's own file beside it."""
    if figures == FIGURES:
        return RESULTS
    return RESULTS.with_name(f"only-{'-'.join(figures)}.json")


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


def run(url: str, quick: bool, figures: tuple[str, ...] = FIGURES) -> None:
    n = sizes(quick)
    started = time.perf_counter()
    load_before = os.getloadavg()
    missing: dict[str, str] = {}
    results: list[Result] = []
    if "commands" in figures:
        results += _attempt("commands", lambda: commands.measure(url, ROUNDS, quick), missing)
    if "ledger-import" in figures:
        results += _attempt(
            "ledger import", lambda: ledger_import.measure(url, ROUNDS, n["IMPORT_ROWS"]), missing
        )
    if "catch-up" in figures:
        results += _attempt(
            "read-side catch-up", lambda: catch_up.measure(url, ROUNDS, n["EVENTS"]), missing
        )
    if "audit" in figures:
        results += _attempt("audit", lambda: audit.measure(url, ROUNDS, n["AUDIT_ISSUES"]), missing)
    if SERVED & set(figures):
        try:
            with site(url, n["SITE_ISSUES"]) as served:
                if "freshness" in figures:
                    results += _attempt(
                        "freshness",
                        lambda: freshness.measure(served, ROUNDS, n["COMMAND_SAMPLES"]),
                        missing,
                    )
                if "reads" in figures:
                    results += _attempt(
                        "reads",
                        lambda: reads.measure(served, ROUNDS, n["READS_PER_CLIENT"]),
                        missing,
                    )
                if "workbench" in figures:
                    results += _attempt(
                        "workbench",
                        lambda: workbench.measure(served, ROUNDS, n["PAGE_LOADS"]),
                        missing,
                    )
        except Exception as failed:
            traceback.print_exc()
            missing["served figures"] = f"the site did not start: {failed}"
    if figures == FIGURES:
        missing.update(NOT_MEASURED)
    meta = {
        "finished": datetime.now(UTC).isoformat(timespec="seconds"),
        "mode": "quick" if quick else "full",
        "figures": list(figures),
        "seconds": round(time.perf_counter() - started, 1),
        "rounds": ROUNDS,
        "sizes": n,
        "load_average_before": [round(x, 2) for x in load_before],
        "load_average_after": [round(x, 2) for x in os.getloadavg()],
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, {platform.python_version()}",
        "database": url.rsplit("@", 1)[-1],
        "commit": _commit(),
    }
    print(table(results, missing))
    print(json.dumps(meta, ensure_ascii=False))
    written = results_path(figures)
    write_json(results, missing, written)
    written.with_name(f"{written.stem}-meta.json").write_text(
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
    quick = "--quick" in sys.argv[1:]
    figures = selected(sys.argv[1:])
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
