"""find_official: the right elected official by name (typo-tolerant), role, topic or area.

"Who is my councillor?" asks for a location, an address or a quartier when none is known, then
offers to remember the resident's quartier — only if they say yes; "/elu oublier" forgets it.
"""
from __future__ import annotations

from functools import cache

from bot.app import load_topic_synonyms
from bot.context import Context
from bot.messages import Choice, Reply
from bot.text import names, normalize
from intents._answers import (
    format_date,
    ignored_words,
    mentions,
    nothing_found,
    provenance,
    request_text,
    street_unknown,
    subject,
)
from knowledge.geo import area_by_key, street_named
from knowledge.models import Area, Official
from knowledge.officials import (
    begins_before,
    communes_in,
    communes_like,
    find_by_name,
    for_area,
    in_charge_of,
    of_communes,
    with_role,
)
from knowledge.places import area_for
from knowledge.roles import COUNCIL, COUNCILLOR, DEPUTY, MAYOR, Question, function_of, read_question
from knowledge.words import word_list

NAME = "find_official"
SHOWN = 5
SURE_NAME = 85  # a name this close is taken as the one meant
MAYOR_ROLE = "Maire"
MAX_WHERE_ATTEMPTS = 2


async def handle(ctx: Context) -> Reply:
    if mentions(ctx, "official_forget"):
        return _forget(ctx)
    area = await area_for(ctx.session, ctx.settings, area_key=ctx.entities.get("area_key"),
                          address=ctx.entities.get("address"), location=ctx.message.location)
    if area is not None:
        return await _for_area(ctx, area)
    question = read_question(request_text(ctx), ignored_words(ctx, NAME) - _place_words(ctx))
    communes = await communes_in(ctx.session, request_text(ctx))
    if mentions(ctx, "official_mine") and not (communes or question.place or question.this_city
                                               or question.rank or question.function == MAYOR):
        return await _where(ctx)
    reply = await _answer(ctx, question, communes)
    if reply is not None:
        return reply
    asked_something = question.function or question.rest or question.topic or question.place
    if asked_something and not mentions(ctx, "official_mine"):
        return nothing_found(ctx, ctx.t("not_found", query=subject(ctx, NAME)))
    return await _where(ctx)


def _place_words(ctx: Context) -> frozenset[str]:
    """The city's name is a filler for a search, but names a commune after "maire de"."""
    return frozenset(normalize(ctx.settings.city_name).split())


async def _answer(ctx: Context, question: Question, communes: list[tuple[str, str, str]]
                  ) -> Reply | None:
    """Officials by function, rank, commune, delegation or name; None when nothing matches."""
    commune_words = {word for _code, _name, key in communes for word in key.split()}
    rest = [word for word in question.rest if word not in commune_words]
    topic = [word for word in question.topic if word not in commune_words]
    named = await _named(ctx, rest)
    if named:
        return _officials_reply(ctx, ctx.t("found"), named)
    topical = [word for word in rest if word in _topic_words()]
    if question.place and (not communes or begins_before(question.place, communes)):
        return await _commune_unknown(ctx, question.place)
    keys = tuple(key for _code, _name, key in communes) or _city_keys(ctx)
    commune_label = _communes_label(communes) or ctx.settings.city_name
    if question.function is None and not topic:  # "qui s'occupe du sport (à Rezé) ?"
        found = (await _in_charge(ctx, keys, " ".join(rest)))[0] if rest else []
        return _officials_reply(ctx, ctx.t("found"), found[:SHOWN]) if found else None
    if topic or topical:
        return await _by_delegation(ctx, keys, " ".join(topic or topical), commune_label)
    if rest:  # "adjoint voirie Rezé": a delegation said bare, when a source gives one
        found = (await _in_charge(ctx, keys, " ".join(rest)))[0]
        if found:
            return _officials_reply(ctx, ctx.t("found"), found[:SHOWN])
    kind = None if question.function == COUNCIL else question.function
    officials = await of_communes(ctx.session, keys, kind, question.rank)
    asked = _asked(ctx, question)
    if not officials:
        return nothing_found(ctx, ctx.t("nobody", asked=asked, of_asked=_of(asked), commune=commune_label))
    return _council_reply(ctx, ctx.t("in_commune", asked=asked[:1].upper() + asked[1:],
                                     commune=commune_label), officials, len(communes) > 1)


