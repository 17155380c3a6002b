"""What the publications API accepts and answers, as pydantic models (they also make the OpenAPI
description). Texts are cleaned of control characters; every limit keeps one publication within
one Telegram message (4,096 characters)."""
from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field, ValidationError

from bot.publications.models import KINDS
from bot.text import sanitize

TITLE_CHARS, TEXT_CHARS, LINK_CHARS, NAME_CHARS = 200, 3200, 500, 100
# At least one character that is neither a space nor one that cleaning removes.
VISIBLE = r"[^\s\x00-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\ufeff]"
YEARS = "2[01][0-9]{2}"  # a schedule is for this era: catches typos, keeps date arithmetic safe
LINK = r"^https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?(/[^\s]*)?$"


def _clean(text: str) -> str:
    cleaned, _ = sanitize(text, len(text))
    if not cleaned:
        raise ValueError("must not be blank")
    return cleaned


def _this_era(moment: datetime) -> datetime:
    if not re.match(YEARS, f"{moment.year:04d}"):
        raise ValueError("the year must be from 2000 to 2199")
    return moment


def _text(limit: int):
    return Annotated[str, Field(min_length=1, max_length=limit, pattern=VISIBLE), AfterValidator(_clean)]


Name = _text(NAME_CHARS)
Kind = Literal[KINDS]  # type: ignore[valid-type]


class Strict(BaseModel):
    """Exactly the documented fields and types: no unknown field, no ``0`` taken for a date."""

    model_config = ConfigDict(extra="forbid", strict=True)


class Title(Strict):
    fr: _text(TITLE_CHARS)
    en: _text(TITLE_CHARS) | None = None


class Text(Strict):
    fr: _text(TEXT_CHARS)
    en: _text(TEXT_CHARS) | None = None


class PublicationIn(Strict):
    """A publication to deliver: French required, English optional; at least one topic, area or
    official says who receives it."""

    model_config = ConfigDict(extra="forbid", strict=True, json_schema_extra={"anyOf": [
        {"required": [name], "properties": {name: {"minItems": 1}}} for name in ("topics", "areas", "officials")
    ]})

    kind: Kind
    title: Title
    text: Text
    link: Annotated[str, Field(max_length=LINK_CHARS, pattern=LINK)] | None = None
    topics: list[Name] = Field(default_factory=list, max_length=20)
    areas: list[Name] = Field(default_factory=list, max_length=50)
    officials: list[Name] = Field(default_factory=list, max_length=20)
    scheduled_at: Annotated[AwareDatetime, AfterValidator(_this_era)] | None = Field(
        default=None, description="When to deliver, with its UTC offset; absent or past: now.",
        json_schema_extra={"pattern": f"^{YEARS}-"})


class Progress(BaseModel):
    targeted: int = Field(description="subscribers it was meant for when published")
    sent: int
    pending: int
    failed: int
    blocked: int = Field(description="recipients who blocked the bot or whose chat is gone")
    cancelled: int = Field(description="recipients who unsubscribed, paused or were erased before delivery")


class PublicationOut(BaseModel):
    id: int
    kind: Kind
    title: Title
    text: Text
    link: str | None
    topics: list[str]
    areas: list[str]
    officials: list[str]
    scheduled_at: datetime | None
    created_at: datetime
    published_by: str
    status: Literal["scheduled", "delivering", "done"]
    progress: Progress


class PublicationList(BaseModel):
    publications: list[PublicationOut]
    next_before: int | None = Field(description="pass as ?before= for the next (older) page; null at the end")


class ErrorDetail(BaseModel):
    code: str
    message: str
    field: str | None = Field(default=None, description='the request field at fault, e.g. "title.fr"')


class ErrorBody(BaseModel):
    error: ErrorDetail


class PublicationError(ValueError):
    """A publication that cannot be accepted; ``field`` names the culprit."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


def field_path(location: tuple) -> str:
    """pydantic's ``("title", "fr")`` / ``("topics", 1)`` as ``title.fr`` / ``topics[1]``."""
    path = ""
    for part in location:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path or "body"


def parse_publication(body: bytes | str) -> PublicationIn:
    """Validate a JSON body; :class:`PublicationError` names the first wrong field."""
    try:
        return PublicationIn.model_validate_json(body)
    except ValidationError as error:
        first = error.errors()[0]
        raise PublicationError(field_path(first["loc"]), _message(first)) from None


def _message(error: dict) -> str:
    """pydantic's message, said plainly where it would show a regular expression."""
    if error["type"] == "string_pattern_mismatch":
        return "must be an http:// or https:// address" if error["loc"][0] == "link" else "must contain visible text"
    if not error["loc"]:
        return "the body must be a JSON object" if error["type"] != "json_invalid" else f"not valid JSON ({error['msg']})"
    return error["msg"]
