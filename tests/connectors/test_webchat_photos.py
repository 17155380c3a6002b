"""A photo for a report, sent from the web chat: kept privately under a random name and linked
to the report like a Telegram photo; too large, not a photo, without a visitor or from another
origin is refused with a clear answer. On both databases."""
from __future__ import annotations

import stat

import aiohttp
import pytest

from bot.app import CivicBot
from connectors.webchat_photos import FOLDER, REFERENCE_PREFIX
from tests.support.contributions import contribution, reference_in
from tests.support.webchat import Page, Served, png, serving


async def post_photo(served: Served, visitor: str | None, body: bytes, *, origin: str | None = None,
                     content_type: str = "image/png", lang: str = "fr") -> tuple[int, dict]:
    headers = {"Origin": origin or served.origin, "Content-Type": content_type}
    if visitor:
        headers["X-Webchat-Visitor"] = visitor
    async with aiohttp.ClientSession() as http, http.post(
            f"{served.url}/webchat/api/photo?lang={lang}", data=body, headers=headers) as response:
        return response.status, await response.json(content_type=None)


async def to_the_photo_step(page: Page) -> None:
    await page.say("je voudrais signaler un probleme")
    reply = await page.say("Nid de poule")
    while "service demande" in reply["text"]:
        reply = await page.say(reply["choices"][0]["value"])
    await page.say("un gros trou devant l'école")
    reply = await page.share(47.2184, -1.5536)
    if any(choice["value"] == "nouveau" for choice in reply["choices"]):
        reply = await page.say("nouveau")
    assert "photo" in reply["text"], reply


async def test_a_photo_joins_the_report_and_is_kept_privately(bot: CivicBot):
    image = png()
    async with serving(bot) as served, Page.open(served) as page:
        await to_the_photo_step(page)
        status, answer = await post_photo(served, page.visitor, image)
        assert status == 200, answer
        await page.say("follow")
        receipt = await page.say("confirm")
    reference = reference_in(receipt["text"])
    media = (await contribution(bot, reference)).media
    assert media and media.startswith(REFERENCE_PREFIX)
    stored = bot.settings.data_dir / FOLDER / media.removeprefix(REFERENCE_PREFIX)
    assert stored.read_bytes() == image
    assert stat.S_IMODE(stored.stat().st_mode) == 0o600
    assert page.visitor not in stored.name


async def test_a_photo_too_large_is_refused_with_the_limit(bot: CivicBot):
    bot.settings.webchat_photo_max_mb = 0.001  # 1,000 bytes
    async with serving(bot) as served, Page.open(served) as page:
        status, answer = await post_photo(served, page.visitor, png() + b"\x00" * 2000)
    assert status == 413
    assert answer["error"]["text"] == bot.catalog.get("webchat.photo_too_large", "fr", megabytes=0)
    assert not (bot.settings.data_dir / FOLDER).exists() or not any((bot.settings.data_dir / FOLDER).iterdir())


@pytest.mark.parametrize(("body", "content_type"), [
    (b"GIF89a\x01\x00\x01\x00", "image/gif"),
    (b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>", "image/png"),
    (b"%PDF-1.7 not a photo", "image/jpeg"),
    (b"", "image/jpeg"),
])
async def test_what_is_not_a_photo_is_refused_whatever_the_browser_says(bot: CivicBot, body: bytes,
                                                                       content_type: str):
    async with serving(bot) as served, Page.open(served, lang="en") as page:
        status, answer = await post_photo(served, page.visitor, body, content_type=content_type, lang="en")
    assert status == 415
    assert answer["error"]["text"] == bot.catalog.get("webchat.photo_bad_type", "en")


async def test_a_photo_without_a_visitor_or_from_elsewhere_is_refused(bot: CivicBot):
    async with serving(bot) as served, Page.open(served) as page:
        status, answer = await post_photo(served, None, png())
        assert status == 400 and answer["error"]["code"] == "bad_visitor"
        status, _ = await post_photo(served, page.visitor, png(), origin="https://evil.example")
        assert status == 403


async def test_a_visitor_over_the_flood_limit_cannot_fill_the_disk_with_photos(bot: CivicBot):
    bot.flood.limit = 2
    async with serving(bot) as served, Page.open(served) as page:
        await page.say("bonjour")
        await page.say("je veux signaler un probleme")
        status, answer = await post_photo(served, page.visitor, png())
    assert status == 429 and answer["error"]["text"] == bot.flood.notice("fr").text
    folder = bot.settings.data_dir / FOLDER
    assert not folder.exists() or not any(folder.iterdir()), "nothing kept"
