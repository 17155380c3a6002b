"""propose_idea: propose an idea to the city, or support someone else's.

title → description → topic → optional quartier → how it is linked → summary → receipt.
Ideas with enough supports (``idea_support_threshold``) are sent to the city.
"""
from __future__ import annotations

from rapidfuzz import fuzz, process
from sqlalchemy import select

from bot.context import Context
from bot.contributions.followup import add_support
from bot.contributions.models import Contribution
from bot.contributions.places import example_place, locate_words
from bot.contributions.store import OPEN_STATUSES, create_contribution
from bot.messages import Choice, Reply
from bot.text import normalize
from intents._contribution_flow import (
    ask_link,
    clean_text,
    confirm_reply,
    is_confirm,
    is_skip,
    link_for,
    link_summary,
    parse_link,
    run_step,
    skip_choice,
)
from knowledge.answers import street_unknown

NAME = "propose_idea"
LISTENS = True
TITLE_MAX = 200
LISTED_IDEAS = 8
TOPIC_MATCH = 75


async def handle(ctx: Context) -> Reply:
    ctx.start_flow("title")
    return ctx.reply(f"{ctx.t('start')}\n\n{ctx.t('ask_title')}",
                     [Choice(ctx.t("see_ideas"), "voir")])


async def resume(ctx: Context) -> Reply | None:
    return await run_step(ctx, STEPS)


async def _title(ctx: Context) -> Reply:
    if normalize(ctx.text) in ("voir", "see", "voir les idees", "see ideas"):
        return await _list_ideas(ctx)
    title = clean_text(ctx)
    if len(normalize(title)) < 3:
        return ctx.reply(ctx.t("title_short"))
    ctx.set_step("description", title=title[:TITLE_MAX])
    return ctx.reply(ctx.t("ask_description"))


async def _description(ctx: Context) -> Reply:
    text = clean_text(ctx)
    if len(normalize(text)) < 3:
        return ctx.reply(ctx.t("description_short"))
    ctx.set_step("topic", description=text)
    return _ask_topic(ctx)


def _ask_topic(ctx: Context, intro: str = "") -> Reply:
    choices = [Choice(topic, topic) for topic in ctx.settings.topics]
    return ctx.reply(f"{intro}\n\n{ctx.t('ask_topic')}".strip(), choices)


async def _topic(ctx: Context) -> Reply:
    topics = {normalize(topic): topic for topic in ctx.settings.topics}
    best = process.extractOne(normalize(ctx.text), list(topics), scorer=fuzz.WRatio,
                              score_cutoff=TOPIC_MATCH) if normalize(ctx.text) else None
    if best is None:
        return _ask_topic(ctx, ctx.t("topic_unknown"))
    ctx.set_step("area", topic=topics[best[0]])
    return ctx.reply(ctx.t("ask_area"), [skip_choice(ctx)])


async def _area(ctx: Context) -> Reply:
    if is_skip(ctx):
        area = None
    else:
        words = clean_text(ctx)[:128]
        if len(normalize(words)) < 2:
            return ctx.reply(ctx.t("ask_area"), [skip_choice(ctx)])
        entities = ctx.bot.nlu.extractors.extract(words, normalize(words))
        located = await locate_words(ctx.session, ctx.settings, words, entities.get("area_key"))
        if located.place is None or located.place.area is None:
            street, example = await example_place(ctx.session)
            key = "outside" if located.outside else "unknown"
            unclear = (None if located.outside else await street_unknown(ctx, words)) or ctx.t(
                f"contributions.place.{key}", city=ctx.settings.city_name, street=street, area=example)
            return ctx.reply(f"{unclear}\n\n{ctx.t('ask_area')}", [skip_choice(ctx)])
        area = located.place.area
    ctx.set_step("link", area=area)
    return ask_link(ctx)


async def _link(ctx: Context) -> Reply:
    mode = parse_link(ctx)
    if mode is None:
        return ask_link(ctx, ctx.t("contributions.link.unknown"))
    ctx.set_step("confirm", link=mode)
    return _summary(ctx)


def _summary(ctx: Context, intro: str = "") -> Reply:
    data = ctx.flow_data
    if data.get("support"):
        text = ctx.t("summary_support", reference=data["support"]["reference"],
                     title=data["support"]["title"], link=link_summary(ctx, data["link"]))
    else:
        text = ctx.t("summary", title=data["title"], description=data["description"],
                     topic=data["topic"], area=data.get("area") or "-", link=link_summary(ctx, data["link"]))
    return confirm_reply(ctx, f"{intro}\n\n{text}".strip(), editable=False)


async def _confirm(ctx: Context) -> Reply:
    if not is_confirm(ctx):
        return _summary(ctx, ctx.t("confirm_unclear"))
    data = ctx.flow_data
    link = link_for(ctx, data["link"])
    ctx.end_flow()
    follow_up = ctx.t("receipt_anonymous" if link.user_id is None else "receipt_linked")
    choices = [ctx.intent_choice("my_contributions"), ctx.intent_choice("help")]
    if data.get("support"):
        idea = await ctx.session.get_one(Contribution, data["support"]["id"])
        added = await add_support(ctx.bot, ctx.session, idea, ctx.user, link)
        text = ctx.t("supported" if added else "already_supported", reference=idea.reference,
                     supports=idea.support_count)
        return ctx.reply(f"{text}\n\n{follow_up}", choices)
    idea = await create_contribution(ctx.session, ctx.settings, link, kind="idea",
                                     category=data["topic"], category_label=data["topic"],
                                     title=data["title"], description=data["description"],
                                     area=data.get("area"))
    text = ctx.t("receipt", reference=idea.reference, threshold=ctx.settings.idea_support_threshold)
    return ctx.reply(f"{text}\n\n{follow_up}", choices)


async def _list_ideas(ctx: Context) -> Reply:
    ideas = (await ctx.session.execute(
        select(Contribution).where(Contribution.kind == "idea", Contribution.status.in_(OPEN_STATUSES))
        .order_by(Contribution.support_count.desc(), Contribution.id.desc()).limit(LISTED_IDEAS))).scalars().all()
    if not ideas:
        ctx.set_step("title")
        return ctx.reply(f"{ctx.t('no_ideas')}\n\n{ctx.t('ask_title')}")
    ctx.set_step("choose", listed={idea.reference: [idea.id, idea.title] for idea in ideas})
    lines = [ctx.t("idea_line", reference=idea.reference, title=idea.title, topic=idea.category_label,
                   supports=idea.support_count) for idea in ideas]
    choices = [Choice(ctx.t("support_choice", reference=idea.reference), f"+1 {idea.reference}")
               for idea in ideas]
    return ctx.reply(ctx.t("ideas") + "\n" + "\n".join(lines), choices)


async def _choose(ctx: Context) -> Reply:
    listed = ctx.flow_data["listed"]
    reference = ctx.text.removeprefix("+1").strip().upper()
    if reference not in listed:
        reply = await _list_ideas(ctx)
        reply.text = f"{ctx.t('choose_unclear')}\n\n{reply.text}"
        return reply
    idea_id, title = listed[reference]
    ctx.set_step("link", support={"id": idea_id, "reference": reference, "title": title})
    return ask_link(ctx)


STEPS = {"title": _title, "description": _description, "topic": _topic, "area": _area,
         "link": _link, "confirm": _confirm, "choose": _choose}
