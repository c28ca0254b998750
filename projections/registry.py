"""Every read model the runner feeds, in the order they are applied within a batch.

A read model is a class built with the batch's cursor, with `apply(event, position)` that
ignores events it does not know, and, optionally, `prepare(batch)` (the batch's (event,
position) pairs, before the first `apply`: load the rows it will change) and `flush()`
(after the last: write them), so a batch costs a few statements per table, not per event
(projections/rowset.py, ADR 0052); its DDL in a `*.sql` file of this package (applied in
file-name order, idempotent), and `TABLES`, the tables a rebuild builds afresh and swaps in.
A model whose rows follow from other models' rows alone may also have a static
`rebuild(cursor)`: a rebuild then gives it no batches and calls it once after the replay,
on its fresh, empty tables (ADR 0066; the dashboard counters).
The runner gives each model the whole batch in turn, in the order listed here.
To add one: write the class and its SQL file, then list it here.

`rectify rebuild-projections --model NAME` rebuilds one model alone (the name is the class
name in snake case without "Projection", or its `NAME`). So a model may read another
model's tables only for facts that never change once written (agency names), as the other
model is not replayed along with it.
"""

from __future__ import annotations

import re
from typing import Any, ClassVar, Protocol

from eventsourcing.domain import DomainEventProtocol
from psycopg import Cursor

from projections.accounts import AccountProjection
from projections.audiences import AudienceProjection
from projections.case_transfers import CaseTransferProjection
from projections.clocks import ClockProjection
from projections.clues import ClueProjection
from projections.dashboard_counts import DashboardCountsProjection
from projections.files import FileReferenceProjection
from projections.ledger import LedgerProjection
from projections.notifications import NotificationProjection
from projections.progress import ProgressProjection
from projections.referrals import ReferralProjection
from projections.statistics import StatisticsProjection


class ReadModel(Protocol):
    TABLES: ClassVar[tuple[str, ...]]

    def __init__(self, cursor: Cursor[Any]) -> None: ...

    def apply(self, event: DomainEventProtocol[Any], position: int) -> None: ...


READ_MODELS: list[type[ReadModel]] = [LedgerProjection, NotificationProjection]
READ_MODELS.append(ReferralProjection)
READ_MODELS.append(CaseTransferProjection)
READ_MODELS.append(ClockProjection)
READ_MODELS.append(ClueProjection)
READ_MODELS.append(StatisticsProjection)
READ_MODELS.append(ProgressProjection)
READ_MODELS.append(AudienceProjection)
READ_MODELS.append(FileReferenceProjection)
READ_MODELS.append(AccountProjection)
# after the ledger: it counts the issue rows the ledger has just written, comparing them
# with its own snapshot, so it may be rebuilt alone (ADR 0060)
READ_MODELS.append(DashboardCountsProjection)


def read_tables() -> list[str]:
    return [table for model in READ_MODELS for table in model.TABLES]


class UnknownReadModel(ValueError):
    pass


def model_name(model: type[ReadModel]) -> str:
    explicit = getattr(model, "NAME", None)
    if isinstance(explicit, str):
        return explicit
    stem = model.__name__.removesuffix("Projection")
    return re.sub(r"(?<!^)(?=[A-Z])", "_", stem).lower()


def model_names() -> list[str]:
    return [model_name(model) for model in READ_MODELS]


def read_model(name: str) -> type[ReadModel]:
    for model in READ_MODELS:
        if model_name(model) == name:
            return model
    known = ", ".join(model_names())
    raise UnknownReadModel(
        f"未知的读模型 {name!r}，可选：{known} / unknown read model {name!r}; known: {known}"
    )
