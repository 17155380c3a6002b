"""The Matrix connector (matrix-nio).

One bot account on one homeserver. It logs in with an access token (preferred) or a password,
joins direct-message invites (from the allowed homeservers only, when a list is set) and answers
in the room where the resident wrote. End-to-end encrypted rooms work when matrix-nio's ``e2e``
extra is installed: the keys live in ``<data_dir>/matrix/``, and every device in the room gets
the room key without verification (a public service cannot verify its residents' devices).

Each room has its own queue, answered in order by a task of its own while the sync loop goes
on: a resident who types fast (or a slow answer) never holds the others' replies. The sync token
is kept by the core (``bot.ports.ChatCore.save_state``) only once every message of its sync batch and of
the batches before it has been answered, so a restart resumes after the last answered batch and
never answers old messages twice. On the very first start there is no token: history is skipped,
and in a room the bot has just joined, only messages sent after its invitation are answered.
"""
from __future__ import annotations

import asyncio
import html
import io
import logging
import random
import re
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from aiohttp import ClientError
from nio import (
    AsyncClient,
    AsyncClientConfig,
    ErrorResponse,
    InviteMemberEvent,
    LocalProtocolError,
    LoginError,
    MatrixRoom,
    MegolmEvent,
    RoomEncryptedMedia,
    RoomMemberEvent,
    RoomMessage,
    RoomMessageEmote,
    RoomMessageMedia,
    RoomMessageNotice,
    RoomMessageText,
    RoomMessageUnknown,
    SyncError,
    SyncResponse,
    UploadError,
    WhoamiError,
)
from nio.crypto import ENCRYPTION_ENABLED

from bot import metrics
from bot.config import ConfigError, Settings
from bot.files import private_dir
from bot.flood import Admission
from bot.limits import limiter_for
from bot.messages import Attachment, Document, IncomingMessage, Location, Reply
from bot.ports import ChatCore
from bot.redact import hide_in_logs
from connectors.base import Connector, RateLimited, RecipientGone, TemporaryError
from connectors.telegram_messages import split_text  # platform-neutral despite its home

log = logging.getLogger(__name__)

SYNC_TIMEOUT_MS = 30_000
REQUEST_TIMEOUT_S = 30.0
TIMELINE_LIMIT = 50  # events per room and sync: enough for a new DM's creation plus first words
MAX_BODY_CHARS = 16_000  # a Matrix event must stay under 64 KiB, HTML and plain text together
START_ATTEMPTS = 5
MAX_BACKOFF_S = 60.0
MAX_UNANSWERED_SYNCS = 50  # sync batches in hand before the sync loop waits for answers
GONE_CODES = frozenset({"M_FORBIDDEN", "M_NOT_FOUND"})
TRANSPORT_ERRORS = (ClientError, TimeoutError, asyncio.TimeoutError, OSError)

_GEO_URI = re.compile(r"^geo:(-?\d{1,3}(?:\.\d+)?),(-?\d{1,3}(?:\.\d+)?)(?:,-?\d+(?:\.\d+)?)?(?:;.*)?$",
                      re.IGNORECASE)
_HOMESERVER = re.compile(r"^https?://[^\s/]+(/\S*)?$")
_USER_ID = re.compile(r"^@[^:\s]+:[^\s]+$")
_MATRIX_USER_ID = re.compile(r"@[^\s:@]+:[A-Za-z0-9.\-\[\]]+(?::\d+)?")
_URL = re.compile(r"https?://[^\s<>\"]+[^\s<>\".,;:!?)\]]")


@dataclass(eq=False)
class _Batch:
    """One sync's token, and how many of its rooms are still being answered."""

    token: str
    rooms: int = 0


class MatrixStartError(RuntimeError):
    """The connector could not log in or reach the homeserver; the message says why."""


