"""Translation between Telegram and civicbot's neutral message model, both ways.

Incoming: a Telegram message becomes an :class:`~bot.messages.IncomingMessage`. Outgoing: a
:class:`~bot.messages.Reply` becomes the messages that render it best on Telegram — HTML text
cut under the 4,096-character limit, choices as an inline keyboard (or reply-keyboard buttons
next to a location request), the document as a file. Also the command menu, per language.
"""
from __future__ import annotations

import html
import re
from collections.abc import Collection, Iterable
from dataclasses import dataclass

from telegram import (
    BotCommand,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    Message,
    ReplyKeyboardMarkup,
    User,
)
from telegram.constants import ParseMode

from bot.i18n import LANGUAGES, Catalog
from bot.messages import Attachment, Document, IncomingMessage, Location, Reply
from bot.ports import IntentCommands
from bot.text import normalize

PLATFORM = "telegram"
PARSE_MODE = ParseMode.HTML
MESSAGE_LIMIT = 4096  # characters after parsing, counted in UTF-16 code units
CALLBACK_DATA_LIMIT = 64  # bytes
_COMMAND_NAME = re.compile(r"^[a-z0-9_]{1,32}$")
_BREAKS = ("\n\n", "\n", " ")

Markup = InlineKeyboardMarkup | ReplyKeyboardMarkup


# -- incoming -------------------------------------------------------------------------------
def platform_language(user: User | None) -> str | None:
    """"fr" or "en" from the language the resident's Telegram app uses, else None."""
    code = (user.language_code or "")[:2].lower() if user else ""
    return code if code in LANGUAGES else None


def _attachment(message: Message) -> Attachment | None:
    if message.photo:
        return Attachment("photo", message.photo[-1].file_id)  # the largest size
    if message.document:
        kind = "image" if (message.document.mime_type or "").startswith("image/") else "file"
        return Attachment(kind, message.document.file_id)
    return None


def incoming(message: Message, user: User, text: str | None = None) -> IncomingMessage:
    """A resident's message; ``text`` replaces the message's own (a button's value, a deep link)."""
    location = message.location
    return IncomingMessage(
        platform=PLATFORM,
        chat_id=str(message.chat.id),
        user_id=str(user.id),
        text=text if text is not None else (message.text or message.caption or ""),
        location=Location(location.latitude, location.longitude) if location else None,
        attachment=None if text is not None else _attachment(message),
        language=platform_language(user),
    )


def deep_link_text(parameter: str, commands: Collection[str]) -> str:
    """What ``/start PARAMETER`` stands for: ``abonner-travaux`` is ``/abonner travaux``.

    Deep-link parameters allow only ``A-Z a-z 0-9 _ -``: the first word (before ``-``) names a
    command, the rest are its words (``_`` is a space). Anything else is a plain ``/start``.
    """
    command, _, rest = parameter.partition("-")
    command = command.lower()
    if command not in commands:
        return "/start"
    words = rest.replace("-", " ").replace("_", " ").strip()
    return f"/{command} {words}" if words else f"/{command}"


# -- outgoing -------------------------------------------------------------------------------
@dataclass(frozen=True)
class Part:
    """One Bot API send: an HTML text, or a document; the last part carries the keyboard."""

    html: str | None = None
    document: Document | None = None
    markup: Markup | None = None


