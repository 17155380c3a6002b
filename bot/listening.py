"""Flows that listen: at a step of a flow, a message that is clearly something else is not
taken as the step's answer.

"stop" or "annuler tout" leaves the flow; "aide" or "bonjour" is answered and the step asked
again; another request the NLU is sure of ("mes contributions", "c'est quand le conseil ?")
makes the bot ask whether to leave the flow for it, or go on. Only flows whose intent module
sets ``LISTENS = True`` are listened to (a conversation relayed to an agent is not: every
word there is for the agent).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from bot import consent
from bot.messages import Choice, Reply
from bot.models import Conversation
from bot.nlu import UNKNOWN
from bot.text import normalize

if TYPE_CHECKING:
    from bot.app import CivicBot

SURE = 0.7  # the NLU's confidence from which a message is taken as another request
SURE_OF_A_REQUEST = 0.55  # ... when it is worded as a request or a question
_REQUEST = re.compile(r"\b(je (veux|voudrais|souhaite|souhaiterais)|aimerais|mes|i (want|would like|d like)"
                      r"|my|show me|montre moi)\b")
ANSWERED_IN_PLACE = ("help", "greet")  # answered without leaving the flow
LEAVE_FLOW = frozenset({
    "stop", "stoop", "annuler tout", "tout annuler", "annule tout", "annulez tout", "j abandonne",
    "arrete", "arreter", "arretez", "on arrete", "arrete tout", "oublie", "oublie ca", "laisse",
    "cancel everything", "cancel all", "stop everything", "stop it", "forget it", "abort",
    "give up", "i give up", "never mind", "nevermind", "nvm"})
_LEAVE_ANSWERS = frozenset({"quitter", "quit", "leave", "oui quitter", "yes leave", "abandonner"})
_STAY_ANSWERS = frozenset({"continuer", "continue", "reprendre", "resume", "go on", "rester", "stay",
                           "on continue", "je continue", "keep going"})
_GO_ON = frozenset({"continuer", "continue", "reprendre", "resume", "go on"})
LEAVE_VALUE, STAY_VALUE = "quitter", "continuer"
_PENDING, _PROMPT = "interrupted", "prompt"


@dataclass(frozen=True)
class Heard:
    """What the listener made of a message at a step: a ``reply`` to send (the flow kept), or
    ``leave`` the flow (and treat ``route`` afresh, if any), or ``answer`` it with that intent
    and ask the step again."""

    reply: Reply | None = None
    leave: bool = False
    route: str | None = None
    answer: str | None = None


def _flow(conversation: Conversation) -> dict[str, Any]:
    return dict(conversation.data.get("flow", {}))


def _set_flow(conversation: Conversation, **updates: Any) -> None:
    flow = {key: value for key, value in {**_flow(conversation), **updates}.items() if value is not None}
    conversation.data = {**conversation.data, "flow": flow}


def remember_prompt(conversation: Conversation, reply: Reply) -> None:
    """Keep what the flow last asked, to ask it again after an interruption."""
    _set_flow(conversation, prompt={"text": reply.text, "location": reply.request_location,
                                    "choices": [[choice.label, choice.value] for choice in reply.choices]})


class Listener:
    def __init__(self, bot: CivicBot) -> None:
        self.bot = bot

    def _t(self, key: str, lang: str, **values: object) -> str:
        return self.bot.catalog.get(f"core.flows.{key}", lang, **values)

    def answer(self, flow: str, conversation: Conversation, text: str, lang: str) -> Heard | None:
        """The answer to "leave the flow for that request, or go on?", if it was asked; "go on"
        also when it was not (it is never a step's answer)."""
        folded = normalize(text)
        pending = _flow(conversation).get(_PENDING)
        if pending is not None:
            _set_flow(conversation, interrupted=None)
            if folded in _LEAVE_ANSWERS or consent.is_yes(text):
                return Heard(leave=True, route=pending)
        asked_back = pending is not None and consent.is_no(text)
        if asked_back or (folded in _STAY_ANSWERS and (pending is not None or folded in _GO_ON)):
            return Heard(self.again(flow, conversation, lang, self._t("back", lang)))
        return None

    def hear(self, flow: str, conversation: Conversation, text: str, lang: str,
             picked: bool = False) -> Heard | None:
        """None when the message is for the step (or ``picked``: a choice the step offered);
        otherwise what to do instead."""
        folded = normalize(text)
        if picked or not folded:
            return None
        if folded in LEAVE_FLOW:
            return Heard(leave=True)
        nlu = self.bot.nlu.classify(text)
        sure = SURE_OF_A_REQUEST if "?" in text or _REQUEST.search(folded) else SURE
        if nlu.intent in (flow, UNKNOWN) or nlu.confidence < sure:
            return None
        if nlu.intent in ANSWERED_IN_PLACE:
            return Heard(answer=nlu.intent)
        _set_flow(conversation, interrupted=text)
        activity = self._t(f"activity.{flow}", lang)
        other = self.bot.catalog.get(f"core.choice.{nlu.intent}", lang)
        choices = [Choice(self._t("choice_leave", lang, other=other), LEAVE_VALUE),
                   Choice(self._t("choice_stay", lang, activity=activity), STAY_VALUE)]
        return Heard(Reply(self._t("ask_leave", lang, activity=activity, other=other), choices,
                           language=lang))

    def still(self, flow: str, lang: str) -> str:
        return self._t("still", lang, activity=self._t(f"activity.{flow}", lang))

    def again(self, flow: str, conversation: Conversation, lang: str, intro: str = "") -> Reply:
        """The step's question once more, after ``intro``."""
        prompt = _flow(conversation).get(_PROMPT)
        if not prompt:
            return Reply(intro or self.still(flow, lang), language=lang)
        text = "\n\n".join(filter(None, [intro, prompt["text"]]))
        return Reply(text, [Choice(label, value) for label, value in prompt["choices"]],
                     request_location=prompt["location"], language=lang)
