"""Who may manage web accounts and read the 登录日志 (sign-in log), in one table.

Only admins list and change accounts (create, grant, revoke, reset a password, lock,
unlock, disable); admins and auditors read the sign-in log. Every grant is an event of the
account's stream, so its audit trail (api/audit_trail.py) says who granted what to whom.
"""

from __future__ import annotations

from enum import StrEnum

from api.auth import Role, User
from api.authz.core import NotAllowedError, Rules, Scope


class AccountAction(StrEnum):
    LIST = "list users"
    CREATE = "create a user"
    GRANT = "grant a role"
    REVOKE = "revoke a role"
    RESET_PASSWORD = "reset a password"
    LOCK = "lock a user"
    UNLOCK = "unlock a user"
    DISABLE = "disable a user"
    READ_SIGN_IN_LOG = "read the sign-in log"


LABELS = {
    AccountAction.LIST: "查看用户",
    AccountAction.CREATE: "新建用户",
    AccountAction.GRANT: "授予角色",
    AccountAction.REVOKE: "撤销角色",
    AccountAction.RESET_PASSWORD: "重置密码",
    AccountAction.LOCK: "锁定用户",
    AccountAction.UNLOCK: "解锁用户",
    AccountAction.DISABLE: "停用用户",
    AccountAction.READ_SIGN_IN_LOG: "查看登录日志",
}

ADMINS: Rules = {Role.ADMIN: Scope.ANY}
RULES: dict[AccountAction, Rules] = {
    **{action: ADMINS for action in AccountAction},
    AccountAction.READ_SIGN_IN_LOG: {Role.ADMIN: Scope.ANY, Role.AUDITOR: Scope.ANY},
}


def authorize(user: User, action: AccountAction) -> None:
    if user.role not in RULES[action]:
        raise NotAllowedError(
            f"{user.role.value} 无权{LABELS[action]} / role {user.role.value} may not "
            f"{action.value}"
        )
