"""The HTTP API's bearer tokens (``civicbot token``), which the other features' routes check."""
from __future__ import annotations

from bot.api import cli, tokens
from bot.feature import Feature

FEATURE = Feature(name="api", models=(tokens,), commands=(cli.token,))
