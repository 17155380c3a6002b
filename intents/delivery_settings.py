"""delivery_settings: how the resident receives what they follow, in everyday words — "mettre
en pause", "reprendre", "chaque semaine", "plutôt une fois par jour", "heures calmes de 21h à 7h".

The change and its answer are my_subscriptions' (one place), which also says so, and changes
nothing, when the resident follows nothing. A question ("je peux avoir un résumé chaque
semaine ?") changes nothing either: it is answered with the settings and their buttons.
"""
import re

from bot.context import Context
from bot.messages import Reply
from bot.subscriptions import conversation
from bot.text import normalize
from intents import my_subscriptions

NAME = "delivery_settings"
_QUESTION = re.compile(r"^(est ce qu|est ce que|peut on|on peut|je peux|puis je|comment|c est possible"
                       r"|can i|could i|is it possible|how)\b")


async def handle(ctx: Context) -> Reply:
    if "?" in ctx.text or _QUESTION.match(normalize(ctx.text)):
        return await conversation.overview(ctx)
    return await my_subscriptions.handle(ctx)
