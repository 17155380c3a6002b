"""delivery_settings: how the resident receives what they follow, in everyday words — "mettre
en pause", "reprendre", "chaque semaine", "plutôt une fois par jour", "heures calmes de 21h à 7h".

The change and its answer are my_subscriptions' (one place), which also says so, and changes
nothing, when the resident follows nothing. A question ("je peux avoir un résumé chaque
semaine ?") changes nothing before the resident says yes (see :mod:`bot.consent`).
"""
from bot.context import Context
from bot.messages import Reply
from intents import my_subscriptions

NAME = "delivery_settings"


async def handle(ctx: Context) -> Reply:
    return await my_subscriptions.handle(ctx)


async def consent(ctx: Context) -> str | None:
    """Asked before a change that is not plainly requested (bot.consent): "je peux avoir un
    résumé chaque semaine ?" is answered with a yes/no question, nothing is changed before a yes."""
    return await my_subscriptions.consent(ctx)
