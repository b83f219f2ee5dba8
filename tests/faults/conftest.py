"""A fresh FaultStack per case (tests/faults/harness.py), stopped after it; every request the
stub received must be declared by Zendesk's OpenAPI file."""

from __future__ import annotations

import pytest

from tests.faults.harness import FaultStack

pytestmark = [pytest.mark.redis, pytest.mark.e2e]


@pytest.fixture
def make_stack(tmp_path):
    stacks: list[FaultStack] = []

    def make(**options) -> FaultStack:
        stack = FaultStack(tmp_path, **options)
        stacks.append(stack)
        return stack

    yield make
    try:
        for stack in stacks:
            assert stack.openapi_violations() == []
    finally:
        for stack in stacks:
            stack.stop()