async def _commune_unknown(ctx: Context, place: tuple[str, ...]) -> Reply:
    """The commune is not known as written: said so, with the known communes it may mean
    offered as choices that ask the question again about them, never answered for them."""
    unknown = ctx.t("commune_unknown", place=_place_label(place))
    suggested = await communes_like(ctx.session, place)
    if not suggested:
        return nothing_found(ctx, unknown)
    words = normalize(request_text(ctx)).split()
    end = max(index for index, word in enumerate(words) if word == place[-1])
    before, after = " ".join(words[:end + 1 - len(place)]), " ".join(words[end + 1:])
    choices = [Choice(name, f"{before} {name} {after}".strip()) for name in suggested]
    text = f"{unknown}\n{ctx.t('commune_close', names=', '.join(suggested))}\n{ctx.t('knowledge.offer_human')}"
    return ctx.reply(text, [*choices, ctx.intent_choice("talk_to_human")])


async def _named(ctx: Context, words: list[str]) -> list[Official]:
    """Officials these words name. Only name-like words count: a word of everyday requests
    ("comment", "culture": the examples use them, or a topic's) is no evidence of a name —
    "culture" is not Mr Culturel — unless written with a capital inside the sentence."""
    capitalised = names(request_text(ctx))
    words = [word for word in words if word in capitalised
             or not (ctx.bot.nlu.knows(word) or word in _topic_words())]
    if not words:
        return []
    named = await find_by_name(ctx.session, " ".join(words))
    if not named or named[0][1] < SURE_NAME:
        return []
    return [official for official, score in named if score >= named[0][1] - 5][:SHOWN]


@cache
def _synonyms() -> dict[str, tuple[str, ...]]:
    """``bot/topics.yaml``, read once (a file read and parsed per question costs 50 ms)."""
    return {topic: tuple(synonyms) for topic, synonyms in load_topic_synonyms().items()}


@cache
def _topic_words() -> frozenset[str]:
    """Words that name a topic (``bot/topics.yaml``): residents' words for delegations."""
    words = set()
    for topic, synonyms in _synonyms().items():
        for phrase in (topic, *synonyms):
            words.update(normalize(phrase).split())
    return frozenset(word for word in words if len(word) > 2)


def _city_keys(ctx: Context) -> tuple[str, ...]:
    """The configured city, and officials given no commune (a pack of the city's own)."""
    return ("", normalize(ctx.settings.city_name))


def _communes_label(communes: list[tuple[str, str, str]]) -> str:
    """The communes' names; with their INSEE codes when several share a name."""
    homonyms = len({name for _code, name, _key in communes}) < len(communes)
    return ", ".join(f"{name} ({code})" if homonyms else name for code, name, _key in communes)


def _place_label(words: tuple[str, ...] | list[str]) -> str:
    return " ".join(words).title()


def _asked(ctx: Context, question: Question) -> str:
    return _function_name(ctx, question.function, question.rank)


def _of(words: str) -> str:
    """French "de" before a function, elided before a vowel: "d'adjoint·e", "de maire"."""
    return f"d'{words}" if normalize(words)[:1] in tuple("aeiouy") else f"de {words}"


def _function_name(ctx: Context, kind: str | None, rank: int | None) -> str:
    """A function in the resident's words ("deputy mayor no. 4")."""
    if kind == DEPUTY and rank:
        return ctx.t("asked_adjoint_first" if rank == 1 else "asked_adjoint_rank", rank=rank)
    return ctx.t(f"asked_{kind}")


def _role(ctx: Context, official: Official) -> str:
    """The official's function: as the (French) source words it for a French reader, in the
    resident's language otherwise ("Maire" is "mayor")."""
    if official.role and ctx.lang == "fr":
        return official.role
    function = function_of(official.role)
    return _function_name(ctx, function.kind, function.rank)


