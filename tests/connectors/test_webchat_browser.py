"""The web chat in headless Chromium, as residents use it: with the keyboard only, checked by
axe-core for WCAG 2.1 AA, embedded in a city's page with no request to any other origin,
residents' and data's texts shown as text, text enlarged to 200 %, reduced motion, and the
plain HTTP fallback.

Skips when Chromium, its driver or axe-core (``npm ci --prefix tests/support/browser``) is
absent, except on CI or with CIVICBOT_REQUIRE_CHROMIUM=1, where it fails instead.
"""
from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from sqlalchemy import func, select

from bot.app import CivicBot
from bot.messages import Choice, Reply
from bot.models import User
from tests.support.chromium import WAIT_SECONDS, axe_or_skip, chrome, chromium_or_skip
from tests.support.network import on_loopback
from tests.support.webchat import png, serving

pytestmark = pytest.mark.browser

AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]
NANTES = {"latitude": 47.2184, "longitude": -1.5536, "accuracy": 10}
XSS = ["<img src=x onerror=\"window.pwned='img'\">", "<script>window.pwned='script'</script>"]
run = asyncio.to_thread
SOCKET_REFUSED = """window.WebSocket = function () {
  var socket = new EventTarget();
  socket.send = function () {};
  socket.close = function () {};
  setTimeout(function () { socket.dispatchEvent(new Event("close")); }, 10);
  return socket;
};"""


class Widget:
    """The chat page in headless Chromium (blocking calls: run them in a thread so that the
    server keeps answering)."""

    def __init__(self, profile: Path) -> None:
        self.driver = chrome(profile, network_log=True)

    def quit(self) -> None:
        self.driver.quit()

    def open(self, url: str) -> None:
        self.driver.get(url)
        self.wait(lambda: self.script("return document.getElementById('status').textContent") == "")

    def wait(self, condition: Callable[[], Any]) -> Any:
        from selenium.webdriver.support.ui import WebDriverWait

        return WebDriverWait(self.driver, WAIT_SECONDS).until(lambda _: condition())

    def script(self, source: str, *arguments: Any) -> Any:
        return self.driver.execute_script(source, *arguments)

    def keys(self, *keys: str) -> None:
        """Type on the keyboard, into whatever has the focus."""
        from selenium.webdriver.common.action_chains import ActionChains

        ActionChains(self.driver).send_keys(*keys).perform()

    def shift_tab(self) -> None:
        from selenium.webdriver.common.action_chains import ActionChains
        from selenium.webdriver.common.keys import Keys

        ActionChains(self.driver).key_down(Keys.SHIFT).send_keys(Keys.TAB).key_up(Keys.SHIFT).perform()

    def focused(self) -> dict[str, str]:
        return self.script("var e = document.activeElement; return {id: e.id, text: e.textContent, tag: e.tagName};")

    def tab_to(self, wanted: Callable[[dict[str, str]], bool], backwards: bool = False) -> None:
        from selenium.webdriver.common.keys import Keys

        for _ in range(40):
            if wanted(self.focused()):
                return
            if backwards:
                self.shift_tab()
            else:
                self.keys(Keys.TAB)
        raise AssertionError(f"the keyboard never reached it; focus on {self.focused()}")

    def messages(self) -> list[str]:
        return self.script("return Array.from(document.querySelectorAll('#messages > li'))"
                           ".map(function (li) { return li.textContent; });")

    def wait_for_messages(self, count: int) -> list[str]:
        return self.wait(lambda: (found := self.messages()) and len(found) >= count and found)

    def visitor(self) -> str:
        return self.script("return localStorage.getItem('civicbot-webchat-visitor');")

    def axe(self, source: str) -> list[dict[str, Any]]:
        """axe-core's violations of WCAG 2.1 A and AA (and its best practices) on the page."""
        self.script(source)
        self.driver.set_script_timeout(WAIT_SECONDS)
        violations = self.driver.execute_async_script(
            "var done = arguments[arguments.length - 1];"
            "axe.run(document, {runOnly: {type: 'tag', values: arguments[0]}})"
            ".then(function (r) { done(r.violations); }, function (e) { done([{id: String(e)}]); });", AXE_TAGS)
        return [{"id": v["id"], "nodes": [n.get("target") for n in v.get("nodes", [])]} for v in violations]

    def requested(self) -> list[str]:
        """Every URL a page of the tab asked for (documents, scripts, fetches, WebSockets) since
        the last call; not the browser's own pages (chrome://)."""
        urls = []
        for entry in self.driver.get_log("performance"):
            message = json.loads(entry["message"])["message"]
            if message["method"] == "Network.requestWillBeSent":
                urls.append(message["params"]["request"]["url"])
            elif message["method"] == "Network.webSocketCreated":
                urls.append(message["params"]["url"])
        return [url for url in urls if not url.startswith(("chrome:", "data:"))]

    def fetched(self) -> list[str]:
        """What the document in focus (a frame's too) loaded: itself and every resource."""
        return self.script("return performance.getEntries().filter(function (e) {"
                           "return e.entryType === 'navigation' || e.entryType === 'resource'; })"
                           ".map(function (e) { return e.name; });")

    def errors(self) -> list[str]:
        return [entry["message"] for entry in self.driver.get_log("browser") if entry["level"] == "SEVERE"]


