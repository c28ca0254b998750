"""`rectify campaign …`: launch a campaign, name its lead and members, schedule phases."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import typer
from rich.console import Console
from rich.table import Table

from domain.application import CommandResult, RectifyApp
from domain.campaigns import EXTENSION_APPROVER_LABELS, ExtensionApprovers
from domain.errors import UnknownAgencies
from rectify.cli_ledger import agency_named, campaign_titled, open_ledger
from rectify.cli_text import name_text

campaign_app = typer.Typer(help="专项行动 / manage campaigns.", no_args_is_help=True)
out = Console()
err = Console(stderr=True)
ACTOR = "cli:campaign"
TITLE = typer.Argument(..., help="专项行动名称 campaign title", callback=name_text)
NAME = typer.Argument(..., callback=name_text)


def _report(result: CommandResult) -> None:
    out.print(f"{result.id}  {'recorded' if result.changed else 'unchanged'}")


def _run(command: Callable[[RectifyApp], CommandResult]) -> None:
    with open_ledger() as ledger:
        result = command(ledger)
    _report(result)


@campaign_app.command("launch")
def launch(
    title: str = TITLE,
    lead: str | None = typer.Option(
        None, "--lead", help="牵头单位 the lead agency", callback=name_text
    ),
) -> None:
    """发起专项行动 / launch a campaign (again with --lead: assign its lead)."""
    _run(
        lambda ledger: ledger.launch_campaign(
            title, actor=ACTOR, lead_agency=agency_named(ledger, lead) if lead else None
        )
    )


@campaign_app.command("member")
def member(title: str = TITLE, agencies: list[str] = NAME) -> None:
    """增加成员单位 / add member agencies (or agency groups)."""
    with open_ledger() as ledger:
        # Every name is checked before anything is written: all of them, or none.
        found = [ledger.find_agency(name) for name in agencies]
        unknown = [name for name, agency in zip(agencies, found, strict=True) if agency is None]
        if unknown:
            raise UnknownAgencies(unknown)
        item = campaign_titled(ledger, title)
        for agency in found:
            assert agency is not None
            _report(ledger.add_campaign_member(item, agency, ACTOR))


@campaign_app.command("phase")
def phase(
    title: str = TITLE,
    name: str = NAME,
    starts: str = typer.Argument(..., help="YYYY-MM-DD"),
    ends: str = typer.Argument(..., help="YYYY-MM-DD"),
) -> None:
    """安排阶段 / schedule a phase (the same name replaces its dates)."""
    try:
        first, last = date.fromisoformat(starts), date.fromisoformat(ends)
    except ValueError as error:
        err.print(f"日期 dates: {error}（格式 YYYY-MM-DD / use YYYY-MM-DD）", markup=False)
        raise typer.Exit(1) from None
    _run(
        lambda ledger: ledger.schedule_campaign_phase(
            campaign_titled(ledger, title), name, first, last, ACTOR
        )
    )


@campaign_app.command("show")
def show(title: str) -> None:
    """显示专项行动 / print a campaign's lead, members and phases."""
    with open_ledger() as ledger:
        campaign = ledger.get_campaign(campaign_titled(ledger, title))
        names = {a: ledger.get_agency(a).name for a in campaign.member_agency_ids}
        lead = ledger.get_agency(campaign.lead_agency_id).name if campaign.lead_agency_id else "—"
    out.print(f"{campaign.title}  牵头单位 lead: {lead}")
    out.print("成员单位 members: " + ("、".join(names.values()) or "—"))
    approvers = campaign.approvers()
    out.print(
        f"延期审批 extension approvers: {EXTENSION_APPROVER_LABELS[approvers]} ({approvers.value})"
    )
    evidence = "是 yes" if campaign.requires_evidence() else "否 no"
    out.print(f"销号须上传佐证材料 evidence required before sign-off: {evidence}")
    table = Table("阶段 phase", "开始 starts", "结束 ends")
    for item in campaign.phases:
        table.add_row(item.name, item.starts.isoformat(), item.ends.isoformat())
    out.print(table)


@campaign_app.command("target")
def target(
    title: str = TITLE,
    category: str = NAME,
    population: int = typer.Argument(..., help="范围内机构数 institutions in scope"),
    percent: int = typer.Argument(..., help="要求覆盖比例 required share, 1–100"),
    region: str | None = typer.Option(
        None, "--region", help="限定地区 only this region", callback=name_text
    ),
) -> None:
    """设定检查覆盖目标 / set an inspection coverage target (the same category replaces it)."""
    _run(
        lambda ledger: ledger.set_coverage_target(
            campaign_titled(ledger, title), category, population, percent, ACTOR, region
        )
    )


@campaign_app.command("threshold")
def threshold(
    title: str = TITLE, cases: int = typer.Argument(..., help="每年立案数阈值 cases a year")
) -> None:
    """设定立案数阈值 / name regions with fewer law-enforcement cases a year than this."""
    _run(lambda ledger: ledger.set_case_threshold(campaign_titled(ledger, title), cases, ACTOR))


@campaign_app.command("extension-approvers")
def extension_approvers(
    title: str = TITLE,
    rule: ExtensionApprovers = typer.Argument(
        ...,
        help="leadership: 仅领导（默认）; leadership_or_office: 领导或领导小组办公室（协调办）",
    ),
) -> None:
    """延期审批规则 / who may approve or deny extensions in this campaign."""
    _run(lambda ledger: ledger.set_extension_approvers(campaign_titled(ledger, title), rule, ACTOR))


@campaign_app.command("evidence")
def evidence(
    title: str = TITLE,
    required: bool = typer.Option(
        True, "--required/--not-required", help="销号前须上传佐证材料 / evidence before sign-off"
    ),
) -> None:
    """销号前须上传佐证材料 / whether sign-off needs an uploaded file in a progress report."""
    _run(lambda ledger: ledger.require_evidence(campaign_titled(ledger, title), required, ACTOR))
