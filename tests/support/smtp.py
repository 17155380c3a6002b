"""A real SMTP server on loopback (aiosmtpd) that keeps what it receives, parsed back with the
``email`` package, and can answer as a refusing or busy server would."""
from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from bot.config import Settings
from tests.support.network import free_port


class MailServer:
    """``rcpt_answer`` (e.g. "550 5.1.1 No such user") answers every recipient; ``data_answer``
    every message; None accepts. With ``hold`` set, the server answers a recipient only once
    ``hold`` is set (``at_rcpt`` says one is waiting): what happens meanwhile is up to the test."""

    def __init__(self) -> None:
        self.port = free_port()
        self.received: list[tuple[list[str], EmailMessage]] = []  # (envelope recipients, message)
        self.raw: list[bytes] = []  # each message as it came over the wire
        self.rcpt_answer: str | None = None
        self.data_answer: str | None = None
        self.controller: Controller | None = None
        self.hold: threading.Event | None = None
        self.at_rcpt = threading.Event()

    def start(self) -> None:
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str,
                          _rcpt_options: list[str]) -> str:
        self.at_rcpt.set()
        if self.hold is not None:
            await asyncio.to_thread(self.hold.wait, 30)
        if self.rcpt_answer:
            return self.rcpt_answer
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.data_answer:
            return self.data_answer
        self.raw.append(envelope.original_content)
        message = message_from_bytes(envelope.original_content, policy=policy.default)
        assert isinstance(message, EmailMessage)
        self.received.append((list(envelope.rcpt_tos), message))
        return "250 Message accepted for delivery"

    def messages_to(self, address: str) -> list[EmailMessage]:
        return [message for recipients, message in self.received if address in recipients]

    async def wait_for(self, count: int, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while len(self.received) < count:
            if time.monotonic() > deadline:
                raise AssertionError(f"only {len(self.received)} of {count} e-mails after {timeout}s")
            await asyncio.sleep(0.02)

    def configure(self, settings: Settings, public_url: str = "https://civicbot.nantes.example") -> None:
        """Settings that send through this server, as a city would configure a local relay."""
        settings.smtp_host, settings.smtp_port, settings.smtp_security = "127.0.0.1", self.port, "none"
        settings.email_from = "Ville de Nantes <civicbot@nantes.example>"
        settings.public_url = public_url


@pytest.fixture
def mail_server() -> Iterator[MailServer]:
    server = MailServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()
