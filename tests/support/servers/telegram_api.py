"""A Telegram Bot API server on loopback, for the real python-telegram-bot (``base_url``).

    async with TelegramApiServer() as server:
        application = Application.builder().token(server.token).base_url(server.base_url)...
        server.say(42, "bonjour")                  # a resident writes to the bot
        message = await server.next_message(42)    # what the bot answered in that chat

It speaks the methods civicbot uses (getMe, deleteWebhook, setWebhook, getUpdates with long
polling, sendMessage, sendDocument, answerCallbackQuery, editMessageText, setMyCommands),
applies parse mode HTML and the 4,096-character limit the way Telegram does, records every
call, and lets a test script failures: 429 with ``retry_after``, 403 (blocked by the user),
400 with ``migrate_to_chat_id``, server errors, slow answers.

With :class:`RateLimits` it also enforces Telegram's flood limits (messages per second in
total, per chat, per group and per minute; an edit counts as a message), answering 429 with
``retry_after`` when a send would exceed them, and counts what it delivered and refused
(:attr:`TelegramApiServer.stats`), for delivery benchmarks. Run it alone with
``python -m tests.support.servers.telegram_api --help``.
"""
from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
import math
import time
from collections import Counter, defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from tests.support.servers.telegram_html import HtmlError, parse_html, utf16_length

DEFAULT_TOKEN = "123456:TEST-token_for-loopback"
BOT_USER = {"id": 123456, "is_bot": True, "first_name": "CivicBot", "username": "civicbot_test_bot",
            "can_join_groups": True, "can_read_all_group_messages": False,
            "supports_inline_queries": False}
SEND_METHODS = frozenset({"sendMessage", "sendDocument", "sendPhoto", "copyMessage", "forwardMessage"})
MESSAGE_LIMIT = 4096
CALLBACK_DATA_LIMIT = 64


class ApiError(Exception):
    """An error answer of the Bot API."""

    def __init__(self, code: int, description: str, parameters: dict | None = None) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.parameters = parameters

    def body(self) -> dict:
        body = {"ok": False, "error_code": self.code, "description": self.description}
        if self.parameters:
            body["parameters"] = self.parameters
        return body


def too_many_requests(retry_after: int) -> ApiError:
    return ApiError(429, f"Too Many Requests: retry after {retry_after}", {"retry_after": retry_after})


@dataclass(frozen=True)
class RateLimits:
    """Telegram's flood limits: ``None`` lifts one.

    The global and paid limits hold over any sliding window of one second, the group limit
    over any window of one minute; the per-chat limit is a minimum interval between two
    messages to the same chat. ``allow_paid_broadcast`` sends count against ``paid_per_second``
    instead of ``global_per_second``.
    """

    global_per_second: float | None = 30
    per_chat_per_second: float | None = 1
    group_per_minute: int | None = 20
    paid_per_second: float | None = 1000


class _Window:
    """At most ``limit`` events in any window of ``seconds``."""

    def __init__(self, limit: float, seconds: float) -> None:
        self.limit = max(1, int(limit))
        self.seconds = seconds
        self.times: deque[float] = deque(maxlen=self.limit)

    def wait_time(self, now: float) -> float:
        if len(self.times) < self.limit:
            return 0.0
        return max(0.0, self.times[0] + self.seconds - now)

    def add(self, now: float) -> None:
        self.times.append(now)


