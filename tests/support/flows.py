"""Intents installed by tests: a two-step flow, and any one-message handler."""
from __future__ import annotations

from bot.app import CivicBot
from bot.intent import Handler, IntentSpec, Resumer
from bot.messages import Reply


def install_intent(bot: CivicBot, name: str, handle: Handler, resume: Resumer | None = None) -> None:
    """An intent reached by the command ``/name``."""
    bot.intents[name] = IntentSpec(name, handle, resume, commands=[name])
    bot.router.commands[name] = name


def install_echo_flow(bot: CivicBot) -> None:
    """A two-step flow used to test the router's flow handling: asks a name, then a colour."""

    async def handle(ctx) -> Reply:
        ctx.start_flow("name")
        return ctx.reply("name?")

    async def resume(ctx) -> Reply | None:
        if ctx.text == "decline":
            ctx.end_flow()
            return None
        if ctx.conversation.step == "name":
            ctx.set_step("colour", name=ctx.text)
            return ctx.reply("colour?")
        data = ctx.flow_data
        ctx.end_flow()
        return ctx.reply(f"{data['name']} likes {ctx.text}")

    install_intent(bot, "flowtest", handle, resume)
