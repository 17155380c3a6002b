"""greet: the courtesies. Hello, with a first look at what the bot can do; thanks and goodbye,
answered in kind."""
import re

from bot.context import Context
from bot.messages import Reply
from bot.text import normalize

NAME = "greet"
FIRST_STEPS = ("ask_data", "find_official", "report_problem", "subscribe")
# Thanks, and what else closes a conversation rather than opens one, in normalised text ("good
# evening" opens).
THANKS = re.compile(r"\b(merci|thanks|thank you|thx|cheers)\b")
CLOSING = re.compile(r"\b(au revoir|a bientot|a plus|bonne (journee|soiree|nuit)|bye|ciao|goodbye"
                     r"|see you (soon|later)|nice (evening|day))\b")


async def handle(ctx: Context) -> Reply:
    text = normalize(ctx.text)
    if THANKS.search(text):
        return ctx.reply(ctx.t("thanks"), [ctx.intent_choice("help")])
    if CLOSING.search(text):
        return ctx.reply(ctx.t("goodbye"), [ctx.intent_choice("help")])
    text = ctx.t("hello", city=ctx.settings.city_name)
    return ctx.reply(text, [ctx.intent_choice(name) for name in FIRST_STEPS + ("help",)])
