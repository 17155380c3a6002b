"""The Matrix connector against a real Synapse, with residents on their own matrix-nio clients."""
from __future__ import annotations

import asyncio
import dataclasses
import secrets
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from nio import MegolmEvent, RoomMessageFile, RoomMessageText

from bot.app import CivicBot
from bot.messages import Choice, Document, Reply
from connectors.base import RateLimited, RecipientGone, TemporaryError
from connectors.matrix import MatrixConnector, MatrixStartError
from tests.synapse import FlakyProxy, Resident, Synapse


class Deployment:
    """The bot's Matrix account, and its connector as the test starts and stops it."""

    def __init__(self, bot: CivicBot, synapse: Synapse) -> None:
        self.bot = bot
        self.synapse = synapse
        self.password = secrets.token_hex(8)
        self.user_id = ""
        self.connector: MatrixConnector | None = None

    async def register(self) -> Deployment:
        self.user_id = await self.synapse.register(f"civicbot-{uuid.uuid4().hex[:8]}", self.password)
        return self

    async def start(self, encryption: bool = True, homeserver: str = "",
                    **settings) -> MatrixConnector:
        self.bot.settings = dataclasses.replace(
            self.bot.settings, matrix_homeserver=homeserver or self.synapse.base_url,
            matrix_user_id=self.user_id, matrix_password=self.password, **settings)
        self.connector = MatrixConnector(self.bot, encryption=encryption)
        await self.connector.start()
        return self.connector

    async def stop(self) -> None:
        if self.connector is not None:
            await self.connector.stop()
            self.connector = None


@pytest.fixture
async def deployment(bot: CivicBot, synapse: Synapse) -> AsyncIterator[Deployment]:
    deployment = await Deployment(bot, synapse).register()
    try:
        yield deployment
    finally:
        await deployment.stop()


@pytest.fixture
async def residents(synapse: Synapse, tmp_path: Path) -> AsyncIterator:
    """Makes residents (``await residents("alice", encrypted=True)``) and closes them after."""
    opened: list[Resident] = []

    async def make(name: str, encrypted: bool = False) -> Resident:
        store = tmp_path / f"resident-{name}" if encrypted else None
        resident = await Resident(synapse, f"{name}-{uuid.uuid4().hex[:8]}", store).open()
        opened.append(resident)
        return resident

    yield make
    for resident in opened:
        await resident.close()


async def chat_with(deployment: Deployment, resident: Resident, encrypted: bool = False) -> None:
    """The resident opens a direct chat, and the bot joins it and knows it."""
    await resident.invite(deployment.user_id, encrypted=encrypted)
    assert await resident.membership_of(deployment.user_id) == "join"
    for _ in range(100):
        if resident.room_id in deployment.connector.client.rooms:
            return
        await asyncio.sleep(0.1)
    raise AssertionError("the connector did not see the room it joined")


async def exchange(resident: Resident, deployment: Deployment, text: str) -> RoomMessageText:
    await resident.say(text)
    [reply] = await resident.replies(deployment.user_id)
    assert isinstance(reply, RoomMessageText), reply
    return reply


async def test_a_direct_chat_in_french_and_english(deployment: Deployment, residents) -> None:
    await deployment.start()
    alice = await residents("alice")
    await chat_with(deployment, alice)

    french = await exchange(alice, deployment, "bonjour")
    assert "Bonjour" in french.body and "1. " in french.body
    assert french.format == "org.matrix.custom.html"
    assert french.formatted_body.startswith("<p>Bonjour") and "<ol><li>" in french.formatted_body

    english = await exchange(alice, deployment, "hello there, good morning")
    assert "Hello" in english.body and "<ol>" in english.formatted_body


async def test_a_choice_by_number_or_by_text_gives_the_same_answer(deployment: Deployment,
                                                                     residents) -> None:
    await deployment.start()
    bob = await residents("bob")
    await chat_with(deployment, bob)
    greeting = await exchange(bob, deployment, "bonjour")
    last_label = greeting.body.splitlines()[-1].split(". ", 1)[1]
    number = len([line for line in greeting.body.splitlines() if line[:1].isdigit()])

    by_number = await exchange(bob, deployment, str(number))
    await exchange(bob, deployment, "bonjour")
    by_text = await exchange(bob, deployment, last_label)
    assert by_number.body == by_text.body
    assert by_number.body.count("\n") >= 8  # the help menu and its choices


