"""report_problem: report a problem in the street to the city, in a few steps.

category (the back end's services, or the local list) → the service's questions, if any →
description → location (shared, address or quartier) → open reports of the same category
within 50 m, to support one instead → optional photo → how it is linked to the resident →
summary to confirm → receipt with a reference. Each answer can be changed from the summary.
"""
from __future__ import annotations

import dataclasses
import re

from bot.consent import is_bare_answer
from bot.context import Context
from bot.contributions.categories import (
    Category,
    category_named_in,
    match_category,
    report_categories,
    service_attributes,
)
from bot.contributions.followup import add_support
from bot.contributions.models import Contribution
from bot.contributions.places import Located, Place, example_place, locate_point, locate_words
from bot.contributions.store import create_contribution, nearby_open_reports
from bot.messages import Choice, Reply
from bot.text import STOP_WORDS, normalize
from connectors.open311 import MAX_DESCRIPTION_CHARS, Attribute, attribute_from_json
from intents._answers import mentions, street_unknown
from intents._contribution_flow import (
    ask_link,
    clean_text,
    confirm_reply,
    is_confirm,
    is_edit,
    is_skip,
    link_for,
    link_summary,
    parse_link,
    run_step,
    skip_choice,
)
from intents._knowledge_routes import consider
from knowledge.geo import distance_m

NAME = "report_problem"
LISTENS = True
MAX_CHOICES = 12
DUPLICATE_RADIUS_M = 50.0
_SAME = re.compile(r"^(oui|ouais|yes|yep|\+1)\b|\b(le meme|la meme|c est ca|the same|same one)\b")
EDITABLE = ("category", "description", "location", "photo", "link")


async def handle(ctx: Context) -> Reply:
    if mentions(ctx, "money"):  # "how much for street lighting" asks a figure, reports nothing
        answered = await consider(ctx, confident=False)
        if answered is not None:
            return answered
    named = category_named_in(ctx.text, await report_categories(ctx.bot, ctx.lang))
    ctx.start_flow("category", {"request": ctx.text if named else ""})
    if named is None:
        return await _ask_category(ctx, ctx.t("start"))
    reply = await _set_category(ctx, named)  # "un lampadaire en panne": no need to ask
    return dataclasses.replace(reply, text=_join(ctx.t("start"), reply.text))


async def resume(ctx: Context) -> Reply | None:
    return await run_step(ctx, STEPS)


def _join(*parts: str) -> str:
    return "\n\n".join(part for part in parts if part)


async def _advance(ctx: Context, done: str) -> Reply:
    """Ask what comes after step ``done`` (back to the summary when the resident was editing)."""
    if ctx.flow_data.get("editing") or done == "link":
        return _ask_confirm(ctx)
    following = {"category": "description", "description": "location", "location": "photo",
                 "photo": "link"}[done]
    return await ASK[following](ctx)


# Category, and the questions of the chosen service
async def _ask_category(ctx: Context, intro: str = "", group: str | None = None) -> Reply:
    categories = await report_categories(ctx.bot, ctx.lang)
    groups = sorted({category.group for category in categories if category.group})
    if group is None and len(categories) > MAX_CHOICES and len(groups) > 1:
        choices = [Choice(name, name) for name in groups]
    else:
        shown = [c for c in categories if group is None or c.group == group]
        choices = [Choice(category.label, category.label) for category in shown[:MAX_CHOICES]]
    ctx.set_step("category")
    return ctx.reply(_join(intro, ctx.t("ask_category")), choices)


async def _category(ctx: Context) -> Reply:
    categories = await report_categories(ctx.bot, ctx.lang)
    text = clean_text(ctx)
    if text and any(category.group == text for category in categories):
        return await _ask_category(ctx, group=text)
    category = next((c for c in categories if normalize(c.label) == normalize(text)), None) \
        or match_category(text, categories)
    if category is None:
        return await _ask_category(ctx, ctx.t("category_unknown"))
    return await _set_category(ctx, category)


