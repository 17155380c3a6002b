"""help: everything the bot can do, each as a choice; a message the NLU only leaned towards help
("Marie Vitoux elle fait quoi") is answered from the knowledge base when it names something there."""
from bot.consent import HIGH_CONFIDENCE
from bot.context import Context
from bot.messages import Reply
from intents._knowledge_routes import consider

NAME = "help"
OFFERED = ("ask_data", "council", "find_official", "find_service", "subscribe", "report_problem",
           "propose_idea", "vote", "my_contributions", "privacy_export", "talk_to_human")


async def handle(ctx: Context) -> Reply:
    answered = await consider(ctx, ctx.nlu.confidence >= HIGH_CONFIDENCE)
    if answered is not None:
        return answered
    return ctx.reply(ctx.t("overview", city=ctx.settings.city_name),
                     [ctx.intent_choice(name) for name in OFFERED])
