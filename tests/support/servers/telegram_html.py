"""Telegram's HTML parse mode, as the Bot API applies it: markup in, plain text and entities out.

Strict on purpose: a ``<``, ``>`` or ``&`` that is not part of a supported tag or entity is
refused, as Telegram refuses it, so that a test catches text that was not escaped.
"""
from __future__ import annotations

import html
import re

TAG_ENTITIES = {
    "b": "bold", "strong": "bold", "i": "italic", "em": "italic", "u": "underline",
    "ins": "underline", "s": "strikethrough", "strike": "strikethrough", "del": "strikethrough",
    "code": "code", "pre": "pre", "a": "text_link", "tg-spoiler": "spoiler",
    "blockquote": "blockquote",
}
_TOKEN = re.compile(
    r"<(?P<close>/?)(?P<tag>[a-zA-Z][a-zA-Z0-9-]*)(?P<attrs>\s[^<>]*)?>"
    r"|&(?P<entity>#[0-9]+|#x[0-9a-fA-F]+|[a-zA-Z]+);"
    r"|(?P<bare>[<>&])"
)
_NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_HREF = re.compile(r"""href\s*=\s*(?:"([^"]*)"|'([^']*)')""")


class HtmlError(ValueError):
    """The text is not valid for parse_mode HTML; the message is Telegram's description."""


def utf16_length(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _entity_text(token: str) -> str:
    if token.startswith("#"):
        number = int(token[2:], 16) if token[1:2] in ("x", "X") else int(token[1:])
        return chr(number)
    if token in _NAMED_ENTITIES:
        return _NAMED_ENTITIES[token]
    raise HtmlError(f"Bad Request: can't parse entities: Unsupported HTML entity \"&{token};\"")


def parse_html(markup: str) -> tuple[str, list[dict]]:
    """The plain text and the message entities (UTF-16 offsets) of ``markup``."""
    plain: list[str] = []
    length = 0
    entities: list[dict] = []
    open_tags: list[tuple[str, int, dict]] = []
    position = 0
    for match in _TOKEN.finditer(markup):
        text = markup[position:match.start()]
        plain.append(text)
        length += utf16_length(text)
        position = match.end()
        if match.group("bare"):
            offset = utf16_length(markup[:match.start()])
            raise HtmlError("Bad Request: can't parse entities: Unexpected "
                            f"\"{match.group('bare')}\" at byte offset {offset}")
        if match.group("entity"):
            character = _entity_text(match.group("entity"))
            plain.append(character)
            length += utf16_length(character)
            continue
        tag = match.group("tag").lower()
        if tag not in TAG_ENTITIES and tag != "span":
            raise HtmlError(f"Bad Request: can't parse entities: Unsupported start tag \"{tag}\"")
        if not match.group("close"):
            entity: dict = {"type": TAG_ENTITIES.get(tag, "spoiler")}
            href = _HREF.search(match.group("attrs") or "")
            if tag == "a" and href:
                entity["url"] = html.unescape(href.group(1) or href.group(2))
            open_tags.append((tag, length, entity))
            continue
        if not open_tags or open_tags[-1][0] != tag:
            raise HtmlError("Bad Request: can't parse entities: Can't find end tag "
                            f"corresponding to start tag \"{tag}\"")
        _, start, entity = open_tags.pop()
        if length > start:
            entities.append({**entity, "offset": start, "length": length - start})
    if open_tags:
        raise HtmlError("Bad Request: can't parse entities: Can't find end tag corresponding "
                        f"to start tag \"{open_tags[-1][0]}\"")
    plain.append(markup[position:])
    entities.sort(key=lambda entity: entity["offset"])
    return "".join(plain), entities
