"""Every refusal the domain raises reaches the client as a typed result: it derives from an
exception the schema's result table (api/results.py) maps, so no mutation needs a catch of
its own and none is masked as "Unexpected error"."""

import importlib
import pkgutil

from strawberry.schema.exception_handlers import get_exception_types

import domain
from api.results import EXCEPTION_HANDLERS
from domain.calendar import NoCalendarData
from domain.command_keys import CommandAlreadyDone
from domain.errors import DomainError
from domain.ledger_rows import LedgerRejected
from domain.reporter_identity import KeyConfigurationError

# Raised by the domain but not refusals of a client's command (each with the reason).
NOT_REFUSALS: dict[type[Exception], str] = {
    DomainError: "the base class; never raised itself",
    CommandAlreadyDone: "control flow: the command's original result is returned",
    KeyConfigurationError: "a deployment fault: the process refuses to start",
    NoCalendarData: "a clock fault (workflows/clock_faults); dates given are kept in range",
    LedgerRejected: "the CLI import's report of every row problem; no mutation imports",
}


def _domain_exceptions() -> set[type[Exception]]:
    for module in pkgutil.walk_packages(domain.__path__, "domain."):
        importlib.import_module(module.name)
    found: set[type[Exception]] = set()
    pending: list[type[Exception]] = [Exception]
    while pending:
        for sub in pending.pop().__subclasses__():
            if sub not in found:
                pending.append(sub)
                if sub.__module__.startswith("domain.") and not sub.__name__.startswith("_"):
                    found.add(sub)
    return found


def test_every_domain_refusal_derives_from_an_exception_the_result_table_maps() -> None:
    mapped = tuple(t for h in EXCEPTION_HANDLERS for t in get_exception_types(h))

    unmapped = {
        f"{e.__module__}.{e.__qualname__}"
        for e in _domain_exceptions()
        if e not in NOT_REFUSALS and not issubclass(e, mapped)
    }

    assert unmapped == set()


def test_the_exemptions_are_still_domain_exceptions_the_table_does_not_map() -> None:
    mapped = tuple(t for h in EXCEPTION_HANDLERS for t in get_exception_types(h))

    assert set(NOT_REFUSALS) <= _domain_exceptions()
    assert not [e for e in NOT_REFUSALS if issubclass(e, mapped)]
