"""ask_data: answers from open data (not built yet: answers honestly what to do meanwhile)."""
from bot.context import Context
from bot.messages import Reply
from intents._shared import coming_soon

NAME = "ask_data"


async def handle(ctx: Context) -> Reply:
    return coming_soon(ctx)
