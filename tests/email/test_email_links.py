"""The pages of e-mail links: confirmation, unsubscribe (page and one click), settings; and what
a forged, altered, expired or outdated link gets."""
from __future__ import annotations

import html
from collections.abc import AsyncIterator
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
import time_machine
from aiohttp.test_utils import TestClient, TestServer

from bot.app import CivicBot
from bot.config import Settings
from bot.email.links import CONFIRM, SETTINGS, UNSUBSCRIBE, Links
from bot.email.models import ACTIVE, PENDING, STOPPED
from bot.email.store import EMAIL_KIND
from bot.http import create_app
from bot.testing import ChatTester
from tests.support.contributions import drain
from tests.support.email import addresses, link
from tests.support.smtp import MailServer

MARIE = "marie.durand@exemple.fr"


@pytest.fixture
def settings(settings: Settings, mail_server: MailServer) -> Settings:
    mail_server.configure(settings)
    return settings


@pytest.fixture
async def client(bot: CivicBot) -> AsyncIterator[TestClient]:
    async with TestClient(TestServer(create_app(bot))) as client:
        yield client


async def confirmation_links(bot: CivicBot, mail_server: MailServer, resident: str = "alice",
                             address: str = MARIE, lang: str | None = None,
                             words: str = "abonne moi aux travaux par mail") -> dict[str, str]:
    """Subscribe by chat and return the path of each link of the confirmation e-mail."""
    await ChatTester(bot, resident, language=lang).say(f"{words} {address}")
    await drain(bot, (EMAIL_KIND,))
    message = mail_server.messages_to(address)[-1]
    paths = {purpose: urlsplit(link(message, f"/email/{purpose}")) for purpose in (CONFIRM, UNSUBSCRIBE, SETTINGS)}
    return {purpose: f"{url.path}?{url.query}" for purpose, url in paths.items()}


def altered_signature(token: str) -> str:
    """The token with the first character of its signature changed (the last one may only hold
    base64 padding bits)."""
    payload, _, signature = token.rpartition(".")
    return f"{payload}.{'B' if signature[0] == 'A' else 'A'}{signature[1:]}"


async def page(client: TestClient, path: str, method: str = "GET", status: int = 200, **kwargs) -> str:
    async with client.request(method, path, **kwargs) as response:
        text = await response.text()
        assert response.status == status, text
        assert "default-src 'none'" in response.headers["Content-Security-Policy"]
        assert "<script" not in text  # nothing from a link is written into the page as markup
        return html.unescape(text)


async def test_opening_the_confirmation_link_asks_and_only_the_button_confirms(
        bot: CivicBot, client: TestClient, mail_server: MailServer) -> None:
    """A mail scanner that opens every link must not subscribe an address for its owner."""
    links = await confirmation_links(bot, mail_server)
    for _ in range(2):  # opened twice, by a scanner and by the resident
        text = await page(client, links[CONFIRM])
        assert "Confirmer que cette adresse reçoit" in text and "Confirmer mon adresse" in text
        assert '<form method="post"' in text
    assert [row.status for row in await addresses(bot)] == [PENDING]
    assert "C'est confirmé" in await page(client, links[CONFIRM], method="POST")
    assert [row.status for row in await addresses(bot)] == [ACTIVE]


async def test_confirm_once_then_already_confirmed(bot: CivicBot, client: TestClient, mail_server: MailServer) -> None:
    links = await confirmation_links(bot, mail_server)
    assert "C'est confirmé" in await page(client, links[CONFIRM], method="POST")
    assert "déjà confirmée" in await page(client, links[CONFIRM], method="POST")
    assert [row.status for row in await addresses(bot)] == [ACTIVE]


async def test_an_expired_confirmation_link_is_refused_and_says_so(bot: CivicBot, client: TestClient,
                                                                   mail_server: MailServer) -> None:
    links = await confirmation_links(bot, mail_server)
    hours = bot.settings.email_confirm_hours
    with time_machine.travel(timedelta(hours=hours + 1), tick=True):
        assert "a expiré" in await page(client, links[CONFIRM], status=400)
    assert [row.status for row in await addresses(bot)] == [PENDING]
    with time_machine.travel(timedelta(hours=hours - 1), tick=True):  # still valid just before
        assert "C'est confirmé" in await page(client, links[CONFIRM], method="POST")


