"""Consent before acting: an intent that changes what a resident receives, shares or who reads
their words declares ``async def consent(ctx) -> str | None`` (the yes/no question to ask
about this message, or None when handling it would not act). The router asks that question,
with Oui / Non buttons, instead of acting, when the request is not unambiguous: the message is a
question ("on peut s'abonner aux travaux ?"), or it uses none of the intent's ``requests`` words
("abonne", "desabonner", "pause" …) and is not a request the NLU is highly confident of ("je
veux …", "… svp"): a bare subject ("mes données") is asked about. Nothing is
done until the resident says yes; their next message is answered afresh otherwise.

Slash commands and buttons are unambiguous and never asked about.
"""
from __future__ import annotations

import re
from dataclasses import replace
from typing import TYPE_CHECKING

from bot.messages import Choice, Location, Reply
from bot.nlu import NluResult
from bot.text import normalize

if TYPE_CHECKING:
    from bot.context import Context
    from bot.intent import IntentSpec
    from bot.models import Conversation

HIGH_CONFIDENCE = 0.8  # below this, or when not worded as a request, an action is asked about first
PENDING = "consent"  # conversation.data key of the question waiting for a yes
YES, NO = "oui", "non"  # what the buttons send
FRAGMENT_WORDS = 3  # a reply this short to a question goes on from the message asked about
STANDALONE = frozenset({"greet", "help"})  # ... unless it thanks, greets or asks for help

_QUESTION_START = re.compile(
    r"^(?:est ce|comment|pourquoi|quand|combien|quel|quels|quelle|quelles|qui|ou est|ou sont"
    r"|(?:c )?est quoi|(?:c )?est possible|(?:c )?est comment|ca marche|on peut|on pourrait|peut on"
    r"|puis je|pourrais je|avez vous|as tu|vous avez|tu as|y a t il|il y a|est il|existe t il"
    r"|savez vous|sais tu|can i|can we|could i|how|what|whats|is|are|do|does|did|where|when"
    r"|who|which|why|should|may i)\b")
_YES = frozenset({
    "oui", "ouais", "ouai", "ouaip", "oui oui", "ok", "okay", "oki", "accord", "d accord", "dac",
    "daccord", "ok d accord", "oui d accord", "ca marche", "vas y", "allez y", "go", "oui vas y",
    "ouais vas y", "oui allez y", "oui svp", "oui stp", "ouais stp", "ouais svp",
    "oui il vous plait", "oui il te plait", "oui s il vous plait", "oui s il te plait",
    "oui merci", "oui je veux bien", "je veux bien", "oui volontiers", "volontiers", "bien sur",
    "oui bien sur", "carrement", "parfait", "est ca", "c est ca", "oui est ca", "oui c est ca",
    "exactement", "confirmer", "je confirme", "oui ok", "ok oui", "ok vas y", "ui", "oue", "ouep",
    "yes", "yeah", "yep", "yup", "sure", "yes please", "please", "ok please", "go ahead",
    "of course", "yes sure", "sure thing", "do it", "confirm", "absolutely", "yes pls", "yes plz",
    "yes do it", "yes thanks", "ok merci", "ok cool", "cool", "super", "oui parfait", "yes ok",
    "ok sure", "alright", "all right", "fine", "yes go ahead", "go for it", "oui oui oui", "oki doki",
    "👍", "✅", "👌", "🆗", "👍🏻", "👍🏼", "👍🏽", "👍🏾", "👍🏿"})
# A refusal said alone: the only words taken as "no" when no question is pending.
_BARE_NO = frozenset({
    "non", "nan", "nah", "no", "nope", "non merci", "no thanks", "no thank you", "non pas maintenant",
    "pas maintenant", "not now", "laisse tomber", "laissez tomber", "non laisse tomber", "bof",
    "jamais", "surtout pas", "non non", "👎", "❌", "🙅", "👎🏻", "👎🏼", "👎🏽", "👎🏾", "👎🏿"})
_REQUEST_FORM = re.compile(
    r"\b(?:je (?:veux|voudrais|souhaite|souhaiterais|desire)|j (?:aimerais|voudrais)|(?:je|j) veu"
    r"|svp|stp|s il (?:vous|te) plait|merci de|i (?:want|would like|d like|wanna|need)|please|pls|plz)\b")
_NO_START = re.compile(r"^(?:non|nan|nah|no|nope|pas|jamais|bof|surtout pas|laisse|laissez|never|don t|not)\b")


