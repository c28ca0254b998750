"""Web accounts in GraphQL, for the admin page: `users`, `signInLog`, and the mutations
`createUser`, `grantRole`, `revokeRole`, `resetPassword`, `lockUser`, `unlockUser`,
`disableUser` (who may: api/authz/accounts.py; refusals are members of `UserResult`).

A change to an account ends its web sessions (api/sessions.py): the user signs in again
under the new grant, or not at all. A password arrives here, is hashed (api/passwords.py)
and goes no further: the result, the events and the logs never hold it.
"""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Annotated, Any
from uuid import UUID

import strawberry
from graphql import GraphQLError
from starlette.concurrency import run_in_threadpool

from api import commands, cursors, sessions
from api.authz.accounts import AccountAction, authorize
from api.authz.core import NotAllowedError
from api.context import Context
from api.passwords import hash_password
from api.results import (
    ConflictResult,
    InvalidInputResult,
    InvalidTransitionResult,
    NotAllowedResult,
    NotFoundResult,
)
from api.types import PageInfo, RoleType
from domain.accounts import Account
from domain.application import CommandResult, RectifyApp
from projections import account_queries

Info = strawberry.Info[Context, None]
MAX_PAGE = 100
AgencyArgument = Annotated[
    str | None, strawberry.argument(description="单位编号或名称 / agency id or name")
]


@strawberry.enum(
    name="AccountStatus", description="账号状态 / ACTIVE 正常, LOCKED 已锁定, DISABLED 已停用"
)
class AccountStatusType(Enum):
    ACTIVE = "ACTIVE"
    LOCKED = "LOCKED"
    DISABLED = "DISABLED"


@strawberry.type(description="用户账号 / a web account (never its password)")
class UserAccount:
    id: strawberry.ID
    username: str
    display_name: str
    status: AccountStatusType
    role: RoleType | None
    agency_id: strawberry.ID | None
    agency_name: str | None
    region: str | None
    failed_sign_ins: int = strawberry.field(description="连续登录失败次数 / failures in a row")
    created_at: datetime
    changed_at: datetime

    @classmethod
    def of_row(cls, row: Any) -> UserAccount:
        return cls(
            id=strawberry.ID(str(row["id"])),
            username=row["username"],
            display_name=row["display_name"],
            status=AccountStatusType(row["status"]),
            role=RoleType(row["role"]) if row["role"] else None,
            agency_id=strawberry.ID(str(row["agency_id"])) if row["agency_id"] else None,
            agency_name=row["agency_name"],
            region=row["region"],
            failed_sign_ins=row["failures"],
            created_at=row["created_at"],
            changed_at=row["changed_at"],
        )

    @classmethod
    def of(cls, account: Account) -> UserAccount:
        return cls.of_row(
            {
                "id": account.id,
                "username": account.username,
                "display_name": account.display_name,
                "status": account.status.value,
                "role": account.role,
                "agency_id": account.agency_id,
                "agency_name": account.agency_name,
                "region": account.region,
                "failures": account.failures,
                "created_at": account.created_on,
                "changed_at": account.modified_on,
            }
        )


@strawberry.type
class UserEdge:
    cursor: str
    node: UserAccount


@strawberry.type
class UserConnection:
    edges: list[UserEdge]
    page_info: PageInfo


@strawberry.type(description="登录日志 / one sign-in attempt")
class SignInAttempt:
    at: datetime
    username: str = strawberry.field(description="输入的用户名 / the user name as typed")
    outcome: str = strawberry.field(
        description="signed_in, wrong_password, wrong_password_locked (this failure locked "
        "the account), unknown_user, locked, disabled, no_role"
    )
    address: str | None = strawberry.field(description="客户端地址 / the client's address")
    user_agent: str | None


@strawberry.type
class SignInEdge:
    cursor: str
    node: SignInAttempt


@strawberry.type
class SignInConnection:
    edges: list[SignInEdge]
    page_info: PageInfo


@strawberry.type
class UserChanged:
    user: UserAccount
    position: int | None = strawberry.field(
        description="log position of the change; null when nothing had to change"
    )


UserResult = Annotated[
    UserChanged
    | NotAllowedResult
    | InvalidInputResult
    | InvalidTransitionResult
    | NotFoundResult
    | ConflictResult,
    strawberry.union("UserResult"),
]


async def _page(
    info: Info, list_name: str, table: str, first: int, after: str | None
) -> tuple[list[tuple[str, Any]], PageInfo]:
    """One keyset page of `table` (projections/account_queries.py): (cursor, row) pairs."""
    cursors.page_size(first, MAX_PAGE)
    keyset = account_queries.ORDERS[table]
    start = cursors.decode(after, list_name, table, keyset) if after else None
    rows = await account_queries.page(info.context.pool, table, first, start)
    shown = [(cursors.encode(list_name, table, keyset, row), row) for row in rows[:first]]
    end = shown[-1][0] if shown else None
    return shown, PageInfo(has_next_page=len(rows) > first, end_cursor=end)


