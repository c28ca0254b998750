"""The aggregate cache commands load from (domain/repository.py, docs/decisions/0061): a
load sees what another process saved since, a command that changed its copy and did not
save leaves the cache as it was, two processes deciding on one item still collide and
decide again, and the copy is what deepcopy would give. A command decides first on the
cached item without reading the log (ADR 0074): whatever another process saved since, it
ends on the item as it is, and after a save the cache holds what a replay gives."""

from __future__ import annotations

import copy
import threading
from dataclasses import dataclass
from uuid import UUID

import pytest

from domain.agencies import Agency
from domain.application import RectifyApp
from domain.deadlines import parse_deadline
from domain.errors import InvalidTransition
from domain.issues import IssueStatus, RectificationIssue
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


def _two(es_env: dict[str, str]) -> tuple[RectifyApp, RectifyApp]:
    return RectifyApp(env=es_env), RectifyApp(env=es_env)


def test_a_command_on_an_item_another_process_changed_is_decided_on_the_item_as_it_is(
    es_env: dict[str, str],
) -> None:
    first, second = _two(es_env)
    try:
        item, agency = _issue(first)
        first.report_progress(item, agency, "缓存中尚可报进展", [], "t")  # cached: OPEN
        second.submit_for_verification(item, "已提交", "t")
        with pytest.raises(InvalidTransition):
            first.report_progress(item, agency, "已提交后不得报进展", [], "t")
        assert _progress_texts(second, item) == ["缓存中尚可报进展"]
    finally:
        first.close()
        second.close()


def test_a_refusal_on_the_cached_item_is_decided_again_on_the_item_as_it_is(
    es_env: dict[str, str],
) -> None:
    first, second = _two(es_env)
    try:
        item, agency = _issue(first)
        first.submit_for_verification(item, "已提交", "t")  # cached: SUBMITTED
        second.reject(item, "退回补充", "t")
        first.report_progress(item, agency, "退回后的进展", [], "t")
        assert _progress_texts(second, item) == ["退回后的进展"]
        assert second.get_issue(item).status is IssueStatus.OPEN
    finally:
        first.close()
        second.close()


def test_no_change_on_the_cached_item_is_decided_again_on_the_item_as_it_is(
    es_env: dict[str, str],
) -> None:
    first, second = _two(es_env)
    try:
        group = first.create_agency_group("缓存联合组", "t").id
        member = first.register_agency("缓存成员局", actor="t").id
        first.add_group_member(group, member, "t")  # cached: a member
        second.remove_group_member(group, member, "t")
        result = first.add_group_member(group, member, "t")
        assert result.changed
        assert member in second._get(Agency, group, "agency").member_ids
    finally:
        first.close()
        second.close()


def test_after_a_save_the_cached_item_is_what_a_replay_gives(es_env: dict[str, str]) -> None:
    first, second = _two(es_env)
    try:
        item, agency = _issue(first)
        first.get_issue(item)
        first.report_progress(item, agency, "保存后的缓存", ["sha256:" + "0" * 64], "t")
        assert isinstance(first.repository, CachingRepository)
        cached = first.repository.cached_copy(item)
        replayed = second.get_issue(item)  # a cache of its own: the whole stream replayed
        assert cached is not None
        assert cached.version == replayed.version
        assert vars(cached) == vars(replayed)
    finally:
        first.close()
        second.close()


def test_a_command_saves_after_the_version_it_decided_on_without_reading_the_log(
    app: RectifyApp,
) -> None:
    item, agency = _issue(app)
    app.report_progress(item, agency, "第一次", [], "t")
    read: list[object] = []
    recorder = app.recorder
    select = recorder.select_events

    def counted(*args: object, **kwargs: object) -> object:
        read.append(args)
        return select(*args, **kwargs)  # type: ignore[arg-type]

    recorder.select_events = counted  # type: ignore[method-assign,assignment]
    app.report_progress(item, agency, "第二次", [], "t")
    assert read == []
    assert _progress_texts(app, item) == ["第一次", "第二次"]


def test_a_saved_event_the_cache_cannot_follow_drops_the_item_not_the_answer(
    app: RectifyApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    item, agency = _issue(app)
    app.get_issue(item)

    def undecodable(stored: object) -> object:
        raise ValueError("cannot decode")

    with monkeypatch.context() as patched:
        patched.setattr(app.mapper, "to_domain_event", undecodable)
        result = app.report_progress(item, agency, "已保存", [], "t")
    assert result.changed
    assert isinstance(app.repository, CachingRepository)
    assert app.repository.cached_copy(item) is None
    assert _progress_texts(app, item) == ["已保存"]
