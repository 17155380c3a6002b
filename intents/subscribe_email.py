"""subscribe_email: receive the city's publications by e-mail, from any channel.

"abonne moi par mail aux travaux à Malakoff", "send me the council minutes by e-mail", then the
address when it was not given. Double opt-in: the address receives a confirmation link first,
and nothing else until it is opened. Without a subject, the resident's e-mail settings are shown
(address, state, what it receives); "arrête les mails" stops and erases the address.
Texts: ``subscribe_email.yaml`` and ``bot/locale/email.*.yaml``.
"""
from __future__ import annotations

from dataclasses import replace

from bot.consent import is_question
from bot.context import Context
from bot.email import store
from bot.email.addresses import BadAddress, addresses_in, masked, mentions_email, the_address_in
from bot.email.models import ACTIVE, STOPPED, EmailAddress, EmailChoice
from bot.intent import IntentSpec
from bot.messages import Choice, Reply
from bot.subscriptions import phrases
from bot.subscriptions.manage import add_subscription
from bot.subscriptions.models import Subscription
from bot.text import normalize
from intents import subscribe
from intents._answers import request_text
from intents.subscribe import choice_of, official_named, place_named

NAME = "subscribe_email"
COMMAND = "/email"
STOP_WORDS = ("stop", "arret", "arrete", "arreter", "arretez", "desabonne", "desabonner", "desinscris",
              "desinscrire", "plus recevoir", "unsubscribe", "no more", "cancel")
CHOICE_FIELDS = ("kind", "value", "label", "area", "area_label")


async def handle(ctx: Context) -> Reply:
    if not _about_email(ctx):  # "je veux recevoir les comptes rendus du conseil": in this chat
        return await _in_the_chat(ctx).handle(replace(ctx, intent=subscribe.NAME))
    if not ctx.settings.smtp_host:
        return ctx.reply(ctx.t("disabled"), [ctx.intent_choice("subscribe"), ctx.intent_choice("help")])
    text = request_text(ctx)
    try:
        address = the_address_in(text)
    except BadAddress as bad:
        return _bad_address(ctx, bad)
    row = await store.address_of(ctx.session, ctx.user.id)
    if address is None and _says_stop(text):
        return await _stop(ctx, row)
    wanted = await _wanted(ctx, ctx.entities, text)
    known = row.address if row is not None and row.status != STOPPED else None
    if wanted is None:
        if address is not None and known is not None:  # a new address for the same choices
            return await _subscribe(ctx, address, None)
        if row is not None and known is not None and address is None:
            return await _settings(ctx, row)
        ctx.start_flow("choose", {"address": address} if address else {})
        return _ask_choice(ctx)
    address = address or known
    if address is None:
        ctx.start_flow("address", {"choice": _stored(wanted)})
        return ctx.reply(ctx.t("ask_address"))
    return await _subscribe(ctx, address, wanted)


async def consent(ctx: Context) -> str | None:
    """The question for what :func:`handle` would do; None when it would only ask or show."""
    if not _about_email(ctx):
        spec = _in_the_chat(ctx)
        return await spec.consent(replace(ctx, intent=spec.name)) if spec.consent else None
    if not ctx.settings.smtp_host:
        return None
    text = request_text(ctx)
    try:
        address = the_address_in(text)
    except BadAddress:
        return None
    row = await store.address_of(ctx.session, ctx.user.id)
    known = row.address if row is not None and row.status != STOPPED else None
    if address is None and _says_stop(text):
        return ctx.t("consent_stop") if known else None
    wanted = await _wanted(ctx, ctx.entities, text)
    if wanted is None or not (address or known):
        return None
    return ctx.t("consent", what=store.label(wanted), address=masked(address or known or ""))


async def resume(ctx: Context) -> Reply | None:
    """The address asked for, or the subject chosen; a question or anything else is treated afresh."""
    data = ctx.flow_data
    text = request_text(ctx)
    if ctx.conversation.step == "address":
        try:
            address = the_address_in(text)
        except BadAddress as bad:
            return _bad_address(ctx, bad)  # the flow goes on: the resident can type it again
        ctx.end_flow()
        if address is None:
            return None
        return await _subscribe(ctx, address, Subscription(**data["choice"]))
    if is_question(ctx.text):
        ctx.end_flow()
        return None
    entities = ctx.bot.nlu.extractors.extract(text, normalize(text))
    wanted = await _wanted(ctx, entities, text)
    ctx.end_flow()
    if wanted is None:
        return None
    if data.get("address"):
        return await _subscribe(ctx, data["address"], wanted)
    ctx.start_flow("address", {"choice": _stored(wanted)})
    return ctx.reply(ctx.t("ask_address"))


