"""`rectify notifications …`: where an agency's notices are delivered (webhook, e-mail);
and `rectify notifier`, the long-running follower that issues and delivers notices."""

from __future__ import annotations

from uuid import UUID

import typer
from rich.console import Console
from rich.table import Table

from domain.delivery import ChannelKind
from domain.errors import InvalidInput
from rectify.cli_ledger import agency_named, open_ledger
from rectify.cli_text import name_text
from rectify.roles import run_follower

notifications_app = typer.Typer(
    help="通知投递 / where notifications are delivered.", no_args_is_help=True
)
out = Console()
err = Console(stderr=True)
ACTOR = "cli:notifications"
AGENCY = typer.Argument(..., help="机构 agency name or alias", callback=name_text)
KINDS = typer.Option([], "--kind", help="only these kinds (repeatable)", callback=name_text)


@notifications_app.command("add-webhook")
def add_webhook(
    agency: str = AGENCY,
    url: str = typer.Argument(
        ..., help="http(s) URL that receives a signed JSON POST", callback=name_text
    ),
    secret: str = typer.Option(
        ...,
        "--secret",
        envvar="RECTIFY_WEBHOOK_SECRET",
        help="HMAC-SHA256 key, 16+ chars",
        callback=name_text,
    ),
    kind: list[str] = KINDS,
) -> None:
    """接收地址（Webhook）/ deliver an agency's notices to a webhook."""
    with open_ledger() as ledger:
        result = ledger.add_endpoint(
            agency_named(ledger, agency), ChannelKind.WEBHOOK, url, secret=secret, kinds=kind,
            actor=ACTOR,
        )  # fmt: skip
    out.print(f"{url}  {'recorded' if result.changed else 'unchanged'}")


@notifications_app.command("add-email")
def add_email(
    agency: str = AGENCY,
    address: str = typer.Argument(..., help="mailbox", callback=name_text),
    kind: list[str] = KINDS,
) -> None:
    """接收邮箱 / deliver an agency's notices by e-mail (RECTIFY_SMTP_* settings)."""
    with open_ledger() as ledger:
        result = ledger.add_endpoint(
            agency_named(ledger, agency), ChannelKind.EMAIL, address, kinds=kind, actor=ACTOR
        )
    out.print(f"{address}  {'recorded' if result.changed else 'unchanged'}")


@notifications_app.command("list")
def list_endpoints(agency: str = typer.Argument(..., help="机构 agency name or alias")) -> None:
    """列出接收地址 / list an agency's endpoints (secrets are never shown)."""
    with open_ledger() as ledger:
        endpoints = ledger.endpoints_of(agency_named(ledger, agency))
    table = Table("id", "channel", "address", "kinds")
    for endpoint in endpoints:
        kinds = ", ".join(endpoint.kinds) or "all"
        table.add_row(str(endpoint.id), endpoint.channel.value, endpoint.address, kinds)
    out.print(table)


@notifications_app.command("remove")
def remove(
    agency: str = AGENCY,
    endpoint: str = typer.Argument(..., help="endpoint id (see `list`)", callback=name_text),
) -> None:
    """删除接收地址 / stop delivering to an endpoint."""
    with open_ledger() as ledger:
        try:
            item = UUID(endpoint.strip())
        except ValueError:
            raise InvalidInput(
                "endpoint", f"'{endpoint}' 不是有效的编号 / '{endpoint}' is not an id"
            ) from None
        ledger.remove_endpoint(agency_named(ledger, agency), item, ACTOR)
    out.print(f"{endpoint}  removed")


def notifier() -> None:
    """Notifier: turns clock milestones into notices and starts their deliveries."""
    from workflows.notifier import run_notifier

    run_follower("notifier", run_notifier)