async def _set_category(ctx: Context, category: Category) -> Reply:
    attributes = await service_attributes(ctx.bot, category.code) if category.has_metadata else []
    ctx.set_step("attribute", category=category.code, category_label=category.label, attributes={},
                 answers={}, questions=[attribute.as_json() for attribute in attributes])
    return await _next_question(ctx)


async def _next_question(ctx: Context) -> Reply:
    questions = ctx.flow_data["questions"]
    if not questions:
        return await _advance(ctx, "category")
    attribute = attribute_from_json(questions[0])
    choices = [Choice(name, key) for key, name in attribute.values]
    if not attribute.required:
        choices.append(skip_choice(ctx))
    hint = ctx.t("several_values") if attribute.multiple else ""
    return ctx.reply(_join(ctx.t("ask_attribute", question=attribute.description), hint), choices)


def _attribute_value(attribute: Attribute, text: str) -> str | list[str] | None:
    """The value to send for this answer, or None when it does not fit the question."""
    if attribute.values:
        by_text = {normalize(name): key for key, name in attribute.values}
        by_text.update({normalize(key): key for key, _name in attribute.values})
        parts = [part for part in text.split(",") if part.strip()] if attribute.multiple else [text]
        keys = [by_text.get(normalize(part)) for part in parts]
        found = [key for key in keys if key is not None]
        if not keys or len(found) < len(keys):
            return None
        return found if attribute.multiple else found[0]
    if attribute.datatype == "number":
        try:
            return str(float(text.replace(",", ".")))
        except ValueError:
            return None
    return text or None


async def _attribute(ctx: Context) -> Reply:
    data = ctx.flow_data
    attribute = attribute_from_json(data["questions"][0])
    if not attribute.required and is_skip(ctx):
        value = None
    else:
        value = _attribute_value(attribute, clean_text(ctx))
        if value is None:
            reply = await _next_question(ctx)
            reply.text = _join(ctx.t("attribute_invalid"), reply.text)
            return reply
    answers, shown = dict(data["attributes"]), dict(data.get("answers", {}))
    if value is not None:
        names = dict(attribute.values)
        answers[attribute.code] = value
        shown[attribute.description] = ", ".join(names.get(key, key) for key in
                                                 (value if isinstance(value, list) else [value]))
    ctx.set_step("attribute", attributes=answers, answers=shown, questions=data["questions"][1:])
    return await _next_question(ctx)


# Description
async def _ask_description(ctx: Context) -> Reply:
    ctx.set_step("description")
    return ctx.reply(ctx.t("ask_description", category=ctx.flow_data["category_label"]))


async def _description(ctx: Context) -> Reply:
    text = clean_text(ctx)[:MAX_DESCRIPTION_CHARS]
    media = {"media": ctx.message.attachment.reference} if ctx.message.attachment else {}
    if len(normalize(text)) < 3 or is_bare_answer(text):
        ctx.set_step("description", **media)
        return ctx.reply(ctx.t("description_short"))
    if _repeats(text, ctx.flow_data.get("request", ""), ctx.flow_data["category_label"]):
        ctx.set_step("description", request="", **media)  # the kind said again, as if asked
        return await _ask_description(ctx)
    ctx.set_step("description", description=text, request="", **media)
    return await _advance(ctx, "description")


def _repeats(text: str, request: str, label: str) -> bool:
    """True when ``text`` says nothing beyond the request that named the kind and the kind's
    name ("nid de poule" after "je veux signaler un nid de poule"): the kind again, not a
    description ("il clignote" after "un lampadaire en panne" says something new)."""
    if not request:
        return False
    said = {*normalize(request).split(), *normalize(label).split()}
    return not [word for word in normalize(text).split() if word not in said and word not in STOP_WORDS]


# Location, and the open reports nearby
async def _ask_location(ctx: Context, intro: str = "") -> Reply:
    ctx.set_step("location")
    shared = ctx.conversation.data.get("location")
    choices = [Choice(ctx.t("use_shared_location"), "ici")] if shared else []
    return ctx.reply(_join(intro, ctx.t("ask_location")), choices, request_location=True)


