"""Which knowledge intent a message is about when its wording did not say: the knowledge base
itself is the evidence. A bare official's name is for find_official ("Johanna Rolland"), a kind
of service or a service's own name for find_service ("un resto pas loin", "pôle emploi
chantenay"), words that deliberation titles hold for council ("cinéma en 2013"), words that
dataset titles hold for ask_data.

Used by ``unknown`` and by an intent that found nothing, so that a message the NLU sent astray
is answered from the data rather than with "I know nothing"; one redirection at most. Help and
the hand-over, when the message was not plainly for them, ask here first (:func:`consider`).
"""
from __future__ import annotations

from dataclasses import replace
from itertools import pairwise

from bot.context import Context
from bot.messages import Reply
from bot.text import STOP_WORDS, names, normalize
from intents._answers import ignored_words, mentions, request_text, request_words, requested_period
from intents.find_official import SURE_NAME
from knowledge.officials import find_by_name
from knowledge.search import matched_words, relevant, search
from knowledge.services import asked_kind

NAME_WORDS = 4  # a longer message is more than a name
_REDIRECTED = "redirected_from"


async def redirect(ctx: Context) -> Reply | None:
    """The answer of the intent the data says the message is for, if another than this one."""
    if _REDIRECTED in ctx.entities:
        return None
    meant = await knowledge_intent(ctx)
    if meant is None or meant == ctx.intent:
        return None
    entities = {**ctx.entities, _REDIRECTED: ctx.intent}
    moved = replace(ctx, intent=meant, nlu=replace(ctx.nlu, intent=meant, entities=entities))
    return await ctx.bot.intents[meant].handle(moved)


async def knowledge_intent(ctx: Context) -> str | None:
    if await names_official(ctx):
        return "find_official"
    money = mentions(ctx, "money")  # "school canteen budget": a figure before a canteen
    if money and await _titles_hold(ctx, "ask_data", ("dataset", "fact")):
        return "ask_data"
    dated = requested_period(ctx) is not None
    for intent in (("council", "find_service") if dated else ("find_service", "council")):
        if await _about(ctx, intent):
            return intent
    if not money and await _titles_hold(ctx, "ask_data", ("dataset", "fact")):
        return "ask_data"
    return None


async def names_official(ctx: Context) -> bool:
    """Whether the message is an official's name, alone ("Johanna Rolland") or with a few
    everyday words around it ("Marie Vitoux elle fait quoi"): the whole message, or two words
    side by side of which one at least is like a name (capitalised, or no word of requests —
    "Marie" is also an everyday word, "Vitoux" is not)."""
    text = request_text(ctx)
    capitalised = names(text)
    words = normalize(text).split()
    name_like = {word for word in words
                 if word in capitalised or not (ctx.bot.nlu.knows(word) or word in STOP_WORDS)}
    tries = [" ".join(words)] if 2 <= len(words) <= NAME_WORDS else []
    tries += [f"{first} {second}" for first, second in pairwise(words)
              if {first, second} & name_like and not {first, second} & STOP_WORDS]
    for candidate in dict.fromkeys(tries):
        found = await find_by_name(ctx.session, candidate, limit=1)
        if found and found[0][1] >= SURE_NAME:
            return True
    return False


async def consider(ctx: Context, confident: bool) -> Reply | None:
    """For an intent that does not answer from data (help, the hand-over): the knowledge
    intent's answer when the message is not ``confident``ly for it and the knowledge base holds
    what it names ("aide humanitaire typhon Philippines" is a deliberation, not a call for help)."""
    return None if confident else await redirect(ctx)


async def _about(ctx: Context, intent: str) -> bool:
    if intent == "council":
        return await _titles_hold(ctx, "council", ("document",))
    kind = await asked_kind(ctx.session, request_text(ctx), ignored_words(ctx, "find_service"))
    return bool(kind.categories) or await _titles_hold(ctx, "find_service", ("service",))


async def _titles_hold(ctx: Context, fillers: str, kinds: tuple[str, ...]) -> bool:
    """Whether a title of these kinds holds every word of the request."""
    words = request_words(ctx, fillers)
    if not words:
        return False
    hits = relevant(await search(ctx.session, " ".join(words), kinds, limit=5))
    return any(len(matched_words(hit.words, hit.title, "")) == len(hit.words) for hit in hits)
