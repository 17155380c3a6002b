"""The terminal connector: ``civicbot chat``.

Interactive with a prompt on a terminal; otherwise one message per input line and each reply
printed after it, so a conversation can be scripted. ``/position LAT LON`` shares a location.
"""
from __future__ import annotations

import asyncio
import re
import sys
from typing import TextIO

from bot.app import CivicBot
from bot.messages import IncomingMessage, Location, Reply
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


class TerminalConnector(Connector):
    platform = "terminal"

    def __init__(self, bot: CivicBot, user: str = "terminal",
                 stdin: TextIO = sys.stdin, stdout: TextIO = sys.stdout) -> None:
        self.bot = bot
        self.user = user
        self.stdin = stdin
        self.stdout = stdout
        self.interactive = stdin.isatty()

    async def start(self) -> None:
        """Run the conversation until end of input (or Ctrl-D / Ctrl-C)."""
        loop = asyncio.get_running_loop()
        while True:
            if self.interactive:
                self.stdout.write("\n> ")
                self.stdout.flush()
            line = await loop.run_in_executor(None, self.stdin.readline)
            if not line:
                return
            line = line.rstrip("\n")
            await self.send(self.user, await self.bot.handle(parse_line(line, self.user)))

    async def stop(self) -> None:
        self.stdout.flush()

    async def send(self, chat_id: str, reply: Reply) -> None:
        self.stdout.write(render(reply) + "\n")
        if not self.interactive:
            self.stdout.write("\n")
        self.stdout.flush()
