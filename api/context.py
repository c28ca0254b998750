"""The typed per-request context every resolver receives."""

from dataclasses import dataclass, field
from datetime import date, datetime
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
    histories: DataLoader[UUID, list[Any]] = field(init=False)
    campaigns: DataLoader[UUID, Any] = field(init=False)
    provisional_years: DataLoader[int, bool] = field(init=False)  # api.provisional

    def __post_init__(self) -> None:
        # "Overdue" is judged by the calendar of the campaign's time zone, once per request.
        self.today = datetime.now(ZoneInfo(self.config.timezone)).date()

        async def load(ids: list[UUID]) -> list[list[Any]]:
            found = await queries.histories(self.pool, ids)
            return [found[i] for i in ids]

        self.histories = DataLoader(load_fn=load)

        async def load_campaigns(ids: list[UUID]) -> list[Any]:
            found = await queries.campaign_details(self.pool, ids)
            return [found.get(i) for i in ids]

        self.campaigns = DataLoader(load_fn=load_campaigns)
        self.provisional_years = provisional_years(self.app)
