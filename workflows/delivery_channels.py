"""Delivery channels behind one interface: `channel.send(message) -> DeliveryOutcome`.

A channel makes one attempt and says how it went; it never retries. Retrying with
backoff is the job of the Temporal activity's retry policy, and recording the outcome is
the job of the activity (workflows/delivery_activities.py). An outcome is `retryable`
when trying again later may succeed (a 5xx, a timeout, a refused connection) and
permanent when it never will (a 4xx, a mailbox that does not exist).

Webhooks are signed: `X-Rectify-Signature: sha256=<hex>` is HMAC-SHA256, with the
endpoint's secret, over `<timestamp>.<body>`, and `X-Rectify-Timestamp` carries that
timestamp (Unix seconds). Signing the timestamp with the body means a captured request
cannot be replayed later with a fresh timestamp; receivers reject old timestamps
(`verify_signature`). `X-Rectify-Delivery` is the delivery id, the same on every retry,
so a receiver can drop a repeat (the one case we cannot rule out ourselves: a send that
succeeded but whose success was never recorded because the worker died in between).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import smtplib
import time
from dataclasses import asdict, dataclass
from email.message import EmailMessage
from email.utils import formatdate
from typing import Protocol

import httpx

SIGNATURE_HEADER = "X-Rectify-Signature"
TIMESTAMP_HEADER = "X-Rectify-Timestamp"
DELIVERY_HEADER = "X-Rectify-Delivery"
REPLAY_TOLERANCE_SECONDS = 300
WEBHOOK_TIMEOUT_SECONDS = 10.0
SMTP_TIMEOUT_SECONDS = 20.0
# Worth trying again: the receiver is busy, rate limiting or broken for now.
RETRYABLE_STATUS = frozenset({408, 425, 429, 500, 502, 503, 504})


@dataclass(frozen=True)
class Message:
    """One notice for one endpoint, as sent (strings only: it crosses Temporal)."""

    delivery_id: str
    notice_id: str
    kind: str  # reminder, overdue, escalation, breach
    rung: str  # e.g. 督办 for an escalation; empty otherwise
    title: str  # Chinese / English
    body: str
    item_kind: str
    item_id: str
    agency_id: str
    agency_name: str
    at: str  # ISO 8601 instant of the milestone

    def json_body(self) -> bytes:
        return json.dumps(asdict(self), ensure_ascii=False, sort_keys=True).encode()


@dataclass(frozen=True)
class DeliveryOutcome:
    delivered: bool
    retryable: bool = False
    detail: str = ""  # the receiver's answer, or what went wrong


class Channel(Protocol):
    def send(self, message: Message) -> DeliveryOutcome: ...


def sign(secret: str, timestamp: str, body: bytes) -> str:
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def verify_signature(
    secret: str,
    timestamp: str,
    body: bytes,
    signature: str,
    now: float,
    tolerance: int = REPLAY_TOLERANCE_SECONDS,
) -> bool:
    """For receivers (and our tests): the signature matches and the timestamp is fresh."""
    try:
        age = abs(now - int(timestamp))
    except ValueError:
        return False
    return age <= tolerance and hmac.compare_digest(sign(secret, timestamp, body), signature)


class WebhookChannel:
    """HTTP POST of the message as JSON, signed with the endpoint's secret."""

    def __init__(self, url: str, secret: str, timeout: float = WEBHOOK_TIMEOUT_SECONDS) -> None:
        self.url = url
        self.secret = secret
        self.timeout = timeout

    def send(self, message: Message) -> DeliveryOutcome:
        body = message.json_body()
        timestamp = str(int(time.time()))
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            SIGNATURE_HEADER: sign(self.secret, timestamp, body),
            TIMESTAMP_HEADER: timestamp,
            DELIVERY_HEADER: message.delivery_id,
            "User-Agent": "rectify-notifier",
        }
        try:
            response = httpx.post(self.url, content=body, headers=headers, timeout=self.timeout)
        except httpx.HTTPError as error:
            return DeliveryOutcome(False, retryable=True, detail=f"{type(error).__name__}: {error}")
        answer = f"HTTP {response.status_code}"
        if response.is_success:
            return DeliveryOutcome(True, detail=answer)
        return DeliveryOutcome(
            False,
            retryable=response.status_code in RETRYABLE_STATUS or response.status_code >= 500,
            detail=f"{answer}: {response.text[:200]}",
        )


