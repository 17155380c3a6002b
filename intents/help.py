"""help: everything the bot can do, each as a choice."""
from bot.context import Context
from bot.messages import Reply

NAME = "help"
OFFERED = ("ask_data", "council", "find_official", "find_service", "subscribe", "report_problem",
           "propose_idea", "vote", "my_contributions", "privacy_export", "talk_to_human")


async def handle(ctx: Context) -> Reply:
    return ctx.reply(ctx.t("overview", city=ctx.settings.city_name),
                     [ctx.intent_choice(name) for name in OFFERED])
