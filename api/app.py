"""The starlette application: /graphql behind a bearer token or a session cookie, the
sign-in routes (/auth/…), /healthz (alive), /readyz (ready for traffic), /metrics, and the
workbench (api/workbench.py)."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio.to_thread
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Gauge,
    generate_latest,
)
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route, WebSocketRoute, request_response
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL

from api.case_files import download as download_case_file
from api.config import ApiConfig
from api.export import export
from api.files import body_limit, download, upload
from api.freshness import PositionWaiter
from api.graphql_view import MIN_POSITION_HEADER, RectifyGraphQL
from api.hygiene import LimitMutations, content_security_policy, middleware
from api.ledger_upload import BODY_LIMIT as LEDGER_BODY_LIMIT
from api.ledger_upload import import_ledger, preview
from api.live import ChangeFeed
from api.observability import REQUEST_ID_HEADER, ObserveRequests
from api.oidc_sign_in import oidc_callback, oidc_login, sign_in_options
from api.outages import (
    CONNECTION_ERRORS,
    MESSAGE,
    AnswerOutages,
    DatabaseWatch,
)
from api.persisted import persisted_only
from api.prepared_queries import PreparedQueries
from api.rate_limits import SharedWindow
from api.readiness import readiness
from api.schema import build_schema, production_schema, schema
from api.session_auth import RequireSignIn
from api.sign_in import current_session, login, logout
from api.tokens import SecretVerifier
from api.workbench import workbench_routes
from domain.application import RectifyApp
from projections import parked, queries, status
from projections.runner import connect, ensure_schema
from workflows.clock_faults import clock_faults

__all__ = ["ApiConfig", "create_app"]


def _create_tables(config: ApiConfig) -> None:
    conn = connect(config.database_url, config.schema)
    try:
        ensure_schema(conn, config.schema)
    finally:
        conn.close()


def _thread_limit(es_env: dict[str, str]) -> int:
    """As many command threads as the event store's psycopg pool has connections."""
    size = int(es_env.get("POSTGRES_POOL_SIZE", "5"))
    return size + int(es_env.get("POSTGRES_MAX_OVERFLOW", "10"))


