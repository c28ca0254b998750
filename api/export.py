"""Excel export of the lists (台账导出): `GET /export/{list}.xlsx`.

`list` is issues, referrals, clues or case-transfers (api/export_lists.py). The query
string takes the fields of that GraphQL list's filter by name (`campaign`, `status`,
`agency`, `overdue`, …, as IssueFilter, ReferralQueueFilter, ClueFilter and
CaseTransferFilter define them) and `orderBy`; besides, `lang=en` for English headers and
cells, `title=false` to leave out the title row.

The rows are read by running that very GraphQL list, page after page, as the caller: the
same resolvers, the same agency scoping and refusals as the screen shows (api/authz), so
an export can hold nothing its user could not list. Pages are written one by one to a
write-only workbook in a temporary file, streamed back and deleted; a list longer than
`ApiConfig.max_export_rows` is refused before anything is written. Every export is logged
(who, which list, which filters, how many rows) on the `rectify.api` logger.
"""

from __future__ import annotations

import logging
import os
import tempfile
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from graphql import GraphQLBoolean, GraphQLInputObjectType, GraphQLInt, get_named_type
from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import FileResponse, Response
from strawberry import Schema

from api.auth import User
from api.context import Context
from api.export_lists import EXPORTS, ListExport, Node, Shown
from api.http_refusals import Refused, answering_refusals
from api.outages import ServiceUnavailable
from api.schema import production_schema, schema
from domain.personal_data import Masker
from projections import queries

log = logging.getLogger("rectify.api")
PAGE = 200  # the lists' own page limit (MAX_PAGE)
OPTIONS = ("lang", "title", "orderBy")


@answering_refusals
async def export(request: Request) -> Response:
    state, user = request.app.state, request.scope["user"]
    found = EXPORTS.get(str(request.path_params["list"]))
    if found is None:
        known = "、".join(f"{name}.xlsx" for name in EXPORTS)
        raise Refused(404, "not_found", f"没有这个列表 / no such list; exportable: {known}")
    params = request.query_params
    shown = Shown(ZoneInfo(state.config.timezone), params.get("lang") == "en")
    with_title = _flag(params.get("title", "true"), "title")
    gql = production_schema if state.config.production else schema
    query, variables = _query(gql, found, {k: v for k, v in params.items() if k != "title"})
    path = _temporary_file()
    try:
        rows = await _write(request, gql, found, query, variables, shown, with_title, path)
    except BaseException:
        os.unlink(path)
        raise
    _record(user, found, params, rows)
    stamp = datetime.now(shown.zone).strftime("%Y%m%d-%H%M")
    title = found.title_en if shown.english else found.title_zh
    return FileResponse(
        path,
        media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        filename=f"{title}-{stamp}.xlsx",
        background=BackgroundTask(os.unlink, path),
    )


def _flag(value: str, name: str) -> bool:
    if value not in ("true", "false"):
        raise Refused(400, "bad_request", f"{name}: 应为 true 或 false / true or false")
    return value == "true"


def _query(gql: Schema, found: ListExport, params: dict[str, str]) -> tuple[str, dict[str, Any]]:
    """The GraphQL list query and its variables from the query string: each parameter is a
    field of the list's filter, converted by the field's type (GraphQL checks the rest)."""
    field = gql._schema.query_type.fields[found.field]  # type: ignore[union-attr]
    filter_type = get_named_type(field.args["filter"].type)
    order_type = get_named_type(field.args["orderBy"].type)
    assert isinstance(filter_type, GraphQLInputObjectType)
    given: dict[str, Any] = {}
    for name, value in params.items():
        if name in OPTIONS:
            continue
        if name not in filter_type.fields:
            known = ", ".join([*filter_type.fields, *OPTIONS, "title"])
            raise Refused(
                400, "bad_request", f"{name}: 没有这个筛选条件 / no such filter; known: {known}"
            )
        kind = get_named_type(filter_type.fields[name].type)
        if kind is GraphQLBoolean:
            given[name] = _flag(value, name)
        elif kind is GraphQLInt:
            if not value.lstrip("-").isdigit():
                raise Refused(400, "bad_request", f"{name}: 应为整数 / an integer")
            given[name] = int(value)
        else:
            given[name] = value
    variables: dict[str, Any] = {"filter": given}
    if "orderBy" in params:
        variables["orderBy"] = params["orderBy"]
    query = (
        f"query Export($filter: {filter_type.name}, $orderBy: {order_type.name},"
        f" $after: String) {{ list: {found.field}(filter: $filter, first: {PAGE},"
        " after: $after, orderBy: $orderBy) { totalCount pageInfo { hasNextPage endCursor }"
        f" edges {{ node {{ {found.selection} }} }} }} }}"
    )
    return query, variables


