"""privacy_export: everything stored about the resident, as a JSON document sent in the chat."""
from __future__ import annotations

from bot.context import Context
from bot.contributions.privacy import export, export_bytes
from bot.messages import Document, Reply

NAME = "privacy_export"


async def handle(ctx: Context) -> Reply:
    document = await export(ctx.session, ctx.user)
    counts = "\n".join(f"- {table} : {len(rows)}" for table, rows in document.items()
                       if isinstance(rows, list))
    reply = ctx.reply(ctx.t("sent", counts=counts, days=ctx.settings.retention_days),
                      [ctx.intent_choice("privacy_forget"), ctx.intent_choice("help")])
    reply.document = Document("civicbot-donnees.json", export_bytes(document))
    return reply


async def consent(ctx: Context) -> str:
    return ctx.t("consent")
