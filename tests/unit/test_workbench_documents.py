"""The workbench's GraphQL documents on the production allow-list (api/persisted.py): each
operation as the browser sends it, with the fragments it spreads appended."""

from __future__ import annotations

from pathlib import Path

from api.persisted import document_hash, page_documents, workbench_documents

SOURCE = """
import { graphql } from '@/gql'
export const OUTCOME = graphql(`
  fragment Outcome on ReferralResult { __typename ... on NotAllowed { message } }
`)
export const CLAIM = graphql(`
  mutation Claim($id: ID!) { result: claimReferral(referralId: $id) { ...Outcome } }
`)
export const QUEUE = graphql(`query Queue { referralQueue { totalCount } }`)
"""
# what GraphQL Code Generator's client preset sends for CLAIM: the operation, then the fragment
SENT = """
    mutation Claim($id: ID!) { result: claimReferral(referralId: $id) { ...Outcome } }
    fragment Outcome on ReferralResult { __typename ... on NotAllowed { message } }"""


def test_an_operation_is_listed_with_the_fragments_it_spreads(tmp_path: Path) -> None:
    (tmp_path / "api").mkdir()
    (tmp_path / "api" / "referrals.ts").write_text(SOURCE, encoding="utf-8")
    found = workbench_documents(tmp_path)
    assert [name for name, _ in found] == ["referrals.ts", "referrals.ts"]
    claim = next(document for _, document in found if "Claim" in document)
    assert document_hash(claim) == document_hash(SENT)


def test_a_fragment_alone_is_not_an_operation(tmp_path: Path) -> None:
    (tmp_path / "a.ts").write_text(SOURCE, encoding="utf-8")
    assert not any(d.lstrip().startswith("fragment") for _, d in workbench_documents(tmp_path))


def test_generated_code_is_not_read_twice(tmp_path: Path) -> None:
    (tmp_path / "gql").mkdir()
    (tmp_path / "gql" / "gql.ts").write_text(SOURCE, encoding="utf-8")
    assert workbench_documents(tmp_path) == []


def test_the_pages_documents_are_the_workbenchs_only() -> None:
    names = {name for name, _ in page_documents()}
    assert {"referrals.ts", "issues.ts", "users.ts", "cockpit.ts", "coordination.ts"} <= names
    assert all(name.endswith(".ts") for name in names)
