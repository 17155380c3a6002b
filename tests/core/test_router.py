"""The router: flows first, then commands, then the NLU; state survives a restart."""
from __future__ import annotations

from types import SimpleNamespace

from bot.app import CivicBot
from bot.features import create_bot
from bot.messages import Choice
from bot.testing import ChatTester
from tests.support.flows import install_echo_flow


async def test_greeting_in_french_and_english(bot: CivicBot) -> None:
    french = await ChatTester(bot, "fr-user").say("bonjour")
    english = await ChatTester(bot, "en-user").say("hello there, good morning")
    assert "Bonjour" in french.text and french.language == "fr"
    assert "Hello" in english.text and english.language == "en"
    assert french.choices and english.choices


async def test_thanks_and_goodbye_are_answered_in_kind(bot: CivicBot) -> None:
    french = ChatTester(bot, "leaving-fr")
    for text in ("merci, au revoir", "c'est tout merci", "Merci beaucoup !"):
        reply = await french.say(text)
        assert reply.text.startswith("Avec plaisir") and reply.language == "fr", text
    english = await ChatTester(bot, "leaving-en").say("thanks, bye")
    assert english.text.startswith("You're welcome") and english.language == "en"
    assert "Hello" in (await ChatTester(bot, "evening").say("good evening")).text  # a greeting
    # thanks opening a request is not a goodbye
    assert "signalement" in (await ChatTester(bot, "polite").say("merci, je voudrais signaler un trou")).text


async def test_help_command_and_its_aliases(alice: ChatTester) -> None:
    for command in ("/aide", "/help", "/AIDE@civicbot"):
        reply = await alice.say(command)
        assert len(reply.choices) >= 8, command


async def test_unknown_message_says_so_and_offers_a_human(alice: ChatTester) -> None:
    reply = await alice.say("zorglub wibble quux")
    assert "compris" in reply.text
    values = [choice.value for choice in reply.choices]
    assert "/humain" in values and len(values) >= 3


async def test_unknown_command_is_handled(alice: ChatTester) -> None:
    reply = await alice.say("/nosuchcommand")
    assert "compris" in reply.text


async def test_numbered_choice_and_label_pick_the_choice(alice: ChatTester) -> None:
    await alice.say("bonjour")
    assert alice.last.choices[-1].value == "/aide"
    by_number = await alice.choose(len(alice.last.choices))
    assert len(by_number.choices) >= 8  # the help menu
    await alice.say("bonjour")
    by_label = await alice.say("ce que je sais FAIRE")
    assert by_label.text == by_number.text


async def test_flow_resumes_and_survives_a_restart(bot: CivicBot, settings) -> None:
    install_echo_flow(bot)
    assert (await ChatTester(bot, "bob").say("/flowtest")).text == "name?"
    assert (await ChatTester(bot, "bob").say("Bob")).text == "colour?"
    await bot.close()
    restarted = await create_bot(settings)
    try:
        install_echo_flow(restarted)
        assert (await ChatTester(restarted, "bob").say("blue")).text == "Bob likes blue"
        assert "compris" in (await ChatTester(restarted, "bob").say("zorglub quux")).text
    finally:
        await restarted.close()


async def test_cancel_leaves_any_flow(bot: CivicBot) -> None:
    install_echo_flow(bot)
    bob = ChatTester(bot, "bob")
    await bob.say("/flowtest")
    assert "annulé" in (await bob.say("Annuler")).text
    assert "rien" in (await bob.say("annuler")).text
    await bob.say("/flowtest")
    assert "annulé" in (await bob.say("cancel")).text  # one word does not switch the language
    english = ChatTester(bot, "english")
    await english.say("hi, can you help me with something")
    await english.say("/flowtest")
    assert "Cancelled" in (await english.say("cancel")).text


