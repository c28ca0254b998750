"""The typed per-request context every resolver receives."""

from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cached_property
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

from starlette.requests import Request
from strawberry.dataloader import DataLoader

from api.auth import User
from api.config import ApiConfig
from api.provisional import provisional_years
from domain.application import RectifyApp
from projections import queries
from projections.rows import Pool


@dataclass
class Context:
    request: Request
    user: User
    pool: Pool
    app: RectifyApp
    config: ApiConfig
    websocket: bool = False  # a graphql-transport-ws connection (subscriptions only)
    # HTTP requests were verified before GraphQL ran; a websocket once connection_init was
    authenticated: bool = True
    connection_params: dict[str, Any] | None = None  # its connection_init payload
    today: date = field(init=False)

    def __post_init__(self) -> None:
        # "Overdue" is judged by the calendar of the campaign's time zone, once per request.
        self.today = datetime.now(ZoneInfo(self.config.timezone)).date()

    # The loaders are made when a resolver first asks: most requests (a dashboard, a work
    # queue page) use none of them, and making all three took about 6% of a
    # `{ __typename }` request's CPU under cProfile (ADR 0081).
    @cached_property
    def histories(self) -> DataLoader[UUID, list[Any]]:
        async def load(ids: list[UUID]) -> list[list[Any]]:
            found = await queries.histories(self.pool, ids)
            return [found[i] for i in ids]

        return DataLoader(load_fn=load)

    @cached_property
    def campaigns(self) -> DataLoader[UUID, Any]:
        async def load_campaigns(ids: list[UUID]) -> list[Any]:
            found = await queries.campaign_details(self.pool, ids)
            return [found.get(i) for i in ids]

        return DataLoader(load_fn=load_campaigns)

    @cached_property
    def provisional_years(self) -> DataLoader[int, bool]:  # api.provisional
        return provisional_years(self.app)
