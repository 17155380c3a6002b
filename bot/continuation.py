"""Follow-ups in context: "et à Doulon ?" after the officials of Malakoff, "et son mail ?" after
the mayor, "and on Sunday?" after a service's hours, "opening hours?" after the town hall, "non je
voulais dire Doulon" after a question about Rezé.

The last information request (its intent and words) is kept in the conversation; a short
message opening with "et" / "and" that the NLU does not clearly take elsewhere continues it:
the same intent answers again, with what the new words name (a quartier, a topic, a day)
replacing what the first ones named. "Et celui d'avant ?" / "et le suivant ?" asks the intent
for the item before or after the one it showed (the ``sequence`` entity).
"""
from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from bot.models import Conversation
from bot.nlu import UNKNOWN, NluResult
from bot.text import normalize

CONTINUED = frozenset({"find_official", "find_service", "ask_data", "council", "subscribe"})
MAX_WORDS = 7  # longer messages are requests of their own
SURE = 0.7  # the NLU's confidence from which a message is another request
# "et à Doulon ?", and a correction of what was just asked: "non je voulais dire Doulon", "I meant Rezé"
_OPENING = re.compile(r"^(et|and|what about|how about|(non |no |sorry |pardon )?(je voulais dire|i meant|plutot)"
                      r"|non pardon|no sorry|sorry)\b\s*")
_WHEN = re.compile(r"\b(lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche|monday|tuesday|wednesday"
                   r"|thursday|friday|saturday|sunday|demain|tomorrow|aujourd hui|today|maintenant|now"
                   r"|ce soir|tonight|week end|weekend|\d{4})\b")
# A detail of what was just answered, asked alone: "opening hours?", "son mail ?", "l'adresse ?"
_DETAIL = re.compile(r"\b(occupe|occupes|delegations?|role|horaires?|heures?|hours|time|opening|ouvert|ouverte"
                     r"|ouvre|ouvrent|ouverture|open|opens"
                     r"|ferme|fermee|ferment|fermeture|close|closes|closed|closing|mail|email|e mail|courriel"
                     r"|adresse|address|ou|where|situe|situee|trouve|located|tel|telephone|phone|portable"
                     r"|mobile|numero|number|site|website|coordonnees|contact|contacts|contacter|contacte"
                     r"|joindre|reach|call|appeler|ecrire|write)\b")
MAX_DETAIL_WORDS = 8  # every word of it a detail, a day or a filler ("a quelle heure elle ferme le dimanche ?")
# Words that may come with a detail asked alone ("c'est quoi son mail ?", "are they open on sunday?"):
# any other word names a subject of its own ("hairdresser open on monday" is a new request).
_DETAIL_FILLER = frozenset({
    "l", "le", "la", "les", "son", "sa", "ses", "leur", "leurs", "c", "est", "quoi", "quel",
    "quels", "quelle", "quelles", "ils", "elle", "il", "elles", "sont", "y", "a", "de", "du",
    "des", "on", "at", "the", "its", "their", "they", "it", "is", "are", "what", "whats", "when",
    "quand", "un", "une", "comment", "je", "j", "peux", "puis", "lui", "pour", "par", "vous",
    "avez", "ont", "t", "moi", "me", "donner", "donnez", "how", "can", "could", "do", "i", "an",
    "them", "him", "her", "get", "in", "touch", "with", "have", "has", "does", "you", "by",
    "details", "give", "hours", "svp", "stp", "please", "pls", "merci", "ca", "se", "he", "she", "his", "s"
})
# "et ses adjoints ?" after the mayor asks for other officials, not the mayor again
_FUNCTION = re.compile(r"\b(maires?|adjoints?|adjointes?|conseillers?|conseilleres?|elus?|elues?|mayors?"
                       r"|deputy|deputies|councillors?|councilors?|officials?)\b")
# "et celui d'avant ?", "la suivante ?", "the one before?": the item before or after the one shown
_PREVIOUS = re.compile(r"\b(d avant|avant|precedent|precedente|precedents|precedentes|previous|before|earlier"
                       r"|prior)\b")
_NEXT = re.compile(r"\b(d apres|apres|suivant|suivante|suivants|suivantes|next|after|following|later)\b")
# Without "et"/"and", only words that cannot start a request of their own ("le précédent ?", "the
# one before?"): "next meeting?" alone is a request for the next meeting.
_ALONE = re.compile(r"\b(celui|celle|ceux|celles|one|ones|precedent|precedente|suivant|suivante|previous)\b")
_SEQUENCE_FILLER = frozenset({"celui", "celle", "ceux", "celles", "le", "la", "les", "l", "one", "ones",
                              "the", "et", "and", "what", "about", "d", "de", "du", "conseil", "seance",
                              "meeting", "page", "c", "est", "quand", "when", "was", "it", "is"})
SEQUENCE = "sequence"  # the entity of a follow-up asking for the item before or after: -1 or 1
NAVIGABLE = frozenset({"council"})  # the intents that read it
# The intents that act: continued only by "et ..." naming another topic or quartier ("et aussi
# pour Malakoff" after a subscription to roadworks in Doulon), never by a detail or a day
_ACTING = frozenset({"subscribe"})
_PLACED = frozenset({"find_official"})  # the intents whose requests read a commune in their words
_OF_WORDS = frozenset({"for", "of", "on", "about", "in"})  # an English head noun comes before them
_LAST = "last"


