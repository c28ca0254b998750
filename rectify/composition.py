"""How every process builds its application: the one place that wires the stored calendar.

The commands compute due dates (a referral's claim, a clue's reply, a statutory step) with
`RectifyApp.calendar_source`. A bare RectifyApp falls back to the years loaded in the event
store and Monday–Friday elsewhere, which misses every holiday and 调休 working weekend of
the package's years. So the API, the worker, the dispatcher, the notifier and each CLI
command build theirs here, explicitly, instead of relying on an import's side effect
(ADR 0023).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import TYPE_CHECKING

from domain.application import RectifyApp
from workflows.calendars import StoredCalendar

if TYPE_CHECKING:
    from api.config import ApiConfig
    from api.oidc_sign_in import OidcSignIn
    from rectify.runtime import Database
    from rectify.settings import Settings


def wire_domain() -> None:
    """What the domain takes from outside: the lunar calendar, for deadlines written as
    "before Spring Festival" (domain.deadlines)."""
    from domain.deadlines import use_lunar_calendar
    from rectify.calendar_data import lunar_to_solar

    use_lunar_calendar(lunar_to_solar)


def rectify_app(es_env: Mapping[str, str]) -> RectifyApp:
    """The application on the clocks' calendar: loaded years, package data, the rule."""
    wire_domain()
    return RectifyApp(env=es_env, calendar_source=StoredCalendar)


def api_config(settings: Settings, db: Database) -> ApiConfig:
    """The HTTP server's configuration, as `rectify serve` runs it."""
    from api.config import ApiConfig
    from api.hygiene import parse_origins
    from api.sessions import Limits
    from api.tokens import verifier_from_settings

    return ApiConfig(
        db.url,
        db.schema,
        db.es_env,
        settings.jwt_secret,
        settings.timezone,
        production=settings.production,
        max_body_bytes=settings.max_body_bytes,
        max_file_bytes=settings.max_file_bytes,
        mutations_per_minute=settings.mutations_per_minute,
        cors_origins=parse_origins(settings.cors_origins),
        persisted_queries=settings.persisted_queries,
        verifier=verifier_from_settings(settings),
        make_app=rectify_app,
        oidc_sign_in=oidc_sign_in(settings),
        session_limits=Limits(
            idle=timedelta(minutes=settings.session_idle_minutes),
            absolute=timedelta(hours=settings.session_absolute_hours),
        ),
    )


def oidc_sign_in(settings: Settings) -> OidcSignIn | None:
    """Browser sign-in through the OIDC provider, when the issuer, a client id and the
    callback address are all set."""
    from api.oidc_sign_in import OidcSignIn

    if not (settings.oidc_issuer and settings.oidc_client_id and settings.oidc_redirect_url):
        return None
    return OidcSignIn(
        settings.oidc_issuer,
        settings.oidc_client_id,
        settings.oidc_redirect_url,
        client_secret=settings.oidc_client_secret or None,
        username_claim=settings.oidc_username_claim,
        leeway_seconds=settings.oidc_leeway_seconds,
    )
