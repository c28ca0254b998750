"""The layers import downwards only: rectify/ (the CLI and composition root) is imported by
no lower layer, and each lower layer only by those above it. Every import counts, including
those inside functions and under TYPE_CHECKING, since each is a dependency all the same."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PROJECT = {"domain", "projections", "infrastructure", "workflows", "api", "rectify"}
# What each lower layer may import of the project's own packages (itself included).
ALLOWED = {
    "domain": {"domain"},
    "projections": {"domain", "projections"},
    "infrastructure": {"domain", "projections", "infrastructure"},
    "workflows": {"domain", "projections", "infrastructure", "workflows"},
    "api": {"domain", "projections", "infrastructure", "workflows", "api"},
}


def imported_packages(source: str) -> set[str]:
    """The project's top-level packages a module's source imports, anywhere in it."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        else:
            continue
        found.update(top for top in (n.split(".")[0] for n in names) if top in PROJECT)
    return found


def forbidden_imports(layer: str) -> dict[str, set[str]]:
    """Each module of `layer` that imports a package it may not, with those packages."""
    found = {}
    for path in sorted((ROOT / layer).rglob("*.py")):
        wrong = imported_packages(path.read_text(encoding="utf-8")) - ALLOWED[layer]
        if wrong:
            found[str(path.relative_to(ROOT))] = wrong
    return found


@pytest.mark.parametrize("layer", sorted(ALLOWED))
def test_a_lower_layer_imports_only_the_layers_below_it(layer: str) -> None:
    assert list((ROOT / layer).rglob("*.py")), f"{layer}/ holds no module: the check sees nothing"
    assert forbidden_imports(layer) == {}


def test_an_import_of_rectify_is_found_under_type_checking_and_inside_a_function() -> None:
    source = (
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n"
        "    from rectify.settings import Settings\n"
        "def build():\n"
        "    import rectify.composition\n"
    )
    assert imported_packages(source) == {"rectify"}


def test_relative_and_third_party_imports_are_not_project_layers() -> None:
    source = "from . import sibling\nimport psycopg\nfrom eventsourcing.domain import Aggregate\n"
    assert imported_packages(source) == set()


def test_rectify_is_allowed_to_no_lower_layer() -> None:
    assert all("rectify" not in allowed for allowed in ALLOWED.values())
