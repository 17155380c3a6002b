"""The web chat: residents talk to the city from its website, with the same conversations as on
Telegram (see ``docs/operate/web-chat.md``).

``civicbot serve`` mounts it on its HTTP server when ``webchat_enabled`` is set:

- ``/webchat/embed.js`` (the one ``<script>`` a city adds), ``/webchat/`` (the page, also usable
  as an ``<iframe>``), ``/webchat/static/widget.{js,css}``;
- ``/webchat/socket``: the WebSocket. The page says ``hello`` with its visitor id, then gets
  ``ready``, what waited in its inbox, and a ``reply`` to each of its messages;
- the plain HTTP fallback: ``POST /webchat/api/messages`` (a message, answered with the
  replies), ``POST /webchat/api/inbox`` (acknowledge and long-poll the inbox),
  ``POST /webchat/api/photo`` (a photo for a report), ``POST /webchat/api/forget``.

A visitor is a random id the page keeps in the browser (``localStorage``); the chat id is its
keyed hash (``bot.pseudonym``), the same value as the resident's ``user_hash``, so the database
never holds an id that could open the conversation. Nothing else is kept about them: no
address, no user agent. Publications and agents' answers go through the delivery engine like on
any platform; :meth:`WebChatConnector.send` has the core hold them for the visitor
(``ChatCore.mailbox``, :mod:`bot.mailbox`) and wakes their open pages in this process; pages
open on another process are woken by a look at the held messages every ``WATCH_SECONDS``.

Every POST and the socket must come from the chat's own origin or an allowed one; messages are
limited in size (``max_message_chars``) and in rate (:mod:`bot.flood`), with a clear answer.
"""
from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections import defaultdict
from typing import Any

from aiohttp import WSCloseCode, WSMsgType, web

from bot.flood import Admission
from bot.limits import limiter_for
from bot.messages import Attachment, IncomingMessage, Reply
from bot.ports import ChatCore
from connectors import webchat_photos as photos
from connectors.base import Connector, RecipientGone
from connectors.webchat_page import ASSET_TYPES, Pages, allowed_origins, origin_allowed, page_language, security_headers
from connectors.webchat_protocol import FrameError, Said, ack_of, language_of, reply_payload, said, visitor_of

log = logging.getLogger(__name__)

PREFIX = "/webchat"
HELLO_SECONDS = 10.0  # a socket that does not say hello within this is closed
LONG_POLL_SECONDS = 25.0
WATCH_SECONDS = 1.0  # how often the inbox is read for rows written by other processes
PURGE_SECONDS = 3600.0
HEARTBEAT_SECONDS = 30.0
VISITOR_HEADER = "X-Webchat-Visitor"