async def test_a_location_an_image_and_bad_input_get_answers(deployment: Deployment,
                                                              residents) -> None:
    await deployment.start()
    carol = await residents("carol")
    await chat_with(deployment, carol)

    await carol.send({"msgtype": "m.location", "body": "Ma position",
                      "geo_uri": "geo:47.2184,-1.5536;u=20"})
    [located] = await carol.replies(deployment.user_id)
    assert "lieu" in located.body and "<ol>" in located.formatted_body

    await carol.send({"msgtype": "m.location", "body": "nowhere", "geo_uri": "geo:north-pole"})
    [bad] = await carol.replies(deployment.user_id)
    assert "pas reçu de texte" in bad.body

    image = await carol.upload(b"\x89PNG\r\n\x1a\n" + bytes(64), "image/png", "trou.png")
    await carol.send({"msgtype": "m.image", "body": "trou.png", "url": image,
                      "info": {"mimetype": "image/png"}})
    [attached] = await carol.replies(deployment.user_id)
    assert "fichier" in attached.body

    answer = await exchange(carol, deployment, "zorglub wibble " * 400)
    assert "2000" in answer.body.splitlines()[0]  # the core says it read only the beginning


async def test_a_restart_never_answers_a_message_twice(deployment: Deployment, residents) -> None:
    await deployment.start()
    dave = await residents("dave")
    await chat_with(deployment, dave)
    await exchange(dave, deployment, "bonjour")
    await deployment.stop()

    await dave.say("aide")  # while the bot is down
    await deployment.start()
    replies = await dave.replies(deployment.user_id, count=3, timeout=4, strict=False)
    assert len(replies) == 1 and replies[0].body.count("\n") >= 8  # the help menu, once

    await deployment.stop()
    await deployment.start()
    assert await dave.replies(deployment.user_id, timeout=3, strict=False) == []


async def test_words_said_before_the_first_start_are_answered_once(deployment: Deployment,
                                                                     residents) -> None:
    erin = await residents("erin")
    await erin.invite(deployment.user_id)
    await erin.say("hello there, good morning")
    await deployment.start()
    replies = await erin.replies(deployment.user_id, count=2, timeout=6, strict=False)
    assert [("Hello" in reply.body) for reply in replies] == [True]


async def test_invitations_from_other_servers_or_to_group_rooms_are_refused(
        deployment: Deployment, residents) -> None:
    await deployment.start(matrix_allowed_servers=["elsewhere.example"])
    frank = await residents("frank")
    await frank.invite(deployment.user_id)
    assert await frank.membership_of(deployment.user_id) == "leave"

    await deployment.stop()
    await deployment.start(matrix_allowed_servers=[deployment.synapse.server_name.upper()])
    await frank.invite(deployment.user_id, direct=False)
    assert await frank.membership_of(deployment.user_id) == "leave"
    await chat_with(deployment, frank)


async def test_an_encrypted_room_is_answered_encrypted(deployment: Deployment, residents) -> None:
    await deployment.start()
    grace = await residents("grace", encrypted=True)
    await chat_with(deployment, grace, encrypted=True)
    reply = await exchange(grace, deployment, "bonjour")
    assert reply.decrypted and "Bonjour" in reply.body

    await deployment.stop()  # the bot's keys survive a restart
    await deployment.start()
    again = await exchange(grace, deployment, "hello there, good morning")
    assert again.decrypted and "Hello" in again.body


async def test_a_message_the_bot_cannot_decrypt_gets_an_explanation(deployment: Deployment,
                                                                     residents) -> None:
    connector = await deployment.start()
    heidi = await residents("heidi", encrypted=True)
    await chat_with(deployment, heidi, encrypted=True)
    await heidi.client.keys_query()
    bot_device = heidi.client.device_store[deployment.user_id][connector.client.device_id]
    heidi.client.blacklist_device(bot_device)  # the room key is withheld from the bot
    await heidi.say("bonjour")
    [reply] = await heidi.replies(deployment.user_id)
    assert "déchiffrer" in reply.body and "decrypt" in reply.body


