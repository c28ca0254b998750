"""The GraphQL schema, its limits and its error masking, built once at import."""

import logging
from functools import partial
from typing import Any

from graphql import (
    GraphQLError,
    GraphQLResolveInfo,
    NoSchemaIntrospectionCustomRule,
    default_field_resolver,
)
from strawberry import Schema
from strawberry.extensions import (
    AddValidationRules,
    MaskErrors,
    MaxAliasesLimiter,
    ParserCache,
    QueryDepthLimiter,
    ValidationCache,
)
from strawberry.extensions.tracing import OpenTelemetryExtension
from strawberry.tools import merge_types
from strawberry.types import ExecutionContext

from api.accounts import AccountMutation, AccountQuery
from api.agencies import AgencyGroupQuery, AgencyMutation
from api.audit_trail import AuditTrailQuery
from api.calendar import CalendarMutation, CalendarQuery
from api.campaigns import CampaignMutation
from api.case_transfers import CaseTransferMutation, CaseTransferQuery
from api.clock_controls import ClockControlMutation, ClockQuery
from api.clues import ClueMutation, ClueQuery
from api.evidence_names import EvidenceFileQuery
from api.execution import PlainLeavesExecutor, mark_plain_leaves
from api.figure_lists import FigureListQuery
from api.file_references import check_file_references
from api.idempotency import keyed_command
from api.live import Subscription
from api.mutations import Mutation
from api.notifications import NotificationMutation, NotificationQuery
from api.observability import counted_command
from api.outages import is_outage
from api.policies import PolicyMutation, PolicyQuery
from api.progress import ProgressMutation, ProgressQuery
from api.query import Query
from api.referrals import ReferralMutation, ReferralQuery, ReferralTermsMutation
from api.reporting import ReportingMutation
from api.request_errors import is_refused_value, refused, unexpected
from api.request_hooks import RequestHooks
from api.results import EXCEPTION_HANDLERS
from api.statistics import StatisticsQuery
from api.work_queue import WorkQueueQuery

# Each item kind keeps its own query and mutation classes in its own module; list them here.
QUERIES: tuple[type, ...] = (Query, NotificationQuery)
MUTATIONS: tuple[type, ...] = (
    Mutation,
    CampaignMutation,
    NotificationMutation,
)
QUERIES += (ReferralQuery,)
MUTATIONS += (ReferralMutation, ReferralTermsMutation)
MUTATIONS += (ClockControlMutation,)
QUERIES += (ClockQuery,)
QUERIES += (CaseTransferQuery,)
MUTATIONS += (CaseTransferMutation,)
MUTATIONS += (ReportingMutation,)
QUERIES += (ClueQuery,)
MUTATIONS += (ClueMutation,)
QUERIES += (AuditTrailQuery,)
QUERIES += (StatisticsQuery,)
QUERIES += (FigureListQuery,)
QUERIES += (ProgressQuery,)
QUERIES += (WorkQueueQuery,)
MUTATIONS += (ProgressMutation,)
MUTATIONS += (AgencyMutation,)
QUERIES += (AccountQuery,)
MUTATIONS += (AccountMutation,)
QUERIES += (CalendarQuery, PolicyQuery, AgencyGroupQuery)
MUTATIONS += (CalendarMutation, PolicyMutation)
QUERIES += (EvidenceFileQuery,)

log = logging.getLogger("rectify.api")
MAX_DEPTH = 10
MAX_ALIASES = 30

# The rule classes are created once: new classes per request would miss the validation
# cache (strawberry #4635). Each request gets a fresh, cheap extension holding them.
VALIDATION_RULES = [
    *QueryDepthLimiter(max_depth=MAX_DEPTH).validation_rules,
    *MaxAliasesLimiter(max_alias_count=MAX_ALIASES).validation_rules,
]


def _is_unexpected(error: GraphQLError) -> bool:
    """Mask errors raised by our code; keep GraphQL's own (syntax, validation, bad cursor)
    and the domain's refusals of a value (InvalidInput, naming its field)."""
    original = error.original_error
    return (
        original is not None
        and not isinstance(original, GraphQLError)
        and not is_refused_value(error)
    )


class RectifySchema(Schema):
    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        """A user's mistake (bad cursor, page size, syntax) is one log line; only an error
        from our own code gets a stack. Neither carries the message text as sent: it may
        quote the client's values, e.g. a reporter's phone (api.request_errors)."""
        if is_outage(errors) and execution_context is not None:
            # answered 503 by the view (api/app.py), before the errors are masked
            execution_context.context.request.state.database_outage = True
        for error in errors:
            if _is_unexpected(error):
                log.error("graphql request failed: %s", unexpected(error))
            else:
                log.info("graphql request refused: %s", refused(error))


# Around each mutation field's resolver, innermost first (the order graphql-core chained
# them in as extensions: the file check outermost). Not SchemaExtension.resolve hooks: those
# wrap every field of every query — 170 fields of a dashboard, 500 of a queue page — to
# act on the few top-level mutation fields (ADR 0060).
MUTATION_HOOKS = (counted_command, keyed_command, check_file_references)


def _hook_mutations(built: Schema) -> Schema:
    mutation = built._schema.mutation_type
    for field in mutation.fields.values() if mutation is not None else ():
        resolve = field.resolve or default_field_resolver
        for hook in MUTATION_HOOKS:
            resolve = partial(hook, resolve)
        field.resolve = resolve
    return built


def build_schema(production: bool = False, traced: bool = False) -> Schema:
    """Production mode also refuses introspection: the SDL is published, the live schema
    need not be explorable by anyone holding a token. Traced: a span per operation and
    resolver (rectify/tracing.py), never with the arguments (they can hold personal data)."""
    rules = [*VALIDATION_RULES, NoSchemaIntrospectionCustomRule] if production else VALIDATION_RULES
    built = _hook_mutations(
        RectifySchema(
            query=merge_types("Query", QUERIES),
            mutation=merge_types("Mutation", MUTATIONS),
            subscription=Subscription,
            exception_handlers=EXCEPTION_HANDLERS,
            extensions=[
                RequestHooks,  # ours: names, refusals, input checks (api/request_hooks.py)
                lambda: AddValidationRules(rules),
                lambda: ParserCache(maxsize=256),
                lambda: ValidationCache(maxsize=256),
                lambda: MaskErrors(should_mask_error=_is_unexpected),
                *([lambda: OpenTelemetryExtension(arg_filter=_no_arguments)] if traced else []),
            ],
            execution_context_class=PlainLeavesExecutor,
        )
    )
    mark_plain_leaves(built._schema)  # last: after the mutation hooks replaced resolvers
    return built


def _no_arguments(arguments: dict[str, Any], info: GraphQLResolveInfo[Any]) -> dict[str, Any]:
    return {}


schema = build_schema()
production_schema = build_schema(production=True)


def sdl() -> str:
    """The schema as SDL, for checking in and for clients."""
    return schema.as_str()
