"""The clocks figure's baseline (bench/clocks.py): a bare Temporal workflow that sleeps
until its due instant and runs one activity that notes the time, on a worker of its own.
Its own module, importing nothing of Rectify, so the workflow sandbox loads it as is."""

from __future__ import annotations

from datetime import datetime, timedelta

from temporalio import workflow

STAMP = "bench_bare_stamp"  # the activity's name; bench/clocks.py defines it


@workflow.defn
class BareClock:
    @workflow.run
    async def run(self, due: str) -> None:
        delay = datetime.fromisoformat(due) - workflow.now()
        if delay > timedelta(0):
            await workflow.sleep(delay)
        await workflow.execute_activity(STAMP, due, start_to_close_timeout=timedelta(seconds=30))
