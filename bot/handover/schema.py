"""What the agents' API takes and gives, as pydantic models (also the OpenAPI description)."""
from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal, cast

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from bot.api.requests import VISIBLE
from bot.db import aware
from bot.handover.models import Ticket, TicketMessage
from bot.text import sanitize

ANSWER_CHARS = 3000  # with the heading, one Telegram message (4,096 characters)
# The values the tables hold (as strings) in these columns:
Author = Literal["resident", "agent", "system"]
Event = Literal["opened", "closed_by_resident", "closed_by_agent"]
Status = Literal["open", "closed"]
Closer = Literal["resident", "agent"]


def _visible(text: str) -> str:
    cleaned, _ = sanitize(text, ANSWER_CHARS)
    if not cleaned:
        raise ValueError("must not be blank")
    return cleaned


class AnswerIn(BaseModel):
    """An agent's reply to the resident."""

    model_config = ConfigDict(extra="forbid", strict=True)

    text: Annotated[str, Field(min_length=1, max_length=ANSWER_CHARS, pattern=VISIBLE), AfterValidator(_visible)]


class Point(BaseModel):
    latitude: float
    longitude: float


class Attachment(BaseModel):
    kind: str = Field(description="photo, image or file")
    reference: str = Field(description="the platform's reference (Telegram file_id, Matrix mxc:// URI)")


class MessageOut(BaseModel):
    """A message of the conversation, or an event of it (``event`` set, no text)."""

    id: int
    author: Author
    event: Event | None
    text: str | None
    location: Point | None
    attachment: Attachment | None
    at: datetime

    @classmethod
    def of(cls, row: TicketMessage) -> MessageOut:
        location = (Point(latitude=row.latitude, longitude=row.longitude)
                    if row.latitude is not None and row.longitude is not None else None)
        attachment = (Attachment(kind=row.attachment_kind, reference=row.attachment_reference)
                      if row.attachment_kind and row.attachment_reference else None)
        return cls(id=row.id, author=cast(Author, row.author), event=cast(Event | None, row.event), text=row.text,
                   location=location, attachment=attachment, at=aware(row.created_at))


class TicketOut(BaseModel):
    """A ticket: its number, never who the resident is."""

    id: int = Field(description="the ticket number, the only name agents know the resident by")
    status: Status
    language: str = Field(description="the resident's language: fr or en")
    agent: str | None = Field(description="the name of the token that answered first")
    waiting_since: datetime | None = Field(description="the oldest resident message not answered yet")
    opened_at: datetime
    updated_at: datetime
    closed_at: datetime | None
    closed_by: Closer | None
    last_message: MessageOut | None = Field(description="the latest message (not events)")

    @classmethod
    def of(cls, ticket: Ticket, last: TicketMessage | None) -> TicketOut:
        return cls(id=ticket.id, status=cast(Status, ticket.status), language=ticket.language, agent=ticket.agent,
                   waiting_since=aware(ticket.waiting_since), opened_at=aware(ticket.opened_at),
                   updated_at=aware(ticket.updated_at), closed_at=aware(ticket.closed_at),
                   closed_by=cast(Closer | None, ticket.closed_by), last_message=MessageOut.of(last) if last else None)


class TicketDetail(TicketOut):
    messages: list[MessageOut] = Field(description="the conversation, oldest first")


class TicketList(BaseModel):
    tickets: list[TicketOut]
    next_before: int | None = Field(description="give it as ?before= for the next page")

