"""Every mutation that names an uploaded file (`sha256:<hex>` in an `attachments` list, at
any depth of its arguments) is checked before it runs: the reference must be well formed,
the file uploaded, and the caller must be entitled to it (api/files.py `may_attach`) —
else the mutation answers InvalidInput naming the field, and nothing is written.

One check for every mutation, present and future, rather than a call in each resolver:
which commands carry attachments (progress reports, referrals and their answers, clue
intake, case transfers) is then not a list to keep up to date.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from inspect import isawaitable
from typing import Any

from graphql import GraphQLError, GraphQLResolveInfo, GraphQLUnionType, get_named_type

from api.files import may_attach
from api.results import InvalidInputResult
from domain.errors import InvalidInput
from domain.evidence import digest_of, is_file_reference

FIELD = "attachments"


def file_references(arguments: Any, path: str = "") -> Iterator[tuple[str, str]]:
    """(field path, reference) for each `sha256:` entry of an `attachments` list."""
    if isinstance(arguments, dict):
        for name, value in arguments.items():
            where = f"{path}.{name}" if path else str(name)
            if name == FIELD and isinstance(value, list):
                for entry in value:
                    if isinstance(entry, str) and is_file_reference(entry.strip()):
                        yield where, entry.strip()
            else:
                yield from file_references(value, where)
    elif isinstance(arguments, list):
        for value in arguments:
            yield from file_references(value, path)


async def check(info: GraphQLResolveInfo[Any], arguments: dict[str, Any]) -> None:
    context = info.context
    for field, reference in file_references(arguments):
        digest = digest_of(reference, field)
        if not await may_attach(context.pool, context.user, digest):
            raise InvalidInput(
                field,
                f"文件 {reference} 未上传，或不是您可使用的文件（先 POST /files 上传）/ "
                f"{reference} was never uploaded, or is not yours to attach (upload it with "
                "POST /files first)",
            )


def _answers_invalid_input(info: GraphQLResolveInfo[Any]) -> bool:
    returned = get_named_type(info.return_type)
    return isinstance(returned, GraphQLUnionType) and any(
        t.name == "InvalidInput" for t in returned.types
    )


def check_file_references(
    _next: Callable[..., Any],
    root: Any,
    info: GraphQLResolveInfo[Any],
    *args: Any,
    **kwargs: Any,
) -> Any:
    """Refuses a command naming a file reference the caller may not attach, before it runs."""
    if info.path.prev is not None or info.parent_type is not info.schema.mutation_type:
        return _next(root, info, *args, **kwargs)
    if not any(True for _ in file_references(kwargs)):
        return _next(root, info, *args, **kwargs)

    async def checked() -> Any:
        try:
            await check(info, kwargs)
        except InvalidInput as refused:
            if _answers_invalid_input(info):
                return InvalidInputResult(message=str(refused), field=refused.field)
            raise GraphQLError(str(refused), extensions={"field": refused.field}) from None
        result = _next(root, info, *args, **kwargs)
        return await result if isawaitable(result) else result

    return checked()
