"""The terminal connector: ``civicbot chat``.

On a terminal it is a chat: a greeting and a one-line hint, a prompt with line editing and
history (prompt_toolkit; the history stays in memory), Ctrl-C or Ctrl-D to quit at once, and
replies printed above the prompt. Otherwise (piped) it is machine-friendly: one message per
input line and each reply printed after it, followed by a blank line, nothing else, so that a
conversation can be scripted and replayed. ``/position LAT LON`` shares a location.
"""
from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TextIO

from prompt_toolkit import PromptSession
from prompt_toolkit.history import InMemoryHistory
from prompt_toolkit.patch_stdout import patch_stdout

from bot import logs
from bot.config import Settings
from bot.messages import IncomingMessage, Location, Reply
from bot.ports import ChatCore
from connectors.base import Connector

_POSITION = re.compile(r"^/(?:position|location)\s+(-?\d+(?:\.\d+)?)[,\s]+(-?\d+(?:\.\d+)?)\s*$")


def parse_line(line: str, user: str) -> IncomingMessage:
    """One typed line as an incoming message from ``user``."""
    position = _POSITION.match(line.strip())
    if position:
        latitude, longitude = (float(value) for value in position.groups())
        if -90 <= latitude <= 90 and -180 <= longitude <= 180:
            return IncomingMessage("terminal", user, user, "", location=Location(latitude, longitude))
    return IncomingMessage("terminal", user, user, line)


def render(reply: Reply) -> str:
    text = reply.numbered_text()
    if reply.request_location:
        text += "\n(/position LAT LON)"
    if reply.document:
        text += f"\n[{reply.document.filename}]\n{reply.document.content.decode('utf-8', 'replace')}"
    return text


def configure_chat_logging(settings: Settings) -> None:
    """Logs stay out of the conversation: to ``settings.log_file`` if set (at the configured
    level), else to standard error from WARNING up."""
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
        old.close()
    level = logging.getLevelNamesMapping().get(settings.log_level.upper(), logging.INFO)
    handler: logging.Handler
    if settings.log_file:
        handler = logging.FileHandler(Path(settings.log_file).expanduser(), encoding="utf-8")
    else:
        handler = logging.StreamHandler(sys.stderr)
        level = max(level, logging.WARNING)
    handler.setFormatter(logs.formatter(settings))
    root.addHandler(handler)
    root.setLevel(level)


@contextlib.contextmanager
def _logs_above_the_prompt() -> Iterator[None]:
    """Log lines written to standard error while the prompt shows go above it (through
    prompt_toolkit's stand-in for sys.stderr), not into the line being typed."""
    handlers = [handler for handler in logging.getLogger().handlers
                if isinstance(handler, logging.StreamHandler) and handler.stream is sys.__stderr__]
    for handler in handlers:
        handler.setStream(sys.stderr)
    try:
        yield
    finally:
        for handler in handlers:
            handler.setStream(sys.__stderr__)


class TerminalConnector(Connector):
    platform = "terminal"

    def __init__(self, bot: ChatCore, user: str = "terminal",
                 stdin: TextIO = sys.stdin, stdout: TextIO = sys.stdout) -> None:
        self.bot = bot
        self.user = user
        self.stdin = stdin
        self.stdout = stdout
        self.interactive = stdin.isatty() and stdout.isatty()

    async def start(self) -> None:
        """Run the conversation until end of input (or Ctrl-D / Ctrl-C)."""
        if self.interactive:
            await self._chat()
            return
        loop = asyncio.get_running_loop()
        while True:
            line = await loop.run_in_executor(None, self.stdin.readline)
            if not line:
                return
            await self.send(self.user, await self.bot.handle(parse_line(line.rstrip("\n"), self.user)))

    async def _chat(self) -> None:
        catalog, settings = self.bot.catalog, self.bot.settings
        lang = settings.default_language
        self._print(catalog.get("terminal.welcome", lang, city=settings.city_name))
        self._print(catalog.get("terminal.hint", lang))
        session: PromptSession[str] = PromptSession(history=InMemoryHistory())
        with patch_stdout(), _logs_above_the_prompt():
            while True:
                try:
                    line = await session.prompt_async("> ")
                except (EOFError, KeyboardInterrupt):
                    return
                if line.strip():
                    await self.send(self.user, await self.bot.handle(parse_line(line, self.user)))

    async def stop(self) -> None:
        self.stdout.flush()

    async def send(self, chat_id: str, reply: Reply) -> None:
        self._print(render(reply))

    def _print(self, text: str) -> None:
        # interactive: through prompt_toolkit's stand-in for sys.stdout, which keeps the prompt whole
        stream = sys.stdout if self.interactive else self.stdout
        stream.write(text + "\n\n")
        stream.flush()
