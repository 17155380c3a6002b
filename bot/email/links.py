"""Signed, expiring links of e-mails: confirm an address, unsubscribe, see one's settings.

A link carries the resident's id and the nonce of their address, signed with the instance's
secret (``itsdangerous``) and dated: a forged or altered link, an expired one, or one of an
address since replaced or erased, is refused.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import quote, urlencode

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from bot.config import Settings
from bot.pseudonym import load_or_create_secret

CONFIRM, UNSUBSCRIBE, SETTINGS = "confirm", "unsubscribe", "settings"
PATHS = {CONFIRM: "/email/confirm", UNSUBSCRIBE: "/email/unsubscribe", SETTINGS: "/email/settings"}
# What a token looks like (itsdangerous' URL-safe payload.timestamp.signature), to find it in a
# mail's subject or in the headers a bounce returns.
TOKEN_PATTERN = re.compile(r"[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{16,}")


class BadLink(ValueError):
    """A link that cannot be used: ``reason`` is ``expired`` or ``invalid``."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class LinkTarget:
    user_id: int
    nonce: str


class Links:
    def __init__(self, settings: Settings) -> None:
        secret = load_or_create_secret(settings.data_dir, settings.secret)
        self.settings = settings
        self._serializers = {purpose: URLSafeTimedSerializer(secret, salt=f"civicbot-email-{purpose}")
                             for purpose in PATHS}

    def max_age(self, purpose: str) -> int:
        """Seconds a link works."""
        if purpose == CONFIRM:
            return round(self.settings.email_confirm_hours * 3600)
        return self.settings.email_link_days * 86400

    def token(self, purpose: str, user_id: int, nonce: str) -> str:
        return self._serializers[purpose].dumps([user_id, nonce])

    def url(self, purpose: str, user_id: int, nonce: str) -> str:
        query = urlencode({"t": self.token(purpose, user_id, nonce)})
        return f"{self.settings.public_url.rstrip('/')}{PATHS[purpose]}?{query}"

    def mailto(self, sender: str, user_id: int, nonce: str) -> str:
        """The ``mailto:`` unsubscribe of List-Unsubscribe: a mail to the sender whose subject
        carries the same signed token as the unsubscribe link (``civicbot email incoming``
        reads it)."""
        return f"mailto:{sender}?subject={quote('unsubscribe ' + self.token(UNSUBSCRIBE, user_id, nonce))}"

    def read(self, purpose: str, token: str) -> LinkTarget:
        """Who the link is for, or BadLink."""
        try:
            user_id, nonce = self._serializers[purpose].loads(token, max_age=self.max_age(purpose))
        except SignatureExpired:
            raise BadLink("expired") from None
        except (BadSignature, TypeError, ValueError):
            raise BadLink("invalid") from None
        if not isinstance(user_id, int) or not isinstance(nonce, str):
            raise BadLink("invalid")
        return LinkTarget(user_id, nonce)
