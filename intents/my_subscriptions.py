"""my_subscriptions: what the resident follows and how they receive it; also where they change
how: "/abonnements quotidien", "pause", "reprendre", "heures calmes de 21h à 7h"."""
from __future__ import annotations

from bot.context import Context
from bot.messages import Reply
from bot.subscriptions import conversation
from bot.subscriptions.manage import subscriber_of
from intents import subscribe_email

NAME = "my_subscriptions"


async def handle(ctx: Context) -> Reply:
    by_email = await subscribe_email.summary(ctx)
    subscriber = await subscriber_of(ctx.session, ctx.user.id)
    if subscriber is None:
        return conversation.no_subscription(ctx, by_email)
    # The command itself may be the request ("/pause", "/reprendre").
    return await conversation.overview(
        ctx, [*by_email, *await conversation.change_preferences(ctx, ctx.text, subscriber)])


async def consent(ctx: Context) -> str | None:
    """Showing asks nothing; changing how they receive (pause, frequency, quiet hours) does."""
    if await subscriber_of(ctx.session, ctx.user.id) is None:
        return None
    return conversation.preferences_question(ctx, ctx.text)
