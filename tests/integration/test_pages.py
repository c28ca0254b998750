"""Every GraphQL document the workbench sends is valid against the schema (so a schema
change cannot silently break a page)."""

from __future__ import annotations

import pytest
from graphql import parse, validate

from api.persisted import page_documents
from api.schema import schema


def _queries() -> list[tuple[str, str]]:
    # the same extraction the production allow-list is generated from (api/persisted.py)
    return page_documents()


def test_the_workbench_sends_queries() -> None:
    names = {name for name, _ in _queries()}
    assert {"cockpit.ts", "queue.ts", "steps.ts", "items.ts"} <= names


@pytest.mark.parametrize(("page", "query"), _queries())
def test_every_query_of_the_pages_is_valid(page: str, query: str) -> None:
    errors = validate(schema._schema, parse(query))
    assert not errors, f"{page}: {errors}"