@pytest.fixture
async def widget(tmp_path: Path, monkeypatch) -> AsyncIterator[Widget]:
    chromium_or_skip()
    monkeypatch.setenv("SE_OFFLINE", "true")  # Selenium Manager must never reach the network
    browser = await run(Widget, tmp_path / "chromium-profile")
    try:
        yield browser
    finally:
        await run(browser.quit)


@pytest.fixture
def axe() -> str:
    return axe_or_skip()


def text(bot: CivicBot, key: str, lang: str = "fr", **values: object) -> str:
    return bot.catalog.get(key, lang, city="Nantes", **values)


async def users(bot: CivicBot) -> int:
    async with bot.sessions() as session:
        return (await session.execute(select(func.count()).select_from(User))).scalar_one()


async def test_a_whole_conversation_with_the_keyboard_only(bot: CivicBot, widget: Widget):
    from selenium.webdriver.common.keys import Keys

    async with serving(bot) as served:
        await run(widget.open, f"{served.url}/webchat/?lang=fr")
        await run(widget.driver.execute_cdp_cmd, "Browser.grantPermissions",
                  {"origin": served.url, "permissions": ["geolocation"]})
        await run(widget.driver.execute_cdp_cmd, "Emulation.setGeolocationOverride", NANTES)
        await run(widget.tab_to, lambda element: element["id"] == "text")
        await run(widget.keys, "bonjour", Keys.ENTER)
        greeting = (await run(widget.wait_for_messages, 3))[-1]
        assert text(bot, "greet.hello").split("!")[0] in greeting

        # the last offered button, reached backwards from the text field, pressed with Enter
        await run(widget.shift_tab)
        choice = await run(widget.focused)
        assert choice["tag"] == "BUTTON" and choice["text"] in greeting
        await run(widget.keys, Keys.ENTER)
        shown = await run(widget.wait_for_messages, 5)
        assert choice["text"] in shown[3], "the pressed button's label is shown as the resident's message"
        assert shown[4] != greeting

        # a button of the new reply, pressed with Space
        await run(widget.tab_to, lambda element: element["id"] == "text")
        await run(widget.shift_tab)
        second = await run(widget.focused)
        assert second["tag"] == "BUTTON" and second["text"] in shown[4]
        await run(widget.keys, Keys.SPACE)
        assert second["text"] in (await run(widget.wait_for_messages, 7))[5]

        # the position, asked only now that the resident presses the button
        count = len(await run(widget.messages))
        await run(widget.tab_to, lambda element: element["id"] == "locate")
        await run(widget.keys, Keys.ENTER)
        after_position = await run(widget.wait_for_messages, count + 2)
        assert text(bot, "webchat.position_sent") in after_position[count]

        # forget this browser: the confirmation, then a new id and nothing kept
        visitor = await run(widget.visitor)
        assert await users(bot) == 1
        await run(widget.tab_to, lambda element: element["id"] == "forget", True)
        await run(widget.keys, Keys.ENTER)
        assert (await run(widget.focused))["id"] == "confirm-no", "the safe answer has the focus"
        await run(widget.shift_tab)
        assert (await run(widget.focused))["id"] == "confirm-yes"
        await run(widget.keys, Keys.SPACE)
        await run(widget.wait, lambda: text(bot, "webchat.forgotten") in widget.messages()[-1])
        assert await run(widget.visitor) not in (None, visitor)
        assert await users(bot) == 0

        # the conversation goes on with the new id
        await run(widget.tab_to, lambda element: element["id"] == "text")
        count = len(await run(widget.messages))
        await run(widget.keys, "salut", Keys.ENTER)
        await run(widget.wait_for_messages, count + 2)
        assert await users(bot) == 1
        assert await run(widget.errors) == []


