"""subscribe: follow a topic (optionally in one quartier), a quartier, or an elected official.

In plain words ("prévenez-moi des travaux à Malakoff", "je veux suivre Johanna Rolland") or by
choices: without a subject, the city's topics are offered as buttons. The chat address is kept
only to deliver; "stop" removes it with the subscriptions.
"""
from __future__ import annotations

from bot.consent import is_question
from bot.context import Context
from bot.messages import Choice, Reply
from bot.subscriptions import conversation, phrases
from bot.subscriptions.manage import add_subscription, subscriber_of
from bot.subscriptions.models import AREA, OFFICIAL, TOPIC, Subscription
from bot.subscriptions.targeting import name_key
from bot.text import normalize
from knowledge.answers import request_text
from knowledge.geo import area_by_key
from knowledge.officials import find_by_name
from knowledge.places import area_for

NAME = "subscribe"
SURE_NAME = 85  # how close a name must be to take it as the official meant
Place = tuple[str, str]  # (matching key, label)


async def handle(ctx: Context) -> Reply:
    text = request_text(ctx)
    official = await _official_followed(ctx, text)
    if official:
        return await _confirm(ctx, official)
    topic, place = ctx.entities.get("topic"), await place_named(ctx, ctx.entities, text)
    if topic or place:  # "suivre les travaux" is a topic, not a person
        return await _subscribe(ctx, topic, place)
    if phrases.says(text, "follow"):
        return _unknown_official(ctx, phrases.after_follow_word(text))
    if phrases.says(text, "home_area"):
        return await _home_area(ctx)
    subscriber = await subscriber_of(ctx.session, ctx.user.id)
    if subscriber is not None:
        done = await conversation.change_preferences(ctx, text, subscriber)
        if done:
            return await conversation.overview(ctx, done)
    return _ask(ctx)


async def consent(ctx: Context) -> str | None:
    """The question for what :func:`handle` would subscribe to; None when it would only ask."""
    text = request_text(ctx)
    official = await _official_followed(ctx, text)
    if official:
        return _question(ctx, official)
    topic, place = ctx.entities.get("topic"), await place_named(ctx, ctx.entities, text)
    if topic or place:
        return _question(ctx, choice_of(topic, place))
    if phrases.says(text, "follow"):
        return None
    if phrases.says(text, "home_area"):  # without a quartier known, it is only asked
        return ctx.t("subscriptions.consent.home_area") if ctx.user.home_area else None
    if await subscriber_of(ctx.session, ctx.user.id) is None:
        return None
    return conversation.preferences_question(ctx, text)


def _question(ctx: Context, choice: Subscription) -> str:
    return ctx.t("subscriptions.consent.subscribe", what=conversation.describe(ctx, choice))


async def resume(ctx: Context) -> Reply | None:
    """The answer to "which topic?" or "which quartier?"; anything else, a question above all
    ("c'est quand le prochain conseil ?"), is treated afresh."""
    if is_question(ctx.text):
        ctx.end_flow()
        return None
    entities = ctx.bot.nlu.extractors.extract(ctx.text, normalize(ctx.text))
    place = await place_named(ctx, entities, ctx.text)
    topic = ctx.flow_data.get("topic") or entities.get("topic")
    if ctx.conversation.step == "area" and place is None:
        ctx.end_flow()
        return ctx.reply(ctx.t("unknown_area"), [Choice(ctx.t("subscriptions.choice.subscribe"), "/abonner")])
    if topic is None and place is None:
        ctx.end_flow()
        return None
    ctx.end_flow()
    return await _subscribe(ctx, topic, place)


def _ask(ctx: Context) -> Reply:
    ctx.start_flow("choose")
    choices = [Choice(topic.capitalize(), f"/abonner {topic}") for topic in ctx.settings.topics]
    choices.append(Choice(ctx.t("subscriptions.choice.my_area"), "/abonner quartier"))
    return ctx.reply(ctx.t("ask"), choices)


async def place_named(ctx: Context, entities: dict, text: str) -> Place | None:
    """The quartier named (known to the knowledge base, or a capitalised name), or shared."""
    area = await area_for(ctx.session, ctx.settings, area_key=entities.get("area_key"),
                          location=ctx.message.location)
    if area is not None:
        return name_key(area.name), area.name
    if entities.get("area"):
        return name_key(str(entities["area"])), str(entities["area"])
    named = phrases.place_in(text)
    if named and name_key(named) and normalize(named) != normalize(ctx.settings.city_name):
        return name_key(named), named
    return None


async def _home_area(ctx: Context) -> Reply:
    area = await area_by_key(ctx.session, ctx.user.home_area) if ctx.user.home_area else None
    if area is None:
        ctx.start_flow("area")
        return ctx.reply(ctx.t("ask_area"), request_location=True)
    return await _subscribe(ctx, None, (name_key(area.name), area.name))


async def _subscribe(ctx: Context, topic: str | None, place: Place | None) -> Reply:
    return await _confirm(ctx, choice_of(topic, place))


def choice_of(topic: str | None, place: Place | None) -> Subscription:
    if topic:
        key, label = place or ("", "")
        return Subscription(kind=TOPIC, value=topic, label=topic, area=key, area_label=label)
    assert place is not None  # the callers give a topic or a place
    return Subscription(kind=AREA, value=place[0], label=place[1], area="", area_label="")


async def official_named(ctx: Context, name: str) -> Subscription | None:
    """Following the elected official ``name``, if one is surely meant."""
    found = await find_by_name(ctx.session, name) if name else []
    if not found or found[0][1] < SURE_NAME:
        return None
    official = found[0][0]
    full_name = f"{official.first_name} {official.last_name}"
    return Subscription(kind=OFFICIAL, value=name_key(full_name), label=full_name, area="", area_label="")


async def _official_followed(ctx: Context, text: str) -> Subscription | None:
    """The elected official "suivre …" names, if it names one."""
    return await official_named(ctx, phrases.after_follow_word(text)) if phrases.says(text, "follow") else None


def _unknown_official(ctx: Context, name: str) -> Reply:
    return ctx.reply(ctx.t("official_unknown", name=name or "…"),
                     [ctx.intent_choice("find_official"), ctx.intent_choice("help")])


async def _confirm(ctx: Context, choice: Subscription) -> Reply:
    """Record the choice (once) and say what the resident will receive, and how to stop."""
    subscriber = await conversation.subscriber_here(ctx)
    added = await add_subscription(ctx.session, ctx.user.id, choice.kind, choice.value, choice.label,
                                   choice.area, choice.area_label)
    what = conversation.describe(ctx, choice)
    if added:
        lines = [ctx.t("done", what=what, when=conversation.when(ctx, subscriber.frequency),
                       quiet=conversation.quiet(ctx, subscriber))]
    else:
        lines = [ctx.t("already", what=what)]
    if subscriber.paused:
        lines.append(ctx.t("subscriptions.already_paused"))
    lines += [ctx.t("privacy"), ctx.t("subscriptions.how_to_stop")]
    return ctx.reply("\n\n".join(lines), conversation.settings_choices(ctx, subscriber)[:3]
                     + [Choice(ctx.t("subscriptions.choice.mine"), conversation.SETTINGS_COMMAND)])