def remember(conversation: Conversation, intent: str, text: str, entities: dict[str, Any]) -> None:
    """Keep an information request, for the follow-ups that continue it."""
    if intent in CONTINUED:
        conversation.data = {**conversation.data,
                             _LAST: {"intent": intent, "text": text, "entities": entities}}


def continued(conversation: Conversation, text: str, nlu: NluResult,
              topic_of: Callable[[str], str | None] | None = None, head_last: bool = False) -> NluResult | None:
    """The last request continued by ``text`` ("et à Doulon ?", "horaires ?"), or None when it is not a
    follow-up of it. ``topic_of`` tells the topic a word names, to replace the last request's topic
    (``head_last``: in English, "education budget" names its subject before the head noun)."""
    last = conversation.data.get(_LAST)
    folded = normalize(text)
    opening = _OPENING.match(folded)
    if not last or len(folded.split()) > (MAX_WORDS if opening else MAX_DETAIL_WORDS):
        return None
    rest = folded[opening.end():] if opening else folded
    if last["intent"] in _ACTING and not (opening and (nlu.entities.get("topic") or nlu.entities.get("area_key"))):
        return None
    detail_alone = bool(_DETAIL.search(rest)) and not _names_a_subject(rest)
    if nlu.intent not in (last["intent"], UNKNOWN) and nlu.confidence >= SURE and not detail_alone:
        return None  # "et son mail ?" names nothing else: it stays about what was just answered
    step = sequence(folded) if opening or _ALONE.search(folded) else 0
    if step and last["intent"] in NAVIGABLE:
        return NluResult(last["text"], last["intent"], nlu.confidence, {**last["entities"], SEQUENCE: step})
    if not opening and not detail_alone:
        return None
    topic, last_topic = nlu.entities.get("topic"), last["entities"].get("topic")
    entities = {**last["entities"], **nlu.entities}
    if opening and topic and last_topic and topic != last_topic and topic_of is not None:
        # "et le sport ?" after "budget culture 2015": the same request, about the new topic
        words = _replace_topic(normalize(last["text"]).split(), rest, topic_of, head_last)
        return _carried_on(conversation, NluResult(words, last["intent"], nlu.confidence, entities))
    if nlu.intent == last["intent"] and (topic or _FUNCTION.search(rest)):
        placed = last["intent"] in _PLACED and not topic and _with_function(last["text"], rest)
        if placed:  # "et son adjoint ?" after the mayor of Rezé: Rezé's deputies
            return NluResult(placed, last["intent"], nlu.confidence, nlu.entities)
        return None  # "et l'éducation ?" after a budget, "et ses adjoints ?": a request of its own
    # a day for a service or a meeting, a commune for officials ("et à Rezé ?") add to the request
    if _WHEN.search(rest):  # the new day replaces the one asked before: "and on sunday?" after "on saturday"
        before = " ".join(_WHEN.sub(" ", normalize(last["text"])).split())
        return NluResult(f"{before} {rest}", last["intent"], nlu.confidence, entities)
    if last["intent"] in _PLACED and not detail_alone:
        return NluResult(f"{last['text']} {rest}", last["intent"], nlu.confidence, entities)
    return _carried_on(conversation, NluResult(last["text"], last["intent"], nlu.confidence, entities))


def _carried_on(conversation: Conversation, follow_up: NluResult) -> NluResult:
    """``follow_up``, kept as the last request: "son tel ?" after "et pour le numérique ?" is
    about digital matters. (A day or a commune added to the words is not kept: "et dimanche ?"
    after "et samedi ?" asks about Sunday alone.)"""
    remember(conversation, follow_up.intent, follow_up.text, follow_up.entities)
    return follow_up


def _with_function(last_text: str, new: str) -> str | None:
    """The last request about officials with the function it named replaced by the words asked
    now, its place kept ("qui est le maire de rezé" + "son adjoint" → "qui est le son adjoint de
    reze"); None when it named no function (then the new words are a request of their own)."""
    folded = normalize(last_text)
    named = _FUNCTION.search(folded)
    if named is None:
        return None
    return " ".join(f"{folded[:named.start()]} {new} {_FUNCTION.sub(' ', folded[named.end():])}".split())


def _names_a_subject(folded: str) -> bool:
    """True when a detail question also names what it is about ("hairdresser open on monday")."""
    rest = _WHEN.sub(" ", _DETAIL.sub(" ", folded))
    return any(word not in _DETAIL_FILLER for word in rest.split())


def sequence(folded: str) -> int:
    """-1 for "et celui d'avant ?", 1 for "et le suivant ?", 0 when the words ask for something
    else (anything besides the direction and fillers names a subject of its own)."""
    previous, following = bool(_PREVIOUS.search(folded)), bool(_NEXT.search(folded))
    if previous == following:
        return 0
    rest = _NEXT.sub(" ", _PREVIOUS.sub(" ", folded))
    if any(word not in _SEQUENCE_FILLER for word in rest.split()):
        return 0
    return -1 if previous else 1


def _replace_topic(words: list[str], new: str, topic_of: Callable[[str], str | None], head_last: bool) -> str:
    """The last request's words with its subject replaced by ``new``: of the words naming a
    topic, the head noun stays ("budget" in "budget du sport", "education budget", "the budget
    for culture") and the others go; a single one goes."""
    named = [index for index, word in enumerate(words) if topic_of(word)]
    if len(named) > 1:
        linked = _OF_WORDS.intersection(words[named[0] + 1:named[-1]])  # "budget for culture"
        named.remove(named[-1] if head_last and not linked else named[0])
    return " ".join([*(word for index, word in enumerate(words) if index not in named), new])
