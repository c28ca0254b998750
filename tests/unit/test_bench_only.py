"""`python -m bench --only NAME[,NAME]`: which figures run (no timing here)."""

import pytest

from bench.__main__ import FIGURES, only


def test_without_only_every_figure_runs() -> None:
    assert only(["--quick"]) == FIGURES


def test_only_names_the_figures_to_run() -> None:
    assert only(["--quick", "--only", "reads,freshness"]) == ("reads", "freshness")


@pytest.mark.parametrize("arguments", [["--only", "dashboard"], ["--only"], ["--only", ""]])
def test_an_unknown_or_missing_figure_is_refused_with_the_known_names(
    arguments: list[str],
) -> None:
    with pytest.raises(SystemExit, match="known: commands"):
        only(arguments)
