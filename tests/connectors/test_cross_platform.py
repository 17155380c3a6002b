"""One conversation through the terminal, Telegram and Matrix connectors gets the same answers:
the core does not depend on the platform, and each connector renders all of a reply.

Each platform's rendering is read back the way a resident sees it (the terminal's printed
numbered list, Telegram's text and inline buttons through the loopback Bot API, Matrix's HTML
list through a real Synapse), reduced to (text, choice labels), and compared.
"""
from __future__ import annotations

import html
import io
import re
import uuid

import pytest

from bot.app import CivicBot
from connectors.telegram import TelegramConnector
from connectors.terminal import TerminalConnector
from tests.support.servers.telegram_api import TelegramApiServer
from tests.support.synapse import BotAccount, Resident, Synapse

pytestmark = pytest.mark.synapse

NANTES = (47.2184, -1.5536)
SCENARIO = [("say", "bonjour"), ("choose", 5), ("locate", NANTES), ("choose", 1),
            ("say", "hello there, good morning"), ("say", "zorglub wibble quux"),
            ("say", "annuler"), ("say", "ce que je sais FAIRE"), ("say", "/langue fr"),
            ("say", "aide")]
Answer = tuple[str, tuple[str, ...]]  # what a resident reads: the text and the choices offered
_NUMBERED = re.compile(r"^(\d+)\. (.*)$")


def split_numbered(text: str) -> Answer:
    """A text ending with a numbered list (the terminal, Matrix's plain body) as an Answer."""
    lines = text.rstrip("\n").splitlines()
    labels: list[str] = []
    while lines and _NUMBERED.match(lines[-1]):
        labels.insert(0, _NUMBERED.match(lines.pop()).group(2))
    return "\n".join(lines).strip(), tuple(labels)


async def through_terminal(bot: CivicBot) -> list[Answer]:
    answers = []
    for kind, value in SCENARIO:
        line = f"/position {value[0]} {value[1]}" if kind == "locate" else str(value)
        printed = io.StringIO()
        await TerminalConnector(bot, user="cross-terminal", stdin=io.StringIO(line + "\n"),
                                stdout=printed).start()
        answers.append(split_numbered(printed.getvalue()))
    return answers


async def through_telegram(api: TelegramApiServer) -> list[Answer]:
    chat, answers, last = 4242, [], None
    for kind, value in SCENARIO:
        if kind == "say":
            api.say(chat, value, language_code=None)
        elif kind == "locate":
            api.share_location(chat, *value, language_code=None)
        else:
            api.press(chat, last.message_id, last.inline_buttons[value - 1]["callback_data"],
                      language_code=None)
        last = await api.next_message(chat)
        answers.append((last.text, tuple(button["text"] for button in last.inline_buttons)))
    return answers


async def through_matrix(account: BotAccount, resident: Resident) -> list[Answer]:
    await resident.open_chat(account)
    answers = []
    for kind, value in SCENARIO:
        if kind == "locate":
            await resident.send({"msgtype": "m.location", "body": "Position",
                                 "geo_uri": f"geo:{value[0]},{value[1]}"})
        else:
            await resident.say(str(value))
        [reply] = await resident.replies(account.user_id)
        labels = tuple(html.unescape(label) for label in re.findall(r"<li>(.*?)</li>",
                                                                    reply.formatted_body))
        text, numbered = split_numbered(reply.body)
        assert numbered == labels  # the plain-text fallback offers the same choices
        answers.append((text, labels))
    return answers


async def test_one_conversation_gets_the_same_answers_on_every_platform(
        bot: CivicBot, synapse: Synapse, telegram: TelegramConnector,
        telegram_api: TelegramApiServer) -> None:
    terminal = await through_terminal(bot)
    on_telegram = await through_telegram(telegram_api)
    account = await BotAccount(bot, synapse).register()
    resident = await Resident(synapse, f"cross-{uuid.uuid4().hex[:8]}").open()
    try:
        await account.start()
        on_matrix = await through_matrix(account, resident)
    finally:
        await resident.close()
        await account.stop()

    assert terminal[0][0].startswith("Bonjour") and len(terminal[1][1]) >= 8  # greeting, help
    assert terminal[4][0].startswith("Hello") and all(text for text, _ in terminal)
    for step, (expected, telegram_answer, matrix_answer) in enumerate(zip(terminal, on_telegram,
                                                                          on_matrix, strict=True)):
        assert telegram_answer == expected, f"Telegram differs at step {step}: {SCENARIO[step]}"
        assert matrix_answer == expected, f"Matrix differs at step {step}: {SCENARIO[step]}"
    assert len(terminal) == len(on_telegram) == len(on_matrix) == len(SCENARIO)
