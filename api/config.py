"""What the API process needs to know, passed in by the composition root."""

from __future__ import annotations

import time
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
    mutations_per_minute: int = 300  # per token subject and API process; 0: no limit
    cors_origins: tuple[str, ...] = ()  # none: no CORS headers at all
    clock: Callable[[], float] = time.monotonic  # the rate limit's clock, injected by tests
    persisted_queries: str | None = None  # production allow-list file; None: the checked-in one
    verifier: TokenVerifier | None = None  # OIDC/JWKS when set; None: HS256 with jwt_secret
    # How the process builds its application: rectify.composition wires the stored calendar
    # (`rectify serve`); None, a bare RectifyApp (tests that bring no calendar).
    make_app: Callable[[dict[str, str]], RectifyApp] | None = None
    # Web sessions (api/sessions.py): idle and absolute expiry, and the wall clock they are
    # judged by (tests move it instead of waiting).
    session_limits: Limits = field(default_factory=Limits)
    now: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
    # Browser sign-in through an OIDC provider (api/oidc_sign_in.py); None: passwords only.
    oidc_sign_in: OidcSignIn | None = None
    # The built workbench (web/, `make web`); None: api/web_dist when it has been built.
    web_dist: str | None = None
