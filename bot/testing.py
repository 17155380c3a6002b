"""An in-process test backend: talk to a bot as a resident would, without any platform.

    tester = ChatTester(bot, user="alice")
    reply = await tester.say("bonjour")
    reply = await tester.choose(2)          # picks the second choice of the last reply
"""
from __future__ import annotations

from bot.app import CivicBot
from bot.messages import Attachment, IncomingMessage, Location, Reply


class ChatTester:
    def __init__(self, bot: CivicBot, user: str = "tester", platform: str = "test",
                 language: str | None = None) -> None:
        self.bot = bot
        self.user = user
        self.platform = platform
        self.language = language
        self.last: Reply | None = None

    async def send(self, message: IncomingMessage) -> Reply:
        self.last = await self.bot.handle(message)
        return self.last

    async def say(self, text: str) -> Reply:
        return await self.send(self._message(text))

    async def share_location(self, latitude: float, longitude: float, text: str = "") -> Reply:
        return await self.send(self._message(text, location=Location(latitude, longitude)))

    async def attach(self, reference: str, kind: str = "photo", text: str = "") -> Reply:
        return await self.send(self._message(text, attachment=Attachment(kind, reference)))

    async def choose(self, number: int) -> Reply:
        """Pick a choice of the last reply by its number, as on a platform without buttons."""
        return await self.say(str(number))

    async def press(self, label: str) -> Reply:
        """Press the button with this label, as on a platform with buttons (sends its value)."""
        assert self.last is not None, "no reply yet"
        for choice in self.last.choices:
            if choice.label == label:
                return await self.say(choice.value)
        raise AssertionError(f"no choice {label!r} in {[c.label for c in self.last.choices]}")

    def _message(self, text: str, **extra) -> IncomingMessage:
        return IncomingMessage(self.platform, self.user, self.user, text,
                               language=self.language, **extra)