async def _in_charge(ctx: Context, keys: tuple[str, ...], topic: str
                     ) -> tuple[list[Official], bool]:
    """The officials of these communes in charge of the topic (or of the topic recognised, with
    its synonyms: "participation" also finds "dialogue citoyen"), and whether any of them has
    a delegation at all."""
    entity = ctx.entities.get("topic")
    phrases = [topic, *([entity, *_synonyms().get(entity, ())] if entity else [])]
    officials = await of_communes(ctx.session, keys)
    return in_charge_of(officials, phrases), any(official.delegations for official in officials)


async def _by_delegation(ctx: Context, keys: tuple[str, ...], topic: str, commune: str) -> Reply:
    """The officials of these communes in charge of the topic (whatever the source calls their
    function: "l'adjoint à la culture" is whoever is in charge of it); an honest "unknown"
    otherwise."""
    found, given = await _in_charge(ctx, keys, topic)
    if not found:
        return nothing_found(ctx, ctx.t("no_delegation" if given else "no_delegation_given",
                                        topic=topic, commune=commune))
    return _officials_reply(ctx, ctx.t("found"), found[:SHOWN])


async def _where(ctx: Context) -> Reply:
    """The area of the resident: their shared location, the address or street they give with
    the request, or the quartier they let us remember; otherwise ask for it."""
    area = await _area_given(ctx)
    if area is not None:
        return await _for_area(ctx, area)
    if ctx.user.home_area:
        area = await area_by_key(ctx.session, ctx.user.home_area)
        if area is not None:
            return await _for_area(ctx, area)
    ctx.start_flow("where", {"attempts": 0})
    return _ask_where(ctx, ctx.t("ask_where"))


async def _area_given(ctx: Context) -> Area | None:
    """The area of a shared location, or of an address or a street named in the request ("qui
    est mon élu ? j'habite rue de Strasbourg"; a street without a number is looked up among the
    city's streets only, the sentence is never sent to a geocoder)."""
    address = ctx.entities.get("address")
    if address is None:
        street = await street_named(ctx.session, ctx.text[:200])
        address = street.name if street is not None else None
    if ctx.location is None and address is None:
        return None
    return await area_for(ctx.session, ctx.settings, location=ctx.location, address=address)


def _ask_where(ctx: Context, text: str) -> Reply:
    reply = ctx.reply(text, [ctx.intent_choice("talk_to_human")])
    reply.request_location = True
    return reply


async def resume(ctx: Context) -> Reply | None:
    if ctx.conversation.step == "remember":
        return _remember(ctx)
    entities = ctx.bot.nlu.extractors.extract(ctx.text, normalize(ctx.text))
    area = await area_for(ctx.session, ctx.settings, area_key=entities.get("area_key"),
                          address=entities.get("address") or ctx.text, location=ctx.message.location)
    if area is not None:
        ctx.end_flow()
        return await _for_area(ctx, area)
    if ctx.text and ctx.bot.nlu.classify(ctx.text).intent not in (NAME, "unknown"):
        ctx.end_flow()  # the resident moved on to something else
        return None
    attempts = ctx.flow_data.get("attempts", 0) + 1
    if attempts >= MAX_WHERE_ATTEMPTS:
        ctx.end_flow()
        return nothing_found(ctx, ctx.t("place_unknown_again"))
    ctx.set_step("where", attempts=attempts)
    return _ask_where(ctx, await street_unknown(ctx, ctx.text) or ctx.t("place_unknown"))


def _remember(ctx: Context) -> Reply | None:
    area_key, area_name = ctx.flow_data.get("area"), ctx.flow_data.get("area_name")
    ctx.end_flow()
    answer = f" {normalize(ctx.text)} "
    if any(f" {word} " in answer for word in word_list("agree")):
        ctx.user.home_area = area_key
        return ctx.reply(ctx.t("remembered", area=area_name))
    if any(f" {word} " in answer for word in word_list("decline")):
        return ctx.reply(ctx.t("not_remembered"))
    return None


