"""privacy_forget: after confirmation, erase the resident's personal data everywhere.

What the city already received (reports, ideas, supports, votes in closed consultations)
stays, unlinked from them; their votes in consultations still open are withdrawn.
"""
from __future__ import annotations

import logging

from bot.consent import is_no
from bot.context import Context
from bot.contributions.privacy import forget
from bot.messages import Choice, Reply
from intents._contribution_flow import is_cancel, is_confirm

NAME = "privacy_forget"
log = logging.getLogger(__name__)


async def handle(ctx: Context) -> Reply:
    ctx.start_flow("confirm")
    return ctx.reply(ctx.t("ask"), [Choice(ctx.t("confirm"), "confirm"),
                                    Choice(ctx.t("contributions.cancel"), "annuler")])


async def resume(ctx: Context) -> Reply | None:
    """A yes erases, a no keeps everything; anything else ("c'est qui le maire ?") keeps
    everything too, and is answered afresh rather than lost."""
    if not is_confirm(ctx):
        ctx.end_flow()
        if is_no(ctx.text) or is_cancel(ctx):
            return ctx.reply(ctx.t("kept"), [ctx.intent_choice("help")])
        return None
    counts = await forget(ctx.bot, ctx.session, ctx.user)
    log.info("a resident's data was erased (%d tables)", len(counts))
    return ctx.reply(ctx.t("done"))