class FloodControl:
    """Applies :class:`RateLimits`; ``check`` records the send or raises a 429 ApiError."""

    def __init__(self, limits: RateLimits) -> None:
        self.limits = limits
        self.global_window = _Window(limits.global_per_second, 1.0) if limits.global_per_second else None
        self.paid_window = _Window(limits.paid_per_second, 1.0) if limits.paid_per_second else None
        self.chat_interval = 1.0 / limits.per_chat_per_second if limits.per_chat_per_second else 0.0
        self.last_by_chat: dict[str, float] = {}
        self.groups: dict[str, _Window] = {}

    def check(self, chat_id: str, paid: bool, now: float) -> None:
        waits = []
        window = self.paid_window if paid else self.global_window
        if window:
            waits.append(window.wait_time(now))
        last = self.last_by_chat.get(chat_id)
        if self.chat_interval and last is not None:
            waits.append(last + self.chat_interval - now)
        group = None
        if self.limits.group_per_minute and chat_id.startswith("-"):
            group = self.groups.get(chat_id)
            if group is None:
                group = self.groups[chat_id] = _Window(self.limits.group_per_minute, 60.0)
            waits.append(group.wait_time(now))
        wait = max(waits, default=0.0)
        if wait > 0:
            raise too_many_requests(max(1, math.ceil(wait)))
        if window:
            window.add(now)
        if self.chat_interval:
            self.last_by_chat[chat_id] = now
        if group:
            group.add(now)


@dataclass
class DeliveryStats:
    """What the server delivered and refused (sends only)."""

    delivered: int = 0
    rejected_429: int = 0
    failed: int = 0
    by_chat: Counter = field(default_factory=Counter)
    first_at: float | None = None
    last_at: float | None = None

    def rate(self) -> float:
        """Deliveries per second between the first and the last one."""
        if not self.first_at or self.last_at is None or self.last_at <= self.first_at:
            return 0.0
        return (self.delivered - 1) / (self.last_at - self.first_at)

    def as_json(self) -> dict:
        return {"delivered": self.delivered, "rejected_429": self.rejected_429,
                "failed": self.failed, "chats": len(self.by_chat),
                "max_per_chat": max(self.by_chat.values(), default=0), "rate": self.rate()}


@dataclass
class ApiCall:
    method: str
    params: dict[str, Any]
    at: float
    error: int | None = None  # the error code answered, if any


@dataclass
class SentMessage:
    """A message the bot sent (or a document), as the server stored it."""

    chat_id: str
    message_id: int
    method: str
    text: str | None  # plain text, after the parse mode
    params: dict[str, Any]
    at: float
    document: tuple[str, bytes] | None = None  # (filename, content)
    entities: list[dict] = field(default_factory=list)

    @property
    def reply_markup(self) -> dict | None:
        return self.params.get("reply_markup")

    @property
    def inline_buttons(self) -> list[dict]:
        rows = (self.reply_markup or {}).get("inline_keyboard", [])
        return [button for row in rows for button in row]

    @property
    def keyboard_buttons(self) -> list[dict]:
        rows = (self.reply_markup or {}).get("keyboard", [])
        return [button if isinstance(button, dict) else {"text": button} for row in rows for button in row]


@dataclass
class _Failure:
    error: ApiError
    chat_id: str | None
    times: int
    skip: int  # matching calls to let through first


class _Params:
    """A request's parameters, decoded the way the Bot API reads them."""

    JSON_FIELDS = frozenset({"reply_markup", "allowed_updates", "commands", "scope", "entities",
                             "link_preview_options", "reply_parameters"})

    def __init__(self, raw: dict[str, Any], files: dict[str, Any]) -> None:
        self.values: dict[str, Any] = {}
        for name, value in raw.items():
            if name in self.JSON_FIELDS and isinstance(value, str):
                try:
                    value = json.loads(value)
                except ValueError:
                    raise ApiError(400, f"Bad Request: can't parse {name} JSON object") from None
            self.values[name] = value
        self.files = files

    def get(self, name: str, default: Any = None) -> Any:
        return self.values.get(name, default)

    def require(self, name: str) -> Any:
        value = self.values.get(name)
        if value in (None, ""):
            raise ApiError(400, f"Bad Request: {name} is empty")
        return value

    def integer(self, name: str, default: int | None = None) -> int | None:
        value = self.values.get(name)
        if value in (None, ""):
            return default
        try:
            return int(value)
        except (TypeError, ValueError):
            raise ApiError(400, f"Bad Request: {name} must be an integer") from None

    def flag(self, name: str) -> bool:
        return str(self.values.get(name, "")).lower() in ("true", "1")