async def _location(ctx: Context) -> Reply:
    shared = ctx.conversation.data.get("location")
    words = clean_text(ctx)[:500]
    if ctx.message.location:
        located = await locate_point(ctx.session, ctx.message.location.latitude,
                                     ctx.message.location.longitude)
    elif shared and normalize(ctx.text) in ("ici", "here"):
        located = await locate_point(ctx.session, *shared)
    elif len(normalize(words)) >= 3 and not is_skip(ctx):
        entities = ctx.bot.nlu.extractors.extract(words, normalize(words))
        located = await locate_words(ctx.session, ctx.settings, words, entities.get("area_key"))
    else:
        located = Located()
    if located.place is None:
        return await _ask_location(ctx, await _place_unclear(ctx, located.outside, words))
    place = located.place
    ctx.set_step("location", place=place.as_flow_data(), support=None)
    if place.latitude is not None and place.longitude is not None:
        nearby = await nearby_open_reports(ctx.session, ctx.flow_data["category"], place.latitude,
                                           place.longitude, DUPLICATE_RADIUS_M)
        if nearby:
            return _ask_duplicate(ctx, nearby)
    return await _advance(ctx, "location")


async def _place_unclear(ctx: Context, outside: bool, words: str) -> str:
    """Why the place is asked again: outside the city, a street that cannot be looked up, or
    not found (with an example)."""
    if outside:
        return ctx.t("contributions.place.outside", city=ctx.settings.city_name)
    street = await street_unknown(ctx, words)
    if street is not None:
        return street
    street, area = await example_place(ctx.session)
    return ctx.t("contributions.place.unknown", city=ctx.settings.city_name, street=street, area=area)


def _ask_duplicate(ctx: Context, nearby: list[tuple[Contribution, float]]) -> Reply:
    ctx.set_step("duplicate", nearby={report.reference: report.id for report, _ in nearby})
    lines = [ctx.t("duplicate_line", reference=report.reference, distance=round(distance),
                   date=report.created_at.strftime("%d/%m/%Y"), excerpt=_excerpt(report.description),
                   status=ctx.t(f"contributions.status.{report.status}"))
             for report, distance in nearby]
    choices = [Choice(ctx.t("support_choice", reference=report.reference), f"+1 {report.reference}")
               for report, _ in nearby]
    choices.append(Choice(ctx.t("not_duplicate"), "nouveau"))
    return ctx.reply(_join(ctx.t("duplicates"), "\n".join(lines)), choices)


def _distance(place: dict, report: Contribution) -> float:
    latitude, longitude = report.latitude, report.longitude
    if latitude is None or longitude is None or place.get("latitude") is None:
        return 0.0
    return distance_m(place["latitude"], place["longitude"], latitude, longitude)


def _excerpt(text: str, length: int = 80) -> str:
    return text if len(text) <= length else text[: length - 1].rstrip() + "…"


async def _duplicate(ctx: Context) -> Reply:
    nearby = ctx.flow_data["nearby"]
    reference = ctx.text.removeprefix("+1").strip().upper()
    if reference not in nearby and len(nearby) == 1 and _SAME.search(normalize(ctx.text)):
        reference = next(iter(nearby))  # "oui c'est le même": the one report shown
    if reference in nearby:
        ctx.set_step("duplicate", support={"id": nearby[reference], "reference": reference})
        return await _ask_link(ctx)
    if normalize(ctx.text) in ("nouveau", "new", "non", "no", "autre"):
        return await _advance(ctx, "location")
    return await _reask_duplicate(ctx, nearby)


async def _reask_duplicate(ctx: Context, nearby: dict[str, int]) -> Reply:
    place = ctx.flow_data["place"]
    reports = [report for report_id in nearby.values()
               if (report := await ctx.session.get(Contribution, report_id)) is not None]
    reply = _ask_duplicate(ctx, [(report, _distance(place, report)) for report in reports])
    reply.text = _join(ctx.t("duplicate_unclear"), reply.text)
    return reply


# Photo, link, summary
async def _ask_photo(ctx: Context) -> Reply:
    ctx.set_step("photo")
    return ctx.reply(ctx.t("ask_photo"), [skip_choice(ctx)])


