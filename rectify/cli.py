"""The `rectify` command: the one composition root that wires domain, workflows,
projections and api into processes."""

from __future__ import annotations

import asyncio
import gc
import sys
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from rich.table import Table

from rectify.audit_cli import audit_app, checkpointing
from rectify.backup_cli import backup, restore
from rectify.calendar_cli import calendar_app
from rectify.campaign_cli import campaign_app
from rectify.cli_text import name_text
from rectify.clue_cli import clue_app
from rectify.notification_cli import notifications_app, notifier
from rectify.policy_cli import policy_app
from rectify.referral_cli import referral_app
from rectify.reporting_cli import reporting_app
from rectify.roles import checked_settings, on_a_thread, run_follower, run_role, temporal_address
from rectify.runtime import Database, NoDatabase, database
from rectify.settings import Settings
from rectify.user_cli import user_app

if TYPE_CHECKING:
    from domain.ledger_rows import RowProblem

app = typer.Typer(
    help="Rectify：医疗领域专项整治多部门协同系统 / multi-agency rectification workflow.",
    no_args_is_help=True,
    add_completion=False,
)
agency_app = typer.Typer(help="机构管理 / manage agencies.", no_args_is_help=True)
app.add_typer(agency_app, name="agency")
app.add_typer(calendar_app, name="calendar")
app.add_typer(campaign_app, name="campaign")
app.add_typer(policy_app, name="policy")
app.add_typer(notifications_app, name="notifications")
app.add_typer(reporting_app, name="report-duty")
app.command("notifier")(notifier)
app.add_typer(audit_app, name="audit")
app.add_typer(referral_app, name="referral")
app.add_typer(clue_app, name="clues")
app.add_typer(user_app, name="user")
app.command("backup")(backup)
app.command("restore")(restore)
out = Console()
err = Console(stderr=True)

ROLES = ("liaison", "investigator", "agency_head", "coordinator", "leadership", "auditor", "admin")
LARGE_FILE_ROWS = 100


def _progress() -> Progress:
    return Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), console=err
    )


def _rejected(problems: list[RowProblem], file: Path) -> NoReturn:
    for problem in sorted(problems, key=lambda p: p.row):  # one line each, never wrapped
        err.print(str(problem), markup=False, highlight=False, soft_wrap=True)
    err.print(
        f"未导入：{file} 中有 {len(problems)} 处问题 / nothing imported: {len(problems)} "
        f"problem(s) in {file}",
        soft_wrap=True,
    )
    raise typer.Exit(1)


