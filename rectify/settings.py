"""All settings come from environment variables, read once into one object."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Literal
from urllib.parse import parse_qs, unquote, urlparse

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

if TYPE_CHECKING:
    from infrastructure.audit_keys import AuditKeys

DEV_JWT_SECRET = "rectify-local-development-secret-not-for-production"
# Published like the JWT secret: anyone can forge checkpoints with it (docs/decisions/0025).
DEV_AUDIT_KEY = "rectify-local-development-audit-key-not-for-production"
MIN_SIGN_IN_LOG_DAYS = 184  # the longest six calendar months (July to December)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="", extra="ignore")

    rectify_home: Path = Field(default=Path(".rectify"), alias="RECTIFY_HOME")
    database_url: str | None = Field(default=None, alias="DATABASE_URL")
    db_schema: str = Field(default="rectify", alias="RECTIFY_DB_SCHEMA")
    temporal_address: str | None = Field(default=None, alias="TEMPORAL_ADDRESS")
    temporal_port: int = Field(default=7233, alias="RECTIFY_TEMPORAL_PORT")
    temporal_namespace: str = Field(default="default", alias="TEMPORAL_NAMESPACE")
    task_queue: str = Field(default="rectify", alias="RECTIFY_TASK_QUEUE")
    http_host: str = Field(default="127.0.0.1", alias="RECTIFY_HTTP_HOST")
    http_port: int = Field(default=8000, alias="RECTIFY_HTTP_PORT")
    jwt_secret: str = Field(default=DEV_JWT_SECRET, alias="RECTIFY_JWT_SECRET")
    # OIDC: all three set switches tokens to RS256/ES256 from the provider's JWKS (HS256 refused)
    oidc_issuer: str | None = Field(default=None, alias="RECTIFY_OIDC_ISSUER")
    oidc_audience: str | None = Field(default=None, alias="RECTIFY_OIDC_AUDIENCE")
    oidc_jwks_url: str | None = Field(default=None, alias="RECTIFY_OIDC_JWKS_URL")
    oidc_leeway_seconds: float = Field(default=60, alias="RECTIFY_OIDC_LEEWAY_SECONDS")
    oidc_role_claim: str = Field(default="role", alias="RECTIFY_OIDC_ROLE_CLAIM")
    oidc_agency_id_claim: str = Field(default="agency_id", alias="RECTIFY_OIDC_AGENCY_ID_CLAIM")
    oidc_agency_name_claim: str = Field(
        default="agency_name", alias="RECTIFY_OIDC_AGENCY_NAME_CLAIM"
    )
    oidc_region_claim: str = Field(default="region", alias="RECTIFY_OIDC_REGION_CLAIM")
    # browser sign-in by the authorization-code flow with PKCE (api/oidc_sign_in.py): with
    # RECTIFY_OIDC_ISSUER, a registered client and this server's callback address
    oidc_client_id: str | None = Field(default=None, alias="RECTIFY_OIDC_CLIENT_ID")
    oidc_client_secret: str | None = Field(default=None, alias="RECTIFY_OIDC_CLIENT_SECRET")
    oidc_redirect_url: str | None = Field(default=None, alias="RECTIFY_OIDC_REDIRECT_URL")
    oidc_username_claim: str = Field(
        default="preferred_username", alias="RECTIFY_OIDC_USERNAME_CLAIM"
    )
    reminder_working_days: int = Field(default=3, alias="RECTIFY_REMINDER_WORKING_DAYS")
    timezone: str = Field(default="Asia/Shanghai", alias="RECTIFY_TIMEZONE")
    mode: Literal["development", "production"] = Field(default="development", alias="RECTIFY_MODE")
    audit_checkpoint_minutes: float = Field(default=10, alias="RECTIFY_AUDIT_CHECKPOINT_MINUTES")
    # keys the checkpoints' MAC; kept outside the database, needed only by the checkpoint
    # taker (`rectify projections`) and `rectify audit`, never by the API
    audit_key: str = Field(default=DEV_AUDIT_KEY, alias="RECTIFY_AUDIT_KEY")
    # docs/decisions/0064: keys by id, `ID:BASE64,...`, the first current; set, it replaces
    # RECTIFY_AUDIT_KEY, which then (if set) only verifies the checkpoints taken under it
    audit_keys: str = Field(default="", alias="RECTIFY_AUDIT_KEYS")
    max_body_bytes: int = Field(default=1024 * 1024, alias="RECTIFY_MAX_BODY_BYTES")
    max_file_bytes: int = Field(default=20 * 1024 * 1024, alias="RECTIFY_MAX_FILE_BYTES")
    mutations_per_minute: int = Field(default=300, alias="RECTIFY_MUTATIONS_PER_MINUTE")
    max_export_rows: int = Field(default=50_000, alias="RECTIFY_MAX_EXPORT_ROWS")
    cors_origins: str = Field(default="", alias="RECTIFY_CORS_ORIGINS")  # comma-separated
    persisted_queries: str | None = Field(default=None, alias="RECTIFY_PERSISTED_QUERIES")
    # web sessions (api/sessions.py): ended after this long unused, and this long after sign-in
    session_idle_minutes: float = Field(default=30, gt=0, alias="RECTIFY_SESSION_IDLE_MINUTES")
    sign_ins_per_minute: int = Field(default=30, ge=0, alias="RECTIFY_SIGN_INS_PER_MINUTE")
    session_absolute_hours: float = Field(default=12, gt=0, alias="RECTIFY_SESSION_ABSOLUTE_HOURS")
    # the 登录日志 is kept this many days, then pruned by `rectify projections` (ADR 0050);
    # 0 keeps it for ever. Never under six months: the Cybersecurity Law (art. 21) asks
    # network logs be kept no less than six months, and six months can be 184 days.
    sign_in_log_days: int = Field(default=365, alias="RECTIFY_SIGN_IN_LOG_DAYS")
    # Observability (docs/decisions/0056). A role's Prometheus port (`rectify worker |
    # dispatcher | notifier | projections`); unset: none. The API serves /metrics itself.
    metrics_port: int | None = Field(default=None, alias="RECTIFY_METRICS_PORT")
    # the worker's Temporal SDK metrics (its Rust core's Prometheus endpoint); unset: none
    temporal_metrics_port: int | None = Field(default=None, alias="RECTIFY_TEMPORAL_METRICS_PORT")
    # /readyz answers 503 while the slowest projection is more events behind than this
    ready_max_lag_events: int = Field(default=1000, ge=0, alias="RECTIFY_READY_MAX_LAG_EVENTS")

    @field_validator("sign_in_log_days")
    @classmethod
    def _six_months_at_least(cls, days: int) -> int:
        if days != 0 and days < MIN_SIGN_IN_LOG_DAYS:
            raise ValueError(
                f"登录日志至少保留 {MIN_SIGN_IN_LOG_DAYS} 天（六个月），0 为永久保留 / the sign-in "
                f"log is kept at least {MIN_SIGN_IN_LOG_DAYS} days (six months); 0 keeps it"
                " for ever"
            )
        return days

    @property
    def production(self) -> bool:
        return self.mode == "production"

    def production_problems(self) -> list[str]:
        """What makes these settings unfit for production (empty in development)."""
        if not self.production:
            return []
        problems = []
        oidc = [self.oidc_issuer, self.oidc_audience, self.oidc_jwks_url]
        if any(oidc) and not all(oidc):
            problems.append(
                "RECTIFY_OIDC_*: 需同时设置 ISSUER、AUDIENCE、JWKS_URL / set all three of "
                "RECTIFY_OIDC_ISSUER, RECTIFY_OIDC_AUDIENCE and RECTIFY_OIDC_JWKS_URL"
            )
        # with OIDC the secret is never used to verify, so it cannot be a weakness
        if not all(oidc) and (self.jwt_secret == DEV_JWT_SECRET or len(self.jwt_secret) < 32):
            problems.append(
                "RECTIFY_JWT_SECRET: 生产模式不得使用开发密钥，且至少 32 个字符 / production "
                "refuses the development secret and secrets shorter than 32 characters"
            )
        from domain.reporter_identity import IdentityKeys, KeyConfigurationError

        try:  # reporters' identities are encrypted with these: refuse to start without
            IdentityKeys.from_env()
        except KeyConfigurationError as error:
            problems.append(str(error))
        return problems

    def audit_keyring(self) -> AuditKeys:
        """The audit checkpoints' keys (docs/decisions/0064); AuditKeyError names a
        malformed entry. With RECTIFY_AUDIT_KEYS set, the unnamed RECTIFY_AUDIT_KEY joins
        only if it is set too: its default is published, and would verify forgeries."""
        from infrastructure.audit_keys import AuditKeys

        named = bool(self.audit_keys.strip())
        legacy = self.audit_key if not named or "audit_key" in self.model_fields_set else None
        return AuditKeys.parse(self.audit_keys, legacy)

    def audit_key_problems(self) -> list[str]:
        """What makes the audit keys unfit: a malformed RECTIFY_AUDIT_KEYS entry always; in
        production, the development key or one under 32 characters as RECTIFY_AUDIT_KEY.
        Checked by the processes that hold them (the checkpoint taker, `rectify audit`,
        `rectify run`, backup and restore), not by the API."""
        from infrastructure.audit_keys import AuditKeyError

        try:
            keys = self.audit_keyring()
        except AuditKeyError as error:
            return [error.message]
        legacy = keys.key(None)
        if (
            self.production
            and legacy is not None
            and (legacy == DEV_AUDIT_KEY.encode() or len(self.audit_key) < 32)
        ):
            return [
                "RECTIFY_AUDIT_KEY: 生产模式不得使用开发审计密钥，且至少 32 个字符 / production "
                "refuses the development audit key and keys shorter than 32 characters"
            ]
        return []


def eventsourcing_env(database_url: str, schema: str) -> dict[str, str]:
    """The POSTGRES_* variables the eventsourcing library reads, from one URL."""
    url = urlparse(database_url)
    query = parse_qs(url.query)
    host = query.get("host", [url.hostname or "127.0.0.1"])[0]
    return {
        "PERSISTENCE_MODULE": "eventsourcing.postgres",
        "POSTGRES_DBNAME": unquote(url.path.lstrip("/")) or "postgres",
        "POSTGRES_HOST": host,
        "POSTGRES_PORT": str(url.port or query.get("port", ["5432"])[0]),
        "POSTGRES_USER": unquote(url.username or "postgres"),
        "POSTGRES_PASSWORD": unquote(url.password or ""),
        "POSTGRES_SCHEMA": schema,
        "POSTGRES_POOL_SIZE": "4",
        # seconds to wait for a connection: an outage is reported, not waited out (api/outages)
        "POSTGRES_CONNECT_TIMEOUT": "3",
        "POSTGRES_MAX_OVERFLOW": "8",
        "CREATE_TABLE": "y",
        "APPLICATION_RECORDER_TOPIC": "infrastructure.event_store:ChunkedApplicationRecorder",
    }
