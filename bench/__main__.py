"""`make bench` / `make bench-quick` (`python -m bench [--quick]`): every figure against its
baseline in the same run, three interleaved rounds, the median; prints a table and writes
bench/results/latest.json ({name: {ours, baseline, ratio, unit, target, met, rounds}}) and
bench/results/latest-meta.json (when, where, the sizes). BENCHMARKS.md says what each
figure measures and what bounds it.

Runs against DATABASE_URL when set, else an embedded PostgreSQL in a temporary folder;
each figure builds its own data in a fresh schema that is dropped afterwards. A figure that
fails is listed as not measured, with the reason, and the others still run. Sizes can be
set by environment variable (BENCH_EVENTS, BENCH_IMPORT_ROWS, ...; see SIZES).
`--only NAME[,NAME]` runs only those figures (commands, ledger import, read-side catch-up,
audit, freshness, reads, workbench) and writes bench/results/only.json instead.
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
    "EVENTS": (200_000, 1_000_000),  # read-side catch-up and rebuild
    "IMPORT_ROWS": (2_000, 10_000),  # ledger import, per round
    "AUDIT_ISSUES": (2_000, 20_000),  # the log audit verify reads (plus one 1,000-event item)
    "SITE_ISSUES": (5_000, 20_000),  # behind the served figures (reads, freshness, workbench)
    "COMMAND_SAMPLES": (20, 100),  # freshness and acknowledgement, per round
    "READS_PER_CLIENT": (5, 30),  # requests per client per round, 16 clients
    "PAGE_LOADS": (1, 3),  # workbench page loads per round
}
NOT_MEASURED = {
    "clocks: 10,000 open clocks on one worker": "not built yet (needs a Temporal dev server "
    "and the worker under load; issue 15 item 5)",
}


def sizes(quick: bool) -> dict[str, int]:
    return {
        name: int(os.environ.get(f"BENCH_{name}", str(pair[0] if quick else pair[1])))
        for name, pair in SIZES.items()
    }


class _Figures:
    """Runs the figures asked for (`--only NAME[,NAME]`: the names printed while they run),
    each guarded: a figure that fails is listed as not measured, with the reason."""

    SERVED = frozenset({"freshness", "reads", "workbench"})

    def __init__(self, only: frozenset[str] | None) -> None:
        self.only = only
        self.missing: dict[str, str] = {}
        self.results: list[Result] = []

    def wanted(self, *names: str) -> bool:
        return self.only is None or any(name in self.only for name in names)

    def attempt(self, name: str, figure: Callable[[], list[Result]]) -> None:
        if not self.wanted(name):
            return
        started = time.perf_counter()
        try:
            done = figure()
        except Exception as failed:  # a broken figure must not hide the others
            traceback.print_exc()
            self.missing[name] = f"failed: {type(failed).__name__}: {str(failed)[:200]}"
            return
        print(f"  {name}: {time.perf_counter() - started:.1f} s", file=sys.stderr, flush=True)
        self.results += done


def run(url: str, quick: bool, only: frozenset[str] | None = None) -> None:
    n = sizes(quick)
    started = time.perf_counter()
    load_before = os.getloadavg()
    figures = _Figures(only)
    figures.attempt("commands", lambda: commands.measure(url, ROUNDS, quick))
    figures.attempt("ledger import", lambda: ledger_import.measure(url, ROUNDS, n["IMPORT_ROWS"]))
    figures.attempt("read-side catch-up", lambda: catch_up.measure(url, ROUNDS, n["EVENTS"]))
    figures.attempt("audit", lambda: audit.measure(url, ROUNDS, n["AUDIT_ISSUES"]))
    if figures.wanted(*_Figures.SERVED):
        try:
            with site(url, n["SITE_ISSUES"]) as served:
                figures.attempt(
                    "freshness", lambda: freshness.measure(served, ROUNDS, n["COMMAND_SAMPLES"])
                )
                figures.attempt(
                    "reads", lambda: reads.measure(served, ROUNDS, n["READS_PER_CLIENT"])
                )
                figures.attempt(
                    "workbench", lambda: workbench.measure(served, ROUNDS, n["PAGE_LOADS"])
                )
        except Exception as failed:
            traceback.print_exc()
            figures.missing["served figures"] = f"the site did not start: {failed}"
    results, missing = figures.results, figures.missing
    if only is None:
        missing.update(NOT_MEASURED)
    meta = {
        "finished": datetime.now(UTC).isoformat(timespec="seconds"),
        "mode": "quick" if quick else "full",
        "seconds": round(time.perf_counter() - started, 1),
        "rounds": ROUNDS,
        "sizes": n,
        "load_average_before": [round(x, 2) for x in load_before],
        "load_average_after": [round(x, 2) for x in os.getloadavg()],
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, {platform.python_version()}",
        "database": url.rsplit("@", 1)[-1],
        "commit": _commit(),
        "only": sorted(only) if only is not None else None,
    }
    print(table(results, missing))
    print(json.dumps(meta, ensure_ascii=False))
    # a run of some figures does not overwrite the full table
    written = RESULTS if only is None else RESULTS.with_name("only.json")
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


def _only(args: list[str]) -> frozenset[str] | None:
    """`--only commands,freshness` (or `--only=…`): only these figures."""
    for k, arg in enumerate(args):
        if arg.startswith("--only="):
            return frozenset(n.strip() for n in arg.split("=", 1)[1].split(","))
        if arg == "--only" and k + 1 < len(args):
            return frozenset(n.strip() for n in args[k + 1].split(","))
    return None


def main() -> None:
    quick = "--quick" in sys.argv[1:]
    only = _only(sys.argv[1:])
    if os.environ.get("DATABASE_URL"):
        run(os.environ["DATABASE_URL"], quick, only)
        return
    from rectify.embedded import start_embedded_postgres

    with tempfile.TemporaryDirectory() as folder:
        url, server = start_embedded_postgres(Path(folder) / "pg")
        try:
            run(url, quick, only)
        finally:
            server.cleanup()  # type: ignore[attr-defined]


if __name__ == "__main__":
    main()
