"""`rectify referral …`: a campaign's referral periods (claim and answer, in working days).

The application comes from rectify.composition, wired with the clocks' calendar; importing
this module no longer changes any other RectifyApp (ADR 0023).
"""

from __future__ import annotations

import typer
from rich.console import Console

from domain.errors import DomainError, NotFound
from domain.names import campaign_id
from rectify.cli_text import name_text
from rectify.composition import rectify_app
from rectify.runtime import database
from rectify.settings import Settings

referral_app = typer.Typer(help="移送/转办 / cross-agency referrals.", no_args_is_help=True)
out = Console()
err = Console(stderr=True)
ACTOR = "cli:referral"


@referral_app.command("terms")
def terms(
    campaign: str = typer.Argument(..., help="专项行动名称 campaign title", callback=name_text),
    claim_days: int | None = typer.Option(None, "--claim-days", help="签收时限（工作日）"),
    answer_days: int | None = typer.Option(None, "--answer-days", help="反馈时限（工作日）"),
) -> None:
    """移送时限 / show or set the claim and answer periods of a campaign's referrals."""
    with database(Settings()) as db:
        ledger = rectify_app(db.es_env)
        try:
            item = campaign_id(campaign)
            if item not in ledger.repository:
                raise NotFound("campaign", campaign)
            claim, answer = ledger.referral_terms(item)
            if claim_days is not None or answer_days is not None:
                claim = claim_days if claim_days is not None else claim
                answer = answer_days if answer_days is not None else answer
                result = ledger.set_referral_terms(item, claim, answer, ACTOR)
                out.print("recorded" if result.changed else "unchanged")
            out.print(f"签收 claim: {claim} 个工作日 / working days")
            out.print(f"反馈 answer: {answer} 个工作日 / working days (from the claim)")
        except DomainError as error:
            err.print(str(error), markup=False)
            raise typer.Exit(1) from None
        finally:
            ledger.close()
