"""How every process builds its application: the one place that wires the stored calendar
and the clock settings.

The commands compute due dates (a referral's claim, a clue's reply, a statutory step) with
`RectifyApp.calendar_source`. A bare RectifyApp falls back to the years loaded in the event
store and Monday–Friday elsewhere, which misses every holiday and 调休 working weekend of
the package's years. So the API, the worker, the dispatcher, the notifier and each CLI
command build theirs here, explicitly, instead of relying on an import's side effect
(ADR 0023). The clock settings (RECTIFY_REMINDER_WORKING_DAYS) come with it, so that the
worker, the dispatcher, the API and the CLI ring and show the same ladder.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import TYPE_CHECKING

from domain.application import RectifyApp
from domain.clock_settings import ClockSettings
from infrastructure.stored_calendar import StoredCalendar
from rectify.settings import Settings

if TYPE_CHECKING:
    from api.config import ApiConfig
    from api.oidc_sign_in import OidcSignIn
    from api.sessions import Limits
    from api.tokens import TokenVerifier
    from rectify.housekeeping import Retention
    from rectify.runtime import Database


def wire_domain() -> None:
    """What the domain takes from outside: the lunar calendar, for deadlines written as
    "before Spring Festival" (domain.deadlines)."""
    from domain.deadlines import use_lunar_calendar
    from infrastructure.calendar_data import lunar_to_solar

    use_lunar_calendar(lunar_to_solar)


def clock_settings(settings: Settings) -> ClockSettings:
    return ClockSettings(reminder_working_days=settings.reminder_working_days)


def rectify_app(es_env: Mapping[str, str], settings: Settings | None = None) -> RectifyApp:
    """The application on the clocks' calendar (loaded years, package data, the rule) and
    the clock settings of the environment (`settings`, else read from it)."""
    wire_domain()
    clocks = clock_settings(settings if settings is not None else Settings())
    return RectifyApp(env=es_env, calendar_source=StoredCalendar, clock_settings=clocks)


def api_config(settings: Settings, db: Database) -> ApiConfig:
    """The HTTP server's configuration, as `rectify serve` runs it."""
    from api.config import ApiConfig
    from api.hygiene import parse_origins
    from rectify.roles import temporal_address
    from rectify.tracing import tracing_enabled

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
        max_export_rows=settings.max_export_rows,
        cors_origins=parse_origins(settings.cors_origins),
        persisted_queries=settings.persisted_queries,
        verifier=verifier_from_settings(settings),
        make_app=rectify_app,
        oidc_sign_in=oidc_sign_in(settings),
        sign_ins_per_minute=settings.sign_ins_per_minute,
        session_limits=session_limits(settings),
        temporal_address=temporal_address(settings),
        ready_max_lag_events=settings.ready_max_lag_events,
        traced=tracing_enabled(),
    )


def session_limits(settings: Settings) -> Limits:
    from api.sessions import Limits

    return Limits(
        idle=timedelta(minutes=settings.session_idle_minutes),
        absolute=timedelta(hours=settings.session_absolute_hours),
    )


def retention(settings: Settings) -> Retention:
    """How long the API's leftovers are kept (rectify/housekeeping.py)."""
    from rectify.housekeeping import Retention

    days = settings.sign_in_log_days
    return Retention(timedelta(days=days) if days else None, session_limits(settings))


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


def verifier_from_settings(settings: Settings) -> TokenVerifier:
    """The bearer-token verifier the settings configure (OIDC, or the shared secret)."""
    from api.tokens import ClaimNames, build_verifier

    return build_verifier(
        settings.jwt_secret,
        settings.oidc_jwks_url,
        settings.oidc_issuer,
        settings.oidc_audience,
        settings.oidc_leeway_seconds,
        ClaimNames(
            settings.oidc_role_claim,
            settings.oidc_agency_id_claim,
            settings.oidc_agency_name_claim,
            settings.oidc_region_claim,
        ),
    )
