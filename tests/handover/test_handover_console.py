"""The agents' console, end to end in headless Chromium: a resident opens a ticket, an agent
signs in with their token, reads the conversation, answers and closes; the answer is queued for
the resident's chat.

Skips when Chromium or its driver is absent, except on CI (CI=true) or with
CIVICBOT_REQUIRE_CHROMIUM=1, where it fails instead. With CIVICBOT_CONSOLE_SCREENSHOT=<file.png>
it also saves a screenshot of the console there.
"""
from __future__ import annotations

import asyncio
import contextlib
import os
from pathlib import Path

import pytest
from aiohttp import web

from bot.app import CivicBot
from bot.http import create_app
from bot.messages import PRIORITY_REPLY
from bot.testing import ChatTester
from tests.support.chromium import CHROMEDRIVER, WAIT_SECONDS, chrome, chromium_or_skip
from tests.support.handover import agent_token, handover_rows, tickets

pytestmark = pytest.mark.browser


@contextlib.asynccontextmanager
async def serving(bot: CivicBot):
    """The project's aiohttp app on a free loopback port; yields its base URL."""
    runner = web.AppRunner(create_app(bot))
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    try:
        yield f"http://{host}:{port}"
    finally:
        await runner.cleanup()


class Console:
    """The console page in headless Chromium, driven as an agent would (blocking calls: run
    them in a thread so that the server keeps answering)."""

    def __init__(self, profile: Path) -> None:
        self.driver = chrome(profile)

    def quit(self) -> None:
        self.driver.quit()

    def find(self, selector: str):
        from selenium.webdriver.common.by import By

        return self.driver.find_element(By.CSS_SELECTOR, selector)

    def wait_for_text(self, selector: str, text: str) -> str:
        from selenium.webdriver.common.by import By
        from selenium.webdriver.support import expected_conditions
        from selenium.webdriver.support.ui import WebDriverWait

        WebDriverWait(self.driver, WAIT_SECONDS).until(
            expected_conditions.text_to_be_present_in_element((By.CSS_SELECTOR, selector), text))
        return self.find(selector).text

    def wait_for_visible(self, selector: str) -> None:
        from selenium.webdriver.common.by import By
        from selenium.webdriver.support import expected_conditions
        from selenium.webdriver.support.ui import WebDriverWait

        WebDriverWait(self.driver, WAIT_SECONDS).until(
            expected_conditions.visibility_of_element_located((By.CSS_SELECTOR, selector)))

    def type(self, selector: str, text: str) -> None:
        field = self.find(selector)
        field.clear()
        field.send_keys(text)

    def sign_in(self, url: str, token: str) -> None:
        self.driver.get(f"{url}/agent")
        self.type("#token", token)
        self.find("#login-form button[type=submit]").click()

    def open_ticket(self, number: int) -> None:
        self.find(f"#tickets button[data-id='{number}']").click()
        self.wait_for_text("#ticket-title", str(number))

    def answer(self, text: str) -> None:
        self.type("#answer", text)
        self.find("#answer-form button[type=submit]").click()

    def close_ticket(self) -> None:
        from selenium.webdriver.support import expected_conditions
        from selenium.webdriver.support.ui import WebDriverWait

        self.find("#close-ticket").click()
        WebDriverWait(self.driver, WAIT_SECONDS).until(expected_conditions.alert_is_present())
        self.driver.switch_to.alert.accept()

    def screenshot(self) -> bytes:
        return self.driver.get_screenshot_as_png()

    def errors(self) -> list[str]:
        """The page's errors (scripts, content policy), but not the API's refusals it expects."""
        return [entry["message"] for entry in self.driver.get_log("browser")
                if entry["level"] == "SEVERE" and "status of 401" not in entry["message"]]

    def session_token(self) -> str | None:
        return self.driver.execute_script("return sessionStorage.getItem('civicbot.agent.token');")


