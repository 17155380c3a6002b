"""The web chat's page and embedding script as a city's site gets them: light, in the resident's
language, with a Content-Security-Policy that allows no inline script and only the configured
sites to embed it."""
from __future__ import annotations

import gzip
import re

import aiohttp
import pytest

from bot.app import CivicBot
from bot.config import ConfigError, load_settings
from connectors.webchat import WebChatConnector
from connectors.webchat_page import STATIC
from tests.support.webchat import serving

BUDGET_BYTES = 50_000


async def fetch(url: str, **headers: str) -> tuple[int, dict[str, str], str]:
    async with aiohttp.ClientSession() as http, http.get(url, headers=headers) as response:
        return response.status, dict(response.headers), await response.text()


async def test_script_and_style_weigh_under_50_kb_compressed(bot: CivicBot):
    async with serving(bot) as served:
        parts = [await fetch(f"{served.url}/webchat/{path}")
                 for path in ("embed.js", "", "static/widget.js", "static/widget.css", "static/icon.svg")]
    assert all(status == 200 for status, _, _ in parts)
    compressed = sum(len(gzip.compress(body.encode("utf-8"), 9)) for _, _, body in parts)
    assert compressed < BUDGET_BYTES, f"{compressed} bytes compressed"


@pytest.mark.parametrize(("query", "accept", "lang", "send"), [
    ("?lang=fr", "en-GB,en;q=0.9", "fr", "Envoyer"),
    ("?lang=en", "fr-FR", "en", "Send"),
    ("", "en-US,en;q=0.8,fr;q=0.5", "en", "Send"),
    ("", "de-DE,de;q=0.9,fr;q=0.5", "fr", "Envoyer"),
    ("?lang=xx", "", "fr", "Envoyer"),
])
async def test_the_page_speaks_the_language_asked_or_the_browsers(bot: CivicBot, query: str, accept: str,
                                                                   lang: str, send: str):
    async with serving(bot) as served:
        status, _, page = await fetch(f"{served.url}/webchat/{query}", **{"Accept-Language": accept})
    assert status == 200
    assert f'<html lang="{lang}">' in page
    assert bot.catalog.get("webchat.send", lang) == send and f">{send}</button>" in page
    assert bot.catalog.get("webchat.title", lang, city="Nantes") in page


async def test_the_page_runs_no_inline_script_and_says_so_in_its_policy(bot: CivicBot):
    async with serving(bot) as served:
        _, headers, page = await fetch(f"{served.url}/webchat/")
    policy = headers["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";"))
    assert directives["default-src"] == "'none'"
    assert directives["script-src"] == "'self'" and "unsafe" not in policy
    assert directives["frame-ancestors"] == "'self'"
    assert headers["X-Content-Type-Options"] == "nosniff"
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", page, re.S)
    for attributes, body in scripts:
        assert 'type="application/json"' in attributes or not body.strip(), "only data blocks inline"
    assert not re.search(r"<[^>]*\son[a-z]+\s*=", page), "no inline event handler"


async def test_only_the_allowed_sites_may_embed_the_chat(bot: CivicBot):
    bot.settings.webchat_allowed_origins = ["https://www.nantes.fr", "https://metropole.nantes.fr/"]
    async with serving(bot) as served:
        _, headers, _ = await fetch(f"{served.url}/webchat/")
    ancestors = headers["Content-Security-Policy"].split("frame-ancestors ")[1].split(";")[0].split()
    assert ancestors == ["'self'", "https://metropole.nantes.fr", "https://www.nantes.fr"]


@pytest.mark.parametrize("origin", ["www.nantes.fr", "https://www.nantes.fr/chat", "*", "https://a b.fr"])
def test_an_allowed_origin_that_is_not_one_is_a_config_error(bot: CivicBot, origin: str):
    bot.settings.webchat_allowed_origins = [origin]
    with pytest.raises(ConfigError, match="webchat_allowed_origins"):
        WebChatConnector(bot)


def test_allowed_origins_are_read_from_the_environment(tmp_path):
    settings = load_settings({"CIVICBOT_DATA_DIR": str(tmp_path), "CIVICBOT_WEBCHAT_ENABLED": "yes",
                              "CIVICBOT_WEBCHAT_ALLOWED_ORIGINS": "https://www.nantes.fr, https://nantes.fr"})
    assert settings.webchat_enabled
    assert settings.webchat_allowed_origins == ["https://www.nantes.fr", "https://nantes.fr"]


async def test_the_embedding_script_frames_the_page_with_a_title_in_each_language(bot: CivicBot):
    async with serving(bot) as served:
        status, headers, script = await fetch(f"{served.url}/webchat/embed.js")
    assert status == 200 and headers["Content-Type"].startswith("text/javascript")
    for lang in ("fr", "en"):
        assert bot.catalog.get("webchat.frame_title", lang, city="Nantes") in script
    assert "__TITLES__" not in script and "__DEFAULT__" not in script
    assert "innerHTML" not in script and "eval(" not in script


def test_the_widget_never_writes_html():
    script = (STATIC / "widget.js").read_text(encoding="utf-8")
    for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function"):
        assert sink not in script, sink


async def test_an_unknown_asset_is_not_found(bot: CivicBot):
    async with serving(bot) as served:
        status, _, _ = await fetch(f"{served.url}/webchat/static/..%2Fwebchat.py")
        assert status == 404
        status, _, _ = await fetch(f"{served.url}/webchat/static/widget.html")
        assert status == 404