class WebChatConnector(Connector):
    platform = "webchat"

    def __init__(self, bot: ChatCore) -> None:
        settings = bot.settings
        self.bot = bot
        self.allowed = allowed_origins(settings)
        self.max_chars = settings.max_message_chars
        # a frame holds one message: its text, escaped as JSON (6 bytes a character at most)
        self.frame_bytes = 6 * self.max_chars + 1024
        self.photo_bytes = int(settings.webchat_photo_max_mb * 1_000_000)
        self.pages = Pages(bot.catalog, settings, self.max_chars)
        self.limiter = limiter_for(self.platform, settings)
        self._pages_open: dict[str, set[asyncio.Event]] = defaultdict(set)  # chat -> its open pages
        self._sockets: set[web.WebSocketResponse] = set()
        self._stopping = asyncio.Event()
        self._watcher: asyncio.Task | None = None

    # -- life cycle ---------------------------------------------------------------------------
    def setup_routes(self, app: web.Application) -> None:
        app.router.add_get(f"{PREFIX}/", self._page)
        app.router.add_get(f"{PREFIX}/embed.js", self._embed)
        app.router.add_get(f"{PREFIX}/static/{{name}}", self._asset)
        app.router.add_get(f"{PREFIX}/socket", self._socket)
        app.router.add_post(f"{PREFIX}/api/messages", self._http_message)
        app.router.add_post(f"{PREFIX}/api/inbox", self._http_inbox)
        app.router.add_post(f"{PREFIX}/api/photo", self._http_photo)
        app.router.add_post(f"{PREFIX}/api/forget", self._http_forget)

    async def start(self) -> None:
        newest = await self.bot.mailbox.newest()
        self._watcher = asyncio.create_task(self._watch(newest), name="webchat-watch")
        log.info("webchat: serving %s/ (embeddable by %s)", PREFIX,
                 ", ".join(sorted(self.allowed)) or "its own origin only")

    async def stop(self) -> None:
        self._stopping.set()
        for socket in list(self._sockets):
            await socket.close(code=WSCloseCode.GOING_AWAY)
        if self._watcher:
            await self._watcher

    # -- sending (the delivery engine) --------------------------------------------------------
    async def send(self, chat_id: str, reply: Reply) -> None:
        """Put the message in the visitor's inbox; their open pages get it at once."""
        if not await self.bot.mailbox.hold(self.platform, chat_id, reply_payload(reply)):
            raise RecipientGone("no such web chat visitor (forgotten)")
        self._wake(chat_id)

    def _wake(self, chat_id: str) -> None:
        for event in self._pages_open.get(chat_id, ()):
            event.set()

    async def _watch(self, newest: int) -> None:
        """Wake the pages open here for rows other processes wrote; purge old rows now and then."""
        loop = asyncio.get_running_loop()
        next_purge = loop.time()
        while not self._stopping.is_set():
            try:
                if self._pages_open:
                    newest, chats = await self.bot.mailbox.held_since(newest, list(self._pages_open))
                    for chat_id in chats:
                        self._wake(chat_id)
                if loop.time() >= next_purge:
                    next_purge = loop.time() + PURGE_SECONDS
                    await self._purge()
            except Exception:  # the database is away: look again at the next round
                log.exception("webchat: could not read the inbox")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), WATCH_SECONDS)

    async def _purge(self) -> None:
        settings = self.bot.settings
        rows = await self.bot.mailbox.purge(settings.webchat_inbox_days)
        files = await asyncio.to_thread(photos.purge, settings.data_dir, settings.retention_days)
        if rows or files:
            log.info("webchat: purged %d unread inbox messages and %d photos", rows, files)

    # -- the conversation ---------------------------------------------------------------------
    def chat_of(self, visitor: str) -> str:
        """The chat id of a visitor: their pseudonym, as stored in ``users.user_hash``."""
        return self.bot.pseudonymizer.user_hash(self.platform, visitor)

    def error(self, problem: FrameError, lang: str | None) -> dict[str, Any]:
        language = lang or self.bot.settings.default_language
        return {"type": "error", "code": problem.key,
                "text": self.bot.catalog.get(f"webchat.{problem.key}", language, **problem.values)}

    def too_fast(self, visitor: str, lang: str | None) -> dict[str, Any] | None:
        """The error frame for a visitor over the flood limit; None when they may be answered."""
        if self.bot.flood.check(self.platform, self.chat_of(visitor)) is Admission.ANSWER:
            return None
        # a web page gets the notice each time: a silently dropped message would leave it waiting
        return {"type": "error", "code": "flood", "text": self.bot.flood.notice(lang).text}

    async def answer(self, visitor: str, lang: str | None, message: Said) -> dict[str, Any]:
        """The bot's reply to a visitor's message, or an error frame when they write too fast."""
        return self.too_fast(visitor, lang) or await self.reply(visitor, lang, message)

    async def reply(self, visitor: str, lang: str | None, message: Said,
                    attachment: Attachment | None = None) -> dict[str, Any]:
        reply = await self.bot.handle(IncomingMessage(
            self.platform, self.chat_of(visitor), visitor, message.text, location=message.location,
            attachment=attachment, language=lang))
        return {"type": "reply", **reply_payload(reply)}

    # -- the page -----------------------------------------------------------------------------
    async def _page(self, request: web.Request) -> web.Response:
        lang = page_language(request, self.bot.settings.default_language)
        return web.Response(body=self.pages.pages[lang], content_type="text/html", charset="utf-8",
                            headers=security_headers(request, self.allowed))

    async def _embed(self, request: web.Request) -> web.Response:
        return web.Response(body=self.pages.embed, content_type="text/javascript", charset="utf-8",
                            headers={"X-Content-Type-Options": "nosniff", "Cache-Control": "max-age=300",
                                     "Cross-Origin-Resource-Policy": "cross-origin"})

    async def _asset(self, request: web.Request) -> web.Response:
        name = request.match_info["name"]
        if name not in self.pages.assets:
            raise web.HTTPNotFound()
        return web.Response(body=self.pages.assets[name], content_type=ASSET_TYPES[name],
                            headers={"X-Content-Type-Options": "nosniff", "Cache-Control": "max-age=300"})

    # -- the WebSocket ------------------------------------------------------------------------
    async def _socket(self, request: web.Request) -> web.StreamResponse:
        if not origin_allowed(request, self.allowed):
            return self._http_error(FrameError("bad_origin", status=403), None)
        socket = web.WebSocketResponse(heartbeat=HEARTBEAT_SECONDS, max_msg_size=self.frame_bytes)
        await socket.prepare(request)
        self._sockets.add(socket)
        try:
            await self._converse(socket)
        finally:
            self._sockets.discard(socket)
        return socket

    async def _converse(self, socket: web.WebSocketResponse) -> None:
        try:
            hello = await asyncio.wait_for(socket.receive(), HELLO_SECONDS)
            frame = _frame(hello.data) if hello.type == WSMsgType.TEXT else {}
            if frame.get("type") != "hello":
                raise FrameError("bad_frame")
            visitor, lang = visitor_of(frame), language_of(frame)
        except (TimeoutError, FrameError) as problem:
            if isinstance(problem, FrameError) and not socket.closed:
                await socket.send_json(self.error(problem, None))
            await socket.close(code=WSCloseCode.POLICY_VIOLATION)
            return
        chat_id = self.chat_of(visitor)
        wake, sending = asyncio.Event(), asyncio.Lock()
        self._pages_open[chat_id].add(wake)
        pusher: asyncio.Task | None = None
        try:  # from here on, the page is forgotten when it goes, even before "ready" reaches it
            await socket.send_json({"type": "ready"})
            pusher = asyncio.create_task(self._push(socket, chat_id, wake, sending))
            async for message in socket:
                answer: dict[str, Any] | None
                if message.type != WSMsgType.TEXT:
                    answer = self.error(FrameError("bad_frame"), lang)
                else:
                    answer = await self._on_frame(message.data, visitor, chat_id, lang)
                if answer:
                    async with sending:
                        await socket.send_json(answer)
        except ConnectionResetError:
            pass  # the page went away mid-answer
        finally:
            if pusher is not None:
                pusher.cancel()
            self._pages_open[chat_id].discard(wake)
            if not self._pages_open[chat_id]:
                del self._pages_open[chat_id]

    async def _on_frame(self, data: str, visitor: str, chat_id: str, lang: str | None) -> dict[str, Any] | None:
        try:
            frame = _frame(data)
            if frame.get("type") == "ack":
                await self.bot.mailbox.acknowledge(chat_id, ack_of(frame))
                return None
            return await self.answer(visitor, lang, said(frame, self.max_chars))
        except FrameError as problem:
            return self.error(problem, lang)

    async def _push(self, socket: web.WebSocketResponse, chat_id: str, wake: asyncio.Event,
                    sending: asyncio.Lock) -> None:
        """Send the page what is held for it, then each new message as it is held. When that
        fails (the database is away) the socket is closed: the page connects again and gets the
        messages it did not acknowledge."""
        pushed = 0
        try:
            while not socket.closed:
                wake.clear()
                rows = await self.bot.mailbox.waiting(chat_id, pushed)
                for row in rows:
                    async with sending:
                        await socket.send_json({"type": "message", "id": row.id, **row.payload})
                    pushed = row.id
                if not rows:
                    await wake.wait()
        except ConnectionResetError:
            pass  # the page went away
        except Exception:
            log.exception("webchat: could not hand a page its messages; it will connect again")
            await socket.close(code=WSCloseCode.TRY_AGAIN_LATER)

    # -- the HTTP fallback --------------------------------------------------------------------
    async def _json_body(self, request: web.Request) -> dict[str, Any]:
        if not origin_allowed(request, self.allowed):
            raise FrameError("bad_origin", status=403)
        if request.content_length is not None and request.content_length > self.frame_bytes:
            raise FrameError("too_long", status=413, limit=self.max_chars)
        raw = bytearray()  # read(n) gives what has come so far: a body may come in several pieces
        while len(raw) <= self.frame_bytes and (chunk := await request.content.read(self.frame_bytes + 1 - len(raw))):
            raw += chunk
        if len(raw) > self.frame_bytes:
            raise FrameError("too_long", status=413, limit=self.max_chars)
        return _frame(raw)

    def _http_error(self, problem: FrameError, lang: str | None) -> web.Response:
        return web.json_response({"error": self.error(problem, lang)}, status=problem.status)

    async def _http_message(self, request: web.Request) -> web.Response:
        lang = None
        try:
            frame = await self._json_body(request)
            lang = language_of(frame)
            answer = await self.answer(visitor_of(frame), lang, said(frame, self.max_chars))
        except FrameError as problem:
            return self._http_error(problem, lang)
        if answer["type"] == "error":
            return web.json_response({"error": answer}, status=429)
        return web.json_response({"replies": [answer]})

    async def _http_inbox(self, request: web.Request) -> web.Response:
        """Acknowledge the rows up to ``after`` and return the newer ones; with ``wait``, hold
        the request until there is one (at most ``LONG_POLL_SECONDS``)."""
        lang = None
        try:
            frame = await self._json_body(request)
            lang = language_of(frame)
            chat_id = self.chat_of(visitor_of(frame))
            after = ack_of({"id": frame.get("after", 0)})
        except FrameError as problem:
            return self._http_error(problem, lang)
        wake = asyncio.Event()
        self._pages_open[chat_id].add(wake)
        try:
            await self.bot.mailbox.acknowledge(chat_id, after)
            rows = await self.bot.mailbox.waiting(chat_id, after)
            if not rows and frame.get("wait") is True:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(_first(wake, self._stopping), LONG_POLL_SECONDS)
                rows = await self.bot.mailbox.waiting(chat_id, after)
        finally:
            self._pages_open[chat_id].discard(wake)
            if not self._pages_open[chat_id]:
                del self._pages_open[chat_id]
        return web.json_response({"messages": [{"type": "message", "id": row.id, **row.payload}
                                               for row in rows]})

    async def _http_photo(self, request: web.Request) -> web.Response:
        lang = language_of({"lang": request.query.get("lang")})
        try:
            if not origin_allowed(request, self.allowed):
                raise FrameError("bad_origin", status=403)
            visitor = visitor_of({"visitor": request.headers.get(VISITOR_HEADER)})
            if request.content_length is not None and request.content_length > self.photo_bytes:
                raise FrameError("photo_too_large", status=413, megabytes=round(self.photo_bytes / 1_000_000))
        except FrameError as problem:
            return self._http_error(problem, lang)
        refused = self.too_fast(visitor, lang)  # before anything is read or kept
        if refused:
            return web.json_response({"error": refused}, status=429)
        try:
            content, extension = await photos.read_photo(request.content, self.photo_bytes)
        except FrameError as problem:
            return self._http_error(problem, lang)
        reference = await asyncio.to_thread(photos.keep, self.bot.settings.data_dir, content, extension)
        return web.json_response({"replies": [await self.reply(visitor, lang, Said(), Attachment("photo", reference))]})

    async def _http_forget(self, request: web.Request) -> web.Response:
        """Erase what is kept about the visitor (as "forget me" does); the page then makes a new id."""
        lang = None
        try:
            frame = await self._json_body(request)
            lang = language_of(frame)
            visitor = visitor_of(frame)
        except FrameError as problem:
            return self._http_error(problem, lang)
        await self.bot.forget_resident(self.platform, visitor)
        log.info("webchat: a visitor reset their browser's id")
        return web.json_response({"status": "forgotten"})


def _frame(data: str | bytes) -> dict[str, Any]:
    """A JSON object, or FrameError."""
    try:
        frame = json.loads(data)
    except (ValueError, UnicodeDecodeError):
        raise FrameError("bad_frame") from None
    if not isinstance(frame, dict):
        raise FrameError("bad_frame")
    return frame


async def _first(*events: asyncio.Event) -> None:
    waits = [asyncio.create_task(event.wait()) for event in events]
    try:
        await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for wait in waits:
            wait.cancel()