def _forget(ctx: Context) -> Reply:
    if not ctx.user.home_area:
        return ctx.reply(ctx.t("nothing_to_forget"))
    ctx.user.home_area = None
    return ctx.reply(ctx.t("forgotten"))


async def _for_area(ctx: Context, area: Area) -> Reply:
    officials = await for_area(ctx.session, area.key)
    lines = []
    if officials:
        lines += [ctx.t("area_officials", area=area.name),
                  *(_describe(ctx, official) for official in officials)]
    else:
        mayors = await with_role(ctx.session, MAYOR_ROLE, ctx.settings.city_name)
        lines.append(ctx.t("no_area_official", area=area.name))
        if mayors:
            lines += [ctx.t("city_wide"), *(_describe(ctx, official) for official in mayors)]
        officials = mayors
    if area.approximate:
        lines.append(ctx.t("approximate_area"))
    lines += ["", provenance(ctx, [area, *officials])]
    choices = [ctx.intent_choice("talk_to_human")]
    if ctx.user.home_area == area.key:
        lines += ["", ctx.t("remembered_note", area=area.name)]
    else:
        lines += ["", ctx.t("offer_remember", area=area.name)]
        ctx.start_flow("remember", {"area": area.key, "area_name": area.name})
        choices = [Choice(ctx.t("choice_remember"), ctx.t("word_yes")),
                   Choice(ctx.t("choice_dont_remember"), ctx.t("word_no")), *choices]
    return ctx.reply("\n".join(lines), choices)


def _officials_reply(ctx: Context, heading: str, officials: list[Official]) -> Reply:
    return _reply(ctx, [heading, *(_describe(ctx, official) for official in officials)], officials)


def _reply(ctx: Context, lines: list[str], officials: list[Official]) -> Reply:
    """The officials' lines, what the data lack of what was asked, and the provenance."""
    if _asks_contact(ctx) and not any(
            official.email or official.phone or official.url for official in officials):
        lines = [*lines, "", ctx.t("no_contact")]  # "comment contacter le maire" from the RNE
    return ctx.reply("\n".join([*lines, "", provenance(ctx, officials)]),
                     [ctx.intent_choice("talk_to_human")])


def _asks_contact(ctx: Context) -> bool:
    """Whether the request, or the follow-up that continued it ("son mail ?" after the mayor of
    Rezé: the request is the first question's words), asks how to reach the officials."""
    said = f" {normalize(ctx.message.text or '')} "
    return mentions(ctx, "official_contact") or any(f" {word} " in said for word in word_list("official_contact"))


_LISTED_COUNCILLORS = 12  # more plain councillors than this are named on one line


def _council_reply(ctx: Context, heading: str, officials: list[Official], communes: bool
                   ) -> Reply:
    """A council's officials: the mayor and deputies one per line, many plain councillors on one
    line; the commune named when several are listed."""
    plain = [official for official in officials if function_of(official.role).kind == COUNCILLOR]
    listed = officials if len(plain) <= _LISTED_COUNCILLORS else [
        official for official in officials if official not in plain]
    lines = [heading, *(_describe(ctx, official, communes) for official in listed)]
    if listed is not officials:
        lines.append(ctx.t("councillors", count=len(plain),
                           names=", ".join(official.full_name for official in plain)))
    return _reply(ctx, lines, officials)


def _describe(ctx: Context, official: Official, commune: bool = True) -> str:
    code = f", {official.commune_code}" if official.commune_code else ""
    where = f" ({official.commune}{code})" if commune and official.commune else ""
    lines = [f"• {official.full_name} — {_role(ctx, official)}{where}"]
    if official.delegations:
        lines.append("  " + ctx.t("delegations", topics=", ".join(official.delegations)))
    if official.function_start and function_of(official.role).kind != COUNCILLOR:
        lines.append("  " + ctx.t("function_since", date=format_date(ctx, official.function_start)))
    elif official.mandate_start:
        lines.append("  " + ctx.t("mandate", date=format_date(ctx, official.mandate_start)))
    contacts = " · ".join(filter(None, (official.email, official.phone, official.url)))
    if contacts:
        lines.append(f"  {contacts}")
    return "\n".join(lines)