async def test_flow_can_decline_a_message_back_to_the_nlu(bot: CivicBot) -> None:
    install_echo_flow(bot)
    bob = ChatTester(bot, "bob")
    await bob.say("/flowtest")
    reply = await bob.say("decline")
    assert reply.text != "colour?"
    assert (await bob.say("bonjour")).text.startswith("Bonjour")


async def test_commands_interrupt_a_flow(bot: CivicBot) -> None:
    install_echo_flow(bot)
    bob = ChatTester(bot, "bob")
    await bob.say("/flowtest")
    assert len((await bob.say("/aide")).choices) >= 8


async def test_language_override_sticks(alice: ChatTester) -> None:
    await alice.say("/language en")
    reply = await alice.say("bonjour")
    assert reply.language == "en" and "Hello" in reply.text
    await alice.say("/langue auto")
    assert (await alice.say("bonjour")).language == "en"  # the conversation's, until a clear message
    assert (await alice.say("bonjour, je voudrais de l'aide")).language == "fr"
    choose = await alice.say("/langue")
    assert [c.value for c in choose.choices] == ["/langue fr", "/language en"]


async def test_language_follows_the_conversation_when_a_message_has_no_clue(alice: ChatTester) -> None:
    await alice.say("hello, what can you do?")
    reply = await alice.say("zorglub")
    assert reply.language == "en"


async def test_location_alone_is_remembered_and_offers_what_to_do(alice: ChatTester) -> None:
    reply = await alice.share_location(47.2161, -1.5497)
    assert [c.value for c in reply.choices] == ["/elu", "/service", "/signaler"]
    conversation = await _conversation(alice)
    assert conversation.data["location"] == [47.2161, -1.5497]


async def test_attachment_alone_gets_an_explanation(alice: ChatTester) -> None:
    reply = await alice.attach("file-123")
    assert "fichier" in reply.text


async def test_a_failing_handler_apologises_and_offers_a_human(bot: CivicBot) -> None:
    async def broken(ctx):
        raise RuntimeError("boom")

    bot.intents["greet"] = SimpleNamespace(**{**vars(bot.intents["greet"]), "handle": broken})
    reply = await ChatTester(bot, "carol").say("bonjour")
    assert "mal passé" in reply.text
    assert reply.choices[0].value == "/humain"


async def _conversation(tester: ChatTester):
    from sqlalchemy import select

    from bot.models import Conversation, User

    async with tester.bot.sessions() as session:
        user_hash = tester.bot.pseudonymizer.user_hash(tester.platform, tester.user)
        user = (await session.execute(select(User).where(User.user_hash == user_hash))).scalar_one()
        return await session.get(Conversation, user.id)


async def test_a_picked_choice_keeps_the_conversation_language(bot: CivicBot) -> None:
    """Button values are machine words ("anonymous", "/aide"): pressing one does not switch a
    French conversation to English."""
    install_echo_flow(bot)
    bob = ChatTester(bot, "bob")
    await bob.say("bonjour")
    bob.last.choices.append(Choice("Anonyme", "anonymous please"))
    conversation = await _conversation(bob)
    async with bot.sessions() as session:
        stored = await session.get(type(conversation), conversation.user_id)
        stored.choices = [*stored.choices, ["Anonyme", "anonymous please"]]
        await session.commit()
    assert (await bob.press("Anonyme")).language == "fr"


async def test_the_intent_of_a_flow_is_told_when_the_resident_leaves_it(bot: CivicBot) -> None:
    install_echo_flow(bot)
    left: list[str] = []

    async def leave(ctx) -> None:
        left.append(ctx.text)

    bot.intents["flowtest"].leave = leave
    alice = ChatTester(bot, "alice")
    await alice.say("/flowtest")
    await alice.say("Alice")  # the flow goes on
    assert left == []
    await alice.say("annuler")
    await alice.say("/flowtest")
    await alice.say("/signaler")  # another flow started by a command
    await alice.say("/flowtest")
    await alice.say("Alice")
    await alice.say("green")  # the flow ended by itself
    assert left == ["annuler", "/signaler", "green"]
