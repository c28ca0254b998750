"""The aggregate cache commands load from (domain/repository.py, docs/decisions/0061): a
load sees what another process saved since, a command that changed its copy and did not
save leaves the cache as it was, two processes deciding on one item still collide and
decide again, and the copy is what deepcopy would give."""

from __future__ import annotations

import copy
import threading
from dataclasses import dataclass
from uuid import UUID

from domain.application import RectifyApp
from domain.deadlines import parse_deadline
from domain.issues import RectificationIssue
from domain.ledger_rows import LedgerRow
from domain.repository import CachingRepository, copy_aggregate


def _issue(app: RectifyApp) -> tuple[UUID, UUID]:
    rows = [
        LedgerRow(
            2, "1", "问题一", ["措施一"], "县甲局", ["县乙局"], parse_deadline("2026年12月底")
        )
    ]
    report = app.import_ledger("缓存专项", rows, actor="t", source="t", create_agencies=True)
    item = report.created[0]
    return item, app.get_issue(item).lead_agency_id


def _progress_texts(app: RectifyApp, item: UUID) -> list[str]:
    return [
        e.text
        for e in app.repository.event_store.get(item)
        if isinstance(e, RectificationIssue.ProgressReported)
    ]


def test_a_load_sees_what_another_process_saved(es_env: dict[str, str]) -> None:
    first, second = RectifyApp(env=es_env), RectifyApp(env=es_env)
    try:
        assert isinstance(first.repository, CachingRepository)
        item, agency = _issue(first)
        cached = first.get_issue(item).version
        second.report_progress(item, agency, "另一进程的进展", [], "t")
        assert first.get_issue(item).version == cached + 1
        first.report_progress(item, agency, "本进程的进展", [], "t")
        assert _progress_texts(second, item) == ["另一进程的进展", "本进程的进展"]
    finally:
        first.close()
        second.close()


def test_a_copy_changed_and_not_saved_leaves_the_cache_as_it_was(app: RectifyApp) -> None:
    item, agency = _issue(app)
    loaded = app.get_issue(item)
    version = loaded.version
    loaded.report_progress(agency, "未保存", [], "t")
    loaded.measures.append("未保存的措施")
    again = app.get_issue(item)
    assert again.version == version
    assert "未保存的措施" not in again.measures
    assert not again.pending_events


def test_two_processes_deciding_at_once_collide_and_decide_again(es_env: dict[str, str]) -> None:
    apps = [RectifyApp(env=es_env) for _ in range(2)]
    try:
        item, agency = _issue(apps[0])
        for each in apps:
            each.get_issue(item)  # every cache holds the same version
        start = threading.Barrier(len(apps))
        errors: list[BaseException] = []

        def report(n: int) -> None:
            start.wait()
            try:
                for k in range(3):
                    apps[n].report_progress(item, agency, f"{n}-{k}", [], "t")
            except BaseException as failed:
                errors.append(failed)

        threads = [threading.Thread(target=report, args=(n,)) for n in range(len(apps))]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert not errors
        texts = _progress_texts(apps[0], item)
        assert sorted(texts) == sorted(f"{n}-{k}" for n in range(len(apps)) for k in range(3))
        assert apps[1].get_issue(item).version == apps[0].get_issue(item).version
    finally:
        for each in apps:
            each.close()


def test_the_copy_is_what_deepcopy_gives(app: RectifyApp) -> None:
    item, agency = _issue(app)
    app.report_progress(item, agency, "进展", [], "t")
    issue = app.get_issue(item)
    campaign = app.get_campaign(issue.campaign_id)
    for aggregate in (issue, campaign):
        copied = copy_aggregate(aggregate)
        assert type(copied) is type(aggregate)
        assert vars(copied) == vars(copy.deepcopy(aggregate))
        for name, value in vars(aggregate).items():
            if isinstance(value, (list, dict, set)):
                assert vars(copied)[name] is not value, name


def test_the_copy_keeps_two_attributes_sharing_one_list_sharing_its_copy(
    app: RectifyApp,
) -> None:
    item, _ = _issue(app)
    issue = app.get_issue(item)
    issue.clock_keys = issue.scheduled_rings = ["共享"]
    copied = copy_aggregate(issue)
    assert copied.clock_keys is copied.scheduled_rings
    assert copied.clock_keys is not issue.clock_keys


@dataclass(frozen=True)
class _Holds:
    """A frozen dataclass whose attribute can still change in place."""

    items: list[str]


def test_the_copy_shares_a_frozen_deadline_and_copies_a_frozen_holder_of_a_list(
    app: RectifyApp,
) -> None:
    item, _ = _issue(app)
    issue = app.get_issue(item)
    issue.policy_version = _Holds(["可变"])  # any attribute: the copy judges values, not names
    copied = copy_aggregate(issue)
    assert copied.deadline is issue.deadline  # frozen, of immutable values: shared
    assert copied.policy_version == issue.policy_version
    assert copied.policy_version is not issue.policy_version
    assert copied.policy_version.items is not issue.policy_version.items