class _RedactUserIds(logging.Filter):
    """matrix-nio names users in some of its log lines: keep their raw ids out of the logs."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg, record.args = _MATRIX_USER_ID.sub("@…", record.getMessage()), None
        return True


def protect_logs(log_message_text: bool) -> None:
    """Keep matrix-nio's chatty INFO lines (which name users and rooms) out of civicbot's logs,
    and the user ids out of its warnings, unless ``log_message_text`` allows them."""
    library = logging.getLogger("nio")
    library.setLevel(max(library.getEffectiveLevel(), logging.WARNING))
    if log_message_text:
        return
    for name in list(logging.root.manager.loggerDict):
        logger = logging.getLogger(name)
        if (name == "nio" or name.startswith("nio.")) and not any(
                isinstance(existing, _RedactUserIds) for existing in logger.filters):
            logger.addFilter(_RedactUserIds())


def check_settings(settings: Settings) -> None:
    """Raise a ConfigError naming the Matrix setting that cannot be used."""
    if not _HOMESERVER.match(settings.matrix_homeserver):
        raise ConfigError("setting 'matrix_homeserver': expected the homeserver's URL, "
                          "e.g. https://matrix.example.org")
    if not _USER_ID.match(settings.matrix_user_id):
        raise ConfigError("setting 'matrix_user_id': expected a full user id, e.g. @civicbot:example.org")
    if not (settings.matrix_access_token or settings.matrix_password):
        raise ConfigError("setting 'matrix_access_token' or 'matrix_password': one of them is needed")


# Platform events -> incoming messages


def parse_geo_uri(uri: str) -> Location | None:
    """The point of an RFC 5870 ``geo:`` URI (``geo:47.21,-1.55;u=20``), or None if invalid."""
    match = _GEO_URI.match((uri or "").strip())
    if not match:
        return None
    latitude, longitude = float(match.group(1)), float(match.group(2))
    if -90 <= latitude <= 90 and -180 <= longitude <= 180:
        return Location(latitude, longitude)
    return None


def _without_reply_fallback(body: str, content: dict[str, Any]) -> str:
    """A reply's body quotes the earlier message ("> <@user> ...") first: keep only the answer."""
    if "m.in_reply_to" not in (content.get("m.relates_to") or {}):
        return body
    lines = body.splitlines()
    while lines and lines[0].startswith(">"):
        lines.pop(0)
    return "\n".join(lines).strip()


def _media_caption(content: dict[str, Any]) -> str:
    """A media event's body is its file name, unless a distinct ``filename`` makes it a caption."""
    filename, body = content.get("filename"), content.get("body", "")
    return body if filename and filename != body else ""


def to_incoming(event: RoomMessage, room_id: str) -> IncomingMessage | None:
    """The resident's message carried by a room message event, or None for what is not one
    (notices from other bots, edits of earlier messages, stickers...)."""
    content = event.source.get("content") or {}
    if (content.get("m.relates_to") or {}).get("rel_type") == "m.replace":
        return None  # an edit: the original was already answered
    text, location, attachment = "", None, None
    if isinstance(event, (RoomMessageText, RoomMessageEmote)) and not isinstance(event, RoomMessageNotice):
        text = _without_reply_fallback(event.body, content)
    elif isinstance(event, (RoomMessageMedia, RoomEncryptedMedia)):
        attachment = Attachment("image" if content.get("msgtype") == "m.image" else "file", event.url)
        text = _media_caption(content)
    elif isinstance(event, RoomMessageUnknown) and event.msgtype == "m.location":
        location = parse_geo_uri(content.get("geo_uri", ""))
    else:
        return None
    return IncomingMessage("matrix", room_id, event.sender, text, location=location,
                           attachment=attachment)


def fresh_events(events: list[Any], own_user_id: str) -> list[Any]:
    """The events of one room's timeline batch that the bot may answer.

    When the batch holds the bot's own invitation or join, what precedes it is the room's
    history, shown to a newcomer: only what follows the invitation (or the join, when the
    invitation is not in the batch) is new.
    """
    start, invited = 0, False
    for index, event in enumerate(events):
        if not isinstance(event, RoomMemberEvent) or event.state_key != own_user_id:
            continue
        if event.membership == "invite":
            start, invited = index + 1, True
        elif event.membership == "join" and event.prev_membership != "join":
            if not invited:
                start = index + 1
            invited = False
    return events[start:]


