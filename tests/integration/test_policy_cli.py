"""`rectify policy show|set` against real PostgreSQL."""

from __future__ import annotations

import json
from pathlib import Path

from domain.application import RectifyApp
from domain.names import campaign_id
from tests.integration.conftest import Run

TITLE = "医保基金专项整治"


def test_show_prints_the_built_in_ladder_then_set_records_a_version(
    run: Run, app: RectifyApp, tmp_path: Path
) -> None:
    app.launch_campaign(TITLE, actor="test")
    shown = run("policy", "show", "--campaign", TITLE)
    assert shown.exit_code == 0, shown.output
    document = json.loads(shown.output)
    assert document["version"] == 0
    assert [r["label"] for r in document["rungs"]][-4:] == ["督办", "挂牌督办", "约谈", "问责"]

    document["rungs"] = document["rungs"][2:4]  # overdue and 督办 only
    path = tmp_path / "policy.json"
    path.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    done = run("policy", "set", str(path), "--campaign", TITLE, "--apply-to-running")
    assert done.exit_code == 0, done.output
    assert "recorded" in done.output

    policy = app.policy_of(campaign_id(TITLE), "issue")
    assert policy is not None and policy.latest_version == 1
    assert policy.running_versions == [1]
    assert json.loads(run("policy", "show", "--campaign", TITLE).output)["version"] == 1


def test_a_rung_with_a_bad_offset_is_refused_naming_it(
    run: Run, app: RectifyApp, tmp_path: Path
) -> None:
    app.launch_campaign(TITLE, actor="test")
    path = tmp_path / "policy.json"
    path.write_text(json.dumps({"rungs": [{"name": "x", "kind": "overdue", "offset": "soon"}]}))

    result = run("policy", "set", str(path), "--campaign", TITLE)

    assert result.exit_code == 1
    assert "rungs[0].offset" in result.output


def test_an_unknown_campaign_is_refused(run: Run, app: RectifyApp) -> None:
    result = run("policy", "show", "--campaign", "不存在的行动")

    assert result.exit_code == 1
    assert "campaign not found" in result.output