async def test_without_encryption_support_the_bot_says_so(deployment: Deployment,
                                                          residents) -> None:
    await deployment.start(encryption=False)
    ivan = await residents("ivan", encrypted=True)
    await chat_with(deployment, ivan, encrypted=True)
    await ivan.say("bonjour")
    [reply] = await ivan.replies(deployment.user_id)
    assert not isinstance(reply, MegolmEvent)  # plain text, so that it can be read at all
    assert "chiffré de bout en bout" in reply.body and "end-to-end encrypted" in reply.body


async def test_a_document_is_uploaded_to_the_chat(deployment: Deployment, residents) -> None:
    connector = await deployment.start()
    judy = await residents("judy")
    await chat_with(deployment, judy)
    document = Document("export.json", b'{"subscriptions": []}')
    await connector.send(judy.room_id, Reply("Vos données :", [Choice("Aide", "/aide")],
                                             document=document, request_location=True))
    text, file = await judy.replies(deployment.user_id, count=2)
    assert "1. Aide" in text.body and "Position" in text.body
    assert isinstance(file, RoomMessageFile) and file.url.startswith("mxc://")


async def test_the_rate_limit_becomes_rate_limited_and_the_reply_still_arrives(
        deployment: Deployment, residents, synapse: Synapse) -> None:
    admin_id = await synapse.register(f"admin-{uuid.uuid4().hex[:8]}", "admin-pw", admin=True)
    admin_token = await synapse.login_token(admin_id, "admin-pw")
    await synapse.set_rate_limit(admin_token, deployment.user_id, messages_per_second=1,
                                 burst_count=1)
    connector = await deployment.start()
    kim = await residents("kim")
    await chat_with(deployment, kim)

    with pytest.raises(RateLimited) as limited:
        for number in range(5):
            await connector.send(kim.room_id, Reply(f"message {number}"))
    assert 0 < limited.value.retry_after <= 5
    await connector.deliver_reply(kim.room_id, Reply("after the wait"))
    bodies = [reply.body for reply in await kim.replies(deployment.user_id, count=number + 1)]
    assert bodies[-1] == "after the wait"


async def test_transient_errors_are_survived(deployment: Deployment, synapse: Synapse,
                                            residents) -> None:
    proxy = await FlakyProxy(synapse.base_url).start()
    try:
        connector = await deployment.start(homeserver=proxy.base_url)
        lena = await residents("lena")
        await chat_with(deployment, lena)

        for mode, count in (("502", 1), ("drop", 2)):  # aiohttp retries a PUT once on a drop
            proxy.fail_next(count, mode, match="/send/")
            with pytest.raises(TemporaryError):
                await connector.send(lena.room_id, Reply("lost"))

        proxy.fail_next(4, "502", match="/sync")  # the syncs after the one in flight fail
        assert "Bonjour" in (await exchange(lena, deployment, "bonjour")).body
        help_menu = await exchange(lena, deployment, "aide")  # answered once the loop recovered
        assert help_menu.body.count("\n") >= 8 and proxy.failed == 7
    finally:
        await deployment.stop()
        await proxy.stop()


async def test_a_room_the_bot_was_removed_from_is_gone(deployment: Deployment, residents) -> None:
    connector = await deployment.start()
    mike = await residents("mike")
    await chat_with(deployment, mike)
    await mike.client.room_kick(mike.room_id, deployment.user_id)
    assert await mike.membership_of(deployment.user_id) == "leave"
    with pytest.raises(RecipientGone):
        await connector.send(mike.room_id, Reply("still there?"))


async def test_wrong_credentials_fail_the_start_clearly(deployment: Deployment) -> None:
    deployment.password = "not-the-password"
    with pytest.raises(MatrixStartError, match="M_FORBIDDEN"):
        await deployment.start()
    deployment.connector = None
