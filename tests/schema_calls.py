"""Counting what a test's requests ran through `RectifySchema` (api/schema.py)."""

from __future__ import annotations

from typing import Any

import pytest

from api.schema import RectifySchema


def operations_run_by(monkeypatch: pytest.MonkeyPatch, method: str) -> list[str]:
    """The operation name of each call of `RectifySchema.<method>` (a coroutine taking the
    prepared query first), in order, while the test runs; "" for an anonymous one."""
    ran: list[str] = []
    original = getattr(RectifySchema, method)

    async def counted(self: RectifySchema, prepared: Any, *args: Any) -> Any:
        ran.append(prepared.operation_name or "")
        return await original(self, prepared, *args)

    monkeypatch.setattr(RectifySchema, method, counted)
    return ran