@app.command("import-issues")
def import_issues(
    file: Path = typer.Argument(
        ..., help="台账文件 ledger file: .csv, .xlsx or .json", callback=name_text
    ),
    campaign: str = typer.Option(
        ..., "--campaign", help="专项行动名称 campaign title", callback=name_text
    ),
    create_agencies: bool = typer.Option(
        False, "--create-agencies", help="创建未知机构 create unknown agencies"
    ),
    actor: str = typer.Option("cli:import", help="recorded as who imported", callback=name_text),
    year: int | None = typer.Option(
        None,
        "--year",
        min=2000,
        max=2099,
        help="未写年份的时限按此年 year of deadlines written without one (6月底前); default:"
        " the campaign title's year, else the earliest year of the deadlines, else this year",
    ),
) -> None:
    """导入问题台账 / import a rectification ledger, all or nothing."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from domain.errors import DomainError
    from domain.ledger_rows import LedgerRejected
    from infrastructure.ledger_import import check_agencies, check_ledger, import_checked
    from rectify.composition import rectify_app, wire_domain

    wire_domain()  # deadlines such as 春节前 need the lunar calendar
    settings = Settings()
    this_year = datetime.now(ZoneInfo(settings.timezone)).year
    try:
        with _progress() as progress:
            task = progress.add_task("读取 reading", total=None, visible=False)

            def advance(done: int, total: int) -> None:
                if total >= LARGE_FILE_ROWS:
                    progress.update(task, completed=done, total=total, visible=True)

            checked = check_ledger(file, campaign, this_year=this_year, year=year, progress=advance)
    except LedgerRejected as rejected:
        _rejected(rejected.problems, file)
    with database(settings) as db:
        ledger = rectify_app(db.es_env)
        try:
            if not create_agencies:
                check_agencies(ledger, checked)
            if checked.problems:
                _rejected(checked.problems, file)
            with err.status(f"saving {len(checked.rows)} issues"):
                report = import_checked(
                    ledger,
                    checked,
                    campaign,
                    actor=actor,
                    source=file.name,
                    create_agencies=create_agencies,
                )
        except LedgerRejected as rejected:
            _rejected(rejected.problems, file)
        except DomainError as error:
            err.print(f"未导入 / nothing imported: {error}", markup=False)
            raise typer.Exit(1) from None
        finally:
            ledger.close()
    table = Table(title=f"{campaign}", show_header=False)
    table.add_row("新建问题 issues created", str(len(report.created)))
    table.add_row("已存在未变 already imported", str(len(report.unchanged)))
    table.add_row("新建机构 agencies created", str(len(report.agencies_created)))
    table.add_row("新建专项行动 campaign created", "yes" if report.campaign_created else "no")
    out.print(table)
    for name in report.agencies_created:  # in full: a table cell would cut the list short
        out.print(f"  新建机构 created agency: {name}", markup=False, highlight=False)
    for note in checked.notes:
        out.print(f"  注意 note: {note}", markup=False, highlight=False, soft_wrap=True)


@app.command()
def token(
    role: str = typer.Option(..., "--role", help="/".join(ROLES)),
    agency: str | None = typer.Option(None, "--agency", help="机构名称 agency name or alias"),
    subject: str | None = typer.Option(None, "--subject", help="user name (default: role@agency)"),
    hours: int = typer.Option(12, "--hours", min=1, max=24 * 30),
    region: str | None = typer.Option(
        None, "--region", help="领导所辖地区 leadership of this region only (e.g. 某某县)"
    ),
) -> None:
    """签发本地开发令牌 / print a JWT signed with the local development secret."""
    from api.auth import issue_token
    from rectify.composition import rectify_app

    if role not in ROLES:
        err.print(
            f"--role：须为 {'、'.join(ROLES)} 之一 / --role: must be one of {', '.join(ROLES)}"
        )
        raise typer.Exit(2)
    if role == "liaison" and not agency:
        err.print(
            "--agency：联络员代表一个单位，请写明 / --agency: a liaison acts for an agency; name it"
        )
        raise typer.Exit(2)
    if region is not None and role != "leadership":
        err.print("--region：只有领导可限定地区 / --region: only leadership is limited to a region")
        raise typer.Exit(2)
    settings = Settings()
    if settings.production:
        # production people sign in through the identity provider (or tokens an operator
        # issues on purpose): a one-line mint for any role would bypass it
        err.print(
            "生产模式下不签发令牌 / `rectify token` refuses to mint tokens in production mode "
            "(RECTIFY_MODE=production)",
            markup=False,
        )
        raise typer.Exit(2)
    agency_id = agency_name = None
    if agency:
        with database(settings) as db:
            ledger = rectify_app(db.es_env)
            try:
                found = ledger.find_agency(agency)
                if found is None:
                    err.print(
                        f"--agency：未知单位'{agency}' / --agency: unknown agency '{agency}'",
                        markup=False,
                    )
                    raise typer.Exit(2)
                agency_id, agency_name = str(found), ledger.get_agency(found).name
            finally:
                ledger.close()
    name = subject or (f"{role}@{agency_name}" if agency_name else role)
    print(
        issue_token(
            settings.jwt_secret, role, agency_id, agency_name, name, ttl_hours=hours, region=region
        )
    )


@app.command("rebuild-projections")
def rebuild_projections(
    model: str | None = typer.Option(
        None, "--model", help="只重建这一个读模型 / rebuild this read model only (default: all)"
    ),
) -> None:
    """从事件日志重建读模型 / rebuild the read tables from the event log."""
    from projections import rebuild_projections as rebuild
    from projections.registry import UnknownReadModel, read_model

    if model is not None:
        try:  # refused before any database work, listing the names that exist
            read_model(model)
        except UnknownReadModel as error:
            err.print(str(error), markup=False, soft_wrap=True)
            raise typer.Exit(1) from None
    settings = Settings()
    with database(settings) as db, _progress() as progress:
        task = progress.add_task(f"重建 rebuilding {model or 'all'}", total=None)

        def advance(done: int, total: int) -> None:
            progress.update(task, completed=done, total=total)

        count = rebuild(db.es_env, db.url, db.schema, advance, model=model)
    out.print(f"rebuilt {model or 'all read models'} from {count} events")


@app.command("settings-reference")
def settings_reference() -> None:
    """配置参考 / print the configuration reference (Markdown) generated from the settings:
    `rectify settings-reference > docs/configuration.md`."""
    from rectify.settings_reference import reference

    sys.stdout.write(reference())


@app.command("persisted-queries")
def persisted_queries(
    add: list[Path] = typer.Option(
        [], "--add", help="再登记一个 .graphql 文档 / also allow this document (repeatable)"
    ),
) -> None:
    """打印生产模式的查询白名单 / print the production allow-list of GraphQL documents.

    The pages' documents, plus those given with --add. Without --add this is the checked-in
    api/persisted_queries.json; with --add write it to a file and point
    RECTIFY_PERSISTED_QUERIES at it."""
    from graphql import GraphQLError

    from api.persisted import pages_allow_list, render

    extra = [path.read_text(encoding="utf-8") for path in add]
    try:
        allowed = pages_allow_list(extra)
    except GraphQLError as error:
        err.print(f"不是有效的 GraphQL 文档 / not a valid GraphQL document: {error}", markup=False)
        raise typer.Exit(1) from None
    sys.stdout.write(render(allowed))


@agency_app.command("add")
def agency_add(
    name: str = typer.Argument(..., callback=name_text),
    alias: list[str] = typer.Option(
        [], "--alias", help="别名 other spellings (repeatable)", callback=name_text
    ),
    level: str = typer.Option(
        "", "--level", help="national/province/city/county", callback=name_text
    ),
    parent: str | None = typer.Option(None, "--parent", callback=name_text),
    group: bool = typer.Option(False, "--group", help="机构组 a group standing for agencies"),
    region: str | None = typer.Option(
        None, "--region", help="所属地区 region its figures count in", callback=name_text
    ),
    member: list[str] = typer.Option(
        [], "--member", help="成员单位 a group's member (repeatable)", callback=name_text
    ),
) -> None:
    """登记机构 / register an agency (or add aliases, a region or group members)."""
    from domain.agencies import AgencyKind
    from domain.errors import DomainError
    from rectify.composition import rectify_app

    with database(Settings()) as db:
        ledger = rectify_app(db.es_env)
        try:
            # Every member must exist before anything is written: no half-filled group.
            found = {m: ledger.find_agency(m) for m in member}
            unknown = [m for m, agency in found.items() if agency is None]
            if unknown:
                err.print(
                    "未知单位：" + "、".join(unknown) + "，请先用 `rectify agency add` 添加"
                    " / unknown agency: " + "、".join(unknown)
                    + "; add it first with `rectify agency add`",
                    markup=False, soft_wrap=True,
                )  # fmt: skip
                raise typer.Exit(1)
            existing = ledger.find_agency(name)
            if member and existing and ledger.get_agency(existing).kind is AgencyKind.AGENCY:
                err.print(f"--member: {name} 不是单位组 / is an agency, not a group", markup=False)
                raise typer.Exit(1)
            result = ledger.register_agency(
                name,
                actor="cli:agency",
                kind=AgencyKind.GROUP if group or member else None,
                level=level,
                parent=parent,
                aliases=tuple(alias),
                region=region,
            )
            added = [
                m
                for m, agency in found.items()
                if agency is not None
                and ledger.add_group_member(result.id, agency, "cli:agency").changed
            ]
        except DomainError as error:
            err.print(str(error), markup=False)
            raise typer.Exit(1) from None
        finally:
            ledger.close()
    changed = result.changed or bool(added)
    out.print(f"{result.id}  {'registered' if changed else 'unchanged'}")
    for shown in added:
        out.print(f"  新增成员 member added: {shown}", markup=False, highlight=False)


@agency_app.command("show")
def agency_show(name: str) -> None:
    """查看机构 / show an agency: its name as written, kind, aliases, region, members."""
    from domain.agencies import AgencyKind
    from rectify.composition import rectify_app

    with database(Settings()) as db:
        ledger = rectify_app(db.es_env)
        try:
            found = ledger.find_agency(name)
            if found is None:
                err.print(f"未知单位：{name} / unknown agency: {name}", markup=False)
                raise typer.Exit(1)
            agency = ledger.get_agency(found)
            members = [ledger.get_agency(m).name for m in agency.member_ids]
        finally:
            ledger.close()
    lines = [
        f"{agency.name}  {agency.id}",
        f"  类型 kind: {agency.kind.value}",
        f"  别名 aliases: {'、'.join(agency.aliases) or '-'}",
        f"  地区 region: {agency.region or '-'}",
    ]
    if agency.kind is AgencyKind.GROUP:
        lines.append(f"  成员 members ({len(members)}):")
        lines += [f"    {shown}" for shown in members]
    for line in lines:
        out.print(line, markup=False, highlight=False, soft_wrap=True)


# -- long-running processes (started by `rectify run`, or one by one in production) ------


@app.command()
def run() -> None:
    """启动整个系统 / run the whole system: database, Temporal, worker, dispatcher,
    projections and the HTTP server on http://127.0.0.1:8000."""
    from rectify.supervisor import supervise

    sys.exit(supervise(checked_settings(audit_key=True)))