def _temporary_file() -> str:
    handle, path = tempfile.mkstemp(prefix="rectify-export-", suffix=".xlsx")
    os.close(handle)
    return path


async def _page(
    request: Request, gql: Schema, query: str, variables: dict[str, Any]
) -> dict[str, Any]:
    """One page of the list, read as the caller (a fresh context: its loaders' caches
    hold one page, not the whole export)."""
    state = request.app.state
    context = Context(request, request.scope["user"], state.pool, state.rectify, state.config)
    result = await gql.execute(query, variable_values=variables, context_value=context)
    if getattr(request.state, "database_outage", False):  # set by the schema's error hook
        raise ServiceUnavailable()
    if result.errors:
        messages = "; ".join(error.message for error in result.errors)
        raise Refused(400, "bad_request", f"无法导出 / cannot export: {messages}")
    assert result.data is not None
    page: dict[str, Any] = result.data["list"]
    return page


async def _write(
    request: Request,
    gql: Schema,
    found: ListExport,
    query: str,
    variables: dict[str, Any],
    shown: Shown,
    with_title: bool,
    path: str,
) -> int:
    """Reads the list page by page into the workbook at `path`; the number of rows."""
    from api.export_book import Book  # openpyxl is loaded only by a process that exports

    limit: int = request.app.state.config.max_export_rows
    page = await _page(request, gql, query, variables)
    if page["totalCount"] > limit:
        raise Refused(
            422,
            "too_many_rows",
            f"共 {page['totalCount']} 行，超过导出上限 {limit} 行，请缩小筛选范围 / "
            f"{page['totalCount']} rows exceed the export limit of {limit}; narrow the filters",
        )
    title = await _title(request, found, variables, shown) if with_title else None
    book = Book(found, shown, title)
    masker, written = Masker(), 0
    while True:
        nodes = [_masked(edge["node"], found, shown, masker) for edge in page["edges"]]
        nodes = nodes[: limit - written]  # the list grew while it was read
        await run_in_threadpool(book.add, nodes, written)
        written += len(nodes)
        info = page["pageInfo"]
        if not info["hasNextPage"] or written >= limit:
            break
        page = await _page(request, gql, query, {**variables, "after": info["endCursor"]})
    await run_in_threadpool(book.save, path)
    return written


def _masked(node: Node, found: ListExport, shown: Shown, masker: Masker) -> Node:
    """The node with its free text masked as the case file masks it (domain.personal_data),
    names of persons first so that text quoting them loses them too."""
    if found.derive is not None:
        found.derive(node, shown)
    fields = {found.masked[key]: node[key] for key in found.masked}
    done = masker.state(str(node["id"]), found.aggregate, fields)
    return {**node, **{key: done[found.masked[key]] for key in found.masked}}


async def _title(
    request: Request, found: ListExport, variables: dict[str, Any], shown: Shown
) -> str:
    """The list's title, the campaign it is filtered to, and when it was exported."""
    parts = [found.title_en if shown.english else found.title_zh]
    campaign = variables["filter"].get("campaign")
    if campaign:
        pool = request.app.state.pool
        found_id = await queries.resolve_campaign(pool, campaign)
        if found_id is not None:
            parts.append(await queries.campaign_title(pool, found_id))
    at = datetime.now(shown.zone).strftime("%Y-%m-%d %H:%M")
    parts.append(f"exported {at}" if shown.english else f"导出时间：{at}")
    return " — ".join(parts)


def _record(user: User, found: ListExport, params: Any, rows: int) -> None:
    """The operation log of exports: who took which list out, filtered how, how many rows.
    Filters are titles, names, statuses and flags, never a person's data."""
    log.info(
        "export list=%s subject=%s role=%s agency=%s rows=%d params=%s",
        found.name,
        user.subject,
        user.role.value,
        user.agency_id or "-",
        rows,
        dict(params),
    )
