"""A local HTTP receiver and a local SMTP sink (both in-process), and a Temporal
time-skipping environment with a worker and a notifier, for the delivery tests.

Import `deliveries_fixture` into a test module to use the `deliveries` fixture.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from uuid import UUID, uuid4

import pytest
from aiosmtpd.controller import Controller
from temporalio.client import WorkflowExecutionStatus
from temporalio.testing import WorkflowEnvironment

from domain.application import RectifyApp
from domain.deadlines import Deadline
from domain.delivery import Delivery, delivery_id
from domain.notices import Recipient, notice_id
from rectify.embedded import find_binary
from workflows.delivery_activities import DeliveryActivities, default_channels
from workflows.delivery_channels import SmtpConfig
from workflows.delivery_inputs import delivery_workflow_id
from workflows.notifier import Notifier
from workflows.worker import build_worker

REFUSED_MAILBOX = "nobody@wsj.example.cn"
WAIT_STEP = timedelta(minutes=10)
MAX_WAITS = 200  # 33 virtual hours: longer than the whole retry policy


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    """Answers each POST with the next status of `answers` (the last one repeats)."""

    url: str = ""
    answers: list[int] = field(default_factory=lambda: [200])
    requests: list[Received] = field(default_factory=list)

    def answer(self) -> int:
        return self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    found = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # the http.server API names it
            body = self.rfile.read(int(self.headers["Content-Length"]))
            found.requests.append(Received(dict(self.headers.items()), body))
            status = found.answer()
            self.send_response(status)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *_: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    found.url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    yield found
    server.shutdown()
    server.server_close()


class SmtpSink:
    """Accepts every mailbox but REFUSED_MAILBOX, keeps what it receives."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:
        if address == REFUSED_MAILBOX:
            return "550 5.1.1 no such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        parsed = message_from_bytes(envelope.content, policy=policy.default)
        self.messages.append(parsed)  # type: ignore[arg-type]
        return "250 Message accepted"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def smtp_sink() -> Iterator[tuple[SmtpSink, SmtpConfig]]:
    sink = SmtpSink()
    controller = Controller(sink, hostname="127.0.0.1", port=_free_port())
    controller.start()
    yield sink, SmtpConfig(host="127.0.0.1", port=controller.port, sender="rectify@wsj.example.cn")
    controller.stop()


@dataclass
class Deliveries:
    env: WorkflowEnvironment
    app: RectifyApp
    notifier: Notifier
    task_queue: str

    async def result(self, notice: UUID, endpoint: UUID) -> str:
        item = delivery_id(notice, endpoint)
        handle = self.env.client.get_workflow_handle(delivery_workflow_id(str(item)))
        # Waiting on result() alone does not skip the retry backoff here (the history poll
        # gives up first): let virtual time pass until the workflow has closed.
        for _ in range(MAX_WAITS):
            if (await handle.describe()).status != WorkflowExecutionStatus.RUNNING:
                break
            await self.env.sleep(WAIT_STEP)
        return str(await handle.result())

    def events(self, notice: UUID, endpoint: UUID) -> list[Any]:
        return list(self.app.events.get(delivery_id(notice, endpoint)))

    def record(self, notice: UUID, endpoint: UUID) -> Delivery:
        return self.app.get_delivery(delivery_id(notice, endpoint))


def activities_for(app: RectifyApp, smtp: SmtpConfig) -> DeliveryActivities:
    return DeliveryActivities(app, default_channels(smtp))


@pytest.fixture(name="deliveries")
async def deliveries_fixture(
    request: pytest.FixtureRequest,
    app: RectifyApp,
    database_url: str,
    schema: str,
    smtp_sink: tuple[SmtpSink, SmtpConfig],
) -> AsyncIterator[Deliveries]:
    """Parametrise indirectly with a DeliveryActivities class to make the worker misbehave."""
    cls = getattr(request, "param", DeliveryActivities)
    async with await WorkflowEnvironment.start_time_skipping(
        test_server_existing_path=find_binary("temporal-test-server")
    ) as env:
        task_queue = f"deliveries-{uuid4().hex[:8]}"
        worker = build_worker(
            env.client,
            app,
            task_queue,
            delivery=cls(app, default_channels(smtp_sink[1])),
            workflow_failure_exception_types=[Exception],
        )
        notifier = Notifier(app, database_url, schema, env.client, task_queue)
        async with worker:
            yield Deliveries(env, app, notifier, task_queue)
        notifier.close()


def remind_issue(app: RectifyApp, agency: str = "县卫健局") -> tuple[UUID, UUID]:
    """An issue led by `agency` and its reminder; returns (agency id, the notice's id)."""
    lead = app.register_agency(agency, actor="test").id
    campaign = app.launch_campaign("医保基金专项整治", actor="test").id
    item = app.register_issue(
        campaign, "1", "违规收费", ["退还费用"], lead, [], Deadline.on(date(2099, 3, 31)), actor="t"
    ).id
    issue = app.get_issue(item)
    app.record_reminder(item, issue.clock_key("remind"), "system:clock")
    version = app.get_issue(item).version
    return lead, notice_id(item, version, Recipient(lead, ""))
