"""A two-step flow for testing how the router handles flows."""
from __future__ import annotations

from bot.app import CivicBot
from bot.intent import IntentSpec
from bot.messages import Reply


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

    bot.intents["flowtest"] = IntentSpec("flowtest", handle, resume, commands=["flowtest"])
    bot.router.commands["flowtest"] = "flowtest"
