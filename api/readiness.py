"""Is this API process ready to take traffic (/readyz)? PostgreSQL answers, Temporal's
frontend accepts a connection, and the read tables are not too far behind the log. /healthz
says only that the process is alive; a load balancer routes by this one."""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass
from typing import Any

from api.outages import CONNECTION_ERRORS
from projections import status

CONNECT_SECONDS = 2.0

NOT_READY = {
    "database": "PostgreSQL 不可用 / PostgreSQL is unreachable",
    "temporal": "Temporal 不可达 / Temporal is unreachable",
    "projection_lag": "读表落后于事件日志过多 / the read tables are too far behind the event log",
}


@dataclass(frozen=True)
class Readiness:
    problems: dict[str, str]  # cause: bilingual message, empty when ready
    projection_lag: int | None

    @property
    def ready(self) -> bool:
        return not self.problems

    def body(self) -> dict[str, Any]:
        return {
            "ready": self.ready,
            "not_ready": sorted(self.problems),
            "messages": [self.problems[cause] for cause in sorted(self.problems)],
            "projection_lag": self.projection_lag,
        }


async def temporal_reachable(address: str) -> bool:
    """A TCP connection to the frontend: enough to tell a stopped or unreachable server,
    without a gRPC client in every API process."""
    host, _, port = address.rpartition(":")
    try:
        _, writer = await asyncio.wait_for(
            asyncio.open_connection(host.strip("[]") or "127.0.0.1", int(port)),
            CONNECT_SECONDS,
        )
    except (OSError, TimeoutError, ValueError):
        return False
    writer.close()
    with contextlib.suppress(OSError):
        await writer.wait_closed()
    return True


def projection_lag(found: status.LogStatus) -> int:
    """Events the slowest projection has not applied; the whole log when none ran yet."""
    lags = [follower.lag for follower in found.followers if follower.kind == "projection"]
    return max(lags) if lags else found.head


async def readiness(pool: Any, temporal_address: str | None, max_lag: int) -> Readiness:
    problems: dict[str, str] = {}
    lag: int | None = None
    try:
        lag = projection_lag(await status.log_status(pool))
    except CONNECTION_ERRORS:
        problems["database"] = NOT_READY["database"]
    if lag is not None and lag > max_lag:
        problems["projection_lag"] = (
            f"{NOT_READY['projection_lag']} ({lag} > {max_lag}, RECTIFY_READY_MAX_LAG_EVENTS)"
        )
    if temporal_address is not None and not await temporal_reachable(temporal_address):
        problems["temporal"] = f"{NOT_READY['temporal']} ({temporal_address})"
    return Readiness(problems, lag)
