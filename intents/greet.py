"""greet: hello, and a first look at what the bot can do."""
from bot.context import Context
from bot.messages import Reply

NAME = "greet"
FIRST_STEPS = ("ask_data", "find_official", "report_problem", "subscribe")


async def handle(ctx: Context) -> Reply:
    text = ctx.t("hello", city=ctx.settings.city_name)
    return ctx.reply(text, [ctx.intent_choice(name) for name in FIRST_STEPS + ("help",)])
