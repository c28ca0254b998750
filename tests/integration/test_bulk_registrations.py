"""A rebuild projects issue registrations in the database (ADR 0075): the same rows as
incremental processing, registrations it does not know left to the replay, and a
catch-up from position 0 over a long log built as a rebuild."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID, uuid4

import psycopg
import pytest
from eventsourcing.persistence import StoredEvent

from domain.application import RectifyApp
from domain.deadlines import Deadline, DeadlineKind, parse_deadline
from domain.names import agency_id, campaign_id
from infrastructure import event_store
from projections import (
    bulk_registrations,
    catch_up,
    projection_position,
    rebuild_projections,
    runner,
)
from projections.runner import connect
from tests.integration.api_fixtures import (
    CAMPAIGN,
    HEALTH,
    INSURANCE,
    MARKET,
    import_known_ledger,
    issue,
)
from tests.integration.test_rebuild import snapshot

WHO = "批量登记测试"


Rows = dict[str, list[tuple[Any, ...]]]


@dataclass
class Site:
    """A log and its read side, with what each rebuild's registrations in the database
    came to (`projected`; None: left to the replay)."""

    app: RectifyApp
    es_env: dict[str, str]
    url: str
    schema: str
    db: psycopg.Connection[Any]
    projected: list[int | None] = field(default_factory=list)

    def incremental(self) -> Rows:
        """The rows of the log projected in small batches, as a runner following it makes."""
        catch_up(self.es_env, self.url, self.schema, batch_size=3)
        return snapshot(self.db)

    def rebuild(self, **options: Any) -> int:
        return rebuild_projections(self.es_env, self.url, self.schema, **options)

    def catch_up(self, **options: Any) -> int:
        return catch_up(self.es_env, self.url, self.schema, **options)

    def events(self) -> int:
        return len(self.app.recorder.select_notifications(start=1, limit=10_000))


@pytest.fixture
def site(
    app: RectifyApp,
    es_env: dict[str, str],
    database_url: str,
    schema: str,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[Site]:
    with closing(connect(database_url, schema)) as db:
        found = Site(app, es_env, database_url, schema, db)
        real = bulk_registrations.project

        def watched(*args: Any, **kwargs: Any) -> int | None:
            found.projected.append(real(*args, **kwargs))
            return found.projected[-1]

        monkeypatch.setattr(bulk_registrations, "project", watched)
        yield found


def _varied(app: RectifyApp) -> None:
    """Registrations of every shape a ledger gives (several co-responsible, none, an
    ongoing deadline without a date; one stored by older code listing its lead and a
    co-responsible twice), followed by later events of their issues."""
    import_known_ledger(app)
    campaign = campaign_id(CAMPAIGN)
    health, insurance, market = agency_id(HEALTH), agency_id(INSURANCE), agency_id(MARKET)
    ongoing = Deadline(DeadlineKind.ONGOING, None, "长期坚持")
    dated = parse_deadline("2026年9月30日前")
    again = app.register_issue(
        campaign, "6", "两个配合单位", ["措施"], health, [insurance, market], dated, actor=WHO
    ).id
    twice = [{"_type_": "uuid_hex", "_data_": agency.hex} for agency in (insurance, health)]
    _store(app, {**_a_registration(app), "number": "9", "co_agency_ids": twice + twice[:1]})
    none = app.register_issue(
        campaign, "7", "无配合单位", ["立行立改"], market, [], ongoing, actor=WHO
    ).id
    app.report_progress(again, health, "已建立台账", [], WHO)
    app.submit_for_verification(none, "已完成", WHO)
    app.sign_off(none, "", WHO)
    app.report_progress(UUID(issue("1")), health, "持续推进", [], WHO)


def _store(app: RectifyApp, state: dict[str, Any]) -> None:
    """A registration as older or other code might have stored it, bypassing the domain."""
    event = StoredEvent(
        originator_id=uuid4(),
        originator_version=1,
        topic=bulk_registrations.TOPIC,
        state=json.dumps(state, ensure_ascii=False).encode(),
    )
    app.recorder.insert_events([event])


def _a_registration(app: RectifyApp) -> dict[str, Any]:
    """The stored state of the log's first registration, as JSON."""
    log = app.recorder.select_notifications(start=1, limit=10_000)
    first = next(n for n in log if n.topic == bulk_registrations.TOPIC)
    found: dict[str, Any] = json.loads(first.state)
    return found