@pytest.mark.parametrize("forge", [
    lambda token: altered_signature(token),
    lambda token: token.replace(token.split(".")[0], "WzIsImFiYyJd"),  # another resident's id, same signature
    lambda token: "",
    lambda token: "nimportequoi",
    lambda token: token + "'><script>alert(1)</script>",
])
async def test_a_forged_or_altered_link_is_refused(bot: CivicBot, client: TestClient, mail_server: MailServer,
                                                    forge) -> None:
    links = await confirmation_links(bot, mail_server)
    token = links[CONFIRM].split("t=", 1)[1]
    text = await page(client, f"/email/confirm?t={forge(token)}", status=400)
    assert "n'est pas valable" in text
    assert [row.status for row in await addresses(bot)] == [PENDING]


async def test_a_link_signed_with_another_secret_is_refused(bot: CivicBot, client: TestClient,
                                                            mail_server: MailServer) -> None:
    links = await confirmation_links(bot, mail_server)
    [row] = await addresses(bot)
    other = Links(Settings(data_dir=bot.settings.data_dir, secret="another-secret"))
    assert "n'est pas valable" in await page(client, f"/email/confirm?t={other.token(CONFIRM, row.user_id, row.nonce)}",
                                              status=400)
    assert "n'est pas valable" in await page(client, links[CONFIRM].replace("/confirm", "/unsubscribe"),
                                              method="POST", status=400)  # a confirmation is no unsubscribe


async def test_unsubscribe_page_asks_and_one_click_post_unsubscribes_twice_safely(
        bot: CivicBot, client: TestClient, mail_server: MailServer) -> None:
    links = await confirmation_links(bot, mail_server)
    await page(client, links[CONFIRM], method="POST")
    asked = await page(client, links[UNSUBSCRIBE])
    assert '<form method="post"' in asked and "Me désabonner" in asked
    assert [row.status for row in await addresses(bot)] == [ACTIVE]  # a GET (a link scanner) changes nothing
    done = await page(client, links[UNSUBSCRIBE], method="POST", data="List-Unsubscribe=One-Click",
                      headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert "C'est fait" in done
    [row] = await addresses(bot)
    assert row.status == STOPPED and row.address == ""
    assert "déjà désabonné" in await page(client, links[UNSUBSCRIBE], method="POST")
    assert "ne reçoit plus rien" in await page(client, links[CONFIRM], method="POST")
    settings = await page(client, links[SETTINGS])
    assert "désabonnée" in settings and MARIE not in settings


async def test_settings_page_shows_the_address_its_state_and_choices(bot: CivicBot, client: TestClient,
                                                                     mail_server: MailServer) -> None:
    links = await confirmation_links(bot, mail_server)
    text = await page(client, links[SETTINGS])
    assert MARIE in text and "en attente de confirmation" in text and "travaux" in text
    await page(client, links[CONFIRM], method="POST")
    assert "confirmée, elle reçoit" in await page(client, links[SETTINGS])


async def test_links_of_a_replaced_or_forgotten_address_no_longer_work(bot: CivicBot, client: TestClient,
                                                                       mail_server: MailServer) -> None:
    old = await confirmation_links(bot, mail_server)
    new = await confirmation_links(bot, mail_server, address="marie@nouveau.fr")
    assert "n'est pas valable" in await page(client, old[CONFIRM], status=400)
    assert "n'est pas valable" in await page(client, old[UNSUBSCRIBE], method="POST", status=400)
    assert "C'est confirmé" in await page(client, new[CONFIRM], method="POST")
    resident = ChatTester(bot, "alice")
    await resident.say("oubliez moi")
    await resident.say("confirm")
    for purpose, method in ((CONFIRM, "GET"), (UNSUBSCRIBE, "GET"), (UNSUBSCRIBE, "POST"), (SETTINGS, "GET")):
        assert "n'est pas valable" in await page(client, new[purpose], method=method, status=400)


async def test_pages_speak_the_residents_language(bot: CivicBot, client: TestClient, mail_server: MailServer) -> None:
    links = await confirmation_links(bot, mail_server, resident="john", address="john@example.org", lang="en",
                                     words="subscribe me to the roadworks by email at")
    assert "Confirmed" in await page(client, links[CONFIRM], method="POST")
    assert "Unsubscribe me" in await page(client, links[UNSUBSCRIBE])
    assert "is not valid" in await page(client, "/email/confirm?t=x", status=400,
                                        headers={"Accept-Language": "en-GB,en;q=0.9"})
