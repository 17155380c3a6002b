"""privacy_forget: erasing the resident's data (not built yet: answers honestly what to do meanwhile)."""
from bot.context import Context
from bot.messages import Reply
from intents._shared import coming_soon

NAME = "privacy_forget"


async def handle(ctx: Context) -> Reply:
    return coming_soon(ctx)
