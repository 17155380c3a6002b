"""What the publications API accepts and answers, as pydantic models (they also make the OpenAPI
description). Texts are cleaned of control characters; every limit keeps one publication within
one Telegram message (4,096 characters)."""
from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field

from bot.api.requests import LINK, Strict, VisibleText, parse_model
from bot.publications.models import KINDS

TITLE_CHARS, TEXT_CHARS, LINK_CHARS, NAME_CHARS = 200, 3200, 500, 100
YEARS = "2[01][0-9]{2}"  # a schedule is for this era: catches typos, keeps date arithmetic safe


def _this_era(moment: datetime) -> datetime:
    if not re.match(YEARS, f"{moment.year:04d}"):
        raise ValueError("the year must be from 2000 to 2199")
    return moment


Name = Annotated[str, VisibleText(NAME_CHARS)]
Kind = Literal[KINDS]  # type: ignore[valid-type]
PublicationStatus = Literal["scheduled", "delivering", "done"]


class Title(Strict):
    fr: Annotated[str, VisibleText(TITLE_CHARS)]
    en: Annotated[str, VisibleText(TITLE_CHARS)] | None = None


class Text(Strict):
    fr: Annotated[str, VisibleText(TEXT_CHARS)]
    en: Annotated[str, VisibleText(TEXT_CHARS)] | None = None


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
    status: PublicationStatus
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


def parse_publication(body: bytes | str) -> PublicationIn:
    """Validate a JSON body; :class:`~bot.api.requests.RequestError` names the first wrong field."""
    return parse_model(body, PublicationIn)
