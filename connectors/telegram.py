"""The Telegram connector (python-telegram-bot): long polling or a webhook on civicbot's server.

Updates are handled by python-telegram-bot's handlers, registered explicitly: ``/start`` (with a
deep-link parameter), inline-button presses, and every other message (text, location, photo,
file...). Each resident's updates are handled one at a time, in order; different residents in
parallel.

Each update first passes flood control (:mod:`bot.flood`): a resident over the limit gets one
notice and their extra updates are dropped at once, without waiting behind their earlier ones.

Nothing acknowledged is lost: in polling mode the update offset — which tells Telegram an
update may be forgotten — never moves past an update that has not been answered yet, unless
that update was saved in the database first (then it is answered after a restart); in webhook
mode the HTTP answer that acknowledges an update is only sent once it has been answered. A
crash can make the bot answer an update twice, never not at all.
"""
from __future__ import annotations

import asyncio
import hmac
import json
import logging
import re
import secrets
import warnings
from collections.abc import Awaitable, Callable
from datetime import timedelta

from aiohttp import web
from telegram import InputFile, LinkPreviewOptions, Message, Update
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Conflict,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
)
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, ContextTypes, MessageHandler, filters
from telegram.warnings import PTBDeprecationWarning

from bot import metrics
from bot.config import ConfigError, Settings
from bot.flood import Admission
from bot.limits import limiter_for
from bot.messages import PRIORITY_REPLY, IncomingMessage, Reply
from bot.ports import ChatCore
from bot.redact import hide_in_logs
from bot.turns import Turns
from connectors import telegram_messages as tm
from connectors.base import ChatMoved, Connector, RateLimited, RecipientGone, SendError, TemporaryError

log = logging.getLogger(__name__)

WEBHOOK_PATH = "/telegram/webhook"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
ALLOWED_UPDATES = ["message", "callback_query"]
POLL_TIMEOUT = 30  # seconds a getUpdates call waits for news
FETCH_LIMIT = 100  # updates one getUpdates returns at most (Telegram's maximum)
REFETCH_AFTER = 0.2  # seconds before fetching past an update still being answered: what a new message
# may wait behind a slow one (0.5 s gave other residents a p99 of 2.5 s in bench/load.py, 0.2 s 1.1 s)
MAX_BACKOFF = 60.0
MARK_PRIORITY = PRIORITY_REPLY + 1  # marking a pressed button: after replies, before the rest
MARK_GRACE = 5.0  # seconds a stop waits for the markings still to make
_SECRET = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
_GONE = ("chat not found", "user not found", "peer_id_invalid", "user is deactivated")


def _seconds(value: int | float | timedelta) -> float:
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


def _retry_seconds(error: RetryAfter) -> float:
    with warnings.catch_warnings():  # PTB 22 moves retry_after from int to timedelta
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        return _seconds(error.retry_after)


def send_error(error: TelegramError) -> SendError:
    """The neutral error for a failed Bot API send."""
    if isinstance(error, RetryAfter):
        metrics.RATE_LIMITED.labels("telegram").inc()
        return RateLimited(_retry_seconds(error))
    if isinstance(error, ChatMigrated):
        return ChatMoved(str(error.new_chat_id))
    if isinstance(error, Forbidden):
        return RecipientGone(error.message)
    if isinstance(error, BadRequest):
        if any(marker in error.message.lower() for marker in _GONE):
            return RecipientGone(error.message)
        return SendError(f"Telegram refused the message: {error.message}")
    return TemporaryError(f"{type(error).__name__}: {error.message}")


def check_settings(settings: Settings) -> None:
    """Raise a ConfigError naming the Telegram setting that cannot be used."""
    if not settings.telegram_token:
        raise ConfigError("setting 'telegram_token': empty (create the bot with @BotFather)")
    if settings.telegram_mode not in ("polling", "webhook"):
        raise ConfigError("setting 'telegram_mode': must be 'polling' or 'webhook', "
                          f"not {settings.telegram_mode!r}")
    if settings.telegram_mode == "webhook" and not settings.telegram_webhook_url.startswith("https://"):
        raise ConfigError("setting 'telegram_webhook_url': webhook mode needs the public https:// "
                          "address that Telegram will post to")
    if settings.telegram_webhook_secret and not _SECRET.match(settings.telegram_webhook_secret):
        raise ConfigError("setting 'telegram_webhook_secret': 1 to 256 characters among "
                          "A-Z, a-z, 0-9, _ and -")


