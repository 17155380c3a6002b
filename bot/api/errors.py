"""JSON error answers shared by every API route: ``{"error": {"code", "message", "field"?}}``."""
from __future__ import annotations

from aiohttp import web


def json_error(status: int, code: str, message: str, field: str | None = None,
               headers: dict[str, str] | None = None) -> web.Response:
    """An error answer; ``field`` names the request field at fault (``"title.fr"``, ``"topics[1]"``)."""
    error = {"code": code, "message": message}
    if field is not None:
        error["field"] = field
    return web.json_response({"error": error}, status=status, headers=headers)
