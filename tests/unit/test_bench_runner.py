"""The benchmark harness's arithmetic and its JSON (bench/runner.py): no timing here."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench.runner import Result, Sample, Target, interleave, percentile, table, write_json


def _result(ours: list[float], baseline: list[float | None], better: str = "higher") -> Result:
    rounds = [{"ours": o, "baseline": b} for o, b in zip(ours, baseline, strict=True)]
    return Result("figure", "ops/s", better, Target("ratio", ">=", 0.4), rounds)  # type: ignore[arg-type]


def test_rounds_alternate_which_side_runs_first() -> None:
    calls: list[str] = []

    def side(name: str, value: float) -> Sample:
        calls.append(name)
        return Sample(value, {"seconds": 1.0})

    done = interleave(3, lambda: side("ours", 1), lambda: side("base", 2))
    assert calls == ["ours", "base", "base", "ours", "ours", "base"]
    assert done[0] == {"ours": 1, "baseline": 2, "ours_seconds": 1.0, "baseline_seconds": 1.0}


def test_a_figure_without_a_baseline_records_none() -> None:
    done = interleave(2, lambda: Sample(5), None)
    assert done == [{"ours": 5, "baseline": None}, {"ours": 5, "baseline": None}]


def test_the_figure_is_the_median_of_its_rounds() -> None:
    result = _result([10, 30, 20], [100, 90, 95])
    assert (result.ours, result.baseline) == (20, 95)


def test_the_ratio_is_the_median_of_the_rounds_own_ratios_not_of_their_medians() -> None:
    # the baseline was fast in round 2 only: paired with its own round, ours kept up
    result = _result([180, 190, 240], [190, 340, 300])

    assert (result.ours, result.baseline) == (190, 300)
    assert result.ratio == pytest.approx(0.8)  # rounds 0.947, 0.559, 0.8; not 190 / 300


def test_a_rate_ratio_is_ours_over_the_baseline() -> None:
    assert _result([20, 20, 20], [100, 100, 100]).ratio == pytest.approx(0.2)


def test_a_latency_ratio_is_the_baseline_over_ours() -> None:
    assert _result([50, 50, 50], [5, 5, 5], better="lower").ratio == pytest.approx(0.1)


def test_no_baseline_means_no_ratio_and_a_ratio_target_unmet() -> None:
    result = _result([20], [None])
    assert result.ratio is None
    assert result.met is False


def test_targets_compare_ours_or_the_ratio_with_their_bound() -> None:
    assert Target("ours", "<", 20).met(19.9, None)
    assert not Target("ours", "<", 20).met(20, None)
    assert Target("ratio", ">=", 0.4).met(1, 0.4)
    assert not Target("ratio", ">=", 0.4).met(1000, 0.39)
    assert Target("ours", ">=", 25_000).describe("events/s") == "ours >= 25000 events/s"


def test_the_met_flag_follows_the_measurements() -> None:
    assert _result([50, 50, 50], [100, 100, 100]).met is True
    assert _result([30, 30, 30], [100, 100, 100]).met is False


def test_percentiles_are_nearest_rank() -> None:
    values = [float(n) for n in range(1, 101)]
    assert percentile(values, 0.95) == 95
    assert percentile(values, 0.5) == 50
    assert percentile([7.0], 0.95) == 7
    with pytest.raises(ValueError):
        percentile([], 0.95)


def test_the_json_has_one_entry_per_figure_in_the_agreed_shape(tmp_path: Path) -> None:
    path = tmp_path / "latest.json"
    write_json([_result([10, 30, 20], [100, 90, 95])], {"clocks": "not built"}, path)
    body = json.loads(path.read_text("utf-8"))
    figure = body["figure"]
    assert set(figure) == {
        "ours", "baseline", "ratio", "unit", "target", "met", "rounds", "note",
    }  # fmt: skip
    assert figure["ours"] == 20
    assert figure["baseline"] == 95
    assert figure["ratio"] == pytest.approx(20 / 95, abs=1e-4)  # round 3's own ratio
    assert figure["target"] == "ratio >= 0.4"
    assert figure["met"] is False
    assert len(figure["rounds"]) == 3
    assert body["clocks"]["met"] is None
    assert "not measured" in body["clocks"]["note"]


def test_the_table_lists_every_figure_and_what_was_not_measured() -> None:
    text = table([_result([50, 50, 50], [100, 100, 100])], {"clocks": "not built"})
    lines = text.splitlines()
    assert lines[0].startswith("| figure | ours | baseline | ratio")
    assert "| figure | 50.0 ops/s | 100 | 0.500 | ratio >= 0.4 | yes |" in lines
    assert any(line.startswith("| clocks | not measured") for line in lines)