async def _photo(ctx: Context) -> Reply:
    if ctx.message.attachment:
        ctx.set_step("photo", media=ctx.message.attachment.reference)
    elif is_skip(ctx):
        ctx.set_step("photo", media=None)
    else:
        return ctx.reply(ctx.t("photo_expected"), [skip_choice(ctx)])
    return await _advance(ctx, "photo")


async def _ask_link(ctx: Context) -> Reply:
    ctx.set_step("link")
    return ask_link(ctx)


async def _link(ctx: Context) -> Reply:
    mode = parse_link(ctx)
    if mode is None:
        return ask_link(ctx, ctx.t("contributions.link.unknown"))
    ctx.set_step("link", link=mode)
    return await _advance(ctx, "link")


def _place_text(ctx: Context, place: dict) -> str:
    if place.get("address"):
        return place["address"] + (f" ({place['area']})" if place.get("area") else "")
    if place.get("latitude") is not None:
        point = ctx.t("shared_point", latitude=round(place["latitude"], 5),
                      longitude=round(place["longitude"], 5))
        return point + (f" ({place['area']})" if place.get("area") else "")
    return place.get("area") or ""


def _ask_confirm(ctx: Context) -> Reply:
    data = ctx.flow_data
    ctx.set_step("confirm", editing=False)
    if data.get("support"):
        summary = ctx.t("summary_support", reference=data["support"]["reference"],
                        link=link_summary(ctx, data["link"]))
        return confirm_reply(ctx, summary, editable=False)
    answers = "".join(f"\n- {question} : {answer}" for question, answer in data.get("answers", {}).items())
    summary = ctx.t("summary", category=data["category_label"] + answers,
                    description=data["description"], place=_place_text(ctx, data["place"]),
                    photo=ctx.t("contributions.answer_yes" if data.get("media") else "contributions.answer_no"),
                    link=link_summary(ctx, data["link"]))
    return confirm_reply(ctx, summary)


async def _confirm(ctx: Context) -> Reply:
    if is_edit(ctx) and not ctx.flow_data.get("support"):
        ctx.set_step("edit")
        return ctx.reply(ctx.t("edit_what"), [Choice(ctx.t(f"edit_{step}"), step) for step in EDITABLE])
    if not is_confirm(ctx):
        reply = _ask_confirm(ctx)
        reply.text = _join(ctx.t("confirm_unclear"), reply.text)
        return reply
    data = ctx.flow_data
    link = link_for(ctx, data["link"])
    ctx.end_flow()
    choices = [ctx.intent_choice("my_contributions"), ctx.intent_choice("help")]
    follow_up = ctx.t("receipt_anonymous" if link.user_id is None else "receipt_linked")
    if data.get("support"):
        report = await ctx.session.get_one(Contribution, data["support"]["id"])
        added = await add_support(ctx.bot, ctx.session, report, ctx.user, link)
        key = "supported" if added else "already_supported"
        return ctx.reply(_join(ctx.t(key, reference=report.reference), follow_up), choices)
    place = Place(**data["place"])
    report = await create_contribution(
        ctx.session, ctx.settings, link, kind="report", category=data["category"],
        category_label=data["category_label"], description=data["description"],
        latitude=place.latitude, longitude=place.longitude, address=place.address, area=place.area,
        media=data.get("media"), attributes=data["attributes"])
    return ctx.reply(_join(ctx.t("receipt", reference=report.reference), follow_up), choices)


async def _edit(ctx: Context) -> Reply:
    if ctx.text not in EDITABLE:
        return _ask_confirm(ctx)
    ctx.set_step(ctx.text, editing=True)
    return await ASK[ctx.text](ctx)


ASK = {"category": _ask_category, "description": _ask_description, "location": _ask_location,
       "photo": _ask_photo, "link": _ask_link}
STEPS = {"category": _category, "attribute": _attribute, "description": _description,
         "location": _location, "duplicate": _duplicate, "photo": _photo, "link": _link,
         "confirm": _confirm, "edit": _edit}
