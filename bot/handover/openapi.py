"""The OpenAPI 3.1 description of the agents' API (``/api/v1/handover/openapi.json``), made
from its pydantic models."""
from __future__ import annotations

from typing import Any

from pydantic.json_schema import models_json_schema

from bot.config import Settings
from bot.handover.schema import AnswerIn, MessageOut, TicketDetail, TicketList, TicketOut
from bot.publications.schema import ErrorBody

SCHEMAS = "#/components/schemas/{model}"
SECURITY = [{"bearer": ["agent"]}]


def _body(model: str, description: str) -> dict[str, Any]:
    return {"description": description,
            "content": {"application/json": {"schema": {"$ref": SCHEMAS.format(model=model)}}}}


def _operation(name: str, summary: str, responses: dict[str, tuple[str, str]], **extra: Any) -> dict[str, Any]:
    """An operation of scope ``agent``; ``responses`` maps a status to (schema, description)."""
    responses = {**responses, "401": ("ErrorBody", "no token, or an unknown or revoked one"),
                 "403": ("ErrorBody", "the token lacks the scope agent")}
    return {"operationId": name, "summary": summary, "security": SECURITY,
            "responses": {status: _body(*answer) for status, answer in responses.items()}, **extra}


def _parameter(name: str, where: str, schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"name": name, "in": where, "required": where == "path", "description": description,
            "schema": schema}


TICKET_ID = _parameter("id", "path", {"type": "integer", "minimum": 1, "maximum": 2 ** 31 - 1},
                       "the ticket number")
NO_TICKET = ("ErrorBody", "no such ticket")
BAD_ID = ("ErrorBody", "the id is not a ticket number")
CLOSED = ("ErrorBody", "the ticket is closed")


def openapi_document(settings: Settings) -> dict[str, Any]:
    _, definitions = models_json_schema(
        [(AnswerIn, "validation"), (MessageOut, "serialization"), (TicketOut, "serialization"),
         (TicketDetail, "serialization"), (TicketList, "serialization"), (ErrorBody, "serialization")],
        ref_template=SCHEMAS)
    tickets = "/api/v1/handover/tickets"
    return {
        "openapi": "3.1.0",
        "info": {"title": f"civicbot hand-over ({settings.city_name})", "version": "1",
                 "description": "Agents read residents' hand-over tickets, answer them and close them. "
                                "Tokens: civicbot token create --scope agent --name '<agent>'."},
        "paths": {
            tickets: {"get": _operation(
                "listTickets", "Tickets, newest first",
                {"200": ("TicketList", "a page of tickets"), "400": ("ErrorBody", "a parameter is wrong")},
                parameters=[
                    _parameter("status", "query", {"type": "string", "enum": ["open", "closed"]},
                               "which tickets (default open)"),
                    _parameter("limit", "query", {"type": "integer", "minimum": 1, "maximum": 200},
                               "how many (default 50)"),
                    _parameter("before", "query", {"type": "integer", "minimum": 1, "maximum": 2 ** 31 - 1},
                               "only those with a smaller number"),
                ])},
            f"{tickets}/{{id}}": {"get": _operation(
                "getTicket", "A ticket and its conversation",
                {"200": ("TicketDetail", "the ticket"), "400": BAD_ID, "404": NO_TICKET},
                parameters=[TICKET_ID])},
            f"{tickets}/{{id}}/messages": {"post": _operation(
                "answerTicket", "Answer the resident: the reply is sent to their chat",
                {"201": ("MessageOut", "the reply as kept in the conversation"),
                 "400": ("ErrorBody", "a field is wrong: error.field names it"), "404": NO_TICKET,
                 "409": CLOSED},
                parameters=[TICKET_ID],
                requestBody={"required": True, "content": {"application/json": {
                    "schema": {"$ref": SCHEMAS.format(model="AnswerIn")}}}})},
            f"{tickets}/{{id}}/close": {"post": _operation(
                "closeTicket", "Close the ticket: the resident is told and is back with the bot",
                {"200": ("TicketOut", "the closed ticket"), "400": BAD_ID, "404": NO_TICKET, "409": CLOSED},
                parameters=[TICKET_ID])},
        },
        "components": {
            "schemas": definitions["$defs"],
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer",
                                           "description": "civicbot token create --scope agent"}},
        },
    }
