"""What every figure shares: rounds that interleave ours with its baseline (the order
alternates, so neither side always runs on a warmer cache), the median over rounds, whether
the target is met, the table and bench/results/latest.json.

A figure's `ours` and `baseline` are callables returning one Sample per round: a value in
the figure's unit (a rate, or a latency in ms), and optional details (p50, p95, counts).
Nothing here is timed; the figures time themselves.
"""

from __future__ import annotations

import json
import statistics
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

RESULTS = Path(__file__).resolve().parent / "results" / "latest.json"


@dataclass(frozen=True)
class Sample:
    value: float
    details: Mapping[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class Target:
    """`ours` or the ratio against the baseline, compared with a bound."""

    subject: Literal["ours", "ratio"]
    op: Literal[">=", "<"]
    bound: float

    def met(self, ours: float, ratio: float | None) -> bool:
        value = ours if self.subject == "ours" else ratio
        if value is None:
            return False
        return value >= self.bound if self.op == ">=" else value < self.bound

    def describe(self, unit: str) -> str:
        suffix = f" {unit}" if self.subject == "ours" else ""
        return f"{self.subject} {self.op} {self.bound:g}{suffix}"


@dataclass
class Result:
    name: str
    unit: str
    # "higher" for rates (ratio = ours / baseline), "lower" for latencies and times
    # (ratio = baseline / ours): a ratio of 1 is as good as the baseline either way
    better: Literal["higher", "lower"]
    target: Target | None
    rounds: list[dict[str, Any]]
    note: str = ""

    @property
    def ours(self) -> float:
        return float(statistics.median(r["ours"] for r in self.rounds))

    @property
    def baseline(self) -> float | None:
        values = [r["baseline"] for r in self.rounds if r.get("baseline") is not None]
        return statistics.median(values) if values else None

    @property
    def ratio(self) -> float | None:
        """The median of the rounds' own ratios (ADR 0077). A round runs both sides back to
        back, so its ratio is taken under one state of a shared machine; the medians of
        `ours` and `baseline` may come from different rounds, and their quotient then
        compares one moment of the machine with another."""
        paired = [ratio_of(r["ours"], r.get("baseline"), self.better) for r in self.rounds]
        found = [value for value in paired if value is not None]
        return statistics.median(found) if found else None

    @property
    def met(self) -> bool | None:
        return None if self.target is None else self.target.met(self.ours, self.ratio)

    def as_json(self) -> dict[str, Any]:
        return {
            "ours": round(self.ours, 3),
            "baseline": None if self.baseline is None else round(self.baseline, 3),
            "ratio": None if self.ratio is None else round(self.ratio, 4),
            "unit": self.unit,
            "target": None if self.target is None else self.target.describe(self.unit),
            "met": self.met,
            "rounds": self.rounds,
            "note": self.note,
        }


def ratio_of(ours: float, baseline: float | None, better: str) -> float | None:
    if baseline is None or baseline <= 0 or ours <= 0:
        return None
    return ours / baseline if better == "higher" else baseline / ours


def interleave(
    rounds: int,
    ours: Callable[[], Sample],
    baseline: Callable[[], Sample] | None,
) -> list[dict[str, Any]]:
    """`rounds` rounds of both sides; odd rounds run the baseline first."""
    done: list[dict[str, Any]] = []
    for n in range(rounds):
        mine: Sample
        theirs: Sample | None = None
        if baseline is not None and n % 2 == 1:
            theirs = baseline()
            mine = ours()
        else:
            mine = ours()
            theirs = baseline() if baseline is not None else None
        done.append(row_of(mine, theirs))
    return done


def row_of(mine: Sample, theirs: Sample | None) -> dict[str, Any]:
    """One round's row: both values, and each side's details prefixed with its side."""
    row: dict[str, Any] = {"ours": mine.value, "baseline": theirs and theirs.value}
    row.update({f"ours_{k}": v for k, v in mine.details.items()})
    if theirs is not None:
        row.update({f"baseline_{k}": v for k, v in theirs.details.items()})
    return row


def percentile(values: Sequence[float], fraction: float) -> float:
    """Nearest-rank percentile (fraction 0.95 for p95) of a non-empty sequence."""
    if not values:
        raise ValueError("no values")
    ordered = sorted(values)
    rank = max(1, min(len(ordered), int(-(-fraction * len(ordered) // 1))))
    return ordered[rank - 1]


def _number(value: float | None) -> str:
    if value is None:
        return "—"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    return f"{value:.3g}" if abs(value) < 1 else f"{value:.1f}"


def table(results: Sequence[Result], missing: Mapping[str, str] | None = None) -> str:
    """A Markdown table: figure, ours, baseline, ratio, target, met."""
    lines = [
        "| figure | ours | baseline | ratio | target | met |",
        "|---|---|---|---|---|---|",
    ]
    for r in results:
        met = {True: "yes", False: "**no**", None: "—"}[r.met]
        target = r.target.describe(r.unit) if r.target else "—"
        ratio = "—" if r.ratio is None else f"{r.ratio:.3f}"
        lines.append(
            f"| {r.name} | {_number(r.ours)} {r.unit} | {_number(r.baseline)} | {ratio}"
            f" | {target} | {met} |"
        )
    for name, why in (missing or {}).items():
        lines.append(f"| {name} | not measured | — | — | — | — ({why}) |")
    return "\n".join(lines)


def write_json(
    results: Sequence[Result], missing: Mapping[str, str] | None = None, path: Path = RESULTS
) -> None:
    """{name: {ours, baseline, ratio, unit, target, met, rounds, note}}; a figure not
    measured has nulls and says why in its note."""
    body: dict[str, Any] = {r.name: r.as_json() for r in results}
    for name, why in (missing or {}).items():
        body[name] = {
            "ours": None, "baseline": None, "ratio": None, "unit": None, "target": None,
            "met": None, "rounds": [], "note": f"not measured: {why}",
        }  # fmt: skip
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(body, ensure_ascii=False, indent=2) + "\n", "utf-8")
