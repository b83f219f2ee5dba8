"""The lint and type tools that decide "green" are pinned exactly (issue 7).

A range lets a new release of ruff, mypy or a type stub change the verdict on code nobody
touched, so the same commit could pass on one machine and fail on another.
"""

from __future__ import annotations

import tomllib

from packaging.requirements import Requirement

from tests.helpers import REPO

PYPROJECT = tomllib.loads((REPO / "pyproject.toml").read_text())


def lint_and_type_tools() -> list[Requirement]:
    found = [Requirement(line) for line in PYPROJECT["project"]["optional-dependencies"]["test"]]
    return [r for r in found if r.name in ("ruff", "mypy") or r.name.startswith("types-") or r.name.endswith("-stubs")]


def test_ruff_mypy_and_every_type_stub_are_pinned_to_one_version():
    tools = lint_and_type_tools()

    assert {"ruff", "mypy"} <= {r.name for r in tools}
    assert any(r.name.startswith("types-") for r in tools)
    loose = [str(r) for r in tools if len(r.specifier) != 1 or next(iter(r.specifier)).operator != "=="]
    assert loose == [], f"pin these with ==: {loose}"