@pytest.fixture
async def console(tmp_path: Path, monkeypatch):
    chromium_or_skip()
    monkeypatch.setenv("SE_OFFLINE", "true")  # Selenium Manager must never reach the network
    browser = await asyncio.to_thread(Console, tmp_path / "chromium-profile")
    try:
        yield browser
    finally:
        await asyncio.to_thread(browser.quit)


async def test_an_agent_answers_and_closes_in_the_console(bot: CivicBot, console: Console,
                                                          tmp_path: Path) -> None:
    run = asyncio.to_thread
    resident = ChatTester(bot, "chat-5150", platform="telegram")
    await resident.say("/humain")
    await resident.say("Le lampadaire de ma rue est éteint <img src=x onerror=alert(1)>")
    token = await agent_token(bot, name="Camille, accueil")
    async with serving(bot) as url:
        await run(console.sign_in, url, "cvb_not-a-token")
        assert "inconnu" in await run(console.wait_for_text, "#status", "jeton")
        await run(console.sign_in, url, token)
        listed = await run(console.wait_for_text, "#tickets", "Demande n° 1")
        assert "Le lampadaire de ma rue est éteint" in listed and "attend une réponse" in listed
        await run(console.open_ticket, 1)
        conversation = await run(console.wait_for_text, "#messages", "lampadaire")
        assert "<img src=x onerror=alert(1)>" in conversation  # shown as text, never run
        assert "chat-5150" not in await run(lambda: console.driver.page_source)
        await run(console.answer, "Merci, une équipe passe demain matin.")
        await run(console.wait_for_text, "#status", "Réponse envoyée")
        await run(console.wait_for_text, "#messages", "une équipe passe demain matin")
        await run(console.wait_for_text, "#ticket-meta", "Camille, accueil")

        await resident.say("Merci beaucoup !")
        await run(lambda: console.find("#refresh").click())
        await run(console.wait_for_text, "#messages", "Merci beaucoup !")
        shot = await run(console.screenshot)
        assert shot.startswith(b"\x89PNG") and len(shot) > 10_000
        if os.environ.get("CIVICBOT_CONSOLE_SCREENSHOT"):
            await asyncio.to_thread(Path(os.environ["CIVICBOT_CONSOLE_SCREENSHOT"]).write_bytes, shot)

        await run(lambda: console.find("#language").click())
        assert await run(console.wait_for_text, "h1", "Agents' console")
        await run(console.close_ticket)
        await run(console.wait_for_text, "#status", "Request no. 1 closed")
        await run(console.wait_for_visible, "#no-tickets")

        await run(console.driver.refresh)  # the token stays for this tab
        await run(console.wait_for_visible, "#desk")
        await run(lambda: console.find("#sign-out").click())
        await run(console.wait_for_visible, "#login")
        assert await run(console.session_token) is None
        assert await run(console.errors) == []

    answer, notice = await handover_rows(bot)
    assert (answer.platform, answer.chat_id, answer.priority) == ("telegram", "chat-5150", PRIORITY_REPLY)
    assert "Merci, une équipe passe demain matin." in answer.payload["text"]
    assert notice.chat_id == "chat-5150" and "a clos la demande" in notice.payload["text"]
    [ticket] = await tickets(bot)
    assert (ticket.status, ticket.closed_by, ticket.agent) == ("closed", "agent", "Camille, accueil")
    assert "Transmis" not in (await resident.say("bonjour")).text


def test_a_missing_chromium_fails_on_ci_and_skips_elsewhere(monkeypatch, tmp_path: Path) -> None:
    absent = (tmp_path / "no-chromium", CHROMEDRIVER)
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.setenv("CIVICBOT_REQUIRE_CHROMIUM", "1")
    with pytest.raises(pytest.fail.Exception, match="no-chromium"):
        chromium_or_skip(absent)
    monkeypatch.delenv("CIVICBOT_REQUIRE_CHROMIUM")
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="no-chromium"):
        chromium_or_skip(absent)
    monkeypatch.setenv("CI", "false")
    with pytest.raises(pytest.skip.Exception, match="no-chromium"):
        chromium_or_skip(absent)