def create_app(config: ApiConfig) -> Starlette:
    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await run_in_threadpool(_create_tables, config)
        anyio.to_thread.current_default_thread_limiter().total_tokens = _thread_limit(config.es_env)
        app.state.config = config
        app.state.verifier = verifier
        app.state.sign_ins = SharedWindow(
            "sign-ins", config.sign_ins_per_minute, clock=config.clock
        )
        make_app = config.make_app or (lambda env: RectifyApp(env=env))
        app.state.rectify = await run_in_threadpool(make_app, config.es_env)
        app.state.pool = await queries.create_pool(config.database_url, config.schema)
        app.state.database_watch = DatabaseWatch(app.state.pool)
        app.state.database_watch.start()
        app.state.feed = ChangeFeed(config.database_url, config.schema)
        app.state.fresh = PositionWaiter(app.state.pool)
        app.state.feed.watchers.append(app.state.fresh.heard)  # read-your-writes waits
        await app.state.feed.start()
        try:
            yield
        finally:
            await app.state.feed.stop()
            await app.state.database_watch.stop()
            await app.state.pool.close()
            await run_in_threadpool(app.state.rectify.close)

    async def healthz(request: Request) -> Response:
        try:
            position = await queries.position(request.app.state.pool)
        except CONNECTION_ERRORS:
            await request.app.state.database_watch.suspect()
            return JSONResponse(
                {"ok": False, "database": "unavailable", "message": MESSAGE},
                status_code=503,
                headers={"Retry-After": "5"},
            )
        return JSONResponse({"ok": True, "projection_position": position})

    async def readyz(request: Request) -> Response:
        """503 naming each cause while PostgreSQL or Temporal cannot be reached or the read
        tables lag the log by more than the configured number of events."""
        found = await readiness(
            request.app.state.pool, config.temporal_address, config.ready_max_lag_events
        )
        if not found.ready:
            if "database" in found.problems:
                await request.app.state.database_watch.suspect()
            return JSONResponse(found.body(), status_code=503, headers={"Retry-After": "5"})
        return JSONResponse(found.body())

    registry = CollectorRegistry()
    head_gauge = Gauge(
        "rectify_log_head_position", "Position of the newest event in the log", registry=registry
    )
    lag_gauge = Gauge(
        "rectify_follower_lag_events",
        "Events of the log a follower has not processed yet",
        ["follower", "kind"],
        registry=registry,
    )

    parked_gauge = Gauge(
        "rectify_parked_events",
        "Events a follower set aside because it could not process them as stored",
        registry=registry,
    )

    faults_gauge = Gauge(
        "rectify_clock_faults",
        "Clocks that cannot run and wait for their item to change (workflows/clock_faults)",
        registry=registry,
    )
    database_gauge = Gauge(
        "rectify_database_up", "Whether PostgreSQL answered this scrape", registry=registry
    )

    async def metrics(request: Request) -> Response:
        """Prometheus text format; positions and lags only, nothing about any item. While
        the database is down the scrape still answers, with rectify_database_up 0."""
        pool = request.app.state.pool
        try:
            found = await status.log_status(pool)
            parked_count, _ = await parked.parked_events(pool, limit=0)
            faults = len(await clock_faults(pool))
        except CONNECTION_ERRORS:
            await request.app.state.database_watch.suspect()
            database_gauge.set(0)
        else:
            database_gauge.set(1)
            head_gauge.set(found.head)
            for follower in found.followers:
                lag_gauge.labels(follower.name, follower.kind).set(follower.lag)
            parked_gauge.set(parked_count)
            faults_gauge.set(faults)
        # the process-wide ones too: requests, commands, events appended (api/observability)
        body = generate_latest(registry) + generate_latest(REGISTRY)
        return Response(body, media_type=CONTENT_TYPE_LATEST)

    served = (
        build_schema(config.production, traced=True)
        if config.traced
        else production_schema
        if config.production
        else schema
    )
    graphql = RectifyGraphQL(
        served,
        graphql_ide=None,
        # not the legacy graphql-ws protocol: it lets a client start before connection_init
        subscription_protocols=(GRAPHQL_TRANSPORT_WS_PROTOCOL,),
    )
    # traced: every operation through strawberry's extensions, which make its spans
    http_graphql = graphql if config.traced else PreparedQueries(graphql, served)
    verifier = config.verifier or SecretVerifier(config.jwt_secret)
    window = SharedWindow("mutations", config.mutations_per_minute, clock=config.clock)
    limited = persisted_only(LimitMutations(http_graphql, window), config)
    upload_app, download_app = request_response(upload), request_response(download)
    export_app = request_response(export)
    preview_app, import_app = request_response(preview), request_response(import_ledger)
    csp = content_security_policy()
    return Starlette(
        routes=[
            # first: nearly every request is one, and each route before it is a regex tried
            Route("/graphql", AnswerOutages(RequireSignIn(limited, verifier))),
            Route("/healthz", healthz, methods=["GET"]),
            Route("/readyz", readyz, methods=["GET"]),
            Route("/metrics", metrics, methods=["GET"]),
            Route("/auth/login", AnswerOutages(request_response(login)), methods=["POST"]),
            Route(
                "/auth/session", AnswerOutages(request_response(current_session)), methods=["GET"]
            ),
            Route("/auth/logout", AnswerOutages(request_response(logout)), methods=["POST"]),
            Route("/auth/options", sign_in_options, methods=["GET"]),
            Route("/auth/oidc/login", AnswerOutages(request_response(oidc_login)), methods=["GET"]),
            Route(
                "/auth/oidc/callback",
                AnswerOutages(request_response(oidc_callback)),
                methods=["GET"],
            ),
            Route("/files", AnswerOutages(RequireSignIn(upload_app, verifier)), methods=["POST"]),
            Route(
                "/files/{sha256}",
                AnswerOutages(RequireSignIn(download_app, verifier)),
                methods=["GET"],
            ),
            Route(
                "/export/{list}.xlsx",
                AnswerOutages(RequireSignIn(export_app, verifier)),
                methods=["GET"],
            ),
            Route(
                "/ledger/preview",
                AnswerOutages(RequireSignIn(preview_app, verifier)),
                methods=["POST"],
            ),
            Route(
                "/ledger/import",
                AnswerOutages(RequireSignIn(import_app, verifier)),
                methods=["POST"],
            ),
            Route(
                "/case-files/{item_id}",
                AnswerOutages(RequireSignIn(request_response(download_case_file), verifier)),
                methods=["GET"],
            ),
            WebSocketRoute("/graphql", graphql),
            # last: the workbench answers `/` and any other GET path of its own
            *workbench_routes(config),
        ],
        # outermost: every answer, 413s and CORS refusals too, carries its request id
        middleware=[
            Middleware(ObserveRequests),
            *middleware(
                config.max_body_bytes,
                config.cors_origins,
                csp,
                [MIN_POSITION_HEADER, REQUEST_ID_HEADER],
                hsts=config.production,
                larger_bodies={
                    "/files": body_limit(config.max_file_bytes),
                    "/ledger/preview": LEDGER_BODY_LIMIT,
                    "/ledger/import": LEDGER_BODY_LIMIT,
                },
            ),
        ],
        lifespan=lifespan,
    )
