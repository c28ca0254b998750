"""The GraphQL enums say what the domain says: each one's values are exactly those of the
domain enum (or read-side choice) it stands for, so a status added to the domain cannot be
missing from the schema, nor the schema offer one the domain does not know."""

from __future__ import annotations

from enum import Enum

import pytest

from api import case_transfer_types, clues, query, referrals, types
from api import case_transfers as transfers
from domain import agencies, deadlines, discipline_transfers, issues
from domain import case_transfers as domain_transfers
from domain import clues as domain_clues
from domain import referrals as domain_referrals
from projections import case_transfer_queries, clue_queries, referral_queries
from projections import queries as issue_queries
from projections.keyset import Keyset

SAME_VALUES: list[tuple[type[Enum], type[Enum]]] = [
    (types.IssueStatus, issues.IssueStatus),
    (types.DeadlineKind, deadlines.DeadlineKind),
    (types.AgencyKind, agencies.AgencyKind),
    (clues.ClueChannel, domain_clues.Channel),
    (clues.ClueStatus, domain_clues.ClueStatus),
    (referrals.ReferralStatus, domain_referrals.ReferralStatus),
    (referrals.ReturnReason, domain_referrals.ReturnReason),
    (referrals.ReferralDirection, referral_queries.Direction),
    (case_transfer_types.ReconsiderationOutcome, domain_transfers.ReconsiderationOutcome),
    (case_transfer_types.SupervisionOutcome, domain_transfers.SupervisionOutcome),
    (case_transfer_types.PersonCategory, discipline_transfers.PersonCategory),
    (case_transfer_types.DisciplineOutcome, discipline_transfers.DisciplineOutcome),
]

ORDERS: list[tuple[type[Enum], dict[str, Keyset]]] = [
    (query.IssueOrder, issue_queries.ISSUE_ORDERS),
    (referrals.ReferralOrder, referral_queries.REFERRAL_ORDERS),
    (clues.ClueOrder, clue_queries.CLUE_ORDERS),
    (transfers.CaseTransferOrder, case_transfer_queries.TRANSFER_ORDERS),
]


def values(enum: type[Enum]) -> set[str]:
    return {str(member.value) for member in enum}


@pytest.mark.parametrize(("graphql", "domain"), SAME_VALUES, ids=lambda e: e.__name__)
def test_a_graphql_enum_has_exactly_the_values_of_its_domain_enum(
    graphql: type[Enum], domain: type[Enum]
) -> None:
    assert values(graphql) == values(domain)


def test_a_case_transfer_status_is_a_criminal_or_a_discipline_transfer_status() -> None:
    statuses = values(domain_transfers.TransferStatus) | values(
        discipline_transfers.DisciplineStatus
    )
    assert values(case_transfer_types.CaseTransferStatus) == statuses


@pytest.mark.parametrize(("order", "keysets"), ORDERS, ids=lambda o: getattr(o, "__name__", ""))
def test_each_order_of_a_list_has_its_keyset_under_the_members_name(
    order: type[Enum], keysets: dict[str, Keyset]
) -> None:
    # The resolvers look the keyset up by the member's name (api/query.py and others).
    assert {member.name for member in order} == set(keysets)
    assert all(member.name == member.value for member in order)


def test_the_comparison_sees_a_value_missing_from_either_side() -> None:
    class Narrower(Enum):
        OPEN = "OPEN"
        SUBMITTED = "SUBMITTED"

    assert values(Narrower) != values(issues.IssueStatus)
