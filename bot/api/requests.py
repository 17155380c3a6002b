"""Reading API requests: JSON bodies checked by pydantic models, query parameters, and the 400
answer that names the field at fault (``{"error": {"code": "invalid", "field", "message"}}``).

Models subclass :class:`Strict` (no unknown field, no ``0`` taken for a date) and type their
texts ``Annotated[str, VisibleText(limit)]`` (cleaned of control characters, never blank).
"""
from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar, overload

from aiohttp import web
from annotated_types import GroupedMetadata
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError

from bot.api.errors import json_error
from bot.text import sanitize

# At least one character that is neither a space nor one that cleaning removes.
VISIBLE = r"[^\s\x00-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\ufeff]"
LINK = r"^https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?(/[^\s]*)?$"
Model = TypeVar("Model", bound=BaseModel)


class RequestError(ValueError):
    """A request that cannot be accepted; ``field`` names the culprit (``title.fr``, ``topics[1]``)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


class Strict(BaseModel):
    """Exactly the documented fields and types."""

    model_config = ConfigDict(extra="forbid", strict=True)


def clean_text(text: str) -> str:
    cleaned, _ = sanitize(text, len(text))
    if not cleaned:
        raise ValueError("must not be blank")
    return cleaned


@dataclass(frozen=True)
class VisibleText(GroupedMetadata):
    """``Annotated[str, VisibleText(limit)]``: a text of 1 to ``limit`` characters with something
    visible in it, cleaned. (Metadata rather than a function returning a type, so that type
    checkers read the field as ``str``.)"""

    limit: int

    def __iter__(self) -> Iterator[Any]:
        yield Field(min_length=1, max_length=self.limit, pattern=VISIBLE)
        yield AfterValidator(clean_text)


def field_path(location: tuple) -> str:
    """pydantic's ``("title", "fr")`` / ``("topics", 1)`` as ``title.fr`` / ``topics[1]``."""
    path = ""
    for part in location:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path or "body"


def _message(error: Mapping[str, Any]) -> str:
    """pydantic's message, said plainly where it would show a regular expression."""
    if error["type"] == "string_pattern_mismatch":
        if error.get("ctx", {}).get("pattern") == LINK:
            return "must be an http:// or https:// address"
        return "must contain visible text"
    if error["type"] == "json_invalid":
        return f"not valid JSON ({error['msg']})"
    if not error["loc"] and error["type"] != "value_error":  # a rule across fields says its own
        return "the body must be a JSON object"
    return error["msg"].removeprefix("Value error, ")


def parse_model(body: bytes | str, model: type[Model]) -> Model:
    """Validate a JSON body; :class:`RequestError` names the first wrong field."""
    try:
        return model.model_validate_json(body)
    except ValidationError as error:
        first = error.errors()[0]
        raise RequestError(field_path(first["loc"]), _message(first)) from None


async def read_model(request: web.Request, model: type[Model]) -> Model:
    if request.content_type != "application/json":
        raise RequestError("body", "send JSON with Content-Type: application/json")
    try:
        body = await request.read()
    except web.HTTPRequestEntityTooLarge:
        raise RequestError("body", f"larger than {request.client_max_size} bytes") from None
    return parse_model(body, model)


def only_parameters(request: web.Request, *allowed: str) -> None:
    """RequestError for a query parameter the route does not know."""
    for name in request.query:
        if name not in allowed:
            raise RequestError(name, "unknown parameter" + (f"; known: {', '.join(allowed)}" if allowed else ""))


@overload
def whole_number(name: str, value: str, default: int | None, low: int, high: int) -> int: ...


@overload
def whole_number(name: str, value: str | None, default: int, low: int, high: int) -> int: ...


@overload
def whole_number(name: str, value: str | None, default: None, low: int, high: int) -> int | None: ...


def whole_number(name: str, value: str | None, default: int | None, low: int, high: int) -> int | None:
    """A parameter that must be a whole number in [low, high] (``default`` when absent)."""
    if value is None:
        return default
    if not (value.isascii() and value.isdigit()) or not low <= int(value) <= high:
        raise RequestError(name, f"must be a whole number from {low} to {high}")
    return int(value)


def bad_request(error: RequestError) -> web.Response:
    return json_error(400, "invalid", error.message, error.field)


def json_model(model: BaseModel, status: int = 200, **headers: str) -> web.Response:
    return web.json_response(text=model.model_dump_json(), status=status, headers=headers or None)
