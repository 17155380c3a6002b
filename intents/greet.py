"""greet: the courtesies. Hello, with a first look at what the bot can do; thanks and goodbye,
answered in kind."""
from bot.context import Context
from bot.messages import Reply
from bot.text import normalize

NAME = "greet"
FIRST_STEPS = ("ask_data", "find_official", "report_problem", "subscribe")
# Normalised words that close a conversation rather than open one.
CLOSING = frozenset({"merci", "revoir", "bientot", "soiree", "bye", "ciao", "plus",
                     "thanks", "thank", "goodbye", "cheers", "see", "evening"})


async def handle(ctx: Context) -> Reply:
    if CLOSING & set(normalize(ctx.text).split()):
        return ctx.reply(ctx.t("goodbye"), [ctx.intent_choice("help")])
    text = ctx.t("hello", city=ctx.settings.city_name)
    return ctx.reply(text, [ctx.intent_choice(name) for name in FIRST_STEPS + ("help",)])
