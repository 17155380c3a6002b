"""The one OpenAPI 3.1 document of civicbot's HTTP API, served at ``/api/v1/openapi.json``
(and, for the agents' console, at ``/api/v1/handover/openapi.json``): every feature's paths
and schemas (``Feature.openapi``) under one bearer security scheme whose scopes say who may call
what."""
from __future__ import annotations

from typing import Any

from bot.config import Settings
from bot.feature import Feature

SCOPES = "publish, read, polls, contributions, agent"


def openapi_document(settings: Settings, features: tuple[Feature, ...]) -> dict[str, Any]:
    paths: dict[str, Any] = {}
    schemas: dict[str, Any] = {}
    for feature in features:
        if feature.openapi is not None:
            part = feature.openapi(settings)
            paths.update(part["paths"])
            schemas.update(part["components"]["schemas"])
    return {
        "openapi": "3.1.0",
        "info": {"title": f"civicbot HTTP API ({settings.city_name})", "version": "1",
                 "description": "Publications, polls and contributions, and the agents' hand-over. "
                                f"Tokens: civicbot token create --scope SCOPE ({SCOPES})."},
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer",
                                           "description": f"civicbot token create --scope ({SCOPES})"}},
        },
    }
