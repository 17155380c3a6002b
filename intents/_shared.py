"""Small helpers several intents use."""
from __future__ import annotations

from bot.context import Context
from bot.messages import Reply


def coming_soon(ctx: Context) -> Reply:
    """An honest answer for a feature not built yet: what the resident can do meanwhile."""
    text = ctx.t("core.coming_soon", city=ctx.settings.city_name, meanwhile=ctx.t("meanwhile"))
    return ctx.reply(text, [ctx.intent_choice("help"), ctx.intent_choice("talk_to_human")])
