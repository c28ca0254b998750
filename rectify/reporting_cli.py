"""`rectify report-duty …`: a campaign's periodic reporting duties (定期报送)."""

from __future__ import annotations

from uuid import UUID

import typer
from rich.console import Console

from domain.errors import InvalidInput, NotFound, UnknownAgencies
from domain.reporting import Cadence, CadenceKind, duty_id
from rectify.cli_ledger import campaign_titled, open_ledger
from rectify.cli_text import free_text, name_text

reporting_app = typer.Typer(
    help="定期报送 / periodic reporting duties of a campaign.", no_args_is_help=True
)
out = Console()
err = Console(stderr=True)
ACTOR = "cli:report-duty"


@reporting_app.command("set")
def set_duty(
    campaign: str = typer.Argument(..., help="专项行动 campaign title", callback=name_text),
    name: str = typer.Argument(..., help="报送事项 e.g. 督查整改月报", callback=name_text),
    agency: list[str] = typer.Option(
        ..., "--agency", help="报送单位 (repeatable)", callback=name_text
    ),
    monthly_day: int | None = typer.Option(None, "--monthly-day", help="每月N日前 by day N"),
    quarterly: bool = typer.Option(False, "--quarterly", help="每季度末 by each quarter end"),
) -> None:
    """设定定期报送 / set (or change) a reporting duty; its schedule follows."""
    if (monthly_day is None) == (not quarterly):
        err.print(
            "请在 --monthly-day N 与 --quarterly 中选一 / "
            "--monthly-day N or --quarterly: choose one"
        )
        raise typer.Exit(2)
    with open_ledger() as ledger:
        cadence = (
            Cadence(CadenceKind.QUARTERLY)
            if quarterly
            else Cadence(CadenceKind.MONTHLY, monthly_day or 0)
        )
        agencies = []
        for key in agency:
            found = ledger.find_agency(key)
            if found is None:
                raise UnknownAgencies([key])
            agencies.append(found)
        result = ledger.set_reporting_duty(
            campaign_titled(ledger, campaign), name, cadence, agencies, ACTOR
        )
    out.print(f"{result.id}  {'recorded' if result.changed else 'unchanged'}  {cadence.describe()}")


@reporting_app.command("end")
def end_duty(
    campaign: str = typer.Argument(..., help="专项行动 campaign title", callback=name_text),
    name: str = typer.Argument(..., help="报送事项", callback=name_text),
) -> None:
    """结束定期报送 / end a reporting duty; its schedule is deleted."""
    with open_ledger() as ledger:
        item = duty_id(campaign_titled(ledger, campaign), name)
        if item not in ledger.repository:
            raise NotFound("reporting duty", name)
        ledger.end_reporting_duty(item, ACTOR)
    out.print(f"{item}  ended")


@reporting_app.command("submit")
def submit(
    report: str = typer.Argument(..., help="report id (from the notification)", callback=name_text),
    agency: str = typer.Option(..., "--agency", help="报送单位", callback=name_text),
    text: str = typer.Option(..., "--text", help="报送内容 summary", callback=free_text),
) -> None:
    """报送 / record an agency's report for a period."""
    with open_ledger() as ledger:
        try:
            item = UUID(report.strip())
        except ValueError:
            raise InvalidInput(
                "report", f"'{report}' 不是有效的编号 / '{report}' is not an id"
            ) from None
        found = ledger.find_agency(agency)
        if found is None:
            raise UnknownAgencies([agency])
        ledger.submit_report(item, found, text, ACTOR)
        outstanding = ledger.get_report_due(item).outstanding
    out.print(f"{item}  submitted; {len(outstanding)} agencies still to report")
