"""deploy/healthcheck.py, the image's health check of every role, against a real
PostgreSQL (tests/conftest.py's database_url) and real sockets."""

from __future__ import annotations

import importlib.util
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from types import ModuleType

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "deploy" / "healthcheck.py"


def _load() -> ModuleType:
    spec = importlib.util.spec_from_file_location("deploy_healthcheck", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


health = _load()
PYTHON, RECTIFY = "/opt/rectify/bin/python", "/opt/rectify/bin/rectify"


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port  # closed again: nothing listens there


@pytest.fixture
def listening() -> Iterator[int]:
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        yield server.getsockname()[1]


def _serve_healthz(status: int) -> tuple[HTTPServer, int]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(status if self.path == "/healthz" else 404)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, server.server_address[1]


def test_the_role_is_read_from_the_running_rectify_command() -> None:
    lines = [["/sbin/docker-init", "--", "rectify", "worker"], [PYTHON, RECTIFY, "worker"]]
    assert health.role_of(lines) == "worker"
    assert health.role_of([[PYTHON, RECTIFY, "projections"]]) == "projections"


def test_no_role_when_no_rectify_role_runs() -> None:
    assert health.role_of([[PYTHON, RECTIFY, "audit", "verify"], ["sleep", "worker"]]) is None
    assert health.role_of([]) is None


def test_the_running_command_lines_are_read_from_proc() -> None:
    lines = list(health.running_command_lines())
    assert any("pytest" in " ".join(line) for line in lines)


@pytest.mark.parametrize(
    ("address", "expected"),
    [
        ("temporal:7233", ("temporal", 7233)),
        ("temporal-frontend.temporal.svc:7234", ("temporal-frontend.temporal.svc", 7234)),
        ("temporal", ("temporal", 7233)),
        ("[::1]:7233", ("::1", 7233)),
        ("::1", ("::1", 7233)),
    ],
)
def test_temporal_addresses_are_read_as_written(address: str, expected: tuple[str, int]) -> None:
    assert health.host_and_port(address) == expected


def test_a_role_with_its_database_up_is_healthy(database_url: str) -> None:
    assert health.problems("projections", {"DATABASE_URL": database_url}) == []


def test_a_role_whose_database_is_down_is_unhealthy() -> None:
    url = f"postgresql://rectify@127.0.0.1:{_closed_port()}/rectify"
    found = health.problems("dispatcher", {"DATABASE_URL": url, "TEMPORAL_ADDRESS": "x:1"})
    assert found[0].startswith("PostgreSQL")


def test_a_role_without_a_database_url_is_unhealthy() -> None:
    assert health.problems("projections", {}) == ["DATABASE_URL is not set"]


def test_a_worker_needs_temporal_reachable(database_url: str, listening: int) -> None:
    up = {"DATABASE_URL": database_url, "TEMPORAL_ADDRESS": f"127.0.0.1:{listening}"}
    assert health.problems("worker", up) == []
    down = {**up, "TEMPORAL_ADDRESS": f"127.0.0.1:{_closed_port()}"}
    for role in ("worker", "dispatcher", "notifier"):
        assert health.problems(role, down)[0].startswith("Temporal 127.0.0.1:")


def test_projections_do_not_need_temporal(database_url: str) -> None:
    env = {"DATABASE_URL": database_url, "TEMPORAL_ADDRESS": f"127.0.0.1:{_closed_port()}"}
    assert health.problems("projections", env) == []


def test_serve_is_healthy_when_healthz_answers_200() -> None:
    server, port = _serve_healthz(200)
    try:
        assert health.problems("serve", {"RECTIFY_HTTP_PORT": str(port)}) == []
    finally:
        server.shutdown()


def test_serve_is_unhealthy_when_healthz_answers_503() -> None:
    server, port = _serve_healthz(503)
    try:
        found = health.problems("serve", {"RECTIFY_HTTP_PORT": str(port)})
    finally:
        server.shutdown()
    assert len(found) == 1 and "503" in found[0]


def test_serve_is_unhealthy_when_nothing_listens() -> None:
    assert health.problems("serve", {"RECTIFY_HTTP_PORT": str(_closed_port())}) != []


def test_an_unknown_role_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    assert health.main(["healthcheck.py", "migrate"]) == 1
    assert "no Rectify role" in capsys.readouterr().err


def test_the_exit_code_and_reason_of_an_unhealthy_role(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DATABASE_URL", raising=False)
    assert health.main(["healthcheck.py", "projections"]) == 1
    assert capsys.readouterr().err == "projections: DATABASE_URL is not set\n"
