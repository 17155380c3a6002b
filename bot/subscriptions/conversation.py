"""What the subscription intents share: saying what a resident follows and how they receive it,
and changing how (frequency, quiet hours, pause). Texts: ``bot/locale/subscriptions.*.yaml``."""
from __future__ import annotations

from sqlalchemy import update

from bot.context import Context
from bot.db import utcnow
from bot.messages import Choice, Reply
from bot.outbox import DIGEST, PENDING, OutboxEntry
from bot.subscriptions import phrases
from bot.subscriptions.manage import cancel_pending, ensure_subscriber, subscriber_of, subscriptions_of
from bot.subscriptions.models import DAILY, IMMEDIATE, TOPIC, WEEKLY, Subscriber, Subscription
from bot.subscriptions.schedule import WEEKDAYS, DeliveryClock

# The words the choices send back (commands of my_subscriptions and unsubscribe).
SETTINGS_COMMAND = "/abonnements"
FREQUENCY_WORDS = {IMMEDIATE: "immediat", DAILY: "quotidien", WEEKLY: "hebdomadaire"}


def describe(ctx: Context, subscription: Subscription) -> str:
    if subscription.kind == TOPIC:
        if subscription.area:
            return ctx.t("subscriptions.what.topic_area", topic=subscription.label,
                         area=subscription.area_label)
        return ctx.t("subscriptions.what.topic", topic=subscription.label)
    return ctx.t(f"subscriptions.what.{subscription.kind}", area=subscription.label, name=subscription.label)


def when(ctx: Context, frequency: str) -> str:
    clock = DeliveryClock.from_settings(ctx.settings)
    weekday = ctx.t(f"subscriptions.weekday.{WEEKDAYS[clock.digest_weekday]}")
    return ctx.t(f"subscriptions.when.{frequency}", time=f"{clock.digest_time:%H:%M}", weekday=weekday)


def quiet(ctx: Context, subscriber: Subscriber | None) -> str:
    hours = DeliveryClock.from_settings(ctx.settings).quiet_hours(subscriber.quiet_hours if subscriber else None)
    if hours is None:
        return ctx.t("subscriptions.no_quiet")
    return ctx.t("subscriptions.quiet", start=f"{hours.start:%H:%M}", end=f"{hours.end:%H:%M}")


async def subscriber_here(ctx: Context) -> Subscriber:
    """The resident's subscriber row, with this chat as the delivery address."""
    return await ensure_subscriber(ctx.session, ctx.user.id, ctx.message.platform,
                                   ctx.message.chat_id, ctx.lang)


def settings_choices(ctx: Context, subscriber: Subscriber) -> list[Choice]:
    def choice(key: str, words: str) -> Choice:
        return Choice(ctx.t(f"subscriptions.choice.{key}"), f"{SETTINGS_COMMAND} {words}")

    choices = [choice(frequency, word) for frequency, word in FREQUENCY_WORDS.items()
               if frequency != subscriber.frequency]
    choices.append(choice("resume", "reprendre") if subscriber.paused else choice("pause", "pause"))
    choices += [choice("quiet", "heures calmes"),
                Choice(ctx.t("subscriptions.choice.stop_all"), "/desabonner tout"),
                Choice(ctx.t("subscriptions.choice.subscribe"), "/abonner")]
    return choices


def no_subscription(ctx: Context, notes: list[str] | None = None) -> Reply:
    return ctx.reply("\n\n".join([*(notes or []), ctx.t("subscriptions.none")]),
                     [Choice(ctx.t("subscriptions.choice.subscribe"), "/abonner"), ctx.intent_choice("help")])


async def overview(ctx: Context, notes: list[str] | None = None) -> Reply:
    """What the resident follows and how they receive it, with choices to change it."""
    subscriber = await subscriber_of(ctx.session, ctx.user.id)
    subscriptions = await subscriptions_of(ctx.session, ctx.user.id)
    if subscriber is None or not subscriptions:
        return no_subscription(ctx, notes)
    items = "\n".join(f"• {describe(ctx, subscription)}" for subscription in subscriptions)
    if subscriber.paused:
        text = ctx.t("subscriptions.overview_paused", items=items)
    else:
        text = ctx.t("subscriptions.overview", items=items, when=when(ctx, subscriber.frequency),
                     quiet=quiet(ctx, subscriber))
    parts = [*(notes or []), text, ctx.t("subscriptions.how_to_stop")]
    return ctx.reply("\n\n".join(parts), settings_choices(ctx, subscriber))


async def set_paused(ctx: Context, subscriber: Subscriber, paused: bool) -> str:
    if subscriber.paused == paused:
        return ctx.t("subscriptions.already_paused" if paused else "subscriptions.not_paused")
    subscriber.paused = paused
    if paused:  # nothing waiting is delivered during a pause
        await cancel_pending(ctx.session, ctx.user.id)
    return ctx.t("subscriptions.paused" if paused else "subscriptions.resumed")


def preferences_question(ctx: Context, text: str) -> str | None:
    """What :func:`change_preferences` would change, as a yes/no question (None: nothing)."""
    frequency = phrases.frequency_in(text)  # first: "un résumé chaque semaine" is no "resume"
    if frequency:
        return ctx.t("subscriptions.consent.frequency", when=when(ctx, frequency))
    if phrases.says(text, "resume"):
        return ctx.t("subscriptions.consent.resume")
    if phrases.says(text, "pause"):
        return ctx.t("subscriptions.consent.pause")
    hours = phrases.quiet_hours_in(text)
    if isinstance(hours, str):
        return ctx.t("subscriptions.consent.quiet_removed")
    if hours is not None:
        return ctx.t("subscriptions.consent.quiet", start=f"{hours.start:%H:%M}", end=f"{hours.end:%H:%M}")
    return None


async def change_preferences(ctx: Context, text: str, subscriber: Subscriber) -> list[str]:
    """Apply what ``text`` asks (pause, resume, frequency, quiet hours); what was done, in words."""
    done: list[str] = []
    if phrases.says(text, "resume"):
        done.append(await set_paused(ctx, subscriber, False))
    elif phrases.says(text, "pause"):
        done.append(await set_paused(ctx, subscriber, True))
    frequency = phrases.frequency_in(text)
    if frequency:
        subscriber.frequency = frequency
        if frequency == IMMEDIATE:  # what waited for a digest goes out now
            await ctx.session.execute(
                update(OutboxEntry).where(OutboxEntry.user_id == ctx.user.id, OutboxEntry.kind == DIGEST,
                                          OutboxEntry.status == PENDING).values(not_before=utcnow()))
        done.append(ctx.t("subscriptions.frequency_set", when=when(ctx, frequency)))
    hours = phrases.quiet_hours_in(text)
    if isinstance(hours, str):  # "" says: no quiet hours
        subscriber.quiet_hours = ""
        done.append(ctx.t("subscriptions.quiet_removed"))
    elif hours is not None:
        subscriber.quiet_hours = str(hours)
        done.append(ctx.t("subscriptions.quiet_set", start=f"{hours.start:%H:%M}", end=f"{hours.end:%H:%M}"))
    elif phrases.says(text, "quiet"):
        done.append(ctx.t("subscriptions.quiet_help", quiet=quiet(ctx, subscriber)))
    return done
