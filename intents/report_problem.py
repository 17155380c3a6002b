"""report_problem: reporting a problem to the city (not built yet: answers honestly what to do meanwhile)."""
from bot.context import Context
from bot.messages import Reply
from intents._shared import coming_soon

NAME = "report_problem"


async def handle(ctx: Context) -> Reply:
    return coming_soon(ctx)
