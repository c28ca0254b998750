"""deploy/Dockerfile, checked offline (no docker here): parsed into its stages, and each
property the deployment relies on asserted, with a broken copy showing each check bites."""

from __future__ import annotations

import json
import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = ROOT / "deploy" / "Dockerfile"
ROLES = ("serve", "worker", "dispatcher", "notifier", "projections")
COMPILERS = ("build-essential", "gcc", "g++", "clang", "make", "libpq-dev", "python3-dev")


@dataclass
class Stage:
    base: str
    name: str
    instructions: list[tuple[str, str]] = field(default_factory=list)

    def all(self, keyword: str) -> list[str]:
        return [rest for kw, rest in self.instructions if kw == keyword]

    def last(self, keyword: str) -> str | None:
        found = self.all(keyword)
        return found[-1] if found else None


def stages(text: str) -> list[Stage]:
    """The stages of a Dockerfile, global ARG defaults substituted into FROM."""
    joined = re.sub(r"\\\n", " ", text)
    args: dict[str, str] = {}
    found: list[Stage] = []
    for raw in joined.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        keyword, _, rest = line.partition(" ")
        keyword, rest = keyword.upper(), " ".join(rest.split())
        if keyword == "ARG" and not found:
            name, _, default = rest.partition("=")
            args[name] = default
        elif keyword == "FROM":
            base = re.sub(r"\$\{(\w+)\}", lambda m: args.get(m.group(1), ""), rest)
            parts = re.split(r"\s+as\s+", base, flags=re.I)
            image, name = parts[0], parts[1] if len(parts) > 1 else str(len(found))
            found.append(Stage(image, name))
        elif found:
            found[-1].instructions.append((keyword, rest))
    return found


def exec_form(rest: str) -> list[str]:
    """A JSON-array instruction argument (CMD ["a"]), or the shell form split."""
    if rest.startswith("["):
        parsed: list[str] = json.loads(rest)
        return parsed
    return shlex.split(rest)


def image_problems(text: str) -> list[str]:
    """What breaks the image's promises (docs/decisions/0055); empty when none."""
    problems: list[str] = []
    found = stages(text)
    if len(found) < 3:
        return [f"multi-stage: expected web, python and runtime stages, found {len(found)}"]
    names = {stage.name for stage in found}
    final = found[-1]
    web = [s for s in found if "node" in s.base and any("npm run build" in r for r in s.all("RUN"))]
    if not web or not any("npm ci" in r for r in web[0].all("RUN")):
        problems.append("web: no node stage runs npm ci and npm run build")
    elif not any(
        f"--from={web[0].name}" in c and "web_dist" in c for s in found for c in s.all("COPY")
    ):
        problems.append("web: the built workbench (api/web_dist) is never copied out")
    if final.base in names:
        problems.append("runtime: builds on an earlier stage and inherits its compilers")
    for run in final.all("RUN"):
        words = run.split()
        problems += [f"runtime: installs {tool}" for tool in COMPILERS if tool in words]
    user = final.last("USER")
    if user is None or user.split(":")[0] in ("root", "0"):
        problems.append(f"runtime: runs as {user or 'root (no USER)'}")
    if exec_form(final.last("ENTRYPOINT") or "[]") != ["rectify"]:
        problems.append("runtime: ENTRYPOINT is not rectify: one image for every role")
    if (exec_form(final.last("CMD") or "[]") or [""])[0] not in ROLES:
        problems.append("runtime: CMD is not a role")
    health = final.last("HEALTHCHECK") or ""
    if "CMD" not in health or "/opt/rectify/healthcheck.py" not in health:
        problems.append("runtime: no HEALTHCHECK running deploy/healthcheck.py")
    copied = "deploy/healthcheck.py /opt/rectify/healthcheck.py"
    if not any(copy.endswith(copied) for copy in final.all("COPY")):
        problems.append("runtime: deploy/healthcheck.py is not copied in")
    if "8000" not in (final.last("EXPOSE") or "").split():
        problems.append("runtime: port 8000 is not exposed")
    if not any("-c constraints.txt" in r for s in found for r in s.all("RUN")):
        problems.append("python: dependencies installed without constraints.txt")
    return problems


def test_the_dockerfile_keeps_every_promise() -> None:
    assert image_problems(DOCKERFILE.read_text()) == []


def test_three_stages_web_python_runtime_in_that_order() -> None:
    found = stages(DOCKERFILE.read_text())
    assert [s.name for s in found] == ["web", "python", "runtime"]
    assert found[0].base.startswith("node:")
    assert found[1].base == found[2].base  # the venv copied across runs on the same Python


def test_the_image_runs_the_python_of_pyproject() -> None:
    final = stages(DOCKERFILE.read_text())[-1]
    required = re.search(r'requires-python = ">=(\d+\.\d+)', (ROOT / "pyproject.toml").read_text())
    assert required is not None
    assert final.base.startswith(f"python:{required.group(1)}-")


def test_every_role_of_the_image_is_a_command_of_rectify() -> None:
    import typer

    from rectify.cli import app

    commands = typer.main.get_command(app).commands  # type: ignore[attr-defined]
    assert set(ROLES) <= set(commands)


def test_every_file_copied_from_the_repository_exists() -> None:
    for stage in stages(DOCKERFILE.read_text()):
        for copy in stage.all("COPY"):
            if copy.startswith("--from"):
                continue
            for source in copy.split()[:-1]:
                assert (ROOT / source).exists(), f"COPY {source}: not in the repository"


def test_the_build_context_leaves_out_local_state() -> None:
    ignored = (ROOT / ".dockerignore").read_text().split()
    assert {".venv", "web/node_modules", "api/web_dist", "deploy/rectify.env"} <= set(ignored)


def _broken(old: str, new: str) -> str:
    text = DOCKERFILE.read_text()
    assert old in text
    return text.replace(old, new)


@pytest.mark.parametrize(
    ("old", "new", "problem"),
    [
        ("USER 10001:10001", "USER root", "runtime: runs as root"),
        ("USER 10001:10001\n", "", "runtime: runs as root (no USER)"),
        (
            "FROM ${PYTHON_IMAGE} AS runtime\n",
            "FROM ${PYTHON_IMAGE} AS runtime\nRUN apt-get install -y build-essential\n",
            "runtime: installs build-essential",
        ),
        ("FROM ${PYTHON_IMAGE} AS runtime", "FROM python AS runtime", "inherits its compilers"),
        ('ENTRYPOINT ["rectify"]', 'ENTRYPOINT ["uvicorn"]', "ENTRYPOINT is not rectify"),
        ("EXPOSE 8000", "EXPOSE 9000", "port 8000 is not exposed"),
        ("RUN cd web && npm run build --silent", "", "no node stage runs npm ci"),
        ("COPY --from=web", "COPY --from=python", "never copied out"),
        ("-c constraints.txt .", ".", "without constraints.txt"),
        ("HEALTHCHECK --interval", "# HEALTHCHECK --interval", "no HEALTHCHECK"),
    ],
)
def test_a_broken_dockerfile_is_refused(old: str, new: str, problem: str) -> None:
    assert any(problem in found for found in image_problems(_broken(old, new)))
