"""The conversation suite's world: one bot per backend for every scenario of a module."""
from __future__ import annotations

from collections.abc import AsyncIterator

import pytest_asyncio

from tests.conversations.runner import World


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def world(tmp_path_factory) -> AsyncIterator[World]:
    world = World(tmp_path_factory.mktemp("conversations"))
    yield world
    await world.close()