# Replies -> Matrix events


def _html_paragraphs(text: str) -> str:
    paragraphs = [part for part in re.split(r"\n\s*\n", text) if part.strip()]
    rendered = []
    for paragraph in paragraphs:
        escaped = html.escape(paragraph.strip(), quote=False)
        linked = _URL.sub(lambda url: f'<a href="{url.group(0)}">{url.group(0)}</a>', escaped)
        rendered.append("<p>" + linked.replace("\n", "<br/>") + "</p>")
    return "".join(rendered)


def render(reply: Reply, location_hint: str = "") -> list[dict[str, Any]]:
    """The ``m.room.message`` contents of a reply: text in HTML with a plain-text fallback, the
    choices as a numbered list (the resident answers with the number or the text)."""
    pieces = split_text(reply.text, MAX_BODY_CHARS) or [""]
    contents = []
    for index, piece in enumerate(pieces):
        plain, formatted = piece, _html_paragraphs(piece)
        if index == len(pieces) - 1:
            if reply.choices:
                plain = Reply(piece, reply.choices).numbered_text()
                items = "".join(f"<li>{html.escape(choice.label, quote=False)}</li>"
                                for choice in reply.choices)
                formatted += f"<ol>{items}</ol>"
            if location_hint:
                plain += f"\n\n{location_hint}"
                formatted += f"<p><em>{html.escape(location_hint, quote=False)}</em></p>"
        contents.append({"msgtype": "m.text", "body": plain,
                         "format": "org.matrix.custom.html", "formatted_body": formatted})
    return contents


def raise_for_error(response: Any) -> None:
    """Map a homeserver error answer to the connector's neutral send errors."""
    if not isinstance(response, ErrorResponse):
        return
    status = getattr(response.transport_response, "status", None)
    if response.status_code == "M_LIMIT_EXCEEDED" or status == 429:
        metrics.RATE_LIMITED.labels("matrix").inc()
        raise RateLimited((response.retry_after_ms or 5000) / 1000)
    if response.status_code in GONE_CODES:
        raise RecipientGone(response.status_code)
    raise TemporaryError(f"{response.status_code or 'no error code'} (HTTP {status})")