@dataclass(frozen=True)
class SmtpConfig:
    """The outgoing mail server (RECTIFY_SMTP_* variables); no host means no e-mail."""

    host: str = ""
    port: int = 25
    sender: str = "rectify@localhost"
    username: str = ""
    password: str = ""
    starttls: bool = False

    @classmethod
    def from_env(cls) -> SmtpConfig:
        env = os.environ
        return cls(
            host=env.get("RECTIFY_SMTP_HOST", ""),
            port=int(env.get("RECTIFY_SMTP_PORT", "25")),
            sender=env.get("RECTIFY_SMTP_FROM", "rectify@localhost"),
            username=env.get("RECTIFY_SMTP_USER", ""),
            password=env.get("RECTIFY_SMTP_PASSWORD", ""),
            starttls=env.get("RECTIFY_SMTP_STARTTLS", "").lower() in ("1", "y", "yes", "true"),
        )


def email_of(message: Message, sender: str, recipient: str) -> EmailMessage:
    mail = EmailMessage()
    mail["Subject"] = message.title
    mail["From"] = sender
    mail["To"] = recipient
    mail["Date"] = formatdate(localtime=False)
    # The same Message-ID on every retry lets a mail system drop a repeat.
    mail["Message-ID"] = f"<{message.delivery_id}@rectify>"
    mail[DELIVERY_HEADER] = message.delivery_id
    mail.set_content(
        f"{message.body}\n\n"
        f"单位 / agency: {message.agency_name}\n"
        f"时间 / at: {message.at}\n"
        f"事项 / item: {message.item_kind} {message.item_id}\n\n"
        "此邮件由 Rectify 自动发送，请勿回复。/ Sent automatically by Rectify; do not reply.\n"
    )
    return mail


class EmailChannel:
    """One e-mail through the configured SMTP server (stdlib smtplib)."""

    def __init__(self, config: SmtpConfig, recipient: str) -> None:
        self.config = config
        self.recipient = recipient

    def send(self, message: Message) -> DeliveryOutcome:
        if not self.config.host:
            return DeliveryOutcome(
                False, retryable=False, detail="未配置邮件服务器 / RECTIFY_SMTP_HOST is not set"
            )
        mail = email_of(message, self.config.sender, self.recipient)
        try:
            with smtplib.SMTP(
                self.config.host, self.config.port, timeout=SMTP_TIMEOUT_SECONDS
            ) as smtp:
                if self.config.starttls:
                    smtp.starttls()
                if self.config.username:
                    smtp.login(self.config.username, self.config.password)
                refused = smtp.send_message(mail)
        except smtplib.SMTPRecipientsRefused as error:
            codes = [code for code, _ in error.recipients.values()]
            return DeliveryOutcome(
                False, retryable=all(400 <= c < 500 for c in codes), detail=str(error.recipients)
            )
        except smtplib.SMTPResponseException as error:
            # 4xx: try later (greylisting, mailbox busy); 5xx: the server will never accept.
            return DeliveryOutcome(
                False,
                retryable=400 <= error.smtp_code < 500,
                detail=f"SMTP {error.smtp_code}: {error.smtp_error!r}",
            )
        except (smtplib.SMTPException, OSError) as error:
            return DeliveryOutcome(False, retryable=True, detail=f"{type(error).__name__}: {error}")
        if refused:
            return DeliveryOutcome(False, retryable=False, detail=f"refused: {refused}")
        return DeliveryOutcome(True, detail=f"SMTP accepted for {self.recipient}")