@pytest.mark.parametrize("lang", ["fr", "en"])
async def test_axe_finds_no_accessibility_violation(bot: CivicBot, widget: Widget, axe: str, lang: str):
    from selenium.webdriver.common.keys import Keys

    async with serving(bot) as served:
        await run(widget.open, f"{served.url}/webchat/?lang={lang}")
        assert await run(widget.axe, axe) == []
        await run(widget.tab_to, lambda element: element["id"] == "text")
        await run(widget.keys, "hello" if lang == "en" else "bonjour", Keys.ENTER)
        await run(widget.wait_for_messages, 3)
        await run(widget.keys, "zorglub wibble", Keys.ENTER)
        await run(widget.wait_for_messages, 5)
        await served.connector.send(served.connector.chat_of(await run(widget.visitor)),
                                    Reply("https://metropole.nantes.fr/travaux : la rue ferme lundi."))
        await run(widget.wait_for_messages, 6)
        await run(widget.tab_to, lambda element: element["id"] == "forget", True)
        await run(widget.keys, Keys.ENTER)  # the confirmation box is checked as well
        assert await run(widget.axe, axe) == []
        assert await run(widget.script, "return document.getElementById('log').getAttribute('aria-live')") == "polite"


async def test_texts_from_residents_and_data_are_shown_as_text_and_never_run(bot: CivicBot, widget: Widget):
    from selenium.webdriver.common.keys import Keys

    async with serving(bot) as served:
        await run(widget.open, f"{served.url}/webchat/?lang=fr")
        await run(widget.tab_to, lambda element: element["id"] == "text")
        for attack in XSS:
            count = len(await run(widget.messages))
            await run(widget.keys, attack, Keys.ENTER)
            await run(widget.wait_for_messages, count + 2)
        chat_id = served.connector.chat_of(await run(widget.visitor))
        await served.connector.send(chat_id, Reply(f"Publication : {XSS[0]} et {XSS[1]}",
                                                   [Choice(XSS[0], "aide"), Choice(XSS[1], "aide")]))
        shown = await run(widget.wait, lambda: (found := widget.messages()) and XSS[1] in found[-1] and found)
        assert any(XSS[0] in message for message in shown[:-1]), "the resident's text is shown as typed"
        assert await run(widget.script, "return window.pwned === undefined")
        markup = "return document.querySelectorAll('#messages img, #messages script').length"
        assert await run(widget.script, markup) == 0
        labels = await run(widget.script, "return Array.from(document.querySelectorAll('#messages .choices button'))"
                                          ".map(function (b) { return b.textContent; });")
        assert XSS[0] in labels and XSS[1] in labels


async def test_embedded_in_a_city_page_it_asks_nothing_of_any_other_origin(bot: CivicBot, widget: Widget):
    async with city_site() as (site, set_script):
        bot.settings.webchat_allowed_origins = [site]
        async with serving(bot) as served:
            set_script(f"{served.url}/webchat/embed.js")
            await run(widget.driver.get, f"{site}/contact.html")
            frame = await run(widget.wait, lambda: widget.driver.find_elements("css selector", "iframe"))
            assert frame[0].get_attribute("title") == text(bot, "webchat.frame_title")
            await run(widget.driver.switch_to.frame, frame[0])
            await run(widget.wait, lambda: widget.driver.find_elements("css selector", "#text"))
            await run(lambda: widget.driver.find_element("css selector", "#text").send_keys("bonjour\n"))
            await run(widget.wait_for_messages, 3)
            in_frame = await run(widget.fetched)
            await run(widget.driver.switch_to.default_content)
            in_page = await run(widget.fetched)
            errors = await run(widget.errors)
    assert any(url.endswith("/webchat/static/widget.js") for url in in_frame), in_frame
    assert not any("/webchat/api/messages" in url for url in in_frame), "the page talks over its WebSocket"
    assert all(url.startswith(served.url) for url in in_frame), in_frame
    assert all(url.startswith((site, served.url)) for url in in_page), in_page
    assert [error for error in errors if "favicon.ico" not in error] == [], "nothing failed to load"


async def test_a_site_that_is_not_allowed_cannot_frame_it(bot: CivicBot, widget: Widget):
    async with city_site() as (site, set_script), serving(bot) as served:
        set_script(f"{served.url}/webchat/embed.js")
        await run(widget.driver.get, f"{site}/contact.html")
        frame = await run(widget.wait, lambda: widget.driver.find_elements("css selector", "iframe"))
        await run(widget.wait, lambda: any("frame-ancestors" in error for error in widget.errors()))
        await run(widget.driver.switch_to.frame, frame[0])
        assert await run(widget.driver.find_elements, "css selector", "#text") == []


