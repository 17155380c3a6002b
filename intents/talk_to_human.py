"""talk_to_human: hand the conversation over to a person of the city.

Asking opens a ticket (or finds the one already open) and starts a flow in which every message
of the resident is relayed to the ticket, with a short acknowledgement, instead of going to the
NLU. "fin" / "terminer" / "end" (or the router's "annuler") ends it and closes the ticket; when an
agent closed it, the next message goes to the bot again. See :mod:`bot.handover`. A message that
names no person to talk to but something the knowledge base holds is answered from it: a question
never opens a hand-over by itself.
"""
from __future__ import annotations

import logging

from bot.consent import requested
from bot.context import Context
from bot.handover import store
from bot.messages import Reply
from bot.text import STOP_WORDS, normalize
from intents._answers import now, week_hours, weekday_name
from intents._knowledge_routes import consider, knowledge_intent
from knowledge.hours import OpeningHours

NAME = "talk_to_human"
END_WORDS = frozenset({"fin", "terminer", "termine", "end", "end chat"})

log = logging.getLogger(__name__)


async def handle(ctx: Context) -> Reply:
    answered = await consider(ctx, _for_a_person(ctx))
    if answered is not None:
        return answered
    ticket, new = await store.open_ticket(ctx.session, ctx.user, ctx.message, ctx.lang)
    ctx.start_flow("relay")
    if not new:
        return ctx.reply(ctx.t("already_open", ticket=ticket.id))
    parts = [ctx.t("opened", ticket=ticket.id, city=ctx.settings.city_name), _availability(ctx),
             ctx.t("how_to_end"), ctx.t("kept", days=ctx.settings.handover_retention_days)]
    return ctx.reply("\n\n".join(parts))


async def consent(ctx: Context) -> str | None:
    """Asked before opening a ticket; an open one is only recalled."""
    if await store.open_ticket_of(ctx.session, ctx.user.id) is not None:
        return None
    if not _for_a_person(ctx) and await knowledge_intent(ctx) is not None:
        return None  # answered from the knowledge base (handle), nothing to consent to
    return ctx.t("consent", city=ctx.settings.city_name)


async def resume(ctx: Context) -> Reply | None:
    ticket = await store.open_ticket_of(ctx.session, ctx.user.id)
    if ticket is None:  # an agent closed it: this message is for the bot again
        ctx.end_flow()
        return None
    if normalize(ctx.text) in END_WORDS:
        ctx.end_flow()  # which closes the ticket (leave, below)
        return ctx.reply(ctx.t("ended", ticket=ticket.id), [ctx.intent_choice("help")])
    if store.relay(ctx.session, ticket, ctx.message, ctx.text, ctx.lang) is None:
        return ctx.reply(ctx.t("nothing_to_relay"))
    return ctx.reply(ctx.t("relayed", ticket=ticket.id))


def _for_a_person(ctx: Context) -> bool:
    """Whether the message is for a person: it asks for one in words ("parler à un agent", "un
    humain"), or uses only words of everyday requests ("la mairie", "quelqu'un peut m'aider").
    A message naming something else ("aide humanitaire typhon Philippines") may be a question
    the knowledge base answers."""
    words = normalize(ctx.text).split()
    return requested(ctx.text, ctx.bot.intents[NAME].requests) or all(
        ctx.bot.nlu.knows(word) or word in STOP_WORDS for word in words)


async def leave(ctx: Context) -> None:
    """The resident left the hand-over, whichever way ("fin", the router's "annuler", another
    flow started by a command): their ticket is closed in the same transaction."""
    await store.close_by_resident(ctx.session, ctx.user.id)


def _availability(ctx: Context) -> str:
    """When agents usually answer (``handover_hours``), and whether one should be there now."""
    hours = _hours(ctx.settings.handover_hours)
    if hours is None:
        return ctx.t("no_hours")
    moment = now(ctx)
    usual = ctx.t("hours", hours=week_hours(ctx, hours))
    if hours.is_open(moment):
        return f"{usual} {ctx.t('available_now')}"
    opening = hours.next_opening(moment)
    if opening is None:
        return ctx.t("no_hours")
    return f"{usual} {ctx.t('back_at', day=weekday_name(ctx, opening.weekday()), time=f'{opening:%H:%M}')}"


def _hours(spec: str) -> OpeningHours | None:
    if not spec.strip():
        return None
    hours = OpeningHours.read(spec)
    if hours is None:
        log.warning("setting 'handover_hours' cannot be read (%r): no hours announced", spec)
    return hours
