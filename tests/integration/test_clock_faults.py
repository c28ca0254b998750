"""A clock that can never run fails visibly, once, and waits: items stored with a due the
calendar cannot count (before such dates were refused) must not retry for ever."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date, timedelta
from typing import ClassVar
from uuid import UUID, uuid4

import pytest
from temporalio import activity
from temporalio.client import WorkflowExecutionStatus
from temporalio.exceptions import ApplicationError
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Replayer

from domain.application import RectifyApp
from domain.deadlines import Deadline, DeadlineKind
from domain.errors import Conflict
from domain.issues import RectificationIssue
from projections.queries import create_pool
from rectify.embedded import find_binary
from tests.integration.api_fixtures import HEALTH, Api, api, projection_thread
from tests.integration.temporal_fixtures import Clocks, register_issue, sign_off
from workflows.clock_activities import ClockActivities
from workflows.clock_faults import clock_faults
from workflows.clock_inputs import ClockInput, ClockPlan, MilestoneInput
from workflows.clock_workflow import ClockWorkflow
from workflows.dispatcher import Dispatcher
from workflows.worker import build_worker

FIXTURES = (api, projection_thread)  # for systemStatus
# Stored as the old code accepted them: past year 9999's arithmetic, and a year the lunar
# conversion (so the provisional calendar) does not know.
UNCOUNTABLE = [date(9999, 12, 31), date(2100, 3, 31)]


class CountingActivities(ClockActivities):
    attempts: ClassVar[list[int]] = []

    @activity.defn(name="load_clock")
    def load_clock(self, input: ClockInput) -> ClockPlan:
        self.attempts.append(activity.info().attempt)
        return super().load_clock(input)


@pytest.fixture
async def counted(app: RectifyApp, database_url: str, schema: str) -> AsyncIterator[Clocks]:
    async with await WorkflowEnvironment.start_time_skipping(
        test_server_existing_path=find_binary("temporal-test-server")
    ) as env:
        task_queue = f"clocks-{uuid4().hex[:8]}"
        CountingActivities.attempts = []
        worker = build_worker(
            env.client,
            app,
            task_queue,
            activities=CountingActivities(app),
            workflow_failure_exception_types=[Exception],
        )
        dispatcher = Dispatcher(app, database_url, schema, env.client, task_queue)
        async with worker:
            yield Clocks(env, app, dispatcher, database_url, schema)


def stored_as_before(app: RectifyApp, due: date) -> UUID:
    """An issue whose due was accepted before the range was checked (no parser, no check)."""
    return register_issue(app, Deadline(DeadlineKind.DATE, due, due.isoformat()))


async def faults(database_url: str, schema: str) -> list[tuple[str, UUID, str]]:
    """What an operator sees (the read the API calls)."""
    pool = await create_pool(database_url, schema, max_size=1)
    try:
        return [(f.kind, f.item_id, f.error) for f in await clock_faults(pool)]
    finally:
        await pool.close()


@pytest.mark.parametrize("due", UNCOUNTABLE, ids=str)
async def test_a_stored_due_the_calendar_cannot_count_is_tried_once_reported_and_waits(
    counted: Clocks, due: date
) -> None:
    app = counted.app
    issue_id = stored_as_before(app, due)
    await counted.dispatcher.dispatch_pending()
    # Hours of (virtual) time: a retried activity (1 min at most between attempts) would
    # have run a hundred times by now.
    await counted.env.sleep(timedelta(hours=3))

    assert CountingActivities.attempts == [1]
    handle = counted.handle(issue_id)
    assert (await handle.describe()).status == WorkflowExecutionStatus.RUNNING
    [(kind, item, error)] = await faults(counted.database_url, counted.schema)
    assert (kind, item) == ("issue", issue_id)
    assert error.split(":")[0] in {"OverflowError", "NoCalendarData"}

    # A change of the item (here: signed off) makes the clock read again; it runs, so the
    # fault is gone and the clock ends.
    sign_off(app, issue_id)
    await counted.dispatcher.dispatch_pending()
    assert await handle.result() == "closed"
    assert CountingActivities.attempts == [1, 1]
    assert await faults(counted.database_url, counted.schema) == []
    await Replayer(workflows=[ClockWorkflow]).replay_workflow(await handle.fetch_history())


async def test_an_extension_correcting_the_due_lets_the_clock_run_and_clears_the_fault(
    counted: Clocks,
) -> None:
    app = counted.app
    issue_id = stored_as_before(app, date(2100, 3, 31))
    await counted.dispatcher.dispatch_pending()
    await counted.env.sleep(timedelta(hours=1))
    assert len(await faults(counted.database_url, counted.schema)) == 1

    due = await counted.today() + timedelta(days=60)
    app.request_extension(issue_id, Deadline.on(due), "时限录入有误", "县卫健局")
    app.approve_extension(issue_id, "", "领导小组")
    await counted.dispatcher.dispatch_pending()
    await counted.env.sleep(timedelta(hours=1))

    assert await faults(counted.database_url, counted.schema) == []
    scheduled = [
        e for e in app.events.get(issue_id) if isinstance(e, RectificationIssue.ClockScheduled)
    ]
    assert [e.due.date() for e in scheduled] == [due + timedelta(days=1)]
    handle = counted.handle(issue_id)
    assert (await handle.describe()).status == WorkflowExecutionStatus.RUNNING
    # one failed read at first, one per change (request, approval), the last one fine
    assert len(CountingActivities.attempts) <= 3
    assert set(CountingActivities.attempts) == {1}


async def test_loading_a_clock_that_cannot_be_counted_is_a_non_retryable_reported_error(
    app: RectifyApp, database_url: str, schema: str
) -> None:
    issue_id = stored_as_before(app, date(9999, 12, 31))
    activities = ClockActivities(app)

    with pytest.raises(ApplicationError) as raised:
        activities.load_clock(ClockInput(str(issue_id)))

    assert raised.value.non_retryable
    assert raised.value.type == "OverflowError"
    [(kind, item, error)] = await faults(database_url, schema)
    assert (kind, item) == ("issue", issue_id)
    assert error.startswith("OverflowError: ")


async def test_recording_a_milestone_that_cannot_be_counted_is_a_reported_fault_too(
    app: RectifyApp, database_url: str, schema: str
) -> None:
    issue_id = stored_as_before(app, date(2100, 3, 31))

    with pytest.raises(ApplicationError) as raised:
        ClockActivities(app).record_milestone(MilestoneInput(str(issue_id), "any-key"))

    assert (raised.value.non_retryable, raised.value.type) == (True, "NoCalendarData")
    [(_, item, error)] = await faults(database_url, schema)
    assert item == issue_id
    assert error.startswith("NoCalendarData: 没有2100年的日历数据")
    assert "no calendar for 2100" in error


class LosesRaces(ClockActivities):
    def __init__(self, app: RectifyApp) -> None:
        super().__init__(app)
        self.app = _Racing(app)  # type: ignore[assignment]


class _Racing:
    """An application whose every clock read loses a race: retrying can settle it."""

    def __init__(self, app: RectifyApp) -> None:
        self.recorder = app.recorder

    def schedule_clock(self, *_: object) -> object:
        raise Conflict("issue kept changing; try again")


async def test_a_version_conflict_stays_retryable_and_is_no_fault(
    app: RectifyApp, database_url: str, schema: str
) -> None:
    issue_id = stored_as_before(app, date(2027, 6, 30))

    with pytest.raises(Conflict):
        LosesRaces(app).load_clock(ClockInput(str(issue_id)))

    assert await faults(database_url, schema) == []


async def test_without_any_clock_fault_yet_the_read_finds_none(
    database_url: str, schema: str
) -> None:
    assert await faults(database_url, schema) == []


STATUS = "{ systemStatus { clockFaults { kind itemId error at } } }"


async def test_operators_see_clock_faults_in_system_status_and_metrics_and_liaisons_do_not(
    api: Api, app: RectifyApp
) -> None:
    issue_id = register_issue(
        app, Deadline(DeadlineKind.DATE, date(9999, 12, 31), "9999-12-31"), number="90"
    )
    with pytest.raises(ApplicationError):
        ClockActivities(app).load_clock(ClockInput(str(issue_id)))

    [fault] = (await api.gql(STATUS, role="coordinator"))["systemStatus"]["clockFaults"]
    liaison = (await api.gql(STATUS, role="liaison", agency=HEALTH))["systemStatus"]

    assert (fault["kind"], fault["itemId"]) == ("issue", str(issue_id))
    assert fault["error"].startswith("OverflowError: ")
    assert liaison["clockFaults"] == []
    assert "rectify_clock_faults 1.0" in (await api.client.get("/metrics")).text
