"""unknown: say plainly that the message was not understood; suggest the closest intents.

A message that is only a name or a reference says what it is about even though no intent's
examples look like it: an elected official's name ("Johanna Rolland", "mounir belamiti") is
answered by find_official, a contribution's reference ("I-XK42PQ") by my_contributions.
"""
from dataclasses import replace

from bot.context import Context
from bot.messages import Reply
from intents.find_official import SURE_NAME
from intents.my_contributions import REFERENCE
from knowledge.officials import find_by_name

NAME = "unknown"
SUGGESTIONS = 3
NOT_SUGGESTED = {"unknown", "greet", "help", "talk_to_human"}
NAME_WORDS = 4  # a longer message is more than a name


async def handle(ctx: Context) -> Reply:
    meant = await _named(ctx)
    if meant is not None:
        intent = ctx.bot.intents[meant]
        return await intent.handle(replace(ctx, intent=meant, nlu=replace(ctx.nlu, intent=meant)))
    closest = [name for name, _score in ctx.nlu.ranking if name not in NOT_SUGGESTED]
    closest = closest[:SUGGESTIONS] or ["ask_data", "find_official", "report_problem"]
    choices = [ctx.intent_choice(name) for name in closest]
    choices += [ctx.intent_choice("help"), ctx.intent_choice("talk_to_human")]
    return ctx.reply(ctx.t("not_understood"), choices)


async def _named(ctx: Context) -> str | None:
    """The intent a bare reference or official's name is for, if the message is one."""
    text = ctx.text.strip()
    if REFERENCE.fullmatch(text):
        return "my_contributions"
    if 2 <= len(text.split()) <= NAME_WORDS:
        found = await find_by_name(ctx.session, text, limit=1)
        if found and found[0][1] >= SURE_NAME:
            return "find_official"
    return None
