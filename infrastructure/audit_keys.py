"""The audit checkpoints' keys by id, so the key can rotate (docs/decisions/0064).

`RECTIFY_AUDIT_KEYS="2027a:BASE64,2026a:BASE64"`: keys of 32 bytes or more, the first one
current (new checkpoints are authenticated with it), every listed one still verifies the
checkpoints it authenticated; each checkpoint records the id of its key. The single
`RECTIFY_AUDIT_KEY` of before stays valid as the unnamed key (its checkpoints record no
id): it is current while RECTIFY_AUDIT_KEYS is unset, and only verifies once that is set.
"""

from __future__ import annotations

import base64
import binascii
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass

KEYS_VARIABLE = "RECTIFY_AUDIT_KEYS"
LEGACY_VARIABLE = "RECTIFY_AUDIT_KEY"
LEGACY_NAME = f"({LEGACY_VARIABLE})"  # how the unnamed key is shown; no id can look like it
MIN_KEY_BYTES = 32
_KEY_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")


class AuditKeyError(Exception):
    """The audit keyring is malformed, or lacks the key a checkpoint names; the message
    names the entry or the checkpoint, in Chinese and English."""

    def __init__(self, message: str) -> None:
        self.message = message
        super().__init__(message)


def shown(kid: str | None) -> str:
    return LEGACY_NAME if kid is None else kid


@dataclass(frozen=True)
class AuditKeys:
    """The keys by id (None: the unnamed RECTIFY_AUDIT_KEY); `current` authenticates new
    checkpoints, all of them verify."""

    keys: Mapping[str | None, bytes]
    current: str | None

    @property
    def current_key(self) -> bytes:
        return self.keys[self.current]

    def key(self, kid: str | None) -> bytes | None:
        return self.keys.get(kid)

    @classmethod
    def legacy(cls, key: str | bytes) -> AuditKeys:
        """The one unnamed key of before (what RECTIFY_AUDIT_KEY alone configures)."""
        return cls({None: key.encode() if isinstance(key, str) else key}, None)

    @classmethod
    def parse(cls, text: str, legacy: str | None = None) -> AuditKeys:
        """RECTIFY_AUDIT_KEYS, with RECTIFY_AUDIT_KEY as the unnamed key if given; the
        unnamed key is current only when no named key is listed."""
        keys: dict[str | None, bytes] = {}
        order: list[str] = []
        for number, part in enumerate((p.strip() for p in text.split(",")), start=1):
            if not part:
                continue
            kid, sep, encoded = (s.strip() for s in part.partition(":"))
            # named by position, and by id only where it cannot be the key itself
            entry = f"#{number} '{kid}'" if sep and 0 < len(kid) <= 64 else f"#{number}"
            if not sep or not _KEY_ID.fullmatch(kid):
                raise AuditKeyError(
                    f"{KEYS_VARIABLE} 第 {entry} 项格式不对，应为 编号:base64密钥（编号仅含字母、"
                    f"数字、.、_、-）/ entry {entry} is malformed: expected ID:BASE64, the id "
                    "made of letters, digits, '.', '_' and '-' (at most 64)"
                )
            if kid in keys:
                raise AuditKeyError(
                    f"{KEYS_VARIABLE} 第 {entry} 项：密钥编号重复 / entry {entry}: the key id "
                    "is listed twice"
                )
            try:
                key = base64.b64decode(encoded, validate=True)
            except (binascii.Error, ValueError):
                raise AuditKeyError(
                    f"{KEYS_VARIABLE} 第 {entry} 项：密钥不是 base64 / entry {entry}: the key "
                    "is not base64"
                ) from None
            if len(key) < MIN_KEY_BYTES:
                raise AuditKeyError(
                    f"{KEYS_VARIABLE} 第 {entry} 项：密钥不足 {MIN_KEY_BYTES} 字节 / entry "
                    f"{entry}: the key is shorter than {MIN_KEY_BYTES} bytes (use `rectify "
                    "audit new-key ID`)"
                )
            keys[kid] = key
            order.append(kid)
        if legacy is not None:
            keys[None] = legacy.encode()
        if not keys:
            raise AuditKeyError(
                f"未配置审计密钥：设置 {KEYS_VARIABLE} 或 {LEGACY_VARIABLE} / no audit key: "
                f"set {KEYS_VARIABLE} (or {LEGACY_VARIABLE})"
            )
        return cls(keys, order[0] if order else None)


def new_key(kid: str) -> str:
    """A fresh key as an entry of RECTIFY_AUDIT_KEYS (`ID:base64`)."""
    if not _KEY_ID.fullmatch(kid):
        raise AuditKeyError(
            f"密钥编号 '{kid}' 只能含字母、数字、.、_、-（至多 64 个）/ key id '{kid}': use "
            "letters, digits, '.', '_' and '-' (at most 64)"
        )
    return f"{kid}:{base64.b64encode(os.urandom(MIN_KEY_BYTES)).decode()}"


def unknown_key(seq: int, kid: str | None) -> str:
    return (
        f"检查点 #{seq} 的密钥 {shown(kid)} 未配置（已从 {KEYS_VARIABLE} 移除，或编号被改动）/ "
        f"checkpoint #{seq} was authenticated with key {shown(kid)}, which is not configured "
        f"(removed from {KEYS_VARIABLE}, or its key id was altered)"
    )
