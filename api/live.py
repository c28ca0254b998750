"""Live updates (ADR 0021): GraphQL subscriptions over graphql-transport-ws, fed by the
projection runner's NOTIFY after each committed batch.

One listening connection per API process fans notices out to the subscribers' queues. A
notice says only that something changed (position, kinds); clients refetch their query,
so a subscription never carries item data. The token travels in `connection_init`
(`{"Authorization": "Bearer …"}` or `{"token": "…"}`), as browsers cannot set headers on a
websocket; nothing is served before it is verified, and a subscription ends when the
token expires.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncGenerator, AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import asyncpg
import strawberry
from graphql import GraphQLError
from strawberry.exceptions import ConnectionRejectionError
from strawberry.types import ExecutionContext
from strawberry.types.graphql import OperationType

from api.auth import InvalidToken, User
from api.authz import notices
from domain.messages import says
from projections.changes import channel

log = logging.getLogger("rectify.api")
QUEUE_SIZE = 100  # a slow client loses surplus notices, not the process its memory
RECONNECT_SECONDS = (0.5, 1.0, 2.0, 5.0)  # backoff of the listening connection
# Every kind with rows in `workQueue` (api/work_queue.py): a report owed is one too.
QUEUE_KINDS = {"referral", "issue", "clue", "case_transfer", "discipline_transfer", "report"}


@dataclass(frozen=True)
class Notice:
    position: int
    kinds: tuple[str, ...]
    agencies: tuple[str, ...] | None  # None: concerns every agency


def parse(payload: str) -> Notice:
    body = json.loads(payload)
    agencies = body.get("agencies")
    return Notice(
        int(body["position"]),
        tuple(body.get("kinds") or ()),
        None if agencies is None else tuple(agencies),
    )


def concerns(notice: Notice, user: User) -> bool:
    """Whether `user` is told of `notice` (api/authz/notices.py)."""
    return notices.concerns(user, notice.agencies)


class ChangeFeed:
    """LISTENs on the schema's channel and hands each notice to every subscriber.

    NOTIFY is not durable: while the listening connection is down, notices are lost. So
    the feed reconnects with backoff and, once listening again, tells every subscriber
    that anything may have changed (agencies None, every kind), and they refetch.
    """

    def __init__(self, database_url: str, schema: str) -> None:
        self.database_url = database_url
        self.channel = channel(schema)
        self.subscribers: set[asyncio.Queue[Notice]] = set()
        # Told of every notice first (api/freshness.py: requests waiting for a position).
        self.watchers: list[Callable[[Notice], None]] = []
        self.listening = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._conn: Any = None
        self._lost: asyncio.Event | None = None

    async def start(self) -> None:
        """Listen before returning (the first attempt's error is raised: a wrong database
        URL should stop the API at start-up), then keep listening in the background."""
        await self._listen()
        self._task = asyncio.create_task(self._keep_listening())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await self._close()

    async def _listen(self) -> None:
        lost = asyncio.Event()
        conn = await asyncpg.connect(self.database_url)
        conn.add_termination_listener(lambda _conn: lost.set())
        await conn.add_listener(self.channel, self._received)
        self._conn, self._lost = conn, lost
        self.listening.set()

    async def _close(self) -> None:
        self.listening.clear()
        if self._conn is not None:
            with contextlib.suppress(Exception):
                await self._conn.close()
            self._conn = None

    async def _keep_listening(self) -> None:
        while True:
            assert self._lost is not None
            await self._lost.wait()
            log.warning("live updates: listening connection lost, reconnecting")
            await self._close()
            for attempt in range(10**9):
                await asyncio.sleep(RECONNECT_SECONDS[min(attempt, len(RECONNECT_SECONDS) - 1)])
                try:
                    await self._listen()
                    break
                except (OSError, asyncpg.PostgresError):
                    continue
            self.broadcast(Notice(0, (), None))  # notices may have been missed: refetch

    def _received(self, _conn: Any, _pid: int, _channel: str, payload: str) -> None:
        try:
            found = parse(payload)
        except (ValueError, KeyError, TypeError):
            log.warning("unreadable change notice ignored")
            return
        self.broadcast(found)

    def broadcast(self, found: Notice) -> None:
        for watcher in self.watchers:
            watcher(found)
        for queue in list(self.subscribers):
            if queue.full():
                with contextlib.suppress(asyncio.QueueEmpty):
                    queue.get_nowait()  # drop the oldest: the newest tells the same
            queue.put_nowait(found)

    @contextlib.asynccontextmanager
    async def subscribe(self) -> AsyncIterator[asyncio.Queue[Notice]]:
        queue: asyncio.Queue[Notice] = asyncio.Queue(QUEUE_SIZE)
        self.subscribers.add(queue)
        try:
            yield queue
        finally:
            self.subscribers.discard(queue)


def bearer_of(params: dict[str, Any]) -> str:
    """The token of a `connection_init` payload, in either accepted shape."""
    header = params.get("Authorization") or params.get("authorization")
    if isinstance(header, str):
        scheme, _, token = header.partition(" ")
        if scheme.lower() == "bearer" and token.strip():
            return token.strip()
    given = params.get("token")
    if isinstance(given, str) and given.strip():
        return given.strip()
    raise InvalidToken(says("missing_token_on_connect"))


async def authenticate(context: Any, verifier: Any) -> None:
    """Verify the token of `connection_init` and make it the connection's user."""
    try:
        context.user = await verifier.verify(bearer_of(context.connection_params or {}))
    except InvalidToken:
        raise ConnectionRejectionError() from None
    context.authenticated = True