def _may_read(info: Info, action: AccountAction) -> None:
    """A read refused is a GraphQL error (a query has no result union)."""
    try:
        authorize(info.context.user, action)
    except NotAllowedError as refused:
        raise GraphQLError(refused.message) from None


@strawberry.type
class AccountQuery:
    @strawberry.field(description="用户账号 / every web account, by user name (admins only)")
    async def users(self, info: Info, first: int = 50, after: str | None = None) -> UserConnection:
        _may_read(info, AccountAction.LIST)
        shown, page = await _page(info, "users", "accounts", first, after)
        edges = [UserEdge(cursor=cursor, node=UserAccount.of_row(r)) for cursor, r in shown]
        return UserConnection(edges=edges, page_info=page)

    @strawberry.field(description="登录日志 / sign-in attempts, newest first (admins, auditors)")
    async def sign_in_log(
        self, info: Info, first: int = 50, after: str | None = None
    ) -> SignInConnection:
        _may_read(info, AccountAction.READ_SIGN_IN_LOG)
        shown, page = await _page(info, "sign-ins", "sign_in_log", first, after)
        edges = [
            SignInEdge(
                cursor=cursor,
                node=SignInAttempt(
                    at=r["at"],
                    username=r["username"],
                    outcome=r["outcome"],
                    address=r["address"],
                    user_agent=r["user_agent"],
                ),
            )
            for cursor, r in shown
        ]
        return SignInConnection(edges=edges, page_info=page)


async def _change(
    info: Info,
    action: AccountAction,
    username: str,
    command: Any,
    end_sessions: bool = True,
) -> UserChanged:
    """Authorise, run `command(app, actor)` for the account, end its sessions, show it."""
    context = info.context
    authorize(context.user, action)
    who = commands.actor(context)
    result: CommandResult = await commands.run_command(context, lambda app: command(app, who))
    account = await run_in_threadpool(context.app.get_account, username)
    if end_sessions and result.changed:
        await sessions.end_user(context.pool, account.username)
    # Read from the event store: no wait; the admin page's list refetches with `position`
    # (X-Rectify-Min-Position) to show the change.
    return UserChanged(user=UserAccount.of(account), position=result.position)


def _agency(app: RectifyApp, agency: str | None) -> tuple[UUID | None, str | None]:
    if agency is None or not agency.strip():
        return None, None
    found = commands.find_agency(app, agency, "agency")
    return found, app.get_agency(found).name


@strawberry.type
class AccountMutation:
    @strawberry.mutation(description="新建用户 / create a web account (admins only)")
    async def create_user(
        self,
        info: Info,
        username: str,
        display_name: str,
        password: str,
        role: RoleType | None = None,
        agency: AgencyArgument = None,
        region: str | None = None,
    ) -> UserResult:
        authorize(info.context.user, AccountAction.CREATE)
        password_hash = await run_in_threadpool(hash_password, password)

        def create(app: RectifyApp, who: str) -> CommandResult:
            grant = None
            if role is not None:
                grant = (role.value, *_agency(app, agency), region)
            return app.add_account(username, display_name, password_hash, who, grant=grant)

        return await _change(info, AccountAction.CREATE, username, create, end_sessions=False)

    @strawberry.mutation(description="授予角色 / grant a role, replacing the one held")
    async def grant_role(
        self,
        info: Info,
        username: str,
        role: RoleType,
        agency: AgencyArgument = None,
        region: str | None = None,
    ) -> UserResult:
        def grant(app: RectifyApp, who: str) -> CommandResult:
            found, name = _agency(app, agency)
            return app.grant_role(username, role.value, found, name, region, who)

        return await _change(info, AccountAction.GRANT, username, grant)

    @strawberry.mutation(description="撤销角色 / revoke the account's role")
    async def revoke_role(self, info: Info, username: str) -> UserResult:
        return await _change(
            info, AccountAction.REVOKE, username, lambda app, who: app.revoke_role(username, who)
        )

    @strawberry.mutation(description="重置密码 / set a new password (min. 8 characters)")
    async def reset_password(self, info: Info, username: str, password: str) -> UserResult:
        authorize(info.context.user, AccountAction.RESET_PASSWORD)
        password_hash = await run_in_threadpool(hash_password, password)
        return await _change(
            info,
            AccountAction.RESET_PASSWORD,
            username,
            lambda app, who: app.set_account_password(username, password_hash, who),
        )

    @strawberry.mutation(description="锁定用户 / lock an account")
    async def lock_user(self, info: Info, username: str) -> UserResult:
        return await _change(
            info, AccountAction.LOCK, username, lambda app, who: app.lock_account(username, who)
        )

    @strawberry.mutation(description="解锁用户 / unlock an account")
    async def unlock_user(self, info: Info, username: str) -> UserResult:
        return await _change(
            info,
            AccountAction.UNLOCK,
            username,
            lambda app, who: app.unlock_account(username, who),
        )

    @strawberry.mutation(description="停用用户 / disable an account for good")
    async def disable_user(self, info: Info, username: str) -> UserResult:
        return await _change(
            info,
            AccountAction.DISABLE,
            username,
            lambda app, who: app.disable_account(username, who),
        )
