"""The conversation suite: every scenario of ``tests/conversations/*.yaml``, on SQLite and on
PostgreSQL, each with a fresh resident of one bot per backend.

A scenario marked ``xfail: <class>`` fails today for that class of issue; it is a strict xfail,
so one that starts passing fails until its mark is removed.
"""
from __future__ import annotations

import pytest

from tests.conversations.runner import World
from tests.conversations.scenarios import Scenario, load_all, slug

pytestmark = pytest.mark.asyncio(loop_scope="module")
SCENARIOS = load_all()


def _param(scenario: Scenario):
    marks = [pytest.mark.xfail(strict=True, reason=f"issue 10: {scenario.xfail}")] if scenario.xfail else []
    return pytest.param(scenario, id=scenario.id, marks=marks)


@pytest.mark.parametrize("scenario", [_param(scenario) for scenario in SCENARIOS])
async def test_conversation(scenario: Scenario, backend: str, world: World) -> None:
    failure = await world.play(scenario, backend, f"{slug(scenario.kind)}-{SCENARIOS.index(scenario)}")
    if failure:  # the conversation, not the runner's traceback
        pytest.fail(failure, pytrace=False)