def _chat_id(params: _Params) -> str:
    chat_id = str(params.require("chat_id"))
    if not chat_id.lstrip("-").isdigit() or abs(int(chat_id)) >= 2 ** 52:
        raise ApiError(400, "Bad Request: chat not found")
    return chat_id


def _chat(chat_id: str) -> dict:
    numeric = int(chat_id)
    if numeric > 0:
        return {"id": numeric, "type": "private", "first_name": "Resident"}
    kind = "supergroup" if chat_id.startswith("-100") else "group"
    return {"id": numeric, "type": kind, "title": "Group"}


def _user(user_id: int, language_code: str | None) -> dict:
    user = {"id": user_id, "is_bot": False, "first_name": "Resident"}
    if language_code:
        user["language_code"] = language_code
    return user


class TelegramApiServer:
    def __init__(self, token: str = DEFAULT_TOKEN, *, limits: RateLimits | None = None,
                 record: bool = True, clock: Callable[[], float] = time.monotonic) -> None:
        self.token = token
        self.clock = clock  # flood control's time; tests freeze it so a slow machine can't slide a window
        self.limits = limits
        self.flood = FloodControl(limits) if limits else None
        self.record = record  # False: counters only, for long benchmarks
        self.calls: list[ApiCall] = []  # answered calls
        self.received: Counter = Counter()  # method -> calls received, answered or not yet
        self.sent: list[SentMessage] = []
        self.stats = DeliveryStats()
        self.commands: dict[tuple[str, str], list[dict]] = {}  # (scope type, language) -> commands
        self.webhook: dict[str, Any] | None = None
        self.delays: dict[str, float] = {}  # method -> seconds to wait before answering
        self.answered_callbacks: list[dict] = []
        self.confirmed_offset = 0  # every update below this id is confirmed
        self.port = 0
        self._updates: deque[dict] = deque()
        self._update_ids = itertools.count(1)
        self._message_ids: dict[str, itertools.count] = defaultdict(lambda: itertools.count(1))
        self._messages: dict[tuple[str, int], SentMessage] = {}
        self._by_chat: dict[str, list[SentMessage]] = defaultdict(list)
        self._read: Counter = Counter()  # chat -> messages already returned by next_message
        self._chat_waiters: dict[str, list[asyncio.Future]] = defaultdict(list)
        self._failures: dict[str, list[_Failure]] = defaultdict(list)
        self._blocked: set[str] = set()
        self._migrated: dict[str, str] = {}
        self._new_update = asyncio.Event()
        self._changed = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self._callback_ids = itertools.count(1)

    # -- life cycle -------------------------------------------------------------------------
    @property
    def base_url(self) -> str:
        """What python-telegram-bot takes as ``base_url`` (the token is appended to it)."""
        return f"http://127.0.0.1:{self.port}/bot"

    def application(self) -> web.Application:
        app = web.Application(client_max_size=60 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        app.router.add_get("/stats", self._stats)
        app.router.add_post("/updates", self._post_update)
        return app

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> TelegramApiServer:
        self._runner = web.AppRunner(self.application(), access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port)
        await site.start()
        self.port = self._runner.addresses[0][1]
        return self

    async def close(self) -> None:
        self._new_update.set()  # end pending long polls
        if self._runner:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> TelegramApiServer:
        return await self.start()

    async def __aexit__(self, *_exc_info: object) -> None:
        await self.close()

    # -- what residents do ----------------------------------------------------------------
    def message_update(self, chat_id: int, text: str | None = None, *, user_id: int | None = None,
                       language_code: str | None = "fr", **content: Any) -> dict:
        """An update carrying a resident's message (``content``: location=, photo=, caption=...)."""
        user = _user(user_id if user_id is not None else chat_id, language_code)
        message = {"message_id": next(self._message_ids[str(chat_id)]), "date": int(time.time()),
                   "chat": _chat(str(chat_id)), "from": user, **content}
        if text is not None:
            message["text"] = text
            if text.startswith("/"):
                command = text.split()[0]
                message["entities"] = [{"type": "bot_command", "offset": 0,
                                        "length": utf16_length(command)}]
        return {"message": message}

    def callback_update(self, chat_id: int, message_id: int, data: str, *,
                        user_id: int | None = None, language_code: str | None = "fr") -> dict:
        """An update for a press on an inline button of a message the bot sent."""
        sent = self._messages.get((str(chat_id), message_id))
        if sent is None:
            raise KeyError(f"no message {message_id} in chat {chat_id}")
        if data not in [button.get("callback_data") for button in sent.inline_buttons]:
            raise KeyError(f"no button with data {data!r} on message {message_id}")
        return {"callback_query": {
            "id": str(next(self._callback_ids)), "chat_instance": f"ci{chat_id}", "data": data,
            "from": _user(user_id if user_id is not None else chat_id, language_code),
            "message": self._message_json(sent),
        }}

    def push(self, update: dict) -> int:
        """Queue an update for getUpdates; returns its update_id."""
        update = {"update_id": next(self._update_ids), **update}
        self._updates.append(update)
        self._new_update.set()
        return update["update_id"]

    def say(self, chat_id: int, text: str, **options: Any) -> int:
        return self.push(self.message_update(chat_id, text, **options))

    def share_location(self, chat_id: int, latitude: float, longitude: float, **options: Any) -> int:
        location = {"latitude": latitude, "longitude": longitude}
        return self.push(self.message_update(chat_id, location=location, **options))

    def send_photo(self, chat_id: int, file_id: str, caption: str | None = None, **options: Any) -> int:
        sizes = [{"file_id": f"{file_id}-small", "file_unique_id": "s", "width": 90, "height": 67},
                 {"file_id": file_id, "file_unique_id": "l", "width": 1280, "height": 960}]
        extra = {"caption": caption} if caption else {}
        return self.push(self.message_update(chat_id, photo=sizes, **extra, **options))

    def press(self, chat_id: int, message_id: int, data: str, **options: Any) -> int:
        return self.push(self.callback_update(chat_id, message_id, data, **options))

    # -- scripted failures ----------------------------------------------------------------
    def fail(self, method: str, code: int, description: str, *, parameters: dict | None = None,
             chat_id: int | str | None = None, times: int = 1, skip: int = 0) -> None:
        """Answer ``times`` calls of ``method`` (to ``chat_id`` if given) with an error, after
        letting ``skip`` of them through."""
        target = None if chat_id is None else str(chat_id)
        error = ApiError(code, description, parameters)
        self._failures[method].append(_Failure(error, target, times, skip))

    def rate_limit_next(self, method: str = "sendMessage", retry_after: int = 1, **options: Any) -> None:
        error = too_many_requests(retry_after)
        self.fail(method, error.code, error.description, parameters=error.parameters, **options)

    def block(self, chat_id: int) -> None:
        """The resident blocked the bot: every send to them answers 403 from now on."""
        self._blocked.add(str(chat_id))

    def migrate(self, chat_id: int, new_chat_id: int) -> None:
        """The group became a supergroup: sends to the old id answer 400 with the new one."""
        self._migrated[str(chat_id)] = str(new_chat_id)

    # -- what the bot did -----------------------------------------------------------------
    def calls_to(self, method: str) -> list[ApiCall]:
        return [call for call in self.calls if call.method == method]

    def sent_to(self, chat_id: int | str) -> list[SentMessage]:
        return list(self._by_chat.get(str(chat_id), []))

    async def next_message(self, chat_id: int | str, timeout: float = 10.0) -> SentMessage:
        """The next message sent to ``chat_id`` that this method has not returned yet."""
        chat = str(chat_id)
        if self._read[chat] >= len(self._by_chat[chat]):
            future = asyncio.get_running_loop().create_future()
            self._chat_waiters[chat].append(future)
            try:
                await asyncio.wait_for(future, timeout)
            except TimeoutError:
                raise AssertionError(f"the bot sent nothing more to chat {chat} within {timeout}s") from None
        message = self._by_chat[chat][self._read[chat]]
        self._read[chat] += 1
        return message

    async def wait_until(self, condition: Callable[[], bool], timeout: float = 10.0) -> None:
        """Wait until ``condition()`` holds, checked after each API call."""
        deadline = asyncio.get_running_loop().time() + timeout
        while not condition():
            remaining = deadline - asyncio.get_running_loop().time()
            if remaining <= 0:
                raise AssertionError("condition not met in time")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), remaining)

    # -- the HTTP side --------------------------------------------------------------------
    async def _handle(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        if request.match_info["token"] != self.token:
            return web.json_response({"ok": False, "error_code": 401, "description": "Unauthorized"},
                                     status=401)
        call = ApiCall(method, {}, time.monotonic())
        self.received[method] += 1
        self._notify()
        try:
            params = await self._read_params(request)
            call.params = params.values
            if method in self.delays:
                await asyncio.sleep(self.delays[method])
            result = await self._dispatch(method, params)
            body, status = {"ok": True, "result": result}, 200
        except ApiError as error:
            call.error = error.code
            body, status = error.body(), error.code
        finally:
            if self.record:
                self.calls.append(call)
            self._notify()
        return web.json_response(body, status=status)

    def _notify(self) -> None:
        """Wake :meth:`wait_until`."""
        self._changed.set()
        self._changed = asyncio.Event()

    async def _read_params(self, request: web.Request) -> _Params:
        raw: dict[str, Any] = dict(request.query)
        files: dict[str, Any] = {}
        if request.content_type == "application/json":
            try:
                body = await request.json()
            except ValueError:
                raise ApiError(400, "Bad Request: invalid JSON body") from None
            raw.update({name: value if isinstance(value, str) or name not in _Params.JSON_FIELDS
                        else json.dumps(value) for name, value in body.items()})
        elif request.can_read_body:
            for name, value in (await request.post()).items():
                if isinstance(value, web.FileField):
                    files[name] = value
                else:
                    raw[name] = value
        return _Params(raw, files)

    async def _dispatch(self, method: str, params: _Params) -> Any:
        handler = self._METHODS.get(method)
        if handler is None:
            raise ApiError(404, "Not Found: method not found")
        if method in SEND_METHODS:
            return self._send(method, params, handler)
        self._scripted_failure(method, str(params.get("chat_id", "")) or None)
        return await handler(self, params)

    def _scripted_failure(self, method: str, chat_id: str | None) -> None:
        for failure in self._failures.get(method, []):
            if failure.chat_id is None or failure.chat_id == chat_id:
                if failure.skip:
                    failure.skip -= 1
                    return
                failure.times -= 1
                if failure.times <= 0:
                    self._failures[method].remove(failure)
                raise failure.error
        if chat_id and method in SEND_METHODS | {"editMessageText"}:
            if chat_id in self._blocked:
                raise ApiError(403, "Forbidden: bot was blocked by the user")
            if chat_id in self._migrated:
                raise ApiError(400, "Bad Request: group chat was upgraded to a supergroup chat",
                               {"migrate_to_chat_id": int(self._migrated[chat_id])})

    def _send(self, method: str, params: _Params, handler: Callable) -> dict:
        chat_id = _chat_id(params)
        try:
            self._scripted_failure(method, chat_id)
            self._flood_check(chat_id, params.flag("allow_paid_broadcast"))
            message = handler(self, chat_id, params)
        except ApiError as error:
            if error.code != 429:
                self.stats.failed += 1
            raise
        now = time.monotonic()
        stats = self.stats
        stats.delivered += 1
        stats.by_chat[chat_id] += 1
        stats.first_at = stats.first_at or now
        stats.last_at = now
        if self.record:
            self._store(message)
        self._wake(chat_id)
        return self._message_json(message)

    def _flood_check(self, chat_id: str, paid: bool) -> None:
        """Count a message (or an edit, which Telegram counts alike) against the flood limits."""
        if self.flood:
            try:
                self.flood.check(chat_id, paid, self.clock())
            except ApiError:
                self.stats.rejected_429 += 1
                raise

    def _wake(self, chat_id: str) -> None:
        waiters = self._chat_waiters.pop(chat_id, None)
        for future in waiters or ():
            if not future.done():
                future.set_result(None)

    def _store(self, message: SentMessage) -> None:
        self.sent.append(message)
        self._by_chat[message.chat_id].append(message)
        self._messages[(message.chat_id, message.message_id)] = message

    def _message_json(self, message: SentMessage) -> dict:
        body: dict[str, Any] = {"message_id": message.message_id, "date": int(time.time()),
                                "chat": _chat(message.chat_id), "from": BOT_USER}
        if message.document:
            filename, content = message.document
            body["document"] = {"file_id": f"doc{message.message_id}", "file_unique_id": "d",
                                "file_name": filename, "file_size": len(content)}
            if message.text:
                body["caption"] = message.text
                body["caption_entities"] = message.entities
        elif message.text is not None:
            body["text"] = message.text
            if message.entities:
                body["entities"] = message.entities
        if message.reply_markup and "inline_keyboard" in message.reply_markup:
            body["reply_markup"] = message.reply_markup
        return body

    def _new_message(self, method: str, chat_id: str, params: _Params, text: str | None,
                     limit: int = MESSAGE_LIMIT) -> SentMessage:
        text, entities = self._parse_text(params, text, limit)
        return SentMessage(chat_id, next(self._message_ids[chat_id]), method, text,
                           params.values, time.monotonic(), entities=entities)

    def _parse_text(self, params: _Params, text: str | None,
                    limit: int = MESSAGE_LIMIT) -> tuple[str | None, list[dict]]:
        """The plain text and entities of a text or caption, checked as Telegram checks them."""
        entities: list[dict] = []
        if text is not None and (params.get("parse_mode") or "").upper() == "HTML":
            try:
                text, entities = parse_html(text)
            except HtmlError as error:
                raise ApiError(400, str(error)) from None
        if text is not None and utf16_length(text) > limit:
            raise ApiError(400, "Bad Request: message is too long")
        self._check_markup(params.get("reply_markup"))
        return text, entities

    @staticmethod
    def _check_markup(markup: Any) -> None:
        if markup is None:
            return
        if not isinstance(markup, dict):
            raise ApiError(400, "Bad Request: can't parse reply keyboard markup JSON object")
        for row in markup.get("inline_keyboard", []):
            for button in row:
                data = button.get("callback_data")
                if not button.get("text") or (data is not None and not 1 <= len(data.encode()) <= CALLBACK_DATA_LIMIT):
                    raise ApiError(400, "Bad Request: BUTTON_DATA_INVALID")

    # -- methods --------------------------------------------------------------------------
    async def _get_me(self, params: _Params) -> dict:
        return BOT_USER

    async def _set_webhook(self, params: _Params) -> bool:
        url = params.require("url")
        if not str(url).startswith("https://"):
            raise ApiError(400, "Bad Request: bad webhook: An HTTPS URL must be provided for webhook")
        self.webhook = dict(params.values)
        return True

    async def _delete_webhook(self, params: _Params) -> bool:
        self.webhook = None
        if params.flag("drop_pending_updates"):
            self._updates.clear()
        return True

    async def _get_updates(self, params: _Params) -> list[dict]:
        if self.webhook:
            raise ApiError(409, "Conflict: can't use getUpdates method while webhook is active; "
                                "use deleteWebhook to delete the webhook first")
        offset = params.integer("offset", 0) or 0
        limit = min(100, params.integer("limit", 100) or 100)
        timeout = params.integer("timeout", 0) or 0
        if offset:
            self.confirmed_offset = max(self.confirmed_offset, offset)
            while self._updates and self._updates[0]["update_id"] < offset:
                self._updates.popleft()
            self._notify()
        if not self._updates and timeout > 0:
            self._new_update.clear()
            try:
                await asyncio.wait_for(self._new_update.wait(), timeout)
            except TimeoutError:
                return []
        return list(itertools.islice(self._updates, limit))

    def _send_message(self, chat_id: str, params: _Params) -> SentMessage:
        text = params.get("text")
        if not text or not str(text).strip():
            raise ApiError(400, "Bad Request: message text is empty")
        return self._new_message("sendMessage", chat_id, params, text)

    def _send_document(self, chat_id: str, params: _Params) -> SentMessage:
        upload = params.files.get("document")  # sent as the part itself, or attached by name
        if upload is None and str(params.get("document", "")).startswith("attach://"):
            upload = params.files.get(params.get("document").removeprefix("attach://"))
        if upload is None:
            raise ApiError(400, "Bad Request: there is no document in the request")
        message = self._new_message("sendDocument", chat_id, params, params.get("caption"), limit=1024)
        message.document = (upload.filename, upload.file.read())
        return message

    async def _answer_callback_query(self, params: _Params) -> bool:
        self.answered_callbacks.append({"id": params.require("callback_query_id"),
                                        "text": params.get("text")})
        return True

    async def _edit_message_text(self, params: _Params) -> dict:
        chat_id = _chat_id(params)
        message_id = params.integer("message_id")
        original = self._messages.get((chat_id, message_id))
        if original is None:
            raise ApiError(400, "Bad Request: message to edit not found")
        text, entities = self._parse_text(params, params.require("text"))
        markup = params.get("reply_markup")
        if text == original.text and markup == original.reply_markup:
            raise ApiError(400, "Bad Request: message is not modified")
        self._flood_check(chat_id, paid=False)
        original.text, original.entities = text, entities
        original.params = {**original.params, "reply_markup": markup}
        return self._message_json(original)

    async def _set_my_commands(self, params: _Params) -> bool:
        commands = params.require("commands")
        for command in commands:
            name, description = command.get("command", ""), command.get("description", "")
            if not (1 <= len(name) <= 32 and name.replace("_", "").isalnum() and name.islower()):
                raise ApiError(400, "Bad Request: BOT_COMMAND_INVALID")
            if not 1 <= len(description) <= 256:
                raise ApiError(400, "Bad Request: command description is invalid")
        scope = (params.get("scope") or {}).get("type", "default")
        self.commands[(scope, params.get("language_code", "") or "")] = commands
        return True

    _METHODS: dict[str, Callable] = {
        "getMe": _get_me, "setWebhook": _set_webhook, "deleteWebhook": _delete_webhook,
        "getUpdates": _get_updates, "sendMessage": _send_message, "sendDocument": _send_document,
        "answerCallbackQuery": _answer_callback_query, "editMessageText": _edit_message_text,
        "setMyCommands": _set_my_commands,
    }

    async def _stats(self, request: web.Request) -> web.Response:
        return web.json_response(self.stats.as_json())

    async def _post_update(self, request: web.Request) -> web.Response:
        """Queue an update from outside the process: a full update, or ``{"chat_id", "text"}``."""
        try:
            body = await request.json()
            update = body if "message" in body or "callback_query" in body else \
                self.message_update(int(body["chat_id"]), str(body["text"]))
        except (ValueError, TypeError, KeyError):
            return web.json_response({"error": 'expected an update or {"chat_id": ..., "text": ...}'},
                                     status=400)
        return web.json_response({"update_id": self.push(update)})


async def _serve_forever(arguments: argparse.Namespace) -> None:
    limits = RateLimits() if arguments.limits else None
    server = TelegramApiServer(arguments.token, limits=limits, record=False)
    await server.start(arguments.host, arguments.port)
    print(f"Bot API on {server.base_url} (token {server.token}); statistics at GET /stats; "
          'a resident writes with POST /updates {"chat_id": 42, "text": "bonjour"}', flush=True)
    try:
        await asyncio.Event().wait()
    finally:
        print(json.dumps(server.stats.as_json()), flush=True)
        await server.close()


def main() -> None:
    parser = argparse.ArgumentParser(description="A loopback Telegram Bot API server.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8081)
    parser.add_argument("--token", default=DEFAULT_TOKEN)
    parser.add_argument("--limits", action="store_true", help="enforce Telegram's flood limits")
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve_forever(parser.parse_args()))


if __name__ == "__main__":
    main()
