"""The Telegram connector in polling mode, end to end: the real python-telegram-bot against the
loopback Bot API, a resident's updates in, the bot's messages out."""
from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import select

from bot.app import CivicBot
from bot.messages import Choice, Document, Reply
from bot.models import User
from connectors.telegram import TelegramConnector
from tests.support.servers.telegram_api import TelegramApiServer

# python-telegram-bot 22 warns that RetryAfter.retry_after will become a timedelta (both handled)
pytestmark = pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")


async def test_start_publishes_the_command_menu_in_french_and_english(
        telegram: TelegramConnector, telegram_api: TelegramApiServer) -> None:
    methods = [call.method for call in telegram_api.calls]
    assert methods[:2] == ["getMe", "deleteWebhook"] or methods[0] == "getMe"
    assert "deleteWebhook" in methods and telegram_api.webhook is None
    french = {c["command"]: c["description"] for c in telegram_api.commands[("default", "fr")]}
    english = {c["command"]: c["description"] for c in telegram_api.commands[("default", "en")]}
    assert french["aide"] == "Ce que je sais faire" and "help" not in french
    assert english["help"] == "What I can do" and "aide" not in english
    assert french["suivi"] and english["contributions"]  # from the examples of each language
    assert french["donnees"] and english["data"] and "start" not in french
    assert telegram_api.commands[("default", "")] == telegram_api.commands[("default", "fr")]


async def test_a_greeting_is_answered_with_inline_buttons_in_the_residents_language(
        telegram: TelegramConnector, telegram_api: TelegramApiServer) -> None:
    update_id = telegram_api.say(1001, "bonjour")
    french = await telegram_api.next_message(1001)
    assert "Bonjour" in french.text and french.params["parse_mode"] == "HTML"
    values = [button["callback_data"] for button in french.inline_buttons]
    assert values[-1] == "/aide" and len(values) == 5
    await telegram_api.wait_until(lambda: telegram_api.confirmed_offset > update_id)

    telegram_api.say(1002, "hello, good morning", language_code="en")
    english = await telegram_api.next_message(1002)
    assert "Hello" in english.text
    assert english.inline_buttons[-1]["text"] == "What I can do"


async def test_a_button_press_is_answered_marked_and_sent_as_the_residents_text(
        telegram: TelegramConnector, telegram_api: TelegramApiServer) -> None:
    telegram_api.say(1003, "bonjour")
    greeting = await telegram_api.next_message(1003)
    telegram_api.press(1003, greeting.message_id, "/aide")
    menu = await telegram_api.next_message(1003)
    assert len(menu.inline_buttons) >= 8  # the help menu
    assert len(telegram_api.answered_callbacks) == 1
    # the pressed button is marked after the reply, in the chat's next turn (an edit counts
    # against Telegram's one message a second in a chat)
    await telegram_api.wait_until(lambda: telegram_api.calls_to("editMessageText"))
    edits = telegram_api.calls_to("editMessageText")
    assert len(edits) == 1 and edits[0].error is None and edits[0].at >= menu.at + 0.99
    assert greeting.text.endswith("» Ce que je sais faire") and greeting.reply_markup is None


async def test_commands_and_deep_links(telegram: TelegramConnector,
                                       telegram_api: TelegramApiServer) -> None:
    telegram_api.say(1004, "/aide")
    assert len((await telegram_api.next_message(1004)).inline_buttons) >= 8
    telegram_api.say(1004, "/start aide")  # t.me/<bot>?start=aide
    assert len((await telegram_api.next_message(1004)).inline_buttons) >= 8
    telegram_api.say(1004, "/start zorglub-42")  # an unknown parameter: a plain /start
    assert "Bonjour" in (await telegram_api.next_message(1004)).text
    telegram_api.say(1004, "/start")
    assert "Bonjour" in (await telegram_api.next_message(1004)).text


async def test_a_shared_location_and_a_photo_reach_the_core(
        telegram: TelegramConnector, telegram_api: TelegramApiServer) -> None:
    telegram_api.share_location(1005, 47.2184, -1.5536)
    noted = await telegram_api.next_message(1005)
    assert "noté ce lieu" in noted.text and noted.inline_buttons
    telegram_api.send_photo(1005, "AgACAgQAAxk-photo")
    photo = await telegram_api.next_message(1005)
    assert "reçu votre fichier" in photo.text


async def test_messages_without_text_get_a_clear_answer(
        telegram: TelegramConnector, telegram_api: TelegramApiServer) -> None:
    telegram_api.push(telegram_api.message_update(1006, dice={"emoji": "🎲", "value": 3}))
    assert "pas reçu de texte" in (await telegram_api.next_message(1006)).text


async def test_a_residents_messages_are_answered_in_order(
        telegram: TelegramConnector, telegram_api: TelegramApiServer) -> None:
    telegram_api.say(1007, "/langue en")
    telegram_api.say(1007, "bonjour")
    telegram_api.say(1007, "/langue fr")
    telegram_api.say(1007, "bonjour")
    texts = [(await telegram_api.next_message(1007)).text for _ in range(4)]
    assert texts[0].startswith("OK, I will answer in English")
    assert "Hello" in texts[1]
    assert texts[2].startswith("D'accord")
    assert "Bonjour" in texts[3]


