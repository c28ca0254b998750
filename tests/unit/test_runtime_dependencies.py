"""`make run` installs the project without its dev extra: every third-party module the
running system imports must come from a runtime dependency (or one of theirs)."""

from __future__ import annotations

import ast
import importlib.metadata as metadata
import sys
from pathlib import Path

from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[2]
RUNTIME_PACKAGES = ("domain", "workflows", "projections", "api", "rectify")
OURS = set(RUNTIME_PACKAGES) | {"tests", "bench"}


def _imported_modules() -> dict[str, str]:
    """Top-level module → the first file importing it, over the runtime packages."""
    found: dict[str, str] = {}
    for package in RUNTIME_PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for node in ast.walk(tree):
                if isinstance(node, ast.Import):
                    names = [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    names = [node.module]
                else:
                    continue
                for name in names:
                    found.setdefault(name.split(".")[0], str(path.relative_to(ROOT)))
    return found


def _runtime_closure() -> set[str]:
    """Distributions `pip install -e .` brings: ours, without extras, and theirs."""
    wanted, seen = ["rectify"], set()
    while wanted:
        name = wanted.pop()
        key = name.lower().replace("_", "-")
        if key in seen:
            continue
        seen.add(key)
        for text in metadata.requires(name) or []:
            requirement = Requirement(text)
            marker = requirement.marker
            if marker is not None and not marker.evaluate({"extra": ""}):
                continue  # an optional extra (ours: dev) or another platform
            wanted.append(requirement.name)
            for extra in requirement.extras:  # e.g. eventsourcing[postgres]
                wanted.extend(_extra_requirements(requirement.name, extra))
    return seen


def _extra_requirements(name: str, extra: str) -> list[str]:
    found = []
    for text in metadata.requires(name) or []:
        requirement = Requirement(text)
        if requirement.marker is not None and requirement.marker.evaluate({"extra": extra}):
            found.append(requirement.name)
    return found


def test_every_module_the_system_imports_comes_with_a_runtime_dependency() -> None:
    providers = metadata.packages_distributions()
    closure = _runtime_closure()
    missing = []
    for module, where in sorted(_imported_modules().items()):
        if module in OURS or module in sys.stdlib_module_names or module == "__future__":
            continue
        distributions = providers.get(module, [])
        if not any(d.lower().replace("_", "-") in closure for d in distributions):
            missing.append(f"{module} ({where}; from {distributions or 'nothing installed'})")
    assert not missing, "imported at run time but only a dev dependency: " + ", ".join(missing)
