"""The OpenAPI 3.1 description of the publications API, made from its pydantic models.

The city's topics are listed as the ``topics`` enum, so the description matches this city.
"""
from __future__ import annotations

from typing import Any

from pydantic.json_schema import models_json_schema

from bot.config import Settings
from bot.publications.schema import ErrorBody, PublicationIn, PublicationList, PublicationOut

REF = "#/components/schemas/{model}"


def _ref(name: str) -> dict[str, str]:
    return {"$ref": REF.format(model=name)}


def _json(schema: dict, description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


ERROR = _ref("ErrorBody")
AUTH_ERRORS = {
    "401": _json(ERROR, "no token, or an unknown or revoked one"),
    "403": _json(ERROR, "the token lacks the scope"),
}


def _integer_parameter(name: str, where: str, maximum: int, description: str) -> dict[str, Any]:
    return {"name": name, "in": where, "required": where == "path", "description": description,
            "schema": {"type": "integer", "minimum": 1, "maximum": maximum}}


def openapi_document(settings: Settings) -> dict[str, Any]:
    _, definitions = models_json_schema(
        [(PublicationIn, "validation"), (PublicationOut, "serialization"),
         (PublicationList, "serialization"), (ErrorBody, "serialization")],
        ref_template=REF,
    )
    schemas = definitions["$defs"]
    topics = schemas["PublicationIn"]["properties"]["topics"]
    topics["items"] = {"type": "string", "enum": list(settings.topics)}
    publication = _json(_ref("PublicationOut"), "the publication and its delivery progress")
    return {
        "openapi": "3.1.0",
        "info": {
            "title": f"civicbot publications ({settings.city_name})", "version": "1",
            "description": "Publish to the residents who subscribed, and follow the delivery. "
                           "Tokens: civicbot token create --scope publish (or read).",
        },
        "paths": {
            "/api/v1/publications": {
                "post": {
                    "summary": "Publish to the matching subscribers (scope publish)",
                    "operationId": "createPublication",
                    "security": [{"bearer": ["publish"]}],
                    "requestBody": {"required": True,
                                    "content": {"application/json": {"schema": _ref("PublicationIn")}}},
                    "responses": {"201": publication,
                                  "400": _json(ERROR, "a field is wrong: error.field names it"),
                                  **AUTH_ERRORS},
                },
                "get": {
                    "summary": "The latest publications, newest first (scope publish or read)",
                    "operationId": "listPublications",
                    "security": [{"bearer": ["read"]}],
                    "parameters": [
                        _integer_parameter("limit", "query", 100, "how many (default 20)"),
                        _integer_parameter("before", "query", 2 ** 31 - 1, "only those older than this id"),
                    ],
                    "responses": {"200": _json(_ref("PublicationList"), "a page of publications"),
                                  "400": _json(ERROR, "a parameter is wrong"), **AUTH_ERRORS},
                },
            },
            "/api/v1/publications/{id}": {
                "get": {
                    "summary": "One publication and its delivery progress (scope publish or read)",
                    "operationId": "getPublication",
                    "security": [{"bearer": ["read"]}],
                    "parameters": [_integer_parameter("id", "path", 2 ** 31 - 1, "the publication's id")],
                    "responses": {"200": publication, "400": _json(ERROR, "the id is not a valid id"),
                                  "404": _json(ERROR, "no such publication"), **AUTH_ERRORS},
                },
            },
        },
        "components": {
            "schemas": schemas,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer",
                                           "description": "civicbot token create --scope publish"}},
        },
    }