def _says_stop(text: str) -> bool:
    padded = f" {normalize(text)} "
    return any(f" {words} " in padded for words in STOP_WORDS)


def _in_the_chat(ctx: Context) -> IntentSpec:
    """The chat subscription intent, which takes what does not speak of e-mail."""
    return ctx.bot.intents[subscribe.NAME]


def _about_email(ctx: Context) -> bool:
    """Whether the message is about e-mail: an e-mail word, an address, or this intent's command."""
    first = ctx.text.split(maxsplit=1)[0].lower() if ctx.text.split() else ""
    command = first.startswith("/") and first[1:] in ctx.bot.intents[NAME].commands
    return command or mentions_email(ctx.text)


async def _wanted(ctx: Context, entities: dict, text: str) -> Subscription | None:
    """The topic, quartier or official named (an address is no place: "à Jean@x.fr")."""
    words = " ".join(word for word in text.split() if word not in addresses_in(text))
    if phrases.says(words, "follow"):
        return await official_named(ctx, phrases.after_follow_word(words))
    topic, place = entities.get("topic"), await place_named(ctx, entities, words)
    return choice_of(topic, place) if topic or place else None


def _stored(choice: Subscription) -> dict[str, str]:
    return {field: getattr(choice, field) for field in CHOICE_FIELDS}


def _bad_address(ctx: Context, bad: BadAddress) -> Reply:
    return ctx.reply(ctx.t(f"bad_address.{bad.reason}"), [Choice(ctx.t("choice.cancel"), "annuler")])


def _ask_choice(ctx: Context) -> Reply:
    choices = [Choice(topic.capitalize(), f"{COMMAND} {topic}") for topic in ctx.settings.topics]
    return ctx.reply(ctx.t("ask_choice"), choices)


async def _subscribe(ctx: Context, address: str, wanted: Subscription | None) -> Reply:
    """Keep the address (a confirmation e-mail goes first unless it already receives) and the
    choice; say what happens next. Over the day's confirmation e-mails, nothing is kept."""
    key = ctx.bot.pseudonymizer.user_hash("email", address.casefold())
    try:
        row = await store.register(ctx.session, ctx.user.id, address, key, ctx.lang)
    except store.TooManyConfirmations:
        return ctx.reply(ctx.t("too_many", count=store.CONFIRMATIONS_PER_DAY), _settings_choices(ctx))
    if wanted is not None:
        await add_subscription(ctx.session, ctx.user.id, wanted.kind, wanted.value, wanted.label,
                               wanted.area, wanted.area_label, table=EmailChoice)
    what = ", ".join(store.label(choice) for choice in await store.choices_of(ctx.session, ctx.user.id))
    if row.status == ACTIVE:
        lines = [ctx.t("added", what=what, address=masked(address))]
    else:
        lines = [ctx.t("confirm_sent", what=what, address=masked(address),
                       hours=f"{ctx.settings.email_confirm_hours:g}")]
    lines.append(ctx.t("privacy"))
    return ctx.reply("\n\n".join(lines), _settings_choices(ctx))


async def summary(ctx: Context) -> list[str]:
    """One line on the resident's e-mail address for their settings ("mes abonnements"), if any."""
    row = await store.address_of(ctx.session, ctx.user.id)
    if row is None or row.status == STOPPED:
        return []
    return [ctx.t(f"{NAME}.summary", address=masked(row.address), status=ctx.t(f"email.status.{row.status}"))]


async def _settings(ctx: Context, row: EmailAddress) -> Reply:
    choices = await store.choices_of(ctx.session, ctx.user.id)
    items = "\n".join(f"• {store.label(choice)}" for choice in choices) or ctx.t("email.page.nothing")
    status = ctx.t(f"email.status.{row.status}")
    text = ctx.t("settings", address=masked(row.address), status=status, items=items)
    if row.reason:
        text += "\n" + ctx.t("refused")
    return ctx.reply(text, _settings_choices(ctx))


def _settings_choices(ctx: Context) -> list[Choice]:
    return [Choice(ctx.t("choice.add"), COMMAND), Choice(ctx.t("choice.stop"), f"{COMMAND} stop"),
            ctx.intent_choice("help")]


async def _stop(ctx: Context, row: EmailAddress | None) -> Reply:
    if row is None or row.status == STOPPED:
        return ctx.reply(ctx.t("nothing_to_stop"), [ctx.intent_choice("help")])
    await store.stop(ctx.session, row)
    return ctx.reply(ctx.t("stopped"), [Choice(ctx.t("choice.add"), COMMAND), ctx.intent_choice("help")])
