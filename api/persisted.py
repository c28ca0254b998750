"""Persisted queries: in production the API runs only documents on an allow-list.

The list (`api/persisted_queries.json`, or the file `RECTIFY_PERSISTED_QUERIES` names) maps
the sha256 hex of a normalised document (graphql-core's `print_ast` of its parse) to the
document. It is generated from the documents our pages send (`rectify persisted-queries`),
plus any an operator adds. A request names its document either by hash, in the Apollo APQ
shape `extensions.persistedQuery.sha256Hash`, or by sending it whole; anything else is
refused before it is parsed by the schema, so an attacker cannot probe the schema with
made-up queries even with a valid token. In development everything is allowed.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Mapping
from functools import lru_cache
from importlib.resources import files
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode

from graphql import (
    DefinitionNode,
    DocumentNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    OperationDefinitionNode,
    Visitor,
    parse,
    print_ast,
    visit,
)
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.config import ApiConfig
from api.hygiene import read_body

CHECKED_IN = files("api").joinpath("persisted_queries.json")


# The workbench (web/, ADR 0043) writes its documents as graphql(`…`) in web/src/api/*.ts;
# it sends each operation with the fragments it spreads appended, as GraphQL Code
# Generator prints them. Read from the source tree: the list is generated in a checkout.
WORKBENCH_SOURCES = Path(__file__).resolve().parents[1] / "web" / "src"
WORKBENCH_DOCUMENT = re.compile(r"graphql\(`(.*?)`\)", re.DOTALL)


def workbench_documents(root: Path = WORKBENCH_SOURCES) -> list[tuple[str, str]]:
    """(file name, document as sent) of every operation of the workbench."""
    written: list[tuple[str, str]] = []
    for source in sorted(root.rglob("*.ts")) if root.is_dir() else []:
        if "gql" in source.relative_to(root).parts[:1]:
            continue  # generated from the same documents
        text = source.read_text(encoding="utf-8")
        written += [(source.name, m.group(1)) for m in WORKBENCH_DOCUMENT.finditer(text)]
    fragments = {
        definition.name.value: definition
        for _, text in written
        for definition in parse(text).definitions
        if isinstance(definition, FragmentDefinitionNode)
    }
    found = []
    for name, text in written:
        document = parse(text)
        if not any(isinstance(d, OperationDefinitionNode) for d in document.definitions):
            continue
        sent = DocumentNode(definitions=_with_fragments(document, fragments))
        found.append((name, print_ast(sent)))
    return found


def _with_fragments(
    document: DocumentNode, fragments: Mapping[str, FragmentDefinitionNode]
) -> tuple[DefinitionNode, ...]:
    """The operation, then each fragment it spreads (and theirs) in the order first met."""
    wanted: list[str] = []

    class Spreads(Visitor):
        def enter_fragment_spread(self, node: FragmentSpreadNode, *_: Any) -> None:
            if node.name.value not in wanted:
                wanted.append(node.name.value)

    visit(document, Spreads())
    for name in wanted:  # grows while the fragments' own spreads are met
        visit(fragments[name], Spreads())
    return (*document.definitions, *(fragments[name] for name in wanted))


def page_documents() -> list[tuple[str, str]]:
    """(file name, document) of every GraphQL document the workbench (web/src) sends."""
    return workbench_documents()


def normalise(document: str) -> str:
    return print_ast(parse(document))


@lru_cache(maxsize=1024)  # pages send the same few strings: parse each once per process
def document_hash(document: str) -> str:
    return hashlib.sha256(normalise(document).encode("utf-8")).hexdigest()


def allow_list(documents: Iterable[str]) -> dict[str, str]:
    return {document_hash(d): normalise(d) for d in sorted(set(documents), key=normalise)}


def render(allowed: Mapping[str, str]) -> str:
    """The file's text: sorted, so regenerating an unchanged list changes nothing."""
    return json.dumps(dict(sorted(allowed.items())), ensure_ascii=False, indent=2) + "\n"


def pages_allow_list(extra: Iterable[str] = ()) -> dict[str, str]:
    return allow_list([document for _, document in page_documents()] + list(extra))


def load_allow_list(path: str | None = None) -> dict[str, str]:
    """Read and check the list: a key that is not its document's hash is refused at start-up
    (a hand-edited document would otherwise be unreachable, or worse, mislabelled)."""
    where = path or str(CHECKED_IN)
    try:
        text = Path(path).read_text(encoding="utf-8") if path else CHECKED_IN.read_text("utf-8")
        allowed = json.loads(text)
    except OSError as error:
        raise ValueError(
            f"RECTIFY_PERSISTED_QUERIES：无法读取 {where}（{error.strerror}） / cannot read "
            f"{where} ({error.strerror})"
        ) from None
    except ValueError:  # not JSON, or not UTF-8
        raise ValueError(
            f"RECTIFY_PERSISTED_QUERIES：{where} 不是有效的 JSON / {where} is not valid JSON"
        ) from None
    if not isinstance(allowed, dict):
        raise ValueError(
            f"RECTIFY_PERSISTED_QUERIES：{where} 须为一个 JSON 对象 / {where} must hold one JSON "
            "object"
        )
    for key, document in allowed.items():
        if not isinstance(document, str) or document_hash(document) != key:
            raise ValueError(
                f"RECTIFY_PERSISTED_QUERIES：{key} 不是其文档的 sha256 / {key} is not the sha256 "
                "of its document"
            )
    return allowed