async def test_text_enlarged_to_200_percent_still_fits_and_works(bot: CivicBot, widget: Widget):
    from selenium.webdriver.common.keys import Keys

    async with serving(bot) as served:
        await run(widget.driver.set_window_size, 640, 900)
        await run(widget.open, f"{served.url}/webchat/?lang=fr")
        await run(widget.script, "document.documentElement.style.fontSize = '200%';")
        await run(widget.tab_to, lambda element: element["id"] == "text")
        await run(widget.keys, "bonjour", Keys.ENTER)
        await run(widget.wait_for_messages, 3)
        overflow = await run(widget.script, "return document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, "no horizontal scrolling"
        for selector in ("#text", "#send", "#locate", "#forget", ".file"):
            box = await run(widget.script, "var r = document.querySelector(arguments[0]).getBoundingClientRect();"
                                           "return [r.left, r.right, r.width];", selector)
            assert box[0] >= 0 and box[1] <= 640 and box[2] > 0, (selector, box)


async def test_motion_stops_when_the_resident_asks_for_less(bot: CivicBot, widget: Widget):
    from selenium.webdriver.common.keys import Keys

    async with serving(bot) as served:
        await run(widget.open, f"{served.url}/webchat/?lang=en")
        animation = "return getComputedStyle(document.querySelector('#messages > li:last-child')).animationName"
        assert await run(widget.script, animation) != "none"
        await run(widget.driver.execute_cdp_cmd, "Emulation.setEmulatedMedia",
                  {"features": [{"name": "prefers-reduced-motion", "value": "reduce"}]})
        await run(widget.tab_to, lambda element: element["id"] == "text")
        await run(widget.keys, "hello", Keys.ENTER)
        await run(widget.wait_for_messages, 3)
        assert await run(widget.script, animation) == "none"
        scrolling = "return getComputedStyle(document.getElementById('log')).scrollBehavior"
        assert await run(widget.script, scrolling) == "auto"


async def test_over_plain_http_the_page_converses_and_gets_the_citys_messages(bot: CivicBot, widget: Widget,
                                                                               tmp_path: Path):
    from selenium.webdriver.common.keys import Keys

    photo = tmp_path / "trottoir.png"
    photo.write_bytes(png())
    async with serving(bot) as served:
        await run(widget.open, f"{served.url}/webchat/?lang=fr&transport=http")
        await run(widget.tab_to, lambda element: element["id"] == "text")
        await run(widget.keys, "bonjour", Keys.ENTER)
        await run(widget.wait_for_messages, 3)
        chat_id = served.connector.chat_of(await run(widget.visitor))
        await served.connector.send(chat_id, Reply("Réponse de l'agent : une équipe passe demain."))
        shown = await run(widget.wait_for_messages, 4)
        assert "une équipe passe demain" in shown[3]
        await run(lambda: widget.driver.find_element("css selector", "#photo").send_keys(str(photo)))
        shown = await run(widget.wait_for_messages, 6)
        assert text(bot, "webchat.photo_sent", name="trottoir.png") in shown[4]
        assert text(bot, "core.attachment_without_context") in shown[5]
        requested = await run(widget.requested)
    assert not any(url.startswith("ws://") for url in requested), "no WebSocket when told to use HTTP"
    assert any(url.endswith("/webchat/api/inbox") for url in requested), requested
    assert all(url.startswith(served.url) for url in requested), requested


@contextlib.asynccontextmanager
async def city_site() -> AsyncIterator[tuple[str, Callable[[str], None]]]:
    """A city's page on another origin that embeds the chat with one script tag."""
    script: dict[str, str] = {}

    async def contact(request: web.Request) -> web.Response:
        return web.Response(content_type="text/html", text=(
            "<!doctype html><html lang='fr'><head><title>Contact - Ville</title></head><body>"
            f"<h1>Nous contacter</h1><script src='{script['src']}' async></script></body></html>"))

    app = web.Application()
    app.router.add_get("/contact.html", contact)
    async with on_loopback(app, "localhost") as url:  # another origin than the bot's 127.0.0.1
        yield url, lambda src: script.__setitem__("src", src)


async def test_when_the_socket_never_opens_the_page_falls_back_to_http(bot: CivicBot, widget: Widget):
    from selenium.webdriver.common.keys import Keys

    # as behind a proxy that does not pass WebSocket upgrades: every socket closes at once
    await run(widget.driver.execute_cdp_cmd, "Page.addScriptToEvaluateOnNewDocument", {"source": SOCKET_REFUSED})
    async with serving(bot) as served:
        await run(widget.driver.get, f"{served.url}/webchat/?lang=fr")
        await run(widget.tab_to, lambda element: element["id"] == "text")
        await run(widget.keys, "bonjour", Keys.ENTER)
        assert text(bot, "greet.hello").split("!")[0] in (await run(widget.wait_for_messages, 3))[2]
        await run(widget.wait, lambda: any(url.endswith("/webchat/api/inbox") for url in widget.requested()))
        chat_id = served.connector.chat_of(await run(widget.visitor))
        await served.connector.send(chat_id, Reply("Travaux : la rue de Strasbourg ferme lundi."))
        assert "ferme lundi" in (await run(widget.wait_for_messages, 4))[3]
        assert await run(widget.script, "return document.getElementById('status').textContent") == ""
