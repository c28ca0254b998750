"""The GraphQL schema, its limits and its error masking, built once at import."""

import logging
from functools import partial
from inspect import isawaitable
from typing import TYPE_CHECKING, Any, cast

from graphql import (
    ExecutionResult as GraphQLExecutionResult,
)
from graphql import (
    GraphQLError,
    GraphQLResolveInfo,
    NoSchemaIntrospectionCustomRule,
    default_field_resolver,
    execute,
    specified_rules,
)
from graphql.validation import ASTValidationRule
from strawberry import Schema
from strawberry.execution import optimized_is_awaitable
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
from strawberry.types import ExecutionContext, ExecutionResult
from strawberry.types.graphql import OperationType

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
from api.input_checks import input_errors
from api.live import Subscription
from api.mutations import Mutation
from api.notifications import NotificationMutation, NotificationQuery
from api.observability import counted_command, tell_operation_name
from api.outages import is_outage
from api.policies import PolicyMutation, PolicyQuery
from api.prepared_queries import variables_key
from api.progress import ProgressMutation, ProgressQuery
from api.query import Query
from api.referrals import ReferralMutation, ReferralQuery, ReferralTermsMutation
from api.reporting import ReportingMutation
from api.request_errors import (
    is_refused_value,
    name_fields_of_refusals,
    naming_fields_of_bad_values,
    refused,
    unexpected,
)
from api.request_hooks import RequestHooks
from api.results import EXCEPTION_HANDLERS
from api.root_field import Outcome, answered_by, coerced_variables, run_directly
from api.statistics import StatisticsQuery
from api.work_queue import WorkQueueQuery

if TYPE_CHECKING:
    from api.prepared_queries import Prepared

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
_AWAITABLE = cast("Any", optimized_is_awaitable)  # strawberry's own
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


MASK = MaskErrors(should_mask_error=_is_unexpected)


def masked(errors: list[GraphQLError]) -> list[GraphQLError]:
    """As the MaskErrors extension answers them: ours anonymised, the client's kept."""
    return [MASK.anonymise_error(e) if _is_unexpected(e) else e for e in errors]


def added_rules(production: bool) -> list[type[ASTValidationRule]]:
    """The limits, and in production no introspection: the SDL is published, the live
    schema need not be explorable by anyone holding a token."""
    return [*VALIDATION_RULES, NoSchemaIntrospectionCustomRule] if production else VALIDATION_RULES


def all_validation_rules(production: bool) -> tuple[type[ASTValidationRule], ...]:
    """What the extensions validate a document by: graphql-core's rules with values
    naming their fields (RequestHooks), then the added ones (AddValidationRules)."""
    return (*naming_fields_of_bad_values(tuple(specified_rules)), *added_rules(production))


class RectifySchema(Schema):
    # set by build_schema: what strawberry's extensions validate each document by
    validation_rules: tuple[type[ASTValidationRule], ...] = ()

    async def execute_prepared(
        self,
        prepared: "Prepared",
        variables: dict[str, Any] | None,
        context: Any,
        extensions: dict[str, Any] | None,
    ) -> ExecutionResult:
        """A query document already parsed and validated (api/prepared_queries.py), run
        with the steps strawberry's `execute` and our extensions take, in their order:
        input text checked (RequestHooks.on_execute; a refusal runs nothing), graphql-core's
        execution with our executor, errors logged (`process_errors`) then named
        (on_execute's exit) then masked (MaskErrors.on_operation's exit), and the
        operation told to the request log."""
        document, name = prepared.document, prepared.operation_name
        key = variables_key(variables)
        passed, coerced = prepared.checked(key)
        errors = [] if passed else input_errors(self._schema, document, name, variables)
        if errors:
            found = GraphQLExecutionResult(None, errors)  # and nothing of it runs
        else:
            root, direct = prepared.root, None
            if root is not None:  # one root field: run without graphql-core's executor
                if coerced is None:
                    coerced = coerced_variables(root, self._schema, variables)
                if coerced is not None:
                    direct = await run_directly(
                        root, self._schema, coerced, context, extensions, _AWAITABLE
                    )
            if not passed:
                prepared.remember(key, coerced)
            if isinstance(direct, dict):
                found = GraphQLExecutionResult(direct, None)
            else:  # graphql-core's, with the resolver's outcome in place where it ran
                answered = None
                if root is not None and isinstance(direct, Outcome):
                    answered = [answered_by(root, direct)]
                found = await self._executed(prepared, variables, context, extensions, answered)
        if found.errors:
            # the hooks take strawberry's execution context: made only for an answer with
            # errors, as it costs a tenth of a small query's CPU
            execution = ExecutionContext(
                query=prepared.query,
                schema=self,
                allowed_operations=(OperationType.QUERY,),
                context=context,
                variables=variables,
                validation_rules=self.validation_rules,
                provided_operation_name=name,
                operation_extensions=extensions,
            )
            execution.graphql_document = document
            execution.result = found
            self._process_errors(found.errors, execution)
            name_fields_of_refusals(execution)
            found.errors = masked(found.errors)
        tell_operation_name(context.request, name)
        return ExecutionResult(data=found.data, errors=found.errors)

    async def _executed(
        self,
        prepared: "Prepared",
        variables: dict[str, Any] | None,
        context: Any,
        extensions: dict[str, Any] | None,
        middleware: list[Any] | None,
    ) -> GraphQLExecutionResult:
        """graphql-core's execution of a prepared query with our executor."""
        try:
            result = execute(
                self._schema,
                prepared.document,
                context_value=context,
                variable_values=variables,
                operation_name=prepared.operation_name,
                middleware=middleware,
                executor_class=self.execution_context_class,
                is_awaitable=_AWAITABLE,
                operation_extensions=extensions,
            )
            return await result if isawaitable(result) else result
        except Exception as error:  # as strawberry: one error, located nowhere
            original = error if isinstance(error, GraphQLError) else None
            return GraphQLExecutionResult(
                None, [original or GraphQLError(str(error), original_error=error)]
            )

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


def _hook_mutations(built: RectifySchema) -> RectifySchema:
    mutation = built._schema.mutation_type
    for field in mutation.fields.values() if mutation is not None else ():
        resolve = field.resolve or default_field_resolver
        for hook in MUTATION_HOOKS:
            resolve = partial(hook, resolve)
        field.resolve = resolve
    return built


def build_schema(production: bool = False, traced: bool = False) -> RectifySchema:
    """Production mode also refuses introspection (`added_rules`). Traced: a span per
    operation and resolver (rectify/tracing.py), never with the arguments (they can hold
    personal data)."""
    rules = added_rules(production)
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
                lambda: MaskErrors(should_mask_error=_is_unexpected),  # as `masked`
                *([lambda: OpenTelemetryExtension(arg_filter=_no_arguments)] if traced else []),
            ],
            execution_context_class=PlainLeavesExecutor,
        )
    )
    built.validation_rules = all_validation_rules(production)
    mark_plain_leaves(built._schema)  # last: after the mutation hooks replaced resolvers
    return built


def _no_arguments(arguments: dict[str, Any], info: GraphQLResolveInfo[Any]) -> dict[str, Any]:
    return {}


schema = build_schema()
production_schema = build_schema(production=True)


def sdl() -> str:
    """The schema as SDL, for checking in and for clients."""
    return schema.as_str()
