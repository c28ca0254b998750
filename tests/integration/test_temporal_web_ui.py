"""`make run`: the Temporal dev server serves its Web UI on the port the supervisor prints,
and each role gets its own metrics port."""

from __future__ import annotations

import socket
from pathlib import Path

import httpx

from rectify.supervisor import (
    CHILDREN,
    role_env,
    start_temporal_dev_server,
    stop_process,
    ui_port_for,
    wait_for_port,
)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_the_dev_server_serves_its_web_ui_on_the_port_given(tmp_path: Path) -> None:
    port = free_port()
    ui_port = ui_port_for(port)
    server = start_temporal_dev_server(tmp_path, port, ui_port)
    try:
        wait_for_port("127.0.0.1", ui_port, 60, server)
        answer = httpx.get(f"http://127.0.0.1:{ui_port}/", timeout=10, follow_redirects=True)
    finally:
        stop_process(server, "temporal")
    assert answer.status_code == 200
    assert "<html" in answer.text.lower()


def test_a_taken_ui_port_is_replaced_by_a_free_one() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        grpc_port = taken.getsockname()[1] - 1000  # ephemeral ports are far above 1000
        chosen = ui_port_for(grpc_port)
    assert chosen != grpc_port + 1000


def test_make_run_gives_each_role_its_own_metrics_port() -> None:
    env = {"RECTIFY_METRICS_PORT": "9100", "PATH": "/bin"}
    ports = {role: role_env(env, role, 9100).get("RECTIFY_METRICS_PORT") for role in CHILDREN}
    assert ports == {
        "projections": "9100",
        "worker": "9101",
        "dispatcher": "9102",
        "notifier": "9103",
        "serve": None,
    }
    assert role_env(env, "worker", None).get("RECTIFY_METRICS_PORT") is None