class Refused(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def allowed_document(payload: Any, allowed: Mapping[str, str]) -> str:
    """The document to run for this request body, or `Refused`."""
    if not isinstance(payload, dict):
        raise Refused(
            400, "BAD_REQUEST", "请求须为单个 JSON 对象 / the request must be one JSON object"
        )
    extensions = payload.get("extensions")
    persisted = extensions.get("persistedQuery") if isinstance(extensions, dict) else None
    wanted = persisted.get("sha256Hash") if isinstance(persisted, dict) else None
    query = payload.get("query")
    if isinstance(query, str) and query.strip():
        try:
            digest = document_hash(query)
        except GraphQLError:
            raise Refused(
                400, "BAD_REQUEST", "不是有效的 GraphQL 文档 / not a valid GraphQL document"
            ) from None
        if wanted is not None and wanted != digest:
            raise Refused(
                400,
                "PERSISTED_QUERY_HASH_MISMATCH",
                "查询与其哈希不符 / the query does not match its sha256Hash",
            )
        if digest not in allowed:
            raise _not_allowed()
        return query
    if isinstance(wanted, str):
        if wanted not in allowed:
            raise _not_allowed()
        return allowed[wanted]
    raise Refused(400, "BAD_REQUEST", "缺少查询 / no query and no persisted query hash")


def _not_allowed() -> Refused:
    return Refused(
        403,
        "PERSISTED_QUERY_NOT_ALLOWED",
        "生产模式只执行已登记的查询 / in production only persisted (allow-listed) queries run",
    )


class PersistedOnly:
    """Lets through only allow-listed documents, with the document filled in for a request
    that sent its hash alone. WebSocket scopes pass untouched (subscriptions check their
    own documents); it sits in front of the mutation limit, which must see the document."""

    def __init__(self, app: ASGIApp, allowed: Mapping[str, str]) -> None:
        self.app = app
        self.allowed = dict(allowed)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in ("GET", "POST"):
            await self.app(scope, receive, send)
            return
        try:
            if scope["method"] == "GET":
                scope = self._get(scope)
            else:
                scope, receive = await self._post(scope, receive)
        except Refused as refused:
            body = {"errors": [{"message": refused.message, "extensions": {"code": refused.code}}]}
            await JSONResponse(body, status_code=refused.status)(scope, receive, send)
            return
        await self.app(scope, receive, send)

    def _get(self, scope: Scope) -> Scope:
        params = dict(parse_qsl(scope.get("query_string", b"").decode("latin-1")))
        try:
            payload: dict[str, Any] = {**params, "extensions": json.loads(params["extensions"])}
        except (KeyError, ValueError):
            payload = dict(params)
        params["query"] = allowed_document(payload, self.allowed)
        return {**scope, "query_string": urlencode(params).encode("latin-1")}

    async def _post(self, scope: Scope, receive: Receive) -> tuple[Scope, Receive]:
        # The body is bounded by LimitBodySize, so buffering it here is safe.
        sent = await read_body(receive)
        if not isinstance(sent, bytes):
            raise Refused(400, "BAD_REQUEST", "请求未完成 / the request was not completed")
        try:
            payload = json.loads(sent)
        except ValueError:
            raise Refused(400, "BAD_REQUEST", "请求须为 JSON / the body must be JSON") from None
        document = allowed_document(payload, self.allowed)
        # ASCII escapes: a lone surrogate in a variable cannot be encoded as UTF-8, and is
        # for the input checks to refuse with its field, not for this line to fail on
        body = json.dumps({**payload, "query": document}).encode("utf-8")
        headers = [(k, v) for k, v in scope["headers"] if k.lower() != b"content-length"]
        headers.append((b"content-length", str(len(body)).encode("ascii")))
        replay: list[Message] = [{"type": "http.request", "body": body, "more_body": False}]

        async def replayed() -> Message:
            if replay:
                return replay.pop()
            return await receive()

        return {**scope, "headers": headers}, replayed


def persisted_only(app: ASGIApp, config: ApiConfig) -> ASGIApp:
    """The wrapper in production mode; the app itself in development."""
    if not config.production:
        return app
    return PersistedOnly(app, load_allow_list(config.persisted_queries))