@app.command()
def serve() -> None:
    """HTTP server: GraphQL at /graphql."""
    import uvicorn

    from api.app import create_app
    from rectify.composition import api_config
    from rectify.logs import configure
    from rectify.tracing import start_tracing

    configure("api")
    start_tracing("api")
    settings = checked_settings()
    with database(settings) as db:
        config = api_config(settings, db)
        web = create_app(config)
        keep_out_of_full_collections()
        uvicorn.run(web, **server_options(settings))


def keep_out_of_full_collections() -> None:
    """What the server has built by now (modules, the GraphQL schemas, the app: ~160,000
    objects) lives as long as the process. Frozen, the cyclic collector's full passes skip
    it: each GraphQL request leaves ~220 objects in reference cycles (graphql-core's
    executor, the context's DataLoaders), so a full pass came every few hundred requests
    and walked the whole heap, ~90 ms each (ADR 0073). Collected first, so no garbage is
    frozen with it."""
    gc.collect()
    gc.freeze()


def server_options(settings: Settings) -> dict[str, Any]:
    """How uvicorn serves: a websocket frame is bounded like a request body, so a client
    cannot make the server buffer more through a subscription than through a POST."""
    return {
        "host": settings.http_host,
        "port": settings.http_port,
        "log_level": "warning",
        "access_log": False,
        "ws": "websockets-sansio",  # subscriptions; fails loudly if the library is missing
        # 0 turns the body limit off; uvicorn's own default (16 MiB) then bounds frames
        "ws_max_size": settings.max_body_bytes if settings.max_body_bytes > 0 else 16 * 2**20,
    }


