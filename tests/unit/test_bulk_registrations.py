"""What the database's projection of registrations relies on (ADR 0075): it knows every
field of the event, and the models it has no statements for make nothing of one."""

from __future__ import annotations

import dataclasses
import re
from datetime import UTC, datetime
from typing import Any
from uuid import uuid4

import pytest

from domain.deadlines import Deadline, DeadlineKind
from domain.issues import RectificationIssue as Issue
from projections import bulk_registrations
from projections.registry import READ_MODELS, ReadModel, model_name


class _Connection:
    """Something a weak reference can name (rowset keeps shapes per connection)."""


class _RecordingCursor:
    """A cursor that answers every read with nothing and records every statement."""

    def __init__(self) -> None:
        self.connection = _Connection()
        self.statements: list[str] = []

    def execute(self, query: Any, params: Any = None, **_: Any) -> _RecordingCursor:
        self.statements.append(str(query))
        return self

    def fetchall(self) -> list[Any]:
        return []

    def fetchone(self) -> None:
        return None

    def copy(self, query: Any) -> Any:
        raise AssertionError(f"a registration wrote rows: {query}")


def _registered() -> Issue.Registered:
    return Issue.Registered(
        originator_id=uuid4(),
        originator_version=1,
        timestamp=datetime(2026, 12, 7, tzinfo=UTC),
        originator_topic="rectify:RectificationIssue",
        campaign_id=uuid4(),
        number="1",
        problem="问题",
        measures=["措施"],
        lead_agency_id=uuid4(),
        co_agency_ids=[uuid4()],
        deadline=Deadline(DeadlineKind.ONGOING, None, "长期坚持"),
        source="t.csv",
        actor="导入",
    )


def test_the_database_knows_every_field_a_registration_stores() -> None:
    stored = {f.name for f in dataclasses.fields(Issue.Registered)}
    stored -= {"originator_id", "originator_version"}  # columns of the log, not its state
    assert set(bulk_registrations.FIELDS) == stored
    assert len(bulk_registrations.FIELDS) == len(stored)


def test_the_models_with_statements_are_read_models() -> None:
    assert set(bulk_registrations.STATEMENTS) <= {model_name(m) for m in READ_MODELS}


WRITES = re.compile(r"\b(INSERT|UPDATE|DELETE|TRUNCATE)\b")
OTHERS = [
    m
    for m in READ_MODELS
    if model_name(m) not in bulk_registrations.STATEMENTS and not hasattr(m, "rebuild")
]


@pytest.mark.parametrize("model", OTHERS, ids=model_name)
def test_a_model_without_statements_makes_nothing_of_a_registration(
    model: type[ReadModel],
) -> None:
    cursor = _RecordingCursor()
    folded = model(cursor)  # type: ignore[arg-type]
    batch = [(_registered(), 1)]
    prepare = getattr(folded, "prepare", None)
    if prepare is not None:
        prepare(batch)
    folded.apply(batch[0][0], 1)
    flush = getattr(folded, "flush", None)
    if flush is not None:
        flush()
    # composed statements print as their parts: look for the verbs anywhere
    written = [s for s in cursor.statements if WRITES.search(s)]
    assert written == []
