"""Which chat connectors the settings configure, building them, and the ones running.

A connector is configured when its credentials are set (environment or TOML, see
:mod:`bot.config`). ``civicbot serve`` builds and starts every configured one and lists it in
:func:`running` while it runs, so that other services (the delivery engine) can send through it.
"""
from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bot.config import Settings

if TYPE_CHECKING:
    from bot.ports import ChatCore
    from connectors.base import Connector


@dataclass(frozen=True)
class ConnectorEntry:
    name: str  # the platform name
    factory: str  # "module:Class", built with the bot
    configured: Callable[[Settings], bool]


CONNECTORS: tuple[ConnectorEntry, ...] = (
    ConnectorEntry("telegram", "connectors.telegram:TelegramConnector",
                   lambda settings: bool(settings.telegram_token)),
    ConnectorEntry("matrix", "connectors.matrix:MatrixConnector",
                   lambda settings: bool(settings.matrix_homeserver and settings.matrix_user_id
                                         and (settings.matrix_password or settings.matrix_access_token))),
    ConnectorEntry("webchat", "connectors.webchat:WebChatConnector",
                   lambda settings: settings.webchat_enabled),
)
_RUNNING: dict[str, Connector] = {}


def configured_connectors(settings: Settings) -> list[str]:
    """Names of the connectors whose credentials are set."""
    return [entry.name for entry in CONNECTORS if entry.configured(settings)]


def create_connectors(bot: ChatCore) -> list[Connector]:
    """Every configured connector, built (a ConfigError names a setting that cannot be used)."""
    connectors = []
    for entry in CONNECTORS:
        if entry.configured(bot.settings):
            module, name = entry.factory.split(":")
            connectors.append(getattr(importlib.import_module(module), name)(bot))
    return connectors


def running(platform: str) -> Connector | None:
    """The connector of ``platform`` that ``civicbot serve`` is running in this process."""
    return _RUNNING.get(platform)


def set_running(connectors: list[Connector]) -> None:
    _RUNNING.clear()
    _RUNNING.update({connector.platform: connector for connector in connectors})