@app.command()
def projections() -> None:
    """Projection runner: keeps the read tables up to date, takes the audit checkpoints
    and prunes the sign-in log and expired sessions (rectify/housekeeping.py). One runner
    per schema is active; a second one stands by and takes over when the first dies."""
    from projections import run_projections
    from projections.leadership import run_when_active
    from rectify.composition import retention
    from rectify.housekeeping import housekeeping

    async def work(settings: Settings, db: Database, stop: asyncio.Event) -> None:
        minutes, key = settings.audit_checkpoint_minutes, settings.audit_keyring()

        def follow(active: threading.Event) -> None:
            with (
                checkpointing(db.es_env, minutes, key) as nudge,
                housekeeping(db.url, db.schema, retention(settings)),
            ):
                run_projections(db.es_env, db.url, db.schema, active, on_commit=nudge)

        # one runner per schema is active, with its checkpoints and pruning; any other
        # stands by and takes over when the active one dies (ADR 0057)
        await on_a_thread(stop, lambda halt: run_when_active(db.url, db.schema, halt, follow))

    run_role("projections", work, audit_key=True)


@app.command()
def worker() -> None:
    """Temporal worker: runs the clocks and their activities."""
    from rectify.composition import rectify_app
    from rectify.tracing import tracing_enabled
    from workflows.worker import run_worker

    async def work(settings: Settings, db: Database, stop: asyncio.Event) -> None:
        await run_worker(
            db.es_env,
            temporal_address(settings),
            settings.temporal_namespace,
            settings.task_queue,
            stop,
            make_app=rectify_app,
            traced=tracing_enabled(),
            metrics_address=(
                f"{settings.http_host}:{settings.temporal_metrics_port}"
                if settings.temporal_metrics_port is not None
                else None
            ),
        )

    run_role("worker", work)


@app.command()
def dispatcher() -> None:
    """Event-log dispatcher: starts and signals the clocks of items that changed."""
    from workflows.dispatcher import run_dispatcher

    run_follower("dispatcher", run_dispatcher)


LONG_RUNNING = {"run", "serve", "worker", "dispatcher", "notifier", "projections"}


def main() -> None:
    """The console script: `app`, with the expected refusals shown as one line. A command
    runs under one idempotency key for the invocation (domain/command_keys.py), so a write
    whose commit answer was lost and that the store retries is not made twice; the
    long-running roles are left without one (each of their writes is keyed by its facts)."""
    import hashlib
    import uuid

    from pydantic import ValidationError

    from domain.command_keys import CommandAlreadyDone, CommandKey, keyed
    from rectify.composition import wire_domain

    wire_domain()
    asked = hashlib.sha256("\x1f".join(sys.argv[1:]).encode("utf-8", "surrogatepass"))
    key = CommandKey(f"cli:{uuid.uuid4()}", asked.hexdigest())
    one_shot = not LONG_RUNNING.intersection(sys.argv[1:2])
    try:
        with keyed(key if one_shot else None):
            app(prog_name="rectify")
    except NoDatabase as error:
        err.print(str(error), markup=False, highlight=False, soft_wrap=True)
        sys.exit(1)
    except ValidationError as error:  # a setting the environment got wrong, named
        for problem in error.errors():
            where = ".".join(str(part) for part in problem["loc"])
            said = problem.get("ctx", {}).get("error", problem["msg"])  # ours, without prefix
            err.print(f"{where}: {said}", markup=False, highlight=False, soft_wrap=True)
        sys.exit(2)
    except CommandAlreadyDone as done:  # committed before the connection failed
        err.print(f"已完成 / done (log position {done.result.position})", markup=False)