def is_question(text: str) -> bool:
    """Whether the resident asks something ("comment on se désabonne ?") rather than requests it."""
    return "?" in text or bool(_QUESTION_START.match(normalize(text)))


def is_request(text: str) -> bool:
    """Whether the message is worded as a request ("je veux …", "… svp", "please …"): a bare
    noun phrase ("mes données", "abonnement travaux") names a subject, not an action."""
    return bool(_REQUEST_FORM.search(normalize(text)))


def requested(text: str, requests: list[str]) -> bool:
    """Whether ``text`` uses one of an intent's request words (normalised)."""
    padded = f" {normalize(text)} "
    return any(f" {words} " in padded for words in requests)


def is_yes(text: str) -> bool:
    return normalize(text) in _YES or text.strip() in _YES


def is_no(text: str) -> bool:
    """A no to the pending question: any message that opens with a refusal ("non, pas ça")."""
    return bool(_NO_START.match(normalize(text))) or is_refusal(text)


def is_refusal(text: str) -> bool:
    """A no said alone ("non merci", "👎"), not a sentence that starts with "non"."""
    return normalize(text) in _BARE_NO or text.strip() in _BARE_NO


def is_bare_answer(text: str) -> bool:
    """A yes or a no said alone ("ok", "👍", "non merci"): it answers a question, and with none
    pending it asks for nothing (nor says which language the resident speaks)."""
    return is_yes(text) or is_refusal(text)


def read_with(pending: dict, text: str, alone: str) -> str:
    """The message to understand after a question that got neither yes nor no: a short fragment
    ("les horaires" after "la mairie") goes on from the message the question was about; a
    question, a longer message, thanks or a call for help (``alone``: its intent) stand alone."""
    words = len(normalize(text).split())
    if not words or words > FRAGMENT_WORDS or is_question(text) or alone in STANDALONE:
        return text
    return f"{pending.get('text', '')} {text}".strip()


def take_pending(conversation: Conversation) -> dict | None:
    """The question waiting for a yes, removed: it is answered by the next message or dropped."""
    pending = conversation.data.get(PENDING)
    if pending is not None:
        conversation.data = {key: value for key, value in conversation.data.items() if key != PENDING}
    return pending


async def ask(ctx: Context, spec: IntentSpec) -> Reply | None:
    """The question to ask before handling ``ctx`` with ``spec``, or None to handle it now."""
    if spec.consent is None:
        return None
    if not is_question(ctx.text) and (requested(ctx.text, spec.requests) or (
            ctx.nlu.confidence >= HIGH_CONFIDENCE and is_request(ctx.text))):
        return None
    question = await spec.consent(ctx)
    if question is None:
        return None
    location = ctx.message.location
    ctx.conversation.data = {**ctx.conversation.data, PENDING: {
        "intent": spec.name, "text": ctx.text, "entities": ctx.entities,
        "location": [location.latitude, location.longitude] if location else None}}
    catalog = ctx.bot.catalog
    return ctx.reply(question, [Choice(catalog.get("core.consent.accept", ctx.lang), YES),
                                Choice(catalog.get("core.consent.refuse", ctx.lang), NO)])


async def handle(ctx: Context, spec: IntentSpec) -> Reply:
    """``spec`` handles ``ctx`` now, or after the resident said yes to its question."""
    return await ask(ctx, spec) or await spec.handle(ctx)


async def answer(ctx: Context, pending: dict, refused: bool = False) -> Reply | None:
    """Act on a yes, do nothing on a no (or when ``refused``: "annuler"); None when the message
    is about something else."""
    if refused or is_no(ctx.text):
        return ctx.reply(ctx.bot.catalog.get("core.consent.nothing_done", ctx.lang),
                         [ctx.intent_choice("help")])
    spec = ctx.bot.intents.get(pending.get("intent", ""))
    if spec is None or not is_yes(ctx.text):
        return None
    text = str(pending.get("text", ""))
    shared = pending.get("location")
    message = replace(ctx.message, text=text,
                      location=Location(*shared) if shared else ctx.message.location)
    # what the question named: a follow-up's ("et aussi pour Malakoff") are not in its words
    entities = pending.get("entities") or ctx.bot.nlu.extractors.extract(text, normalize(text))
    return await spec.handle(replace(ctx, message=message, text=text, intent=spec.name,
                                     nlu=NluResult(text, spec.name, 1.0, entities)))