def subscriptions_only_over_websockets(execution: ExecutionContext) -> None:
    """Before execution: queries and mutations go through the HTTP endpoint, with its size
    and rate limits and its persisted-query list; a websocket serves subscriptions only."""
    context = execution.context
    operation = execution.operation_type
    if getattr(context, "websocket", False) and operation is not OperationType.SUBSCRIPTION:
        raise GraphQLError("websocket: subscriptions only / 仅支持订阅")


@strawberry.type(description="数据已变化，请重新查询 / something changed: refetch")
class ChangeNotice:
    position: int = strawberry.field(
        description="日志位置，读表至少已到此处；0：可能漏收了通知，请全部重新查询 / the log "
        "position the read tables have reached; 0: notices may have been missed, refetch all"
    )
    kinds: list[str] = strawberry.field(
        description="变化的事项类型（issue referral clue case_transfer discipline_transfer "
        "notification report …）；空：全部 / the item kinds changed; empty: any"
    )


def _seconds_left(user: User) -> float | None:
    if user.expires_at is None:
        return None
    return (user.expires_at - datetime.now(UTC)).total_seconds()


async def _follow(
    info: Any, wanted: set[str] | None, everyone: bool = False
) -> AsyncGenerator[ChangeNotice, None]:
    """Notices of the `wanted` kinds (None: all); `everyone`: not only the caller's
    agency's items (the dashboard's figures are the whole campaign's)."""
    context = info.context
    if not getattr(context, "authenticated", False):
        raise GraphQLError("需要有效的登录令牌 / unauthenticated")
    user: User = context.user
    feed: ChangeFeed = context.request.app.state.feed
    async with feed.subscribe() as queue:
        while True:
            left = _seconds_left(user)
            if left is not None and left <= 0:
                raise GraphQLError("令牌已过期，请重新连接 / token expired: reconnect")
            try:
                found = await asyncio.wait_for(queue.get(), left)
            except TimeoutError:
                continue  # expiry is checked at the top of the loop
            if not everyone and not concerns(found, user):
                continue
            if wanted is not None and found.kinds and not wanted & set(found.kinds):
                continue
            yield ChangeNotice(position=found.position, kinds=list(found.kinds))


@strawberry.type
class Subscription:
    @strawberry.subscription(
        description="工作队列变化 / the caller's work queue may have changed (a liaison: "
        "only changes of items that concern its own agency)"
    )
    async def queue_changed(self, info: strawberry.Info) -> AsyncGenerator[ChangeNotice, None]:
        async for found in _follow(info, QUEUE_KINDS):
            yield found

    @strawberry.subscription(
        description="看板数据变化 / dashboard figures may have changed (any change of the read "
        "side, for every role: the figures are the whole campaign's)"
    )
    async def dashboard_changed(self, info: strawberry.Info) -> AsyncGenerator[ChangeNotice, None]:
        async for found in _follow(info, None, everyone=True):
            yield found
