"""`make bench` / `make bench-quick` (`python -m bench [--quick]`): every figure against its
baseline in the same run, three interleaved rounds, the median; prints a table and writes
bench/results/latest.json ({name: {ours, baseline, ratio, unit, target, met, rounds}}) and
bench/results/latest-meta.json (when, where, the sizes). BENCHMARKS.md says what each
figure measures and what bounds it.

Runs against DATABASE_URL when set, else an embedded PostgreSQL in a temporary folder;
each figure builds its own data in a fresh schema that is dropped afterwards. A figure that
fails is listed as not measured, with the reason, and the others still run. Sizes can be
set by environment variable (BENCH_EVENTS, BENCH_IMPORT_ROWS, ...; see SIZES).
`--only reads[,freshness,...]` runs only those figures (FIGURES), for working on one: its
JSON goes to bench/results/only.json, never over latest.json.
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
# the names --only takes; the last three share one served site
FIGURES = (
    "commands", "ledger import", "read-side catch-up", "audit", "freshness", "reads", "workbench",
)  # fmt: skip
SERVED = ("freshness", "reads", "workbench")
NOT_MEASURED = {
    "clocks: 10,000 open clocks on one worker": "not built yet (needs a Temporal dev server "
    "and the worker under load; issue 15 item 5)",
}


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


def only(arguments: list[str]) -> tuple[str, ...]:
    """The figures `--only a,b` names (all of them without it)."""
    if "--only" not in arguments:
        return FIGURES
    at = arguments.index("--only") + 1
    names = tuple(n.strip() for n in (arguments[at] if at < len(arguments) else "").split(","))
    unknown = [n for n in names if n not in FIGURES]
    if unknown or not names:
        raise SystemExit(f"--only: unknown {unknown}; known: {', '.join(FIGURES)}")
    return names


def run(url: str, quick: bool, chosen: tuple[str, ...] = FIGURES) -> None:
    n = sizes(quick)
    started = time.perf_counter()
    load_before = os.getloadavg()
    missing: dict[str, str] = {}
    results: list[Result] = []
    figures: dict[str, Callable[[], list[Result]]] = {
        "commands": lambda: commands.measure(url, ROUNDS, quick),
        "ledger import": lambda: ledger_import.measure(url, ROUNDS, n["IMPORT_ROWS"]),
        "read-side catch-up": lambda: catch_up.measure(url, ROUNDS, n["EVENTS"]),
        "audit": lambda: audit.measure(url, ROUNDS, n["AUDIT_ISSUES"]),
    }
    for name, figure in figures.items():
        if name in chosen:
            results += _attempt(name, figure, missing)
    if any(name in chosen for name in SERVED):
        try:
            with site(url, n["SITE_ISSUES"]) as s:
                served: dict[str, Callable[[], list[Result]]] = {
                    "freshness": lambda: freshness.measure(s, ROUNDS, n["COMMAND_SAMPLES"]),
                    "reads": lambda: reads.measure(s, ROUNDS, n["READS_PER_CLIENT"]),
                    "workbench": lambda: workbench.measure(s, ROUNDS, n["PAGE_LOADS"]),
                }
                for name, figure in served.items():
                    if name in chosen:
                        results += _attempt(name, figure, missing)
        except Exception as failed:
            traceback.print_exc()
            missing["served figures"] = f"the site did not start: {failed}"
    if chosen == FIGURES:
        missing.update(NOT_MEASURED)
    meta = {
        "finished": datetime.now(UTC).isoformat(timespec="seconds"),
        "mode": "quick" if quick else "full",
        "seconds": round(time.perf_counter() - started, 1),
        "rounds": ROUNDS,
        "figures": list(chosen),
        "sizes": n,
        "load_average_before": [round(x, 2) for x in load_before],
        "load_average_after": [round(x, 2) for x in os.getloadavg()],
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, {platform.python_version()}",
        "database": url.rsplit("@", 1)[-1],
        "commit": _commit(),
    }
    print(table(results, missing))
    print(json.dumps(meta, ensure_ascii=False))
    written = RESULTS if chosen == FIGURES else RESULTS.with_name("only.json")
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
    chosen = only(sys.argv[1:])
    if os.environ.get("DATABASE_URL"):
        run(os.environ["DATABASE_URL"], quick, chosen)
        return
    from rectify.embedded import start_embedded_postgres

    with tempfile.TemporaryDirectory() as folder:
        url, server = start_embedded_postgres(Path(folder) / "pg")
        try:
            run(url, quick, chosen)
        finally:
            server.cleanup()  # type: ignore[attr-defined]


if __name__ == "__main__":
    main()