def test_a_rebuild_projects_registrations_in_the_database_with_the_rows_of_incremental_processing(
    site: Site,
) -> None:
    _varied(site.app)
    rows = site.incremental()

    replayed = site.rebuild(batch_size=4)

    assert site.projected == [8]  # the five imported issues, the two registered, the stored one
    assert replayed == site.events()
    assert snapshot(site.db) == rows
    nine = next(row[0] for row in rows["issues"] if row[2] == "9")
    listed = sorted(
        (ordinal, role) for item, _, role, ordinal in rows["issue_responsibilities"] if item == nine
    )
    assert listed == [(0, "LEAD"), (1, "CO")]  # the first place of each agency kept


def test_a_rebuild_of_one_model_projects_its_registrations_alone(site: Site) -> None:
    _varied(site.app)
    rows = site.incremental()

    site.rebuild(model="audience")
    site.rebuild(model="statistics")
    site.rebuild(model="clock")  # makes nothing of them

    assert site.projected == [8, 8]
    assert snapshot(site.db) == rows


def test_registrations_of_a_shape_not_known_here_are_left_to_the_replay(site: Site) -> None:
    import_known_ledger(site.app)
    # a field the event does not have (a later version's, say): the replay decides
    _store(site.app, {**_a_registration(site.app), "number": "8", "added_later": True})
    rows = site.incremental()

    site.rebuild()

    assert site.projected == [None]
    assert snapshot(site.db) == rows


def test_a_registration_the_database_cannot_read_leaves_them_all_to_the_replay(
    site: Site,
) -> None:
    import_known_ledger(site.app)
    broken = _a_registration(site.app)
    broken["lead_agency_id"] = {"_type_": "uuid_hex", "_data_": "not-an-id"}
    _store(site.app, {**broken, "number": "8"})
    rows = site.incremental()

    site.rebuild()

    assert site.projected == [None]
    assert snapshot(site.db) == rows


def test_a_registration_stored_with_nul_is_projected_as_the_replay_projects_it(
    site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(event_store, "refuse_nul", lambda events: None)  # as older code
    import_known_ledger(site.app)
    site.app.register_issue(
        campaign_id(CAMPAIGN), "8", "含\x00空字符", ["措施"], agency_id(HEALTH), [],
        parse_deadline("2026年9月30日前"), actor=WHO,
    )  # fmt: skip
    rows = site.incremental()

    site.rebuild()

    assert site.projected == [None]  # jsonb holds no NUL: the replay sanitises and parks it
    assert snapshot(site.db) == rows
    assert any(row[2] == "8" for row in rows["issues"])


def test_a_catch_up_from_position_0_over_a_long_log_is_a_rebuild(site: Site) -> None:
    _varied(site.app)
    head = site.app.recorder.max_notification_id()

    applied = site.catch_up(rebuild_from=10)

    assert site.projected == [8]
    assert projection_position(site.url, site.schema) == head
    assert applied == site.events()
    rebuilt = snapshot(site.db)
    site.app.report_progress(UUID(issue("6")), agency_id(HEALTH), "后续进展", [], WHO)
    site.catch_up(rebuild_from=10)  # past 0: batches
    assert site.projected == [8]
    after = snapshot(site.db)
    assert len(after["issue_history"]) == len(rebuilt["issue_history"]) + 1


def test_a_catch_up_from_position_0_over_a_short_log_goes_by_batches(site: Site) -> None:
    _varied(site.app)

    site.catch_up()  # far fewer than REBUILD_FROM positions

    assert site.projected == []
    assert projection_position(site.url, site.schema) == site.app.recorder.max_notification_id()


def test_a_rebuild_from_scratch_leaves_a_read_side_that_got_there_first_alone(
    site: Site,
) -> None:
    _varied(site.app)
    rows = site.incremental()

    assert runner._rebuild(site.db, site.app, site.schema, from_scratch=True) == 0
    assert snapshot(site.db) == rows
