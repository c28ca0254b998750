"""The clocks figure's arithmetic (bench/clocks.py) and the harness's figure selection
(`--only`, bench/__main__.py), and when the open clocks count as settled: no timing here."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bench.__main__ import FIGURES, arguments, selected
from bench.clocks import _Settling, delay_sample, delays_ms, dues, lead

START = datetime(2026, 12, 7, 2, 0, tzinfo=UTC)


def test_dues_are_spread_at_the_rate_from_the_start() -> None:
    assert dues(START, 3, rate=2.0) == [
        START, START + timedelta(seconds=0.5), START + timedelta(seconds=1)
    ]  # fmt: skip
    assert dues(START, 0) == []


def test_more_clocks_or_slower_commands_get_more_lead() -> None:
    assert lead(200, 0.01) > lead(100, 0.01) > lead(0, 0.01) > 0
    assert lead(100, 0.05) > lead(100, 0.01)


def test_a_delay_is_recorded_minus_due_in_ms() -> None:
    due = {"a": START, "b": START + timedelta(seconds=1)}
    recorded = {"a": START + timedelta(milliseconds=250), "b": START + timedelta(seconds=3)}
    assert delays_ms(due, recorded) == [250.0, 2000.0]


def test_a_clock_never_recorded_counts_as_the_whole_grace_late() -> None:
    due = {"a": START, "b": START}
    assert delays_ms(due, {"a": START}, grace=60) == [0.0, 60_000.0]


def test_the_sample_is_the_p95_with_the_median_worst_and_missing() -> None:
    sample = delay_sample([float(n) for n in range(1, 101)], missing=2)
    assert sample.value == 95
    assert sample.details == {"p50_ms": 50, "max_ms": 100, "clocks": 100, "missing": 2}


def test_only_selects_the_named_figures_in_run_order() -> None:
    assert selected(None) == list(FIGURES)
    assert selected("clocks,audit") == ["audit", "clocks"]
    assert selected(" reads , clocks ") == ["clocks", "reads"]


@pytest.mark.parametrize("only", ["clock", "audit,nope", ",", ""])
def test_only_refuses_a_name_it_does_not_know_or_none(only: str) -> None:
    with pytest.raises(SystemExit, match="--only"):
        selected(only)


def test_only_is_read_with_a_space_or_an_equals_sign() -> None:
    assert arguments(["--quick", "--only", "audit,clocks"]).only == "audit,clocks"
    assert arguments(["--only=audit"]).only == "audit"
    assert arguments(["--quick"]).only is None
    assert arguments(["--quick"]).quick and not arguments([]).quick


@pytest.mark.parametrize("argv", [["--only"], ["--help"], ["--qiuck"], ["reads"]])
def test_an_argument_it_does_not_know_ends_the_run_before_anything_is_measured(
    argv: list[str],
) -> None:
    with pytest.raises(SystemExit):
        arguments(argv)


class _Readings:
    """What the settling check reads, one tuple (running, waiting, cpu %) a call."""

    def __init__(self, readings: list[tuple[int, int, float]]) -> None:
        self.readings = iter(readings)
        self.now: tuple[int, int, float] = (0, 0, 0.0)

    def run(self, coroutine: Any) -> Any:
        coroutine.close()
        name = coroutine.cr_code.co_name
        if name == "_running_clocks":
            self.now = next(self.readings)
            return self.now[0]
        return self.now[1]

    def cpu_percent(self, interval: float) -> float:
        return self.now[2]


def _settling(readings: list[tuple[int, int, float]]) -> list[bool]:
    seen = _Readings(readings)
    check = _Settling(seen, None, 10, seen)  # type: ignore[arg-type]
    return [check() for _ in readings]


def test_clocks_settle_once_all_run_the_worker_is_idle_and_nothing_waits() -> None:
    assert _settling([(5, 0, 0.0), (10, 3, 80.0), (10, 0, 2.0)]) == [False, False, True]


def test_a_lagging_backlog_count_is_outlasted_by_two_idle_readings_in_a_row() -> None:
    assert _settling([(10, 114, 50.0), (10, 114, 0.0), (10, 114, 0.0)]) == [False, False, True]


def test_an_idle_worker_with_clocks_still_to_start_has_not_settled() -> None:
    assert _settling([(9, 5, 0.0), (9, 5, 0.0), (10, 5, 0.0), (10, 5, 30.0)]) == [
        False, False, False, False
    ]  # fmt: skip