async def test_long_replies_are_split_under_the_limit_with_the_buttons_last(
        telegram: TelegramConnector, telegram_api: TelegramApiServer) -> None:
    paragraphs = [f"Paragraphe {number} :" + " données ouvertes" * 40 for number in range(20)]
    text = "\n\n".join(paragraphs)
    await telegram.send("1008", Reply(text, [Choice("Aide", "/aide")]))
    sent = telegram_api.sent_to(1008)
    assert len(sent) == 4 and all(len(message.text) <= 4096 for message in sent)
    assert all(message.text.split("\n\n")[-1] in paragraphs for message in sent)  # cut between
    assert "\n\n".join(message.text for message in sent) == text
    assert [message.reply_markup is None for message in sent] == [True, True, True, False]
    assert sent[-1].inline_buttons[0]["callback_data"] == "/aide"


async def test_splitting_counts_in_utf16_like_telegram(
        telegram: TelegramConnector, telegram_api: TelegramApiServer) -> None:
    await telegram.send("1009", Reply("🏛" * 5000))  # two UTF-16 units each
    sent = telegram_api.sent_to(1009)
    assert len(sent) == 3 and "".join(message.text for message in sent) == "🏛" * 5000


async def test_text_is_escaped_for_html(telegram: TelegramConnector,
                                        telegram_api: TelegramApiServer) -> None:
    text = "Budget <2024> & « dépenses » : a<b, <b>pas du gras</b> &amp; 5 > 3"
    await telegram.send("1010", Reply(text))
    [message] = telegram_api.sent_to(1010)
    assert message.text == text and message.entities == []


async def test_a_location_request_is_a_reply_keyboard_button(
        telegram: TelegramConnector, telegram_api: TelegramApiServer) -> None:
    reply = Reply("Où est-ce ?", [Choice("Annuler", "annuler")], request_location=True)
    await telegram.send("1011", reply)
    [message] = telegram_api.sent_to(1011)
    first, second = message.keyboard_buttons
    assert first == {"text": "📍 Envoyer ma position", "request_location": True}
    assert second["text"] == "Annuler"
    assert message.reply_markup["one_time_keyboard"] is True


async def test_a_document_is_sent_as_a_file(telegram: TelegramConnector,
                                            telegram_api: TelegramApiServer) -> None:
    export = Document("mes-donnees.json", b'{"subscriptions": []}')
    await telegram.send("1012", Reply("Voici vos données.", [Choice("Aide", "/aide")], document=export))
    text, document = telegram_api.sent_to(1012)
    assert text.text == "Voici vos données." and text.reply_markup is None
    assert document.method == "sendDocument"
    assert document.document == ("mes-donnees.json", b'{"subscriptions": []}')
    assert document.inline_buttons[0]["callback_data"] == "/aide"


async def test_a_long_choice_value_is_sent_as_its_number(
        telegram: TelegramConnector, telegram_api: TelegramApiServer) -> None:
    long_value = "/abonner " + "conseil municipal " * 5
    await telegram.send("1013", Reply("Choisissez", [Choice("Court", "/aide"), Choice("Long", long_value)]))
    [message] = telegram_api.sent_to(1013)
    assert [button["callback_data"] for button in message.inline_buttons] == ["/aide", "2"]


async def test_a_failing_handler_does_not_stop_the_connector(
        bot: CivicBot, telegram: TelegramConnector, telegram_api: TelegramApiServer) -> None:
    async def broken(message):
        raise RuntimeError("boom")

    bot.handle = broken
    broken_update = telegram_api.say(1014, "bonjour")
    await telegram_api.wait_until(lambda: telegram_api.confirmed_offset > broken_update)
    del bot.handle
    telegram_api.say(1014, "bonjour")
    assert "Bonjour" in (await telegram_api.next_message(1014)).text


async def test_stop_confirms_what_was_answered(bot: CivicBot, telegram: TelegramConnector,
                                               telegram_api: TelegramApiServer) -> None:
    update_id = telegram_api.say(1015, "bonjour")
    await telegram_api.next_message(1015)
    await telegram.stop()
    assert telegram_api.confirmed_offset == update_id + 1
    async with bot.sessions() as session:
        users = (await session.execute(select(User).where(User.platform == "telegram"))).scalars().all()
    assert [user.user_hash for user in users] == [bot.pseudonymizer.user_hash("telegram", "1015")]


async def test_a_reply_held_by_flood_control_does_not_hold_the_others(
        telegram: TelegramConnector, telegram_api: TelegramApiServer) -> None:
    telegram_api.rate_limit_next(chat_id=1016, retry_after=3)
    slow = telegram_api.say(1016, "bonjour")
    await telegram_api.wait_until(lambda: telegram_api.received["sendMessage"] == 1)
    started = asyncio.get_running_loop().time()
    fast = telegram_api.say(1017, "bonjour")
    assert "Bonjour" in (await telegram_api.next_message(1017)).text
    assert asyncio.get_running_loop().time() - started < 2.5
    assert telegram_api.confirmed_offset <= slow  # not confirmed while unanswered
    assert "Bonjour" in (await telegram_api.next_message(1016)).text
    await telegram_api.wait_until(lambda: telegram_api.confirmed_offset == fast + 1)


async def test_service_messages_get_no_reply(telegram: TelegramConnector,
                                             telegram_api: TelegramApiServer) -> None:
    newcomer = {"id": 555, "is_bot": False, "first_name": "Nouvelle"}
    telegram_api.push(telegram_api.message_update(-1018, user_id=555, new_chat_members=[newcomer]))
    telegram_api.push(telegram_api.message_update(-1018, user_id=555, migrate_to_chat_id=-1001018))
    telegram_api.say(-1018, "/aide", user_id=555)
    assert len((await telegram_api.next_message(-1018)).inline_buttons) >= 8
    assert len(telegram_api.sent_to(-1018)) == 1
