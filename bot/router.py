"""The router: every message goes to a pending flow first, then a command, then the NLU.

One database transaction per message: the resident (by pseudonymous hash) and their
conversation are loaded, the intent runs, and the new state is committed with the reply.
"""
from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import bindparam, select
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot import consent
from bot.context import Context
from bot.continuation import continued, remember
from bot.db import utcnow
from bot.language import requested_language
from bot.listening import Heard, Listener, remember_prompt
from bot.messages import Choice, IncomingMessage, Reply
from bot.models import Conversation, User
from bot.nlu import UNKNOWN, NluResult
from bot.positions import remembered, without_old_position
from bot.text import normalize, sanitize
from bot.turns import Turns

if TYPE_CHECKING:
    from bot.app import CivicBot

log = logging.getLogger(__name__)

CANCEL_WORDS = frozenset({"annuler", "annule", "annulez", "cancel", "abandonner",
                          "laisse tomber", "quit", "quitter", "never mind", "nevermind"})
LANGUAGE_COMMANDS = frozenset({"lang", "langue", "language"})
_COMMAND = re.compile(r"^/([A-Za-z_]+)(?:@\w+)?(?:\s+(.*))?$", re.DOTALL)
_EMOJI_ONLY = re.compile(r"^[\W_]+$")
LAST_SEEN_PRECISION = timedelta(days=1)
Key = tuple[str, str]  # (platform, user_hash)
# Built once: building the statement costs more than running it.
_IS_RESIDENT = (User.platform == bindparam("platform"), User.user_hash == bindparam("user_hash"))
_RESIDENT = (select(User, Conversation)
             .outerjoin(Conversation, Conversation.user_id == User.id).where(*_IS_RESIDENT))
_LOCK_RESIDENT = select(User.id).where(*_IS_RESIDENT).with_for_update()


