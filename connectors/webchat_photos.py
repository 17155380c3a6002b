"""Photos residents attach from the web chat (for a report), kept privately in the data directory.

A photo is accepted with the limits Telegram puts on photos: one image of at most
``webchat_photo_max_mb`` (10 MB), JPEG, PNG or WebP, recognised by its first bytes, never by what
the browser says. It is stored under a random name (nothing in it says who sent it) readable by
civicbot's user only; the conversation gets the reference ``webchat-photo:<name>``, as it gets a
Telegram file id. Photos older than ``retention_days`` are deleted.
"""
from __future__ import annotations

import secrets
import time
from pathlib import Path

from aiohttp import StreamReader

from bot.files import PRIVATE_FILE, private_dir
from connectors.webchat_protocol import FrameError

REFERENCE_PREFIX = "webchat-photo:"
FOLDER = "webchat-photos"
CHUNK = 64 * 1024
_SIGNATURES = ((b"\xff\xd8\xff", "jpg"), (b"\x89PNG\r\n\x1a\n", "png"))


def extension_of(head: bytes) -> str | None:
    """The file type of an image from its first bytes: jpg, png or webp; None for anything else."""
    for signature, extension in _SIGNATURES:
        if head.startswith(signature):
            return extension
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    return None


async def read_photo(body: StreamReader, max_bytes: int) -> tuple[bytes, str]:
    """The photo in a request body and its extension; FrameError when too large or not a photo
    (reading stops as soon as the body is over the limit)."""
    content = bytearray()
    while chunk := await body.read(CHUNK):
        content += chunk
        if len(content) > max_bytes:
            raise FrameError("photo_too_large", status=413, megabytes=round(max_bytes / 1_000_000))
    extension = extension_of(bytes(content[:16]))
    if extension is None:
        raise FrameError("photo_bad_type", status=415)
    return bytes(content), extension


def keep(data_dir: Path, content: bytes, extension: str) -> str:
    """Store the photo privately; its reference for the conversation."""
    folder = private_dir(data_dir / FOLDER)
    name = f"{secrets.token_urlsafe(18)}.{extension}"
    path = folder / name
    with path.open("xb") as file:
        path.chmod(PRIVATE_FILE)
        file.write(content)
    return REFERENCE_PREFIX + name


def purge(data_dir: Path, retention_days: int) -> int:
    """Delete the photos older than ``retention_days``; how many."""
    folder = data_dir / FOLDER
    if not folder.is_dir():
        return 0
    cutoff = time.time() - retention_days * 86400
    old = [path for path in folder.iterdir() if path.is_file() and path.stat().st_mtime < cutoff]
    for path in old:
        path.unlink(missing_ok=True)
    return len(old)
