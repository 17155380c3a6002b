"""Sending one e-mail with ``aiosmtplib``, and what a failure means for the address.

- the recipient's server refuses the address for good (5xx to RCPT, or to the message):
  :class:`Refused`, the address stops receiving, as a blocked chat does;
- anything else (4xx, connection refused, timeout, our own server refusing our login or
  sender): :class:`Temporary`, the message is tried again later.

Reasons never quote the server's answer: it often repeats the address.
"""
from __future__ import annotations

import contextlib
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from email.message import EmailMessage
from email.utils import parseaddr

import aiosmtplib

from bot.config import Settings

DEFAULT_PORTS = {"tls": 465, "starttls": 587, "none": 25}


class Refused(Exception):
    """The address (or this message to it) was refused for good."""


class Temporary(Exception):
    """Not sent this time; worth trying again. ``answered``: the server said so (4xx), rather
    than being out of reach."""

    def __init__(self, reason: str, answered: bool = False) -> None:
        super().__init__(reason)
        self.answered = answered


def _reason(error: aiosmtplib.SMTPResponseException) -> str:
    return f"SMTP {error.code} ({type(error).__name__})"


async def send(settings: Settings, message: EmailMessage,
               paced: Callable[[], AbstractAsyncContextManager[object]] = contextlib.nullcontext) -> None:
    """Send ``message`` to its one recipient (``To``), flattened with the message's own policy:
    aiosmtplib's would fold the long List-Unsubscribe link into encoded words.

    ``paced`` (a turn of the sending rate) holds only DATA, the exchange in which the server
    takes the message and counts it. Connecting, TLS, login, the envelope (MAIL, RCPT) and QUIT
    are round trips of their own that hold no turn, so they do not stretch the rate's windows."""
    client = aiosmtplib.SMTP(
        hostname=settings.smtp_host,
        port=settings.smtp_port or DEFAULT_PORTS[settings.smtp_security],
        username=settings.smtp_username or None, password=settings.smtp_password or None,
        use_tls=settings.smtp_security == "tls", start_tls=settings.smtp_security == "starttls",
        timeout=settings.smtp_timeout_seconds,
    )
    try:
        async with client:
            await client.mail(parseaddr(settings.email_from)[1])
            await client.rcpt(str(message["To"]))
            async with paced():
                await client.data(message.as_bytes())
    except (aiosmtplib.SMTPRecipientRefused, aiosmtplib.SMTPDataError) as error:
        if error.code >= 500:
            raise Refused(_reason(error)) from None
        raise Temporary(_reason(error), answered=True) from None
    except aiosmtplib.SMTPResponseException as error:  # our login or sender: the city's to fix
        raise Temporary(_reason(error)) from None
    except (aiosmtplib.SMTPException, OSError) as error:
        raise Temporary(type(error).__name__) from None
