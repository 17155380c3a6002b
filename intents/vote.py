"""vote: take part in the city's polls and consultations.

open polls (of the whole city or of the resident's quartier) → one poll → an option → an
optional opinion → how it is linked → recorded. Voting again changes the vote until the close;
results are sent after the close to the participants who asked for news.
"""
from __future__ import annotations

from bot.context import Context
from bot.contributions.models import Poll, PollOption
from bot.contributions.polls import cast_vote, city_time, current_vote, is_open, localized, open_polls, options_of
from bot.messages import Choice, Reply
from bot.text import normalize
from intents._contribution_flow import ask_link, clean_text, is_skip, link_for, parse_link, run_step, skip_choice

NAME = "vote"
LISTENS = True
OPINION_MAX = 2000


async def handle(ctx: Context) -> Reply:
    polls = await open_polls(ctx.session, ctx.user.home_area)
    if not polls:
        return ctx.reply(ctx.t("none_open"), [ctx.intent_choice("subscribe"), ctx.intent_choice("help")])
    if len(polls) == 1:
        return await _show(ctx, polls[0])
    ctx.start_flow("poll")
    choices = [Choice(_short(localized(poll.question, ctx.lang)), f"consultation {poll.id}") for poll in polls]
    return ctx.reply(ctx.t("choose_poll"), choices)


async def resume(ctx: Context) -> Reply | None:
    return await run_step(ctx, STEPS)


def _short(text: str, length: int = 60) -> str:
    return text if len(text) <= length else text[: length - 1].rstrip() + "…"


async def _poll(ctx: Context) -> Reply:
    number = ctx.text.removeprefix("consultation").strip()
    poll = await ctx.session.get(Poll, int(number)) if number.isdigit() else None
    if poll is None or not is_open(poll):
        return await handle(ctx)
    return await _show(ctx, poll)


async def _show(ctx: Context, poll: Poll, intro: str = "") -> Reply:
    ctx.start_flow("option", {"poll": poll.id})
    options = await options_of(ctx.session, poll)
    text = ctx.t("question", question=localized(poll.question, ctx.lang), closes=city_time(ctx.bot, poll.closes_at))
    vote = await current_vote(ctx.bot, ctx.session, poll, ctx.user)
    if vote is not None:
        chosen = next((option for option in options if option.id == vote.option_id), None)
        if chosen is not None:
            text += "\n\n" + ctx.t("already_voted", option=localized(chosen.label, ctx.lang))
    choices = [Choice(localized(option.label, ctx.lang), f"option {option.id}") for option in options]
    return ctx.reply(f"{intro}\n\n{text}".strip(), choices)


async def _open_poll(ctx: Context) -> Poll | None:
    poll = await ctx.session.get(Poll, ctx.flow_data["poll"])
    return poll if poll is not None and is_open(poll) else None


async def _option(ctx: Context) -> Reply:
    poll = await _open_poll(ctx)
    if poll is None:
        ctx.end_flow()
        return ctx.reply(ctx.t("closed"), [ctx.intent_choice("vote")])
    options = await options_of(ctx.session, poll)
    wanted = ctx.text.removeprefix("option").strip()
    option = next((o for o in options if str(o.id) == wanted), None) or next(
        (o for o in options if normalize(localized(o.label, ctx.lang)) == normalize(ctx.text)), None)
    if option is None:
        return await _show(ctx, poll, ctx.t("option_unclear"))
    if poll.allow_opinion:
        ctx.set_step("opinion", option=option.id)
        return ctx.reply(ctx.t("ask_opinion"), [skip_choice(ctx)])
    ctx.set_step("link", option=option.id, opinion=None)
    return ask_link(ctx)


async def _opinion(ctx: Context) -> Reply:
    opinion = None if is_skip(ctx) else clean_text(ctx)[:OPINION_MAX]
    if opinion is not None and len(normalize(opinion)) < 2:
        return ctx.reply(ctx.t("ask_opinion"), [skip_choice(ctx)])
    ctx.set_step("link", opinion=opinion)
    return ask_link(ctx)


async def _link(ctx: Context) -> Reply:
    mode = parse_link(ctx)
    if mode is None:
        return ask_link(ctx, ctx.t("contributions.link.unknown"))
    poll = await _open_poll(ctx)
    data = ctx.flow_data
    ctx.end_flow()
    if poll is None:
        return ctx.reply(ctx.t("closed"), [ctx.intent_choice("vote")])
    option = await ctx.session.get_one(PollOption, data["option"])
    link = link_for(ctx, mode)
    await cast_vote(ctx.bot, ctx.session, poll, option, ctx.user, link, data.get("opinion"))
    text = ctx.t("recorded", option=localized(option.label, ctx.lang), closes=city_time(ctx.bot, poll.closes_at))
    text += "\n\n" + ctx.t("results_sent" if link.chat_id else "results_not_sent")
    return ctx.reply(text, [ctx.intent_choice("my_contributions"), ctx.intent_choice("help")])


STEPS = {"poll": _poll, "option": _option, "opinion": _opinion, "link": _link}
