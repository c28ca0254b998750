"""One chaos run: start the system, import a ledger whose deadlines are past (its clocks
ring at once), send the load while the killer works, let the system recover by itself,
then check. The harness itself never repairs anything: whatever needs a person shows up as
a problem."""

from __future__ import annotations

import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from chaos import checks
from chaos.killer import Killer
from chaos.load import CAMPAIGN, HEALTH, INSURANCE, Load
from chaos.system import LEDGER, System

SETTLE_SECONDS = 90.0  # after the load: for the system to recover and catch up alone


@dataclass
class Report:
    seed: int
    seconds: float
    counts: dict[str, dict[str, Any]] = field(default_factory=dict)
    problems: dict[str, list[str]] = field(default_factory=dict)

    def add(self, check: str, counts: dict[str, Any], problems: list[str]) -> None:
        self.counts[check] = counts
        if problems:
            self.problems[check] = problems

    @property
    def ok(self) -> bool:
        return not self.problems

    def text(self, limit: int = 15) -> str:
        lines = [f"chaos run: seed {self.seed}, {self.seconds:.0f} s of load"]
        for check, counts in self.counts.items():
            shown = ", ".join(f"{k} {v}" for k, v in counts.items())
            lines.append(f"  {check}: {shown}")
        for check, problems in self.problems.items():
            lines.append(f"FAILED {check} ({len(problems)}):")
            lines += [f"    {p}" for p in problems[:limit]]
            if len(problems) > limit:
                lines.append(f"    … and {len(problems) - limit} more")
        lines.append("result: " + ("every check held" if self.ok else "FAILED") +
                     f" (replay with --seed {self.seed})")  # fmt: skip
        return "\n".join(lines)


def run(
    seed: int, seconds: float, kills: int, targets: list[str],
    home: Path | None = None, settle: float = SETTLE_SECONDS,
    say: Callable[[str], None] = print,
) -> Report:  # fmt: skip
    report = Report(seed, seconds)
    home = home or Path(tempfile.mkdtemp(prefix="rectify-chaos-"))
    say(f"chaos: seed {seed}; home {home}; targets {', '.join(targets)}")
    system = System.start(home)
    try:
        _drive(system, report, seed, seconds, kills, targets, settle, say)
    finally:
        code = system.stop()
        (home / "chaos-report.txt").write_text(report.text(limit=10_000), encoding="utf-8")
        say(f"chaos: rectify run stopped (exit code {code}); its log: {system.log_path};"
            f" the whole report: {home / 'chaos-report.txt'}")  # fmt: skip
    return report


def _drive(
    system: System, report: Report, seed: int, seconds: float, kills: int,
    targets: list[str], settle: float, say: Callable[[str], None],
) -> None:  # fmt: skip
    system.rectify("import-issues", str(LEDGER), "--campaign", CAMPAIGN, "--create-agencies")
    tokens = {
        "coordinator": system.token("coordinator"),
        "health": system.token("liaison", HEALTH),
        "insurance": system.token("liaison", INSURANCE),
    }
    load = Load(system.base_url, tokens, seed)
    killer = Killer(system, targets, kills, seed)
    say(f"chaos: {seconds:.0f} s of load, {kills} kills")
    hitting = threading.Thread(target=killer.run, args=(seconds,), daemon=True)
    watching = threading.Thread(target=_watch, args=(system, load, killer), daemon=True)
    hitting.start()
    watching.start()
    load.run(seconds)
    killer.stop.set()
    hitting.join()
    report.add("kills", killer.counts(), killer.problems)
    report.counts["kill times"] = {"at": ", ".join(f"{k.at}s {k.target}" for k in killer.done)}
    say("chaos: load over; waiting for the system to recover by itself")
    recovered = _recover(system, targets, settle)
    report.add("recovery", {"seconds": recovered[0]}, recovered[1])
    # The harness only kills and waits: anything not back by itself needed a person.
    alone = not (recovered[1] or killer.problems)
    report.counts["manual steps"] = {"to bring processes back": "none" if alone else "needed"}
    if not system.running() or system.postmaster_pid() is None:
        what = "rectify run" if not system.running() else "the embedded PostgreSQL"
        report.add("checks", {}, [f"{what} is not running: nothing else can be checked"])
        _load_counts(report, load, None)
        return
    try:
        _check(system, report, load, settle)
    except Exception as error:  # the harness reports what stopped it; it repairs nothing
        report.add("checks", {}, [f"checking stopped: {error!r}"])
        if "mutations" not in report.counts:
            _load_counts(report, load, None)


def _check(system: System, report: Report, load: Load, settle: float) -> None:
    app, es_env, url = checks.open_app(system)
    try:
        started = time.monotonic()
        log = _settled_log(app, system, settle)
        report.counts["settled"] = {"seconds": round(time.monotonic() - started)}
        _load_counts(report, load, log)
        total, problems = checks.duplicated_milestones(log)
        due, missing = checks.missing_milestones(app, log)
        report.add("milestones", {"recorded": total, "due": due}, problems + missing)
        report.add("clocks", *checks.live_clocks(system, app, log))
        rows, problems = checks.read_models_equal_rebuild(app, es_env, url, system.schema)
        report.add("read models", {"rows compared": rows}, problems)
    finally:
        app.close()


def _watch(system: System, load: Load, killer: Killer) -> None:
    """When rectify run itself exits, nothing will bring the system back: stop sending."""
    while not killer.stop.wait(1):
        if not system.running():
            load.abandon.set()
            load.stop.set()
            killer.stop.set()


def _load_counts(report: Report, load: Load, log: checks.Log | None) -> None:
    if log is None:
        counts = Counter(o.status for o in load.outcomes)
        report.add("mutations", {"sent": len(load.outcomes), **counts}, ["the log was not read"])
    else:
        report.add("mutations", *checks.acknowledged(load.outcomes, log))
    report.counts["reads"] = {"sent": load.reads, "failed": load.read_failures}
    refusals = {f"{o.status} ({o.op})": o.refusal for o in load.outcomes if o.refusal}
    if refusals:
        report.counts["refusals, e.g."] = refusals


def _recover(system: System, targets: list[str], seconds: float) -> tuple[float, list[str]]:
    """Wait until rectify run, its API and every target process are up again."""
    started = time.monotonic()
    deadline = started + seconds
    down: list[str] = []
    while time.monotonic() < deadline:
        if not system.running():
            return 0.0, [f"rectify run exited (code {system.process.returncode}); see"
                         f" {system.log_path}"]  # fmt: skip
        down = [t for t in targets if system.pid_of(t) is None]
        if not down and system.healthy():
            return round(time.monotonic() - started, 1), []
        time.sleep(1)
    what = ", ".join(down) if down else "the API (/healthz)"
    return seconds, [f"not back {seconds:.0f} s after the load: {what}"]


def _settled_log(app: Any, system: System, seconds: float) -> checks.Log:
    """The log once clocks have rung what is due and the followers have caught up: until
    no milestone is missing and every expected clock runs, or `seconds` pass (then the
    checks report what is still missing)."""
    deadline = time.monotonic() + seconds
    while True:
        log = checks.Log.read(app)
        _, missing = checks.missing_milestones(app, log)
        _, no_clock = checks.live_clocks(system, app, log)
        if not (missing or no_clock) or time.monotonic() > deadline:
            return log
        time.sleep(3)
