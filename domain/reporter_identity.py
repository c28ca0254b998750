"""A reporter's identity (举报人身份), sealed field-level with AES-256-GCM.

Only the sealed form ever enters an event, so the event store, the read tables and the logs
never hold a name, phone or ID number in plaintext. Each ciphertext names the key it was
sealed with, so keys can rotate: new seals use the current (first) key, every listed key
still opens what it sealed, and `Clue.reseal` moves a clue to the current key.

Keys come from the environment, `RECTIFY_IDENTITY_KEYS="kid1:base64key,kid2:base64key"`
(32-byte keys, the first is current). Unset, a development key marked as such is used;
in production mode (`RECTIFY_MODE=production`) that is refused.

The clue's id is the associated data: a sealed identity copied onto another clue does not
open. cryptography is the library eventsourcing's own AES cipher uses; this module is the
only one of domain/ that needs it.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from domain.errors import DomainError, InvalidInput
from domain.messages import says

KEYS_VARIABLE = "RECTIFY_IDENTITY_KEYS"
DEV_KEY_ID = "dev-insecure"
# Derived from a public string on purpose: anyone can open what it sealed.
_DEV_KEY = hashlib.sha256(b"rectify development identity key - NOT FOR PRODUCTION").digest()
PROTECTED = "受保护 / protected"
WITHHELD = "[举报人信息已隐去]"
MIN_WITHHELD_DIGITS = 5  # shorter runs of digits would take out amounts and dates
MIN_WITHHELD_NAME = 2  # a single character would take out every common surname


class KeyConfigurationError(DomainError):
    """The identity keys are missing, malformed, or lack the key a ciphertext names."""

    code = "KEY_CONFIGURATION"


@dataclass(frozen=True)
class ReporterIdentity:
    name: str
    phone: str = ""
    id_number: str = ""
    address: str = ""

    def __post_init__(self) -> None:
        if not self.name.strip():
            raise InvalidInput("reporter.name", says("reporter_name_required"))
        if not (self.phone.strip() or self.address.strip()):
            raise InvalidInput("reporter.phone", says("reporter_contact_required"))

    def __repr__(self) -> str:
        # Never print personal data, even in a traceback or a debug log.
        return f"ReporterIdentity({PROTECTED})"

    __str__ = __repr__

    def as_dict(self) -> dict[str, str]:
        return {
            "name": self.name.strip(),
            "phone": self.phone.strip(),
            "id_number": self.id_number.strip(),
            "address": self.address.strip(),
        }

    def withheld_from(self, text: str) -> str:
        """`text` with this reporter's name, phone, ID number and address taken out: staff
        who copy a hotline call into the clue's content must not put the identity in the
        clear beside its sealed form. Digits match with or without spaces and dashes."""
        for value in (self.phone, self.id_number):
            digits = [c for c in value if c.isalnum()]
            if len(digits) >= MIN_WITHHELD_DIGITS:
                pattern = r"[\s\-]?".join(re.escape(c) for c in digits)
                text = re.sub(rf"(?<![0-9]){pattern}(?![0-9])", WITHHELD, text, flags=re.I)
        for value in (self.address.strip(), self.name.strip()):
            if len(value) >= MIN_WITHHELD_NAME:
                text = text.replace(value, WITHHELD)
        return text


@dataclass(frozen=True)
class IdentityKeys:
    """The keys by id; `current` seals, all of them open."""

    keys: Mapping[str, bytes]
    current: str

    @property
    def is_development(self) -> bool:
        return self.current == DEV_KEY_ID

    @classmethod
    def parse(cls, text: str) -> IdentityKeys:
        keys: dict[str, bytes] = {}
        order: list[str] = []
        for part in (p.strip() for p in text.split(",")):
            if not part:
                continue
            kid, sep, encoded = part.partition(":")
            kid = kid.strip()
            if not sep or not kid or kid in keys:
                raise KeyConfigurationError(says("key_format", variable=KEYS_VARIABLE, kid=kid))
            try:
                key = base64.b64decode(encoded.strip(), validate=True)
            except (binascii.Error, ValueError):
                raise KeyConfigurationError(
                    says("key_not_base64", variable=KEYS_VARIABLE, kid=kid)
                ) from None
            if len(key) != 32:
                raise KeyConfigurationError(
                    says("key_not_32_bytes", variable=KEYS_VARIABLE, kid=kid)
                )
            keys[kid] = key
            order.append(kid)
        if not order:
            raise KeyConfigurationError(says("no_key", variable=KEYS_VARIABLE))
        return cls(keys, order[0])

    @classmethod
    def development(cls) -> IdentityKeys:
        return cls({DEV_KEY_ID: _DEV_KEY}, DEV_KEY_ID)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> IdentityKeys:
        source = os.environ if env is None else env
        text = (source.get(KEYS_VARIABLE) or "").strip()
        production = (source.get("RECTIFY_MODE") or "").strip() == "production"
        if text:
            keys = cls.parse(text)
            # the development key is published: under any kid it opens nothing in secret
            published = [kid for kid, key in keys.keys.items() if key == _DEV_KEY]
            if production and published:
                raise KeyConfigurationError(
                    says("dev_key_in_production", variable=KEYS_VARIABLE, kid=published[0])
                )
            return keys
        if production:
            raise KeyConfigurationError(says("production_needs_keys", variable=KEYS_VARIABLE))
        return cls.development()


def new_key() -> str:
    """A fresh key in the form the environment variable takes."""
    return base64.b64encode(AESGCM.generate_key(bit_length=256)).decode()


def key_id(sealed: Mapping[str, Any]) -> str:
    return str(sealed.get("kid", ""))


def seal(identity: ReporterIdentity, keys: IdentityKeys, clue_id: UUID) -> dict[str, str]:
    nonce = os.urandom(12)
    plaintext = json.dumps(identity.as_dict(), ensure_ascii=False).encode()
    ciphertext = AESGCM(keys.keys[keys.current]).encrypt(nonce, plaintext, _aad(clue_id))
    return {
        "kid": keys.current,
        "nonce": base64.b64encode(nonce).decode(),
        "ct": base64.b64encode(ciphertext).decode(),
    }


def unseal(sealed: Mapping[str, Any], keys: IdentityKeys, clue_id: UUID) -> ReporterIdentity:
    kid = key_id(sealed)
    key = keys.keys.get(kid)
    if key is None:
        raise KeyConfigurationError(says("key_not_configured", variable=KEYS_VARIABLE, kid=kid))
    try:
        nonce = base64.b64decode(str(sealed["nonce"]))
        ciphertext = base64.b64decode(str(sealed["ct"]))
        data = json.loads(AESGCM(key).decrypt(nonce, ciphertext, _aad(clue_id)))
    except (InvalidTag, KeyError, ValueError) as error:
        raise KeyConfigurationError(says("identity_does_not_open", kid=kid)) from error
    return ReporterIdentity(**{k: str(v) for k, v in data.items()})


def _aad(clue_id: UUID) -> bytes:
    return f"clue:{clue_id}".encode()