def _aware(moment: datetime) -> datetime:
    """SQLite gives back naive datetimes; they are UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


class Router:
    def __init__(self, bot: CivicBot) -> None:
        self.bot = bot
        self.commands = {command: spec.name for spec in bot.intents.values()
                         for command in spec.commands}
        self.listener = Listener(bot)
        self.turns = Turns()
        self.shared_database = bot.engine.dialect.name != "sqlite"

    async def handle(self, message: IncomingMessage) -> Reply:
        """Answer one message. Never raises: a failure becomes an apology that offers a human.

        A message whose database connection turned out dead (the server restarted, an
        administrator ended the connection) is answered again once on a new connection: its
        transaction was rolled back, so nothing of the first attempt remains."""
        try:
            try:
                return await self._answer(message)
            except DBAPIError as error:
                if not error.connection_invalidated:
                    raise
                log.warning("the database connection was lost; answering the message again")
                return await self._answer(message)
        except Exception:
            log.exception("failed to answer a message on %s", message.platform)
            return self._error_reply(self._platform_language(message))

    async def _answer(self, message: IncomingMessage) -> Reply:
        """One transaction: the resident's state is read, changed by the intent and committed
        with whatever else the intent wrote, before the reply goes out."""
        settings = self.bot.settings
        if message.location is not None and not message.location.on_earth():
            return self._core_reply("core.location_invalid", self._platform_language(message))
        text, truncated = sanitize(message.text or "", settings.max_message_chars)
        key = (message.platform, self.bot.pseudonymizer.user_hash(message.platform, message.user_id))
        async with self.turns.turn(key), self.bot.sessions() as session:
            user, conversation = await self._load(session, key)
            flow_before = conversation.flow
            reply = await self._route(session, message, text, user, conversation)
            if flow_before and conversation.flow != flow_before:
                await self._left(flow_before, Context(
                    self.bot, session, message, text, user, conversation, reply.language,
                    NluResult(text, flow_before, 1.0), flow_before))
            if truncated:
                notice = self.bot.catalog.get("core.truncated", reply.language,
                                              limit=settings.max_message_chars)
                reply.text = f"{notice}\n\n{reply.text}"
            choices = [[choice.label, choice.value] for choice in reply.choices]
            if conversation.choices != choices:
                conversation.choices = choices
            if conversation.language != reply.language:
                conversation.language = reply.language
            await session.commit()
        return reply

    def _platform_language(self, message: IncomingMessage) -> str:
        """The language to answer in without reading the resident's state."""
        language = message.language
        return language if language in ("fr", "en") else self.bot.settings.default_language

    async def _left(self, flow: str, ctx: Context) -> None:
        """The resident left ``flow``: its intent's ``leave`` is told, if it has one."""
        spec = self.bot.intents.get(flow)
        if spec is not None and spec.leave is not None:
            await spec.leave(ctx)

    def _error_reply(self, lang: str) -> Reply:
        return Reply(self.bot.catalog.get("core.error", lang),
                     [self.bot.intent_choice("talk_to_human", lang)], language=lang)

    async def _load(self, session: AsyncSession, key: Key) -> tuple[User, Conversation]:
        """The resident and their conversation, read in one query (and created on their first
        message)."""
        user, conversation = await self._read(session, key)
        now = utcnow()
        if not user.active or now - _aware(user.last_seen_at) > LAST_SEEN_PRECISION:
            user.last_seen_at = now  # coarse on purpose: no per-message write, no activity profile
            user.active = True
        if conversation is None:
            conversation = Conversation(user_id=user.id, data={}, choices=[])
            session.add(conversation)
        return user, conversation

    async def _read(self, session: AsyncSession, key: Key) -> tuple[User, Conversation | None]:
        """On PostgreSQL, where several processes may answer the same resident, the resident's
        row is locked first, until the commit: the other process's answer waits for this one.
        The state is read after the lock, by a statement of its own, which sees what the other
        process committed meanwhile. SQLite has no row locks; its writers are one process."""
        key_values = {"platform": key[0], "user_hash": key[1]}
        if self.shared_database and await session.scalar(_LOCK_RESIDENT, key_values) is None:
            await self._add_resident(session, key)
            await session.scalar(_LOCK_RESIDENT, key_values)
        row = (await session.execute(_RESIDENT, key_values)).one_or_none()
        if row is None:
            await self._add_resident(session, key)
            row = (await session.execute(_RESIDENT, key_values)).one()
        user, conversation = row
        return user, conversation

    @staticmethod
    async def _add_resident(session: AsyncSession, key: Key) -> None:
        try:
            async with session.begin_nested():
                session.add(User(platform=key[0], user_hash=key[1]))
        except IntegrityError:  # a concurrent first message from the same resident
            pass

    def _language(self, user: User, conversation: Conversation, message: IncomingMessage,
                  text: str) -> str:
        if user.language:
            return user.language
        return (self.bot.languages.decide(text, conversation.language)
                or (message.language if message.language in ("fr", "en") else None)
                or self.bot.settings.default_language)

    @staticmethod
    def _resolve_choice(text: str, conversation: Conversation) -> str:
        """A number or the label of a choice last offered stands for that choice's value."""
        choices = conversation.choices or []
        stripped = text.strip().rstrip(".)")
        if stripped.isascii() and stripped.isdigit() and 1 <= int(stripped) <= len(choices):
            return choices[int(stripped) - 1][1]
        folded = normalize(text)
        for label, value in choices:
            if folded and folded == normalize(label):
                return value
        return text

    async def _route(self, session: AsyncSession, message: IncomingMessage, text: str,
                     user: User, conversation: Conversation) -> Reply:
        typed = text
        text = self._resolve_choice(text, conversation)
        # A picked choice (a number, a label, or a button's value such as "anonymous") says
        # nothing of the resident's language: only words they wrote themselves do.
        offered_values = {value for _label, value in conversation.choices or []}
        picked = text != typed or text in offered_values
        lang = self._language(user, conversation, message,
                              "" if picked or consent.is_bare_answer(text) else text)
        normalized = normalize(text)

        def context(intent: str, nlu: NluResult | None = None) -> Context:
            return Context(self.bot, session, message, text, user, conversation, lang,
                           nlu or NluResult(text, intent, 1.0), intent)

        pending = consent.take_pending(conversation)
        if message.location:
            conversation.data = remembered(conversation.data, message.location)
        else:
            forgotten = without_old_position(conversation.data or {}, self.bot.settings.location_retention_hours)
            if forgotten is not None:
                conversation.data = forgotten

        command = _COMMAND.match(text)
        if command and command.group(1).lower() in LANGUAGE_COMMANDS:
            return self._set_language(user, (command.group(2) or "").strip().lower(), lang)
        switch = None if picked else requested_language(text)
        if switch:
            return self._set_language(user, switch, lang)

        listened = self.bot.intents.get(conversation.flow or "")
        if listened is not None and listened.listens and not command:
            heard = self.listener.answer(listened.name, conversation, text, lang)
            if heard is not None:
                return await self._heard(heard, listened.name, session, message, user, conversation,
                                         lang, context)

        if pending and not command:
            refused = normalized in CANCEL_WORDS and conversation.flow is None
            reply = await consent.answer(context(UNKNOWN), pending, refused)
            if reply is not None:
                return reply
            text = consent.read_with(pending, text, self.bot.nlu.classify(text).intent)
            normalized = normalize(text)

        if normalized in CANCEL_WORDS:
            had_flow = conversation.flow is not None
            context(UNKNOWN).end_flow()
            return self._core_reply("core.cancelled" if had_flow else "core.nothing_to_cancel", lang)

        if conversation.flow and not command:
            spec = self.bot.intents.get(conversation.flow)
            if spec and spec.listens:
                heard = self.listener.hear(spec.name, conversation, text, lang, picked)
                if heard is not None:
                    return await self._heard(heard, spec.name, session, message, user, conversation,
                                             lang, context)
            if spec and spec.resume:
                reply = await spec.resume(context(spec.name))
                if reply is not None:
                    return self._prompted(spec.name, conversation, reply)
            else:
                context(UNKNOWN).end_flow()

        if command:
            name = self.commands.get(command.group(1).lower(), UNKNOWN)
            spec = self.bot.intents[name]
            nlu = self.bot.nlu.classify(command.group(2) or "")
            reply = await spec.handle(context(name, NluResult(text, name, 1.0, nlu.entities)))
            return self._prompted(name, conversation, reply)

        if not command and consent.is_bare_answer(text):  # "ok", "👍", "non merci": nothing was asked
            return self._core_reply("core.acknowledged", lang)

        if not normalized or _EMOJI_ONLY.match(text):
            if message.location:
                return self._location_reply(lang)
            if message.attachment:
                return self._core_reply("core.attachment_without_context", lang)
            return self._core_reply("core.empty", lang)

        nlu = self.bot.nlu.classify(text)
        if self.bot.settings.log_message_text:
            log.info("nlu %s %.2f for %r", nlu.intent, nlu.confidence, text)
        else:
            log.debug("nlu %s %.2f", nlu.intent, nlu.confidence)
        follow_up = continued(conversation, text, nlu, self._topic_of, head_last=lang == "en")
        if follow_up is not None:
            return await consent.handle(Context(
                self.bot, session, message, follow_up.text, user, conversation, lang, follow_up,
                follow_up.intent), self.bot.intents[follow_up.intent])
        remember(conversation, nlu.intent, text, nlu.entities)
        reply = await consent.handle(context(nlu.intent, nlu), self.bot.intents[nlu.intent])
        return self._prompted(nlu.intent, conversation, reply)

    def _topic_of(self, word: str) -> str | None:
        """The topic one (folded) word names, if any."""
        topic = self.bot.nlu.extractors.extract(word, word).get("topic")
        return str(topic) if topic else None

    def _prompted(self, intent: str, conversation: Conversation, reply: Reply) -> Reply:
        """``reply`` from ``intent``: when it asks a step of a listened flow, it is kept to be
        asked again after an interruption."""
        if conversation.flow == intent and self.bot.intents[intent].listens:
            remember_prompt(conversation, reply)
        return reply

    async def _heard(self, heard: Heard, flow: str, session: AsyncSession, message: IncomingMessage,
                     user: User, conversation: Conversation, lang: str,
                     context: Callable[..., Context]) -> Reply:
        """What the listener decided for a message that was not the step's answer."""
        if heard.reply is not None:
            return heard.reply
        if heard.leave:
            context(UNKNOWN).end_flow()
            if heard.route is None:
                return self._core_reply("core.cancelled", lang)
            return await self._route(session, replace(message, text=heard.route, location=None,
                                                      attachment=None),
                                     heard.route, user, conversation)
        assert heard.answer is not None
        answer = await self.bot.intents[heard.answer].handle(context(heard.answer))
        again = self.listener.again(flow, conversation, lang, self.listener.still(flow, lang))
        return Reply(f"{answer.text}\n\n{again.text}", again.choices or answer.choices,
                     request_location=again.request_location, language=lang)

    def _core_reply(self, key: str, lang: str,
                    intents: tuple[str, ...] = ("help", "talk_to_human")) -> Reply:
        choices = [self.bot.intent_choice(name, lang) for name in intents]
        return Reply(self.bot.catalog.get(key, lang), choices, language=lang)

    def _location_reply(self, lang: str) -> Reply:
        return self._core_reply("core.location_received", lang,
                                ("find_official", "find_service", "report_problem"))

    def _set_language(self, user: User, code: str, current: str) -> Reply:
        catalog = self.bot.catalog
        if code in ("fr", "en", "auto"):
            user.language = None if code == "auto" else code
            lang = user.language or current
            return Reply(catalog.get(f"core.language_set.{code}", lang), language=lang)
        choices = [Choice("Français", "/langue fr"), Choice("English", "/language en")]
        return Reply(catalog.get("core.language_choose", current), choices, language=current)
