"""The Matrix connector against a real Synapse, with residents on their own matrix-nio clients."""
from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from nio import MegolmEvent, RoomMessageFile, RoomMessageText

from bot.app import CivicBot
from bot.messages import Choice, Document, Reply
from connectors.base import RateLimited, RecipientGone, TemporaryError
from connectors.matrix import MatrixStartError
from tests.support.synapse import BotAccount, FlakyProxy, Resident, Synapse

pytestmark = pytest.mark.synapse


@pytest.fixture
async def account(bot: CivicBot, synapse: Synapse) -> AsyncIterator[BotAccount]:
    account = await BotAccount(bot, synapse).register()
    try:
        yield account
    finally:
        await account.stop()


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


async def exchange(resident: Resident, account: BotAccount, text: str) -> RoomMessageText:
    await resident.say(text)
    [reply] = await resident.replies(account.user_id)
    assert isinstance(reply, RoomMessageText), reply
    return reply


async def test_a_direct_chat_in_french_and_english(account: BotAccount, residents) -> None:
    await account.start()
    alice = await residents("alice")
    await alice.open_chat(account)

    french = await exchange(alice, account, "bonjour")
    assert "Bonjour" in french.body and "1. " in french.body
    assert french.format == "org.matrix.custom.html"
    assert french.formatted_body.startswith("<p>Bonjour") and "<ol><li>" in french.formatted_body

    english = await exchange(alice, account, "hello there, good morning")
    assert "Hello" in english.body and "<ol>" in english.formatted_body


async def test_a_choice_by_number_or_by_text_gives_the_same_answer(account: BotAccount,
                                                                     residents) -> None:
    await account.start()
    bob = await residents("bob")
    await bob.open_chat(account)
    greeting = await exchange(bob, account, "bonjour")
    last_label = greeting.body.splitlines()[-1].split(". ", 1)[1]
    number = len([line for line in greeting.body.splitlines() if line[:1].isdigit()])

    by_number = await exchange(bob, account, str(number))
    await exchange(bob, account, "bonjour")
    by_text = await exchange(bob, account, last_label)
    assert by_number.body == by_text.body
    assert by_number.body.count("\n") >= 8  # the help menu and its choices


async def test_a_location_an_image_and_bad_input_get_answers(account: BotAccount,
                                                              residents) -> None:
    await account.start()
    carol = await residents("carol")
    await carol.open_chat(account)

    await carol.send({"msgtype": "m.location", "body": "Ma position",
                      "geo_uri": "geo:47.2184,-1.5536;u=20"})
    [located] = await carol.replies(account.user_id)
    assert "lieu" in located.body and "<ol>" in located.formatted_body

    await carol.send({"msgtype": "m.location", "body": "nowhere", "geo_uri": "geo:north-pole"})
    [bad] = await carol.replies(account.user_id)
    assert "pas reçu de texte" in bad.body

    image = await carol.upload(b"\x89PNG\r\n\x1a\n" + bytes(64), "image/png", "trou.png")
    await carol.send({"msgtype": "m.image", "body": "trou.png", "url": image,
                      "info": {"mimetype": "image/png"}})
    [attached] = await carol.replies(account.user_id)
    assert "fichier" in attached.body

    answer = await exchange(carol, account, "zorglub wibble " * 400)
    assert "2000" in answer.body.splitlines()[0]  # the core says it read only the beginning


async def test_a_restart_never_answers_a_message_twice(account: BotAccount, residents) -> None:
    device = (await account.start()).client.device_id
    dave = await residents("dave")
    await dave.open_chat(account)
    await exchange(dave, account, "bonjour")
    await account.stop()

    await dave.say("aide")  # while the bot is down
    await account.start()
    [reply] = await dave.replies(account.user_id)
    assert reply.body.count("\n") >= 8  # the help menu, and only once:
    assert await dave.replies(account.user_id, timeout=2, strict=False) == []

    await account.stop()
    assert (await account.start()).client.device_id == device  # the same device, not a new one
    assert await dave.replies(account.user_id, timeout=2, strict=False) == []


async def test_an_access_token_logs_in(account: BotAccount, residents, synapse: Synapse) -> None:
    token = await synapse.login_token(account.user_id, account.password)
    device = (await account.start(matrix_password="", matrix_access_token=token)).client.device_id
    nina = await residents("nina", encrypted=True)
    await nina.open_chat(account, encrypted=True)
    assert "Bonjour" in (await exchange(nina, account, "bonjour")).body
    await account.stop()
    connector = await account.start(matrix_password="", matrix_access_token=token)
    assert connector.client.device_id == device
    assert "Hello" in (await exchange(nina, account, "hello there, good morning")).body


async def test_words_said_before_the_first_start_are_answered_once(account: BotAccount,
                                                                     residents) -> None:
    erin = await residents("erin")
    await erin.invite(account.user_id)
    await erin.say("hello there, good morning")
    await account.start()
    [reply] = await erin.replies(account.user_id)
    assert "Hello" in reply.body
    assert await erin.replies(account.user_id, timeout=2, strict=False) == []


async def test_invitations_from_other_servers_or_to_group_rooms_are_refused(
        account: BotAccount, residents) -> None:
    await account.start(matrix_allowed_servers=["elsewhere.example"])
    frank = await residents("frank")
    await frank.invite(account.user_id)
    assert await frank.membership_of(account.user_id) == "leave"

    await account.stop()
    await account.start(matrix_allowed_servers=[account.server.server_name.upper()])
    await frank.invite(account.user_id, direct=False)
    assert await frank.membership_of(account.user_id) == "leave"
    await frank.open_chat(account)


