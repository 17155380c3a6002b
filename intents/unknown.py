"""unknown: say plainly that the message was not understood; suggest the closest intents."""
from bot.context import Context
from bot.messages import Reply

NAME = "unknown"
SUGGESTIONS = 3
NOT_SUGGESTED = {"unknown", "greet", "help", "talk_to_human"}


async def handle(ctx: Context) -> Reply:
    closest = [name for name, _score in ctx.nlu.ranking if name not in NOT_SUGGESTED]
    closest = closest[:SUGGESTIONS] or ["ask_data", "find_official", "report_problem"]
    choices = [ctx.intent_choice(name) for name in closest]
    choices += [ctx.intent_choice("help"), ctx.intent_choice("talk_to_human")]
    return ctx.reply(ctx.t("not_understood"), choices)