class TelegramConnector(Connector):
    platform = tm.PLATFORM

    def __init__(self, bot: ChatCore) -> None:
        settings = bot.settings
        check_settings(settings)
        self.bot = bot
        self.mode = settings.telegram_mode
        self.exclusive = self.mode == "polling"  # Telegram refuses two getUpdates at once
        self.webhook_secret = settings.telegram_webhook_secret or secrets.token_urlsafe(32)
        hide_in_logs(settings.telegram_token)  # the library logs the Bot API URL as it builds
        hide_in_logs(self.webhook_secret)
        _quiet_library_logs(settings.log_message_text)
        builder = Application.builder().token(settings.telegram_token).updater(None)
        if settings.telegram_base_url:
            builder = builder.base_url(settings.telegram_base_url)
        self.application = builder.build()
        self.application.add_handler(CommandHandler("start", self._on_start))
        self.application.add_handler(CallbackQueryHandler(self._on_button))
        self.application.add_handler(MessageHandler(  # not service messages (members, migration...)
            filters.UpdateType.MESSAGE & ~filters.StatusUpdate.ALL, self._on_message))
        self.application.add_error_handler(self._on_error)
        self.limiter = limiter_for(self.platform, settings)
        self._chats = Turns()  # one chat's updates are answered and their replies sent in order
        self._marks: set[asyncio.Task] = set()
        self._partial: dict[str, tuple[Reply, int]] = {}  # chat -> (reply, parts already sent)
        self._stopping = asyncio.Event()
        self._poller: asyncio.Task | None = None
        self._offset: int | None = None  # first update id not answered yet
        self._spilled: dict[int, Update] = {}  # saved in the database, past the offset
        self._fetch_failures = 0

    # -- life cycle ---------------------------------------------------------------------------
    async def start(self) -> None:
        """Connect (retrying while Telegram is unreachable), publish the command menus, and start
        polling or register the webhook. Raises ConfigError if Telegram refuses the token."""
        await self._until_done(self.application.initialize, "connect")
        await self._publish_menus()
        if self.mode == "webhook":
            await self._until_done(self._set_webhook, "set the webhook")
        else:
            await self._until_done(self.application.bot.delete_webhook, "delete the webhook")
            self._poller = asyncio.create_task(self._poll(), name="telegram-polling")
        log.info("telegram: @%s is running (%s)", self.application.bot.username, self.mode)

    async def stop(self) -> None:
        """Stop fetching, finish the updates in hand, confirm them to Telegram, disconnect."""
        if self._stopping.is_set():
            return
        self._stopping.set()
        if self._poller:
            await self._poller
            await self._confirm()
        if self._marks:
            _, late = await asyncio.wait(self._marks, timeout=MARK_GRACE)
            for task in late:
                task.cancel()
            await asyncio.gather(*late, return_exceptions=True)
        await self.application.shutdown()

    async def _until_done(self, step: Callable[[], Awaitable[object]], what: str) -> None:
        """Run ``step`` until Telegram takes it; a refused token or request is a ConfigError."""
        attempt = 0
        while True:
            try:
                await step()
                return
            except InvalidToken:
                raise ConfigError("setting 'telegram_token': Telegram refused this token "
                                  "(check it with @BotFather)") from None
            except BadRequest as error:
                raise ConfigError(f"Telegram refused to {what}: {error.message}") from None
            except TelegramError as error:
                if self._stopping.is_set():
                    raise
                delay = min(MAX_BACKOFF, 2.0 ** attempt)
                log.warning("telegram: could not %s (%s); retrying in %.0fs", what,
                            type(error).__name__, delay)
                await asyncio.sleep(delay)
                attempt += 1

    async def _publish_menus(self) -> None:
        """The command menu in each language, and in the default language for the others."""
        intents = self.bot.intents.values()
        default = self.bot.settings.default_language
        for language in (None, *tm.LANGUAGES):
            menu = tm.command_menu(intents, self.bot.catalog, language or default)
            try:
                await self.application.bot.set_my_commands(menu, language_code=language)
            except TelegramError as error:
                log.warning("telegram: the command menu (%s) was not set: %s",
                            language or "default", type(error).__name__)

    async def _set_webhook(self) -> None:
        await self.application.bot.set_webhook(
            self.bot.settings.telegram_webhook_url, secret_token=self.webhook_secret,
            allowed_updates=ALLOWED_UPDATES)

    # -- receiving ----------------------------------------------------------------------------
    async def _poll(self) -> None:
        """Fetch updates and hand each to a task; the offset never passes an unanswered update
        that is not saved.

        A slow update (a reply waiting out flood control) does not hold the others back: the
        updates after it are fetched again every ``REFETCH_AFTER`` seconds with the offset still
        on it, and those not handed out yet are handled. When a whole window of
        ``FETCH_LIMIT`` updates is fetched while some are still in hand, more may wait behind
        it: the updates in hand are saved (see :meth:`_spill`) and the offset moves past them.
        """
        stop = asyncio.create_task(self._stopping.wait())
        in_flight: dict[int, asyncio.Task] = {}
        held: dict[int, Update] = {}  # the updates in flight
        dispatched = -1  # the highest update id handed to a task
        for update in await self._load_spilled():  # saved by an earlier run, never answered
            held[update.update_id] = self._spilled[update.update_id] = update
            in_flight[update.update_id] = asyncio.create_task(self.process(update))
            dispatched = max(dispatched, update.update_id)
        try:
            while not self._stopping.is_set():
                updates = await self._fetch(stop, wait=not in_flight)
                if updates is None:
                    break
                for update in updates:
                    if update.update_id > dispatched:
                        dispatched = update.update_id
                        held[dispatched] = update
                        in_flight[dispatched] = asyncio.create_task(self.process(update))
                if in_flight:
                    await asyncio.wait(in_flight.values(), timeout=REFETCH_AFTER)
                await self._settle(in_flight, held, dispatched)
                if len(updates) >= FETCH_LIMIT and set(in_flight) - set(self._spilled):
                    await self._spill(held, dispatched)
            if in_flight:  # stopping: finish what is in hand
                await asyncio.wait(in_flight.values())
                await self._settle(in_flight, held, dispatched)
        finally:
            stop.cancel()

    async def _settle(self, in_flight: dict[int, asyncio.Task], held: dict[int, Update],
                      dispatched: int) -> None:
        """Forget the finished tasks; the offset moves up to the oldest update still in hand
        that is not saved."""
        done = [update_id for update_id, task in in_flight.items() if task.done()]
        for update_id in done:
            del in_flight[update_id], held[update_id]
        if any(self._spilled.pop(update_id, None) for update_id in done):
            await self._save_spilled()
        if dispatched >= 0:
            self._offset = min(set(in_flight) - set(self._spilled), default=dispatched + 1)

    async def _spill(self, held: dict[int, Update], dispatched: int) -> None:
        """Save the updates in hand, then let the offset move past them: one chat's backlog
        (a flood of messages fills Telegram's window of 100 updates) cannot hold back the
        updates of other chats behind it. A saved update is answered after a restart if it was
        not before."""
        new = [update_id for update_id in held if update_id not in self._spilled]
        self._spilled.update(held)
        try:
            await self._save_spilled()
        except Exception:
            log.exception("telegram: the updates in hand could not be saved; the offset waits")
            for update_id in new:
                del self._spilled[update_id]
            return
        self._offset = dispatched + 1

    def _spill_key(self) -> str:
        return f"telegram.in_hand:{self.bot.settings.telegram_token.partition(':')[0]}"

    async def _save_spilled(self) -> None:
        """Keep the saved updates not answered yet (none: the row is deleted)."""
        value = json.dumps([update.to_dict() for update in self._spilled.values()]) if self._spilled else None
        await self.bot.save_state(self._spill_key(), value)

    async def _load_spilled(self) -> list[Update]:
        value = await self.bot.load_state(self._spill_key())
        updates = [self._parse_update(data) for data in json.loads(value)] if value else []
        return sorted((update for update in updates if update is not None), key=lambda u: u.update_id)

    async def _fetch(self, stop: asyncio.Task, wait: bool) -> list[Update] | None:
        """The updates from the offset on (long polling if ``wait``); [] after a failure and a
        pause; None once stopping (a fetch cut short loses nothing: it confirmed nothing)."""
        fetch = asyncio.ensure_future(self.application.bot.get_updates(
            offset=self._offset, timeout=POLL_TIMEOUT if wait else 0, allowed_updates=ALLOWED_UPDATES))
        await asyncio.wait({fetch, stop}, return_when=asyncio.FIRST_COMPLETED)
        if not fetch.done():
            fetch.cancel()
            return None
        try:
            updates = list(fetch.result())
        except Exception as error:  # noqa: BLE001 - the poller never dies
            await asyncio.wait({stop}, timeout=_poll_delay(error, self._fetch_failures))
            self._fetch_failures += 1
            return []
        self._fetch_failures = 0
        return updates

    async def _confirm(self) -> None:
        """Tell Telegram the updates answered may be forgotten (a getUpdates with the offset)."""
        if self._offset is None:
            return
        try:
            await self.application.bot.get_updates(offset=self._offset, timeout=0, limit=1)
        except TelegramError as error:
            log.warning("telegram: could not confirm the last updates (%s); they will be "
                        "answered again at the next start", type(error).__name__)

    async def process(self, update: Update) -> None:
        """Handle one update, after the earlier ones of the same chat, unless flood control
        drops it (at once). Never raises."""
        chat = update.effective_chat
        try:
            if chat is not None and not await self._admitted(update, str(chat.id)):
                return
            async with self._chats.turn(str(chat.id) if chat else f"update:{update.update_id}"):
                await self.application.process_update(update)
        except Exception:
            log.exception("telegram: an update could not be handled")

    async def _admitted(self, update: Update, chat_id: str) -> bool:
        """Whether flood control lets this update through; the first one over the limit gets
        the notice instead."""
        admission = self.bot.flood.check(self.platform, chat_id)
        if admission is Admission.NOTICE:
            user = update.effective_user
            await self.deliver_reply(chat_id, self.bot.flood.notice(user.language_code if user else None))
        return admission is Admission.ANSWER

    def setup_routes(self, app: web.Application) -> None:
        """In webhook mode, serve the webhook on the project's HTTP server."""
        if self.mode == "webhook":
            app.router.add_post(WEBHOOK_PATH, self.webhook)

    async def webhook(self, request: web.Request) -> web.Response:
        """Answer an update posted by Telegram; the 200 answer acknowledges it, so it comes last."""
        secret = request.headers.get(SECRET_HEADER, "")
        if not hmac.compare_digest(secret.encode(), self.webhook_secret.encode()):
            return web.json_response({"error": "wrong or missing secret token"}, status=403)
        if self._stopping.is_set():
            return web.json_response({"error": "stopping"}, status=503)  # Telegram retries
        try:
            data = await request.json()
        except ValueError:
            data = None
        update = self._parse_update(data)
        if update is None:
            return web.json_response({"error": "the body is not a Telegram update"}, status=400)
        await self.process(update)
        return web.json_response({"ok": True})

    def _parse_update(self, data: object) -> Update | None:
        if not isinstance(data, dict) or not isinstance(data.get("update_id"), int):
            return None
        try:
            return Update.de_json(data, self.application.bot)
        except Exception:  # noqa: BLE001 - whatever the body holds, it is not an update we can use
            return None

    # -- handlers -----------------------------------------------------------------------------
    async def _on_start(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        parameter = context.args[0] if context.args else ""
        text = tm.deep_link_text(parameter, self.bot.commands) if parameter else "/start"
        if update.effective_message and update.effective_user:
            await self._converse(tm.incoming(update.effective_message, update.effective_user, text))

    async def _on_message(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        if update.message and update.effective_user:
            await self._converse(tm.incoming(update.message, update.effective_user))

    async def _on_button(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """A press on an inline button: the button's value is what the resident says."""
        query = update.callback_query
        if query is None:  # the handler is registered for button presses only
            return
        try:
            await query.answer()
        except TelegramError as error:
            log.info("telegram: a button press was not acknowledged (%s)", type(error).__name__)
        message = query.message if isinstance(query.message, Message) else None  # else too old to edit
        if message is None or not query.data:
            return
        label = tm.chosen_label(message, query.data)
        marked = tm.with_choice(message, label) if label else None
        await self._converse(tm.incoming(message, query.from_user, query.data))
        if marked:
            task = asyncio.create_task(self._mark(message, marked))
            self._marks.add(task)
            task.add_done_callback(self._marks.discard)

    async def _mark(self, message: Message, marked: str) -> None:
        """Show what was chosen and retire the buttons. An edit counts against the chat's limit
        like a message, so it comes after the reply, in the next turn no reply wants."""
        try:
            async with self.paced(str(message.chat_id), MARK_PRIORITY):
                await message.edit_text(marked, parse_mode=tm.PARSE_MODE)
        except TelegramError as error:
            log.info("telegram: a keyboard was not retired (%s)", type(error).__name__)

    async def _converse(self, message: IncomingMessage) -> None:
        reply = await self.bot.handle(message)
        try:
            await self.deliver_reply(message.chat_id, reply)
        except SendError as error:
            log.warning("telegram: a reply was not delivered: %s", error)

    async def _on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        log.error("telegram: a handler failed", exc_info=context.error)

    # -- sending ------------------------------------------------------------------------------
    async def send(self, chat_id: str, reply: Reply) -> None:
        """Send ``reply`` in one attempt. A reply of several messages that fails half-way
        resumes, when sent again, after the messages already delivered."""
        parts = tm.render(reply, self.bot.catalog)
        pending = self._partial.pop(chat_id, None)
        first = pending[1] if pending and pending[0] is reply else 0
        for index in range(first, len(parts)):
            try:
                async with self.part_turn(chat_id, reply, index - first):
                    await self._send_part(chat_id, parts[index], reply.paid_broadcast)
            except TelegramError as error:
                if index:
                    self._partial[chat_id] = (reply, index)
                raise send_error(error) from error

    async def _send_part(self, chat_id: str, part: tm.Part, paid: bool) -> None:
        bot = self.application.bot
        allow_paid_broadcast = True if paid else None
        if part.document:
            document = InputFile(part.document.content, filename=part.document.filename)
            await bot.send_document(chat_id, document, reply_markup=part.markup,
                                    allow_paid_broadcast=allow_paid_broadcast)
        else:
            assert part.html is not None  # a part is a text or a document
            await bot.send_message(chat_id, part.html, parse_mode=tm.PARSE_MODE,
                                   reply_markup=part.markup, allow_paid_broadcast=allow_paid_broadcast,
                                   link_preview_options=LinkPreviewOptions(is_disabled=True))

    async def on_recipient_gone(self, chat_id: str) -> None:
        """The resident blocked the bot: the core marks them inactive (private chats share the
        user's id)."""
        self._partial.pop(chat_id, None)
        await self.bot.resident_unreachable(self.platform, chat_id)
        log.info("telegram: a resident blocked the bot and was marked inactive")


def _poll_delay(error: BaseException, attempt: int) -> float:
    """How long to wait after a failed getUpdates, and a log line saying why."""
    if isinstance(error, RetryAfter):
        return _retry_seconds(error)
    delay = min(MAX_BACKOFF, 2.0 ** attempt)
    if isinstance(error, Conflict):
        log.error("telegram: another process is fetching this bot's updates (or a webhook is "
                  "set); retrying in %.0fs", delay)
    elif isinstance(error, InvalidToken):
        log.error("telegram: the token was revoked; retrying in %.0fs", delay)
    elif isinstance(error, NetworkError):
        log.warning("telegram: cannot reach Telegram (%s); retrying in %.0fs", type(error).__name__, delay)
    else:
        log.error("telegram: fetching updates failed; retrying in %.0fs", delay, exc_info=error)
    return delay


def _quiet_library_logs(log_message_text: bool) -> None:
    """python-telegram-bot logs request parameters (message texts, chat ids) at DEBUG, and httpx
    logs every URL (which holds the token) at INFO: keep both out of civicbot's logs."""
    if not log_message_text:
        for name in ("telegram", "telegram.ext"):
            logger = logging.getLogger(name)
            logger.setLevel(max(logger.getEffectiveLevel(), logging.INFO))
    logging.getLogger("httpx").setLevel(logging.WARNING)
