"""The web chat's page, its embedding script and the headers that keep them safe.

The city embeds the chat with ``<script src="https://BOT/webchat/embed.js" async></script>``:
the script puts an ``<iframe>`` of ``/webchat/`` where it stands. Everything the resident sees
runs in that frame, on civicbot's own origin, under a Content-Security-Policy with no inline
script, no eval and no other origin; ``frame-ancestors`` lets only the allowed sites embed it.
The page's labels come from the ``webchat`` catalog, in the language the embedding page asks
for (``?lang=``), else the browser's (``Accept-Language``), else the city's default.
"""
from __future__ import annotations

import html
import json
import re
from pathlib import Path
from string import Template
from urllib.parse import urlsplit

from aiohttp import web

from bot.config import ConfigError, Settings
from bot.i18n import Catalog
from connectors.webchat_protocol import LANGUAGES

STATIC = Path(__file__).parent / "webchat_static"
_ORIGIN = re.compile(r"^https?://[A-Za-z0-9.-]+(:\d{1,5})?$")
# The labels the script uses (the others are in the page itself).
SCRIPT_LABELS = ("you", "bot", "choices", "download", "connecting", "offline", "sending", "locating",
                 "position_sent", "photo_sent", "no_geolocation", "geolocation_denied", "error",
                 "forget_confirm", "forget_yes", "forget_no", "forgotten", "empty", "share_position")
ASSET_TYPES = {"widget.js": "text/javascript", "widget.css": "text/css", "icon.svg": "image/svg+xml"}
PAGE_LABELS = ("title", "welcome", "privacy", "conversation", "message_label", "send", "share_position",
               "photo", "forget")


def allowed_origins(settings: Settings) -> frozenset[str]:
    """The sites that may embed the chat, checked: ``https://host[:port]`` each (ConfigError)."""
    origins = [origin.rstrip("/") for origin in settings.webchat_allowed_origins]
    for origin in origins:
        if not _ORIGIN.match(origin):
            raise ConfigError(f"setting 'webchat_allowed_origins': {origin!r} is not an origin "
                              "(scheme and host, e.g. https://www.nantes.fr, without a path)")
    return frozenset(origins)


def origin_allowed(request: web.Request, allowed: frozenset[str]) -> bool:
    """Whether the request comes from the chat's own page or an allowed site (browsers always
    say where a WebSocket or a POST comes from; a request that does not say is refused)."""
    origin = request.headers.get("Origin", "")
    return origin in allowed or (bool(origin) and urlsplit(origin).netloc == request.host)


def page_language(request: web.Request, default: str) -> str:
    asked = request.query.get("lang", "")[:2].lower()
    if asked in LANGUAGES:
        return asked
    for part in request.headers.get("Accept-Language", "").split(","):
        lang = part.split(";")[0].strip()[:2].lower()
        if lang in LANGUAGES:
            return lang
    return default


def security_headers(request: web.Request, allowed: frozenset[str]) -> dict[str, str]:
    host = request.host
    ancestors = " ".join(["'self'", *sorted(allowed)])
    policy = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
              f"connect-src 'self' ws://{host} wss://{host}; form-action 'none'; base-uri 'none'; "
              f"frame-ancestors {ancestors}")
    return {"Content-Security-Policy": policy, "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "no-referrer", "Cache-Control": "no-store"}


class Pages:
    """The page and the embedding script, rendered once per language."""

    def __init__(self, catalog: Catalog, settings: Settings, max_chars: int) -> None:
        template = Template((STATIC / "widget.html").read_text(encoding="utf-8"))
        city = settings.city_name
        self.pages: dict[str, bytes] = {}
        for lang in LANGUAGES:
            # the script fills in {filename} and {name} itself
            labels = {key: catalog.get(f"webchat.{key}", lang, city=city, filename="{filename}", name="{name}")
                      for key in SCRIPT_LABELS}
            values = {key: html.escape(catalog.get(f"webchat.{key}", lang, city=city)) for key in PAGE_LABELS}
            # a JSON data block is not run; "<" escaped so that no text can close the element
            values["labels"] = json.dumps(labels, ensure_ascii=False).replace("<", "\\u003c")
            self.pages[lang] = template.substitute(values, lang=lang, max_chars=max_chars).encode("utf-8")
        titles = {lang: catalog.get("webchat.frame_title", lang, city=city) for lang in LANGUAGES}
        script = (STATIC / "embed.js").read_text(encoding="utf-8")
        script = script.replace("__TITLES__", json.dumps(titles, ensure_ascii=False))
        self.embed = script.replace("__DEFAULT__", json.dumps(settings.default_language)).encode("utf-8")
        self.assets = {name: (STATIC / name).read_bytes() for name in ASSET_TYPES}
