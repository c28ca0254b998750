"""What the API process needs to know, passed in by the composition root."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from api.sessions import Limits

if TYPE_CHECKING:
    from api.oidc_sign_in import OidcSignIn
    from api.tokens import TokenVerifier
    from domain.application import RectifyApp


@dataclass
class ApiConfig:
    database_url: str
    schema: str
    es_env: dict[str, str]
    jwt_secret: str
    timezone: str = "Asia/Shanghai"
    production: bool = False  # introspection off
    max_body_bytes: int = 1024 * 1024  # larger request bodies are answered 413
    max_file_bytes: int = 20 * 1024 * 1024  # larger evidence files are answered 413
    max_export_rows: int = 50_000  # longer lists are refused by /export (api/export.py)
    mutations_per_minute: int = 300  # per token subject, across API processes; 0: no limit
    cors_origins: tuple[str, ...] = ()  # none: no CORS headers at all
    # the rate limits' clock in epoch seconds; None: the database's (api/rate_limits.py)
    clock: Callable[[], float] | None = None
    persisted_queries: str | None = None  # production allow-list file; None: the checked-in one
    verifier: TokenVerifier | None = None  # OIDC/JWKS when set; None: HS256 with jwt_secret
    # How the process builds its application: rectify.composition wires the stored calendar
    # (`rectify serve`); None, a bare RectifyApp (tests that bring no calendar).
    make_app: Callable[[dict[str, str]], RectifyApp] | None = None
    # Web sessions (api/sessions.py): idle and absolute expiry, and the wall clock they are
    # judged by (tests move it instead of waiting).
    session_limits: Limits = field(default_factory=Limits)
    now: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
    # Sign-in attempts per client address, across API processes, in any 60 s (429); 0: none
    sign_ins_per_minute: int = 30
    # Browser sign-in through an OIDC provider (api/oidc_sign_in.py); None: passwords only.
    oidc_sign_in: OidcSignIn | None = None
    # The built workbench (web/, `make web`); None: api/web_dist when it has been built.
    web_dist: str | None = None
    # /readyz (api/readiness.py): Temporal's frontend, host:port; None: not checked
    temporal_address: str | None = None
    # /readyz answers 503 while the slowest projection is more events behind the log than this
    ready_max_lag_events: int = 1000
    # a span per GraphQL operation and resolver (rectify/tracing.py); off: none
    traced: bool = False
