"""Nobody may use the bot to flood a mailbox: confirmation e-mails are capped per address
(whoever asks) and per resident (whatever the addresses), with a polite answer."""
from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine

from bot.app import CivicBot
from bot.config import Settings
from bot.db import utcnow
from bot.email.models import PENDING
from bot.email.store import CONFIRMATIONS_PER_DAY, EMAIL_KIND
from bot.testing import ChatTester
from tests.support.contributions import drain
from tests.support.email import addresses
from tests.support.smtp import MailServer

VICTIM = "victime.innocente@exemple.fr"


@pytest.fixture
def settings(settings: Settings, mail_server: MailServer) -> Settings:
    mail_server.configure(settings)
    return settings


async def ask(bot: CivicBot, resident: str, words: str) -> str:
    """The resident asks; whatever the bot queued is sent. The reply's text."""
    reply = await ChatTester(bot, resident).say(words)
    await drain(bot, (EMAIL_KIND,))
    return reply.text


async def test_one_resident_cannot_send_the_confirmation_again_and_again(bot: CivicBot,
                                                                         mail_server: MailServer) -> None:
    asks = ["abonne moi par mail au conseil municipal : victime.innocente@exemple.fr",
            "renvoie le mail stp victime.innocente@exemple.fr", "mon mail est victime.innocente@exemple.fr",
            "mon mail est victime.innocente@exemple.fr", "jai rien recu !! victime.innocente@exemple.fr"]
    replies = [await ask(bot, "troll", words) for words in asks]
    assert len(mail_server.messages_to(VICTIM)) == CONFIRMATIONS_PER_DAY == 3
    assert all("Je vous envoie un e-mail" in text for text in replies[:3])
    for text in replies[3:]:
        assert "3 e-mails de confirmation sont déjà partis aujourd'hui" in text and "avant demain" in text
    # the address stays as it was: waiting for the confirmation already sent
    assert [(row.address, row.status) for row in await addresses(bot)] == [(VICTIM, PENDING)]


async def test_many_visitors_cannot_flood_one_address_and_forgetting_does_not_reset(bot: CivicBot,
                                                                                   mail_server: MailServer) -> None:
    """Web chat visitors are free to make: the cap is the address's, whoever asks."""
    for visitor in ("v1", "v2", "v3"):
        assert "Je vous envoie un e-mail" in await ask(bot, visitor, f"abonne moi aux travaux par mail {VICTIM}")
    await ask(bot, "v3", "oublie moi")
    await ask(bot, "v3", "oui")
    for visitor in ("v3", "v4"):
        text = await ask(bot, visitor, f"abonne moi au sport par email {VICTIM.upper()}")
        assert "déjà partis aujourd'hui" in text
    assert len(mail_server.received) == 3  # under any spelling


async def test_one_resident_cannot_mail_many_addresses(bot: CivicBot, mail_server: MailServer) -> None:
    for number in range(1, 5):
        text = await ask(bot, "spammeur", f"send me the council minutes by e-mail at person{number}@example.org")
        if number <= 3:
            assert "I am sending an e-mail" in text
        else:
            assert "3 confirmation e-mails have already gone out today" in text and "tomorrow" in text
    assert len(mail_server.received) == 3 and mail_server.messages_to("person4@example.org") == []


async def test_the_next_day_confirmations_can_go_again(bot: CivicBot, mail_server: MailServer) -> None:
    for _ in range(4):
        await ask(bot, "alice", f"abonne moi au conseil par mail {VICTIM}")
    assert len(mail_server.messages_to(VICTIM)) == 3
    with time_machine.travel(utcnow() + timedelta(days=1, minutes=1), tick=True):
        assert "Je vous envoie un e-mail" in await ask(bot, "alice", f"abonne moi au conseil par mail {VICTIM}")
    assert len(mail_server.messages_to(VICTIM)) == 4