def utf16_length(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def escape(text: str) -> str:
    """Plain text made safe for parse mode HTML."""
    return html.escape(text, quote=False)


def _longest_prefix(text: str, limit: int) -> int:
    """How many characters of ``text`` fit in ``limit`` UTF-16 code units."""
    if utf16_length(text) <= limit:
        return len(text)
    low, high = 0, min(len(text), limit)
    while low < high:  # characters outside the BMP take two code units
        middle = (low + high + 1) // 2
        if utf16_length(text[:middle]) <= limit:
            low = middle
        else:
            high = middle - 1
    return low


def split_text(text: str, limit: int = MESSAGE_LIMIT) -> list[str]:
    """Cut ``text`` into pieces of at most ``limit`` UTF-16 code units, at a paragraph, line or
    word break when one falls in the second half of a piece."""
    pieces: list[str] = []
    rest = text.strip()
    while utf16_length(rest) > limit:
        cut = _longest_prefix(rest, limit)
        for separator in _BREAKS:
            position = rest.rfind(separator, 0, cut)
            if position >= cut // 2:
                cut = position
                break
        pieces.append(rest[:cut].rstrip())
        rest = rest[cut:].strip()
    if rest:
        pieces.append(rest)
    return pieces


def callback_data(value: str, number: int) -> str:
    """The choice's value, or its number when the value is over Telegram's 64 bytes (the core
    reads a number as the choice of that rank)."""
    return value if 0 < len(value.encode("utf-8")) <= CALLBACK_DATA_LIMIT else str(number)


def keyboard(reply: Reply, catalog: Catalog) -> Markup | None:
    """Choices as inline buttons; with a location request, a reply keyboard whose first button
    shares the location and whose other buttons send the choices' labels."""
    if reply.request_location:
        rows = [[KeyboardButton(catalog.get("telegram.share_location", reply.language),
                                request_location=True)]]
        rows += [[KeyboardButton(choice.label)] for choice in reply.choices]
        return ReplyKeyboardMarkup(rows, resize_keyboard=True, one_time_keyboard=True)
    if reply.choices:
        return InlineKeyboardMarkup(
            [[InlineKeyboardButton(choice.label, callback_data=callback_data(choice.value, number))]
             for number, choice in enumerate(reply.choices, 1)]
        )
    return None


def render(reply: Reply, catalog: Catalog) -> list[Part]:
    """The sends that make up ``reply``, in order."""
    parts = [Part(html=escape(piece)) for piece in split_text(reply.text)]
    if reply.document:
        parts.append(Part(document=reply.document))
    markup = keyboard(reply, catalog)
    if markup and parts:
        parts[-1] = Part(parts[-1].html, parts[-1].document, markup)
    return parts


def chosen_label(message: Message, data: str) -> str | None:
    """The label of the inline button of ``message`` that sends ``data``."""
    markup = message.reply_markup
    for row in markup.inline_keyboard if markup else ():
        for button in row:
            if button.callback_data == data:
                return button.text
    return None


def with_choice(message: Message, label: str) -> str | None:
    """The message's HTML text followed by the choice made, or None when it would not fit."""
    if message.text is None or utf16_length(message.text) + utf16_length(label) + 3 > MESSAGE_LIMIT:
        return None
    return f"{message.text_html}\n\n» {escape(label)}"


# -- command menu ---------------------------------------------------------------------------
def _menu_command(commands: list[str], examples: dict[str, list[str]], lang: str) -> str | None:
    """The intent's command for ``lang``'s menu: the one its examples in that language use most
    (and the other language's least); on a tie the first (French) or the last (English)."""
    candidates = [command for command in commands if command != "start" and _COMMAND_NAME.match(command)]
    if not candidates:
        return None

    def uses(language: str) -> list[str]:
        return " ".join(normalize(example) for example in examples.get(language, [])).split()

    own, others = uses(lang), [word for other in LANGUAGES if other != lang for word in uses(other)]
    order = candidates if lang == LANGUAGES[0] else list(reversed(candidates))
    return max(order, key=lambda command: own.count(command) - others.count(command))


def command_menu(intents: Iterable[IntentCommands], catalog: Catalog, lang: str) -> list[BotCommand]:
    """The command menu in ``lang``: one command per intent, described by its choice label."""
    menu = []
    for spec in intents:
        command = _menu_command(spec.commands, spec.examples, lang)
        if command:
            description = catalog.get(f"core.choice.{spec.name}", lang)[:256]
            menu.append(BotCommand(command, description))
    return menu
