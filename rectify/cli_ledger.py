"""What every `rectify …` command group that changes the ledger shares: the application
opened on the configured database (a domain refusal printed and exit code 1), and the
agency or campaign a command names."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from uuid import UUID

import typer
from rich.console import Console

from domain.application import RectifyApp
from domain.errors import DomainError, NotFound, UnknownAgencies
from domain.names import campaign_id
from rectify.composition import rectify_app
from rectify.runtime import database
from rectify.settings import Settings

err = Console(stderr=True)


@contextmanager
def open_ledger() -> Iterator[RectifyApp]:
    with database(Settings()) as db:
        ledger = rectify_app(db.es_env)
        try:
            yield ledger
        except DomainError as error:
            err.print(str(error), markup=False)
            raise typer.Exit(1) from None
        finally:
            ledger.close()


def agency_named(ledger: RectifyApp, name: str) -> UUID:
    found = ledger.find_agency(name)
    if found is None:
        raise UnknownAgencies([name])
    return found


def campaign_titled(ledger: RectifyApp, title: str) -> UUID:
    item = campaign_id(title)
    if item not in ledger.repository:
        raise NotFound("campaign", title)
    return item
