"""Steps the contribution flows share: how the resident wants to be linked, confirmation, skipping."""
from __future__ import annotations

from bot import consent
from bot.context import Context
from bot.contributions.store import ANONYMOUS, FOLLOW, LINK_MODES, SILENT, Link
from bot.messages import Choice, Reply
from bot.text import normalize

_LINK_WORDS = {
    ANONYMOUS: {"anonyme", "anonymous", "anonymement", "anonymously", "sans mon nom"},
    SILENT: {"sans nouvelles", "no news", "silent"},
    FOLLOW: {"avec des nouvelles", "with news", "oui", "yes", "suivi", "follow"},
}
_SKIP_WORDS = {"passer", "skip", "non", "no", "rien", "nothing", "pas de photo", "no photo",
               "sans", "none", "aucun", "aucune", "non merci", "no thanks"}
_CONFIRM_WORDS = {"confirm", "envoyer", "send", "oui", "yes", "ok", "d accord", "valider",
                  "je confirme", "c est bon", "confirmer"}
_CANCEL_WORDS = {"annuler", "annule", "cancel", "abandonner", "stop"}
_EDIT_WORDS = {"edit", "modifier", "change", "corriger"}


def ask_link(ctx: Context, intro: str = "") -> Reply:
    """Ask how the contribution is linked to the resident, saying first what anonymous means."""
    text = ctx.t("contributions.link.question")
    choices = [Choice(ctx.t(f"contributions.link.{mode}"), mode) for mode in LINK_MODES]
    return ctx.reply(f"{intro}\n\n{text}" if intro else text, choices)


def parse_link(ctx: Context) -> str | None:
    text = normalize(ctx.text)
    if ctx.text in LINK_MODES:
        return ctx.text
    return next((mode for mode, words in _LINK_WORDS.items() if text in words), None)


def link_for(ctx: Context, mode: str) -> Link:
    return Link.choose(mode, ctx.user, ctx.message, ctx.lang)


def link_summary(ctx: Context, mode: str) -> str:
    return ctx.t(f"contributions.link.summary.{mode}")


def confirm_reply(ctx: Context, summary: str, editable: bool = True) -> Reply:
    choices = [Choice(ctx.t("contributions.confirm"), "confirm")]
    if editable:
        choices.append(Choice(ctx.t("contributions.edit"), "edit"))
    choices.append(Choice(ctx.t("contributions.cancel"), "annuler"))
    return ctx.reply(summary, choices)


def skip_choice(ctx: Context) -> Choice:
    return Choice(ctx.t("contributions.skip"), "passer")


def is_skip(ctx: Context) -> bool:
    return normalize(ctx.text) in _SKIP_WORDS or consent.is_refusal(ctx.text)


def is_confirm(ctx: Context) -> bool:
    return normalize(ctx.text) in _CONFIRM_WORDS or consent.is_yes(ctx.text)


def is_cancel(ctx: Context) -> bool:
    """The cancel button or word of a confirmation ("annuler", "cancel")."""
    return normalize(ctx.text) in _CANCEL_WORDS


def is_edit(ctx: Context) -> bool:
    return normalize(ctx.text) in _EDIT_WORDS


def clean_text(ctx: Context) -> str:
    """The resident's words, trimmed; empty when there is nothing but punctuation or emoji."""
    return ctx.text.strip() if normalize(ctx.text) else ""


async def run_step(ctx: Context, steps: dict) -> Reply | None:
    """Continue the flow at its current step; an unknown step ends it (the message is treated afresh)."""
    step = steps.get(ctx.conversation.step or "")
    if step is None:
        ctx.end_flow()
        return None
    return await step(ctx)
