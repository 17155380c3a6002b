"""unknown: say plainly that the message was not understood; suggest the closest intents.

A message that is only a reference or names something of the knowledge base says what it is
about even though no intent's examples look like it: a contribution's reference ("I-XK42PQ") is
answered by my_contributions, an elected official's name ("Johanna Rolland", "mounir belamiti")
by find_official, a kind of service by find_service, deliberations' words by council
(:mod:`intents._knowledge_routes`).
"""
from dataclasses import replace

from bot.context import Context
from bot.messages import Reply
from intents._knowledge_routes import redirect
from intents.my_contributions import REFERENCE

NAME = "unknown"
SUGGESTIONS = 3
NOT_SUGGESTED = {"unknown", "greet", "help", "talk_to_human"}


async def handle(ctx: Context) -> Reply:
    if REFERENCE.fullmatch(ctx.text.strip()):
        meant = "my_contributions"
        return await ctx.bot.intents[meant].handle(
            replace(ctx, intent=meant, nlu=replace(ctx.nlu, intent=meant)))
    redirected = await redirect(ctx)
    if redirected is not None:
        return redirected
    closest = [name for name, _score in ctx.nlu.ranking if name not in NOT_SUGGESTED]
    closest = closest[:SUGGESTIONS] or ["ask_data", "find_official", "report_problem"]
    choices = [ctx.intent_choice(name) for name in closest]
    choices += [ctx.intent_choice("help"), ctx.intent_choice("talk_to_human")]
    return ctx.reply(ctx.t("not_understood"), choices)