class MatrixConnector(Connector):
    exclusive = True  # one sync per account
    platform = "matrix"

    def __init__(self, bot: ChatCore, encryption: bool = True) -> None:
        settings = bot.settings
        check_settings(settings)
        protect_logs(settings.log_message_text)
        hide_in_logs(settings.matrix_access_token)
        hide_in_logs(settings.matrix_password)
        self.bot = bot
        self.settings = settings
        store = settings.data_dir / "matrix"
        private_dir(store)
        self.encryption = encryption and ENCRYPTION_ENABLED
        config = AsyncClientConfig(
            max_limit_exceeded=0, max_timeouts=0, request_timeout=REQUEST_TIMEOUT_S,
            encryption_enabled=self.encryption, store_sync_tokens=False,
            # Encrypts the keys at rest with a key derived from the bot's own secret.
            pickle_key=bot.pseudonymizer.user_hash("matrix-store", settings.matrix_user_id),
        )
        self.client = AsyncClient(settings.matrix_homeserver, settings.matrix_user_id,
                                  store_path=str(store), config=config)
        self.limiter = limiter_for(self.platform, settings)
        self._task: asyncio.Task | None = None
        self._busy = False
        self._stopping = False
        self._keys_lock = asyncio.Lock()
        self._rooms: dict[str, deque[tuple[MatrixRoom, list[Any], _Batch]]] = {}  # room -> what to answer
        self._room_tasks: set[asyncio.Task] = set()
        self._batches: deque[_Batch] = deque()  # in sync order, not acknowledged yet
        self._acknowledging = asyncio.Lock()
        self._acknowledged = asyncio.Event()

    # Lifecycle

    async def start(self) -> None:
        """Log in and sync once (so every joined room is known), then keep syncing."""
        try:
            await self._connect()
        except BaseException:
            await self.client.close()
            raise
        self._task = asyncio.create_task(self._sync_forever(), name="matrix-sync")

    async def _connect(self) -> None:
        for attempt in range(START_ATTEMPTS):
            try:
                await self._log_in()
                await self._sync_once(await self._load_state("sync_token"), first=True)
                return
            except TRANSPORT_ERRORS + (TemporaryError, RateLimited) as error:
                if attempt == START_ATTEMPTS - 1:
                    raise MatrixStartError(f"homeserver unreachable: {type(error).__name__}") from None
                await asyncio.sleep(_backoff(attempt))

    async def stop(self) -> None:
        """Stop syncing; the messages in hand are answered and acknowledged first."""
        self._stopping = True
        if self._task is not None:
            if not self._busy:
                self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None
        while self._room_tasks:
            await asyncio.gather(*self._room_tasks, return_exceptions=True)
        await self.client.close()

    async def _log_in(self) -> None:
        settings = self.settings
        if settings.matrix_access_token:
            self.client.access_token = settings.matrix_access_token
            who = await self.client.whoami()
            if isinstance(who, WhoamiError):
                self._fail_login(who)
            if not who.device_id:
                raise MatrixStartError("the access token belongs to no device: log in to get one")
            self.client.restore_login(who.user_id, who.device_id, settings.matrix_access_token)
            return
        self.client.device_id = await self._load_state("device_id")
        response = await self.client.login(settings.matrix_password,
                                           device_name=settings.matrix_device_name)
        if isinstance(response, LoginError):
            self._fail_login(response)
        await self._save_state("device_id", response.device_id)

    @staticmethod
    def _fail_login(response: ErrorResponse) -> None:
        if response.status_code in ("M_FORBIDDEN", "M_UNKNOWN_TOKEN", "M_USER_DEACTIVATED",
                                    "M_INVALID_USERNAME"):
            raise MatrixStartError(f"login refused by the homeserver: {response.status_code}")
        raise_for_error(response)

    # Receiving

    async def _sync_forever(self) -> None:
        failures = 0
        while not self._stopping:
            try:
                await self._sync_once(self.client.next_batch)
                failures = 0
            except asyncio.CancelledError:
                raise
            except RateLimited as error:
                await asyncio.sleep(error.retry_after)
            except Exception as error:  # noqa: BLE001 - nothing may kill the connector: log, wait, go on
                log.warning("matrix: sync failed (%s), retrying", type(error).__name__)
                await asyncio.sleep(_backoff(failures))
                failures += 1

    async def _sync_once(self, since: str | None, first: bool = False) -> None:
        """One sync: answer its messages, then acknowledge it by keeping its token.

        The first sync after a start asks for the full state (rooms, members, encryption);
        without a stored token it is the account's history, which is never answered.
        """
        await self._maintain_keys()
        response = await self.client.sync(
            timeout=0 if first else SYNC_TIMEOUT_MS, since=since, full_state=first or None,
            sync_filter={"room": {"timeline": {"limit": TIMELINE_LIMIT}}},
        )
        if isinstance(response, SyncError):
            raise_for_error(response)
        self._busy = True
        batch = _Batch(response.next_batch, rooms=1)  # held until all its rooms are queued
        self._batches.append(batch)
        try:
            await self._handle_sync(response, batch, answer=since is not None)
        finally:
            batch.rooms -= 1
            self._busy = False
        await self._acknowledge()
        while len(self._batches) >= MAX_UNANSWERED_SYNCS and not self._stopping:
            self._acknowledged.clear()
            await self._acknowledged.wait()

    async def _maintain_keys(self) -> None:
        """What matrix-nio's sync loop does for encryption between two syncs."""
        if self.client.olm is None:
            return
        if self.client.should_upload_keys:
            await self.client.keys_upload()
        await self._query_keys()
        if self.client.should_claim_keys:
            await self.client.keys_claim(self.client.get_users_for_key_claiming())
        await self.client.send_to_device_messages()

    async def _query_keys(self) -> None:
        async with self._keys_lock:
            if self.client.olm is not None and self.client.should_query_keys:
                await self.client.keys_query()

    async def _handle_sync(self, response: SyncResponse, batch: _Batch, answer: bool) -> None:
        for room_id, info in response.rooms.invite.items():
            await self._on_invite(room_id, info.invite_state)
        if not answer:
            return
        for room_id, info in response.rooms.join.items():
            events = fresh_events(info.timeline.events, self.client.user_id)
            if events and room_id in self.client.rooms:
                self._queue(self.client.rooms[room_id], events, batch)

    def _queue(self, room: MatrixRoom, events: list[Any], batch: _Batch) -> None:
        """Hand a room's new events to its task, started when the room has none."""
        batch.rooms += 1
        queue = self._rooms.get(room.room_id)
        if queue is None:
            queue = self._rooms[room.room_id] = deque()
            task = asyncio.create_task(self._serve_room(room.room_id, queue), name="matrix-room")
            self._room_tasks.add(task)
            task.add_done_callback(self._room_tasks.discard)
        queue.append((room, events, batch))

    async def _serve_room(self, room_id: str, queue: deque[tuple[MatrixRoom, list[Any], _Batch]]) -> None:
        """Answer a room's batches in order, until its queue is empty."""
        while queue:
            room, events, batch = queue.popleft()
            await self._answer_room(room, events)
            batch.rooms -= 1
            if not batch.rooms:
                await self._acknowledge()
        del self._rooms[room_id]

    async def _acknowledge(self) -> None:
        """Keep the token of the last batch answered whole, with every batch before it."""
        async with self._acknowledging:
            token = None
            while self._batches and not self._batches[0].rooms:
                token = self._batches.popleft().token
            if token is None:
                return
            try:
                await self._save_state("sync_token", token)
            except Exception as error:  # noqa: BLE001 - the next batch answered keeps a later token
                log.warning("matrix: the sync token was not kept (%s)", type(error).__name__)
            self._acknowledged.set()

    async def _on_invite(self, room_id: str, invite_state: Iterable[Any]) -> None:
        invite = next((event for event in invite_state
                       if isinstance(event, InviteMemberEvent)
                       and event.state_key == self.client.user_id and event.membership == "invite"),
                      None)
        if invite is None:
            return
        try:
            if not self.accepts_invite(invite.sender, invite.content):
                log.info("matrix: refusing an invitation (not a direct chat, or server not allowed)")
            elif await self._join(room_id):
                return
            raise_for_error(await self.client.room_leave(room_id))
        except Exception as error:  # noqa: BLE001 - a bad invitation must not stop the sync loop
            log.warning("matrix: could not answer an invitation (%s)", type(error).__name__)

    async def _join(self, room_id: str) -> bool:
        """Join; False when the room cannot be joined any more (everyone left it)."""
        response = await self.client.join(room_id)
        if isinstance(response, ErrorResponse) and \
                getattr(response.transport_response, "status", None) in (403, 404):
            return False
        raise_for_error(response)
        log.info("matrix: joined a direct chat")
        return True

    def accepts_invite(self, inviter: str, content: dict[str, Any]) -> bool:
        """Direct chats only, and from the allowed homeservers when a list is set."""
        server = inviter.partition(":")[2].lower()
        allowed = [name.lower() for name in self.settings.matrix_allowed_servers]
        return bool(content.get("is_direct")) and (not allowed or server in allowed)

    async def _answer_room(self, room: MatrixRoom, events: list[Any]) -> None:
        """Answer a room's new messages in order; a failure never stops the others."""
        for event in events:
            try:
                await self._answer_event(room, event)
            except Exception:
                log.exception("matrix: failed to answer an event")

    async def _answer_event(self, room: MatrixRoom, event: Any) -> None:
        if getattr(event, "sender", None) == self.client.user_id:
            return
        if isinstance(event, MegolmEvent):
            await self._say_cannot_decrypt(room, event)
        elif isinstance(event, RoomMemberEvent):
            if event.membership in ("leave", "ban") and room.joined_count <= 1:
                await self.client.room_leave(room.room_id)  # the resident left: so does the bot
        elif isinstance(event, RoomMessage):
            message = to_incoming(event, room.room_id)
            if message is None:
                return
            admission = self.bot.flood.check(self.platform, room.room_id)  # before answering
            if admission is Admission.ANSWER:
                await self.deliver_reply(room.room_id, await self.bot.handle(message))
            elif admission is Admission.NOTICE:
                await self.deliver_reply(room.room_id, self.bot.flood.notice(None))

    async def _say_cannot_decrypt(self, room: MatrixRoom, event: MegolmEvent) -> None:
        """An encrypted message the bot cannot read gets an answer in both languages."""
        key = "matrix.undecryptable" if self.client.olm is not None else "matrix.encryption_unavailable"
        if self.client.olm is not None:
            try:
                await self.client.request_room_key(event)
            except Exception as error:  # noqa: BLE001 - a request already sent, or no device to ask
                log.debug("matrix: room key request not sent (%s)", type(error).__name__)
        catalog = self.bot.catalog
        text = f"{catalog.get(key, 'fr')}\n\n{catalog.get(key, 'en')}"
        await self.deliver_reply(room.room_id, Reply(text))

    # Sending

    async def send(self, chat_id: str, reply: Reply) -> None:
        """One attempt at delivering a reply (text, then the document if any)."""
        try:
            if self.client.olm is not None and chat_id in self.client.encrypted_rooms:
                await self._query_keys()  # so that the resident's new devices get the room key
            hint = self.bot.catalog.get("matrix.location_hint", reply.language) if reply.request_location else ""
            contents = render(reply, hint)
            if reply.document is not None:
                contents.append(await self._upload_document(chat_id, reply.document))
            for index, content in enumerate(contents):
                async with self.part_turn(chat_id, reply, index):
                    raise_for_error(await self.client.room_send(
                        chat_id, "m.room.message", content, ignore_unverified_devices=True))
        except LocalProtocolError as error:
            if chat_id not in self.client.rooms and not await self._is_member(chat_id):
                raise RecipientGone("not in this room") from None
            raise TemporaryError(type(error).__name__) from None  # e.g. a room not synced yet
        except TRANSPORT_ERRORS as error:
            raise TemporaryError(type(error).__name__) from None

    async def _is_member(self, room_id: str) -> bool:
        try:
            response = await self.client.joined_rooms()
        except TRANSPORT_ERRORS:
            return True  # cannot tell: not gone
        return isinstance(response, ErrorResponse) or room_id in response.rooms

    async def _upload_document(self, chat_id: str, document: Document) -> dict[str, Any]:
        encrypt = self.client.olm is not None and chat_id in self.client.encrypted_rooms
        response, keys = await self.client.upload(
            io.BytesIO(document.content), content_type=document.mime_type,
            filename=document.filename, encrypt=encrypt, filesize=len(document.content))
        if isinstance(response, UploadError):
            raise_for_error(response)
        content: dict[str, Any] = {"msgtype": "m.file", "body": document.filename,
                                   "filename": document.filename,
                                   "info": {"mimetype": document.mime_type,
                                            "size": len(document.content)}}
        if keys is not None:
            content["file"] = {**keys, "url": response.content_uri}
        else:
            content["url"] = response.content_uri
        return content

    async def on_recipient_gone(self, chat_id: str) -> None:
        """The bot cannot write there any more: leave the room rather than keep trying."""
        try:
            await self.client.room_leave(chat_id)
        except Exception as error:  # noqa: BLE001 - best effort: the delivery is already given up
            log.debug("matrix: leaving an unreachable room failed (%s)", type(error).__name__)

    # State kept across restarts

    def _state_key(self, name: str) -> str:
        return f"matrix.{name}:{self.settings.matrix_user_id}"[:128]

    async def _load_state(self, name: str) -> str | None:
        return await self.bot.load_state(self._state_key(name))

    async def _save_state(self, name: str, value: str) -> None:
        await self.bot.save_state(self._state_key(name), value)


def _backoff(attempt: int) -> float:
    """Exponential backoff with jitter, capped."""
    return min(MAX_BACKOFF_S, 0.5 * 2 ** attempt) * (0.5 + random.random() / 2)