async def test_an_invitation_whose_resident_left_is_not_kept(account: BotAccount,
                                                             residents) -> None:
    olga = await residents("olga")
    room_id = await olga.invite(account.user_id)
    await olga.client.room_leave(room_id)
    connector = await account.start()
    for _ in range(100):
        state = await connector.client.room_get_state_event(room_id, "m.room.member", account.user_id)
        if state.content.get("membership") == "leave":
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"the bot's membership stayed {state.content.get('membership')!r}")


async def test_an_encrypted_room_is_answered_encrypted(account: BotAccount, residents) -> None:
    await account.start()
    grace = await residents("grace", encrypted=True)
    await grace.open_chat(account, encrypted=True)
    reply = await exchange(grace, account, "bonjour")
    assert reply.decrypted and "Bonjour" in reply.body

    await account.stop()  # the bot's keys survive a restart
    await account.start()
    again = await exchange(grace, account, "hello there, good morning")
    assert again.decrypted and "Hello" in again.body


async def test_a_message_the_bot_cannot_decrypt_gets_an_explanation(account: BotAccount,
                                                                     residents) -> None:
    connector = await account.start()
    heidi = await residents("heidi", encrypted=True)
    await heidi.open_chat(account, encrypted=True)
    await heidi.client.keys_query()
    bot_device = heidi.client.device_store[account.user_id][connector.client.device_id]
    heidi.client.blacklist_device(bot_device)  # the room key is withheld from the bot
    await heidi.say("bonjour")
    [reply] = await heidi.replies(account.user_id)
    assert "déchiffrer" in reply.body and "decrypt" in reply.body


async def test_without_encryption_support_the_bot_says_so(account: BotAccount,
                                                          residents) -> None:
    await account.start(encryption=False)
    ivan = await residents("ivan", encrypted=True)
    await ivan.open_chat(account, encrypted=True)
    await ivan.say("bonjour")
    [reply] = await ivan.replies(account.user_id)
    assert not isinstance(reply, MegolmEvent)  # plain text, so that it can be read at all
    assert "chiffré de bout en bout" in reply.body and "end-to-end encrypted" in reply.body


async def test_a_document_is_uploaded_to_the_chat(account: BotAccount, residents) -> None:
    connector = await account.start()
    judy = await residents("judy")
    await judy.open_chat(account)
    document = Document("export.json", b'{"subscriptions": []}')
    await connector.send(judy.room_id, Reply("Vos données :", [Choice("Aide", "/aide")],
                                             document=document, request_location=True))
    text, file = await judy.replies(account.user_id, count=2)
    assert "1. Aide" in text.body and "Position" in text.body
    assert isinstance(file, RoomMessageFile) and file.url.startswith("mxc://")


async def test_the_rate_limit_becomes_rate_limited_and_the_reply_still_arrives(
        account: BotAccount, residents, synapse: Synapse) -> None:
    admin_id = await synapse.register(f"admin-{uuid.uuid4().hex[:8]}", "admin-pw", admin=True)
    admin_token = await synapse.login_token(admin_id, "admin-pw")
    await synapse.set_rate_limit(admin_token, account.user_id, messages_per_second=1,
                                 burst_count=1)
    connector = await account.start()
    kim = await residents("kim")
    await kim.open_chat(account)

    with pytest.raises(RateLimited) as limited:
        for number in range(5):
            await connector.send(kim.room_id, Reply(f"message {number}"))
    assert 0 < limited.value.retry_after <= 5
    await connector.deliver_reply(kim.room_id, Reply("after the wait"))
    bodies = [reply.body for reply in await kim.replies(account.user_id, count=number + 1)]
    assert bodies[-1] == "after the wait"


async def test_transient_errors_are_survived(account: BotAccount, synapse: Synapse,
                                            residents) -> None:
    proxy = await FlakyProxy(synapse.base_url).start()
    try:
        connector = await account.start(homeserver=proxy.base_url)
        lena = await residents("lena")
        await lena.open_chat(account)

        for mode, count in (("502", 1), ("drop", 2)):  # aiohttp retries a PUT once on a drop
            proxy.fail_next(count, mode, match="/send/")
            with pytest.raises(TemporaryError):
                await connector.send(lena.room_id, Reply("lost"))

        proxy.fail_next(4, "502", match="/sync")  # the syncs after the one in flight fail
        assert "Bonjour" in (await exchange(lena, account, "bonjour")).body
        help_menu = await exchange(lena, account, "aide")  # answered once the loop recovered
        assert help_menu.body.count("\n") >= 8 and proxy.failed == 7
    finally:
        await account.stop()
        await proxy.stop()


async def test_a_room_the_bot_was_removed_from_is_gone(account: BotAccount, residents) -> None:
    connector = await account.start()
    mike = await residents("mike")
    await mike.open_chat(account)
    await mike.client.room_kick(mike.room_id, account.user_id)
    assert await mike.membership_of(account.user_id) == "leave"
    with pytest.raises(RecipientGone):
        await connector.send(mike.room_id, Reply("still there?"))


async def test_wrong_credentials_fail_the_start_clearly(account: BotAccount) -> None:
    account.password = "not-the-password"
    with pytest.raises(MatrixStartError, match="M_FORBIDDEN"):
        await account.start()
    account.connector = None
