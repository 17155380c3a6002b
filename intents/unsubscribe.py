"""unsubscribe: "stop" in any form. Without a subject it stops everything and forgets the chat
address; naming a topic, quartier or official stops only that; "pause", "pas de messages entre
22h et 8h" or "chaque semaine" change how they are received and keep the choices."""
from __future__ import annotations

from sqlalchemy import delete

from bot.context import Context
from bot.messages import Choice, Reply
from bot.subscriptions import conversation, phrases
from bot.subscriptions.manage import cancel_pending, remove_subscriptions, subscriber_of, subscriptions_of
from bot.subscriptions.models import AREA, TOPIC, Subscriber, Subscription
from bot.subscriptions.targeting import name_key, same_name
from bot.text import normalize
from intents._answers import request_text

NAME = "unsubscribe"


async def handle(ctx: Context) -> Reply:
    text = request_text(ctx)
    subscriber = await subscriber_of(ctx.session, ctx.user.id)
    subscriptions = await subscriptions_of(ctx.session, ctx.user.id)
    if subscriber is None or not subscriptions:
        return conversation.no_subscription(ctx)
    if conversation.preferences_question(ctx, text):  # "pas de messages la nuit": a setting
        return await conversation.overview(ctx, await conversation.change_preferences(ctx, text, subscriber))
    if not phrases.says(text, "everything"):
        named = _named(ctx, text, subscriptions)
        if named:
            return await _stop_some(ctx, named, subscriptions)
        if _names_something(ctx, text):
            return _which(ctx, subscriptions)
    return await _stop_all(ctx, subscriber, subscriptions)


async def consent(ctx: Context) -> str | None:
    """The question for what :func:`handle` would stop or change; None when it would only show."""
    text = request_text(ctx)
    subscriber = await subscriber_of(ctx.session, ctx.user.id)
    subscriptions = await subscriptions_of(ctx.session, ctx.user.id)
    if subscriber is None or not subscriptions:
        return None
    question = conversation.preferences_question(ctx, text)
    if question:
        return question
    stopped = subscriptions
    if not phrases.says(text, "everything"):
        named = _named(ctx, text, subscriptions)
        if not named and _names_something(ctx, text):
            return None
        stopped = named or subscriptions
    what = ", ".join(conversation.describe(ctx, subscription) for subscription in stopped)
    return ctx.t("subscriptions.consent.unsubscribe", what=what)


def _named(ctx: Context, text: str, subscriptions: list[Subscription]) -> list[Subscription]:
    """The subscriptions the text names: by topic (and place), place, person, or as listed."""
    topic = ctx.entities.get("topic")
    place = name_key(str(ctx.entities["area"])) if ctx.entities.get("area") else name_key(phrases.place_in(text) or "")
    said, words = normalize(text), name_key(text)

    def named(subscription: Subscription) -> bool:
        if said and said == normalize(conversation.describe(ctx, subscription)):  # a button
            return True
        if subscription.kind == TOPIC:
            return subscription.value == topic and not (place and subscription.area
                                                        and not same_name(subscription.area, place))
        if subscription.kind == AREA:
            return bool(place) and same_name(subscription.value, place)
        return bool(words) and same_name(subscription.value, words)

    return [subscription for subscription in subscriptions if named(subscription)]


def _names_something(ctx: Context, text: str) -> bool:
    return bool(ctx.entities.get("topic") or ctx.entities.get("area") or phrases.place_in(text))


def _which(ctx: Context, subscriptions: list[Subscription]) -> Reply:
    """The resident named something they do not follow: show what they do, one button each."""
    described = [conversation.describe(ctx, subscription) for subscription in subscriptions]
    choices = [Choice(label[:60], f"/desabonner {label}") for label in described[:8]]
    choices.append(Choice(ctx.t("subscriptions.choice.stop_all"), "/desabonner tout"))
    return ctx.reply(ctx.t("not_subscribed", items="\n".join(f"• {label}" for label in described)), choices)


async def _stop_some(ctx: Context, named: list[Subscription], subscriptions: list[Subscription]) -> Reply:
    await remove_subscriptions(ctx.session, named)
    stopped = ", ".join(conversation.describe(ctx, subscription) for subscription in named)
    if len(named) == len(subscriptions):
        await _forget_address(ctx)
        return ctx.reply(ctx.t("stopped_all", what=stopped), [ctx.intent_choice("subscribe")])
    return await conversation.overview(ctx, [ctx.t("stopped_some", what=stopped)])


async def _stop_all(ctx: Context, subscriber: Subscriber, subscriptions: list[Subscription]) -> Reply:
    stopped = ", ".join(conversation.describe(ctx, subscription) for subscription in subscriptions)
    await remove_subscriptions(ctx.session, subscriptions)
    await _forget_address(ctx)
    return ctx.reply(ctx.t("stopped_all", what=stopped),
                     [ctx.intent_choice("subscribe"), ctx.intent_choice("help")])


async def _forget_address(ctx: Context) -> None:
    """No subscription left: nothing more is sent, and the chat address is not kept."""
    await cancel_pending(ctx.session, ctx.user.id)
    await ctx.session.execute(delete(Subscriber).where(Subscriber.user_id == ctx.user.id))
