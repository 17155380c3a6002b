"""Pseudonymous ids: a platform user id is only ever stored as an HMAC keyed with a secret."""
from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from pathlib import Path

from bot.files import private_dir

SECRET_FILE = "secret.key"


def load_or_create_secret(data_dir: Path, configured: str = "") -> bytes:
    """The configured secret, else the one kept in the data directory (created on first start)."""
    if configured:
        return configured.encode("utf-8")
    path = data_dir / SECRET_FILE
    if path.is_file():
        return path.read_bytes().strip()
    private_dir(data_dir)
    secret = secrets.token_hex(32).encode("ascii")
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as file:
        file.write(secret)
    return secret


class Pseudonymizer:
    def __init__(self, secret: bytes) -> None:
        self._secret = secret

    def user_hash(self, platform: str, user_id: str) -> str:
        message = f"{platform}\x00{user_id}".encode("utf-8", "surrogatepass")
        return hmac.new(self._secret, message, hashlib.sha256).hexdigest()
