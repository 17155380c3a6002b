"""The OpenAPI description of the polls and contributions routes (:mod:`bot.contributions.api`):
its paths and schemas, merged into the one document of :mod:`bot.api.openapi`."""
from __future__ import annotations

from typing import Any

from pydantic.json_schema import models_json_schema

from bot.config import Settings
from bot.contributions.api import KINDS, MAX_ID, MAX_PAGE_SIZE, STATUSES, PollIn, StatusIn

SCHEMAS = "#/components/schemas/{model}"
NULLABLE_STRING = {"type": ["string", "null"]}
TEXTS = {"type": "object", "additionalProperties": {"type": "string"},
         "description": "a text per language code (fr, en)"}

RESPONSE_SCHEMAS: dict[str, dict[str, Any]] = {
    "ContributionOut": {
        "type": "object", "description": "a report or an idea (never who made it)",
        "required": ["reference", "kind", "status", "created_at"],
        "properties": {
            "reference": {"type": "string"}, "kind": {"type": "string", "enum": list(KINDS)},
            "category": NULLABLE_STRING, "category_label": NULLABLE_STRING, "title": NULLABLE_STRING,
            "description": NULLABLE_STRING, "latitude": {"type": ["number", "null"]},
            "longitude": {"type": ["number", "null"]}, "address": NULLABLE_STRING,
            "area": NULLABLE_STRING, "media": NULLABLE_STRING, "attributes": {"type": "object"},
            "status": {"type": "string"}, "status_notes": NULLABLE_STRING,
            "supports": {"type": ["integer", "null"]}, "open311_id": NULLABLE_STRING,
            "created_at": {"type": "string"}, "updated_at": NULLABLE_STRING,
        },
    },
    "ContributionList": {
        "type": "object", "required": ["contributions", "next_before"],
        "properties": {"contributions": {"type": "array", "items": {"$ref": SCHEMAS.format(model="ContributionOut")}},
                       "next_before": {"type": ["integer", "null"],
                                       "description": "give it as before= for the next page"}},
    },
    "PollOut": {
        "type": "object", "description": "a poll, with the votes per option and the opinions in the "
                                          "answers of one poll (never who voted)",
        "required": ["id", "kind", "question", "opens_at", "closes_at", "options"],
        "properties": {
            "id": {"type": "integer"}, "kind": {"type": "string", "enum": ["poll", "consultation"]},
            "question": TEXTS, "opens_at": {"type": "string"}, "closes_at": {"type": "string"},
            "areas": {"type": "array", "items": {"type": "string"}},
            "allow_opinion": {"type": "boolean"}, "results_published_at": NULLABLE_STRING,
            "options": {"type": "array", "items": {
                "type": "object", "required": ["id", "label"],
                "properties": {"id": {"type": "integer"}, "label": TEXTS, "votes": {"type": "integer"}}}},
            "opinions": {"type": "array", "items": {"type": "string"}},
        },
    },
    "PollList": {
        "type": "object", "required": ["polls"],
        "properties": {"polls": {"type": "array", "items": {"$ref": SCHEMAS.format(model="PollOut")}}},
    },
}


def _body(model: str, description: str) -> dict[str, Any]:
    return {"description": description,
            "content": {"application/json": {"schema": {"$ref": SCHEMAS.format(model=model)}}}}


def _operation(name: str, summary: str, scope: str, responses: dict[str, tuple[str, str]],
               **extra: Any) -> dict[str, Any]:
    responses = {**responses, "401": ("ErrorBody", "no token, or an unknown or revoked one"),
                 "403": ("ErrorBody", f"the token lacks the scope {scope}")}
    return {"operationId": name, "summary": f"{summary} (scope {scope})",
            "security": [{"bearer": [scope]}],
            "responses": {status: _body(*answer) for status, answer in responses.items()}, **extra}


def _parameter(name: str, where: str, schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"name": name, "in": where, "required": where == "path", "description": description,
            "schema": schema}


POLL_ID = _parameter("id", "path", {"type": "integer", "minimum": 1, "maximum": MAX_ID}, "the poll's id")
REFERENCE = _parameter("reference", "path", {"type": "string", "minLength": 1, "maxLength": 64},
                       "the contribution's reference, e.g. R-7K2M9Q")
BAD = ("ErrorBody", "a field or parameter is wrong: error.field names it")


def schemas() -> dict[str, Any]:
    _, definitions = models_json_schema([(PollIn, "validation"), (StatusIn, "validation")],
                                        ref_template=SCHEMAS)
    found = definitions["$defs"]
    found["StatusIn"]["anyOf"] = [  # what its validator asks: a status, notes or both
        {"required": [name], "properties": {name: {"type": "string"}}} for name in ("status", "notes")]
    return {**found, **RESPONSE_SCHEMAS}


def paths() -> dict[str, Any]:
    def request(model: str) -> dict[str, Any]:
        return {"required": True, "content": {"application/json": {"schema": {"$ref": SCHEMAS.format(model=model)}}}}

    return {
        "/api/v1/polls": {
            "post": _operation("createPoll", "Open a poll or a consultation", "polls",
                               {"201": ("PollOut", "the poll"), "400": BAD}, requestBody=request("PollIn")),
            "get": _operation("listPolls", "The polls, newest first", "polls",
                              {"200": ("PollList", "the polls, without their results")}),
        },
        "/api/v1/polls/{id}": {
            "get": _operation("getPoll", "A poll with its votes per option and its opinions", "polls",
                              {"200": ("PollOut", "the poll"), "400": BAD, "404": ("ErrorBody", "no such poll")},
                              parameters=[POLL_ID]),
        },
        "/api/v1/contributions": {
            "get": _operation("listContributions", "Reports and ideas, newest first", "contributions",
                              {"200": ("ContributionList", "a page of contributions"), "400": BAD},
                              parameters=[
                                  _parameter("kind", "query", {"type": "string", "enum": list(KINDS)},
                                             "only reports or only ideas"),
                                  _parameter("status", "query", {"type": "string", "enum": list(STATUSES)},
                                             "only those with this status"),
                                  _parameter("limit", "query",
                                             {"type": "integer", "minimum": 1, "maximum": MAX_PAGE_SIZE},
                                             "how many (default 50)"),
                                  _parameter("before", "query", {"type": "integer", "minimum": 1, "maximum": MAX_ID},
                                             "the next_before of the previous page"),
                              ]),
        },
        "/api/v1/contributions/{reference}": {
            "get": _operation("getContribution", "One report or idea", "contributions",
                              {"200": ("ContributionOut", "the contribution"),
                               "404": ("ErrorBody", "no such contribution")}, parameters=[REFERENCE]),
            "patch": _operation("setContributionStatus",
                                "A new status and/or a note: the author and followers are told",
                                "contributions",
                                {"200": ("ContributionOut", "the contribution"), "400": BAD,
                                 "404": ("ErrorBody", "no such contribution")},
                                parameters=[REFERENCE], requestBody=request("StatusIn")),
        },
    }


def openapi_part(settings: Settings) -> dict[str, Any]:
    """The polls' and contributions' share of the one document (``Feature.openapi``)."""
    return {"paths": paths(), "components": {"schemas": schemas()}}
