"""Long answers cut into pages, with a "voir la suite" choice.

A meeting with 58 deliberations would be one 8 kB message, which platforms cut or refuse and
nobody reads on a phone. The first page goes out at once; the others wait in the conversation
(so they survive a restart) until the resident asks for them with the intent's command and the
``more`` word ("/conseil suite"), or go back and forth with "et la suite ?" / "et celle d'avant ?"
(the ``sequence`` follow-up of ``bot.continuation``).
"""
from __future__ import annotations

from bot.context import Context
from bot.messages import Choice, Reply
from bot.text import STOP_WORDS, normalize
from knowledge.answers import request_text, word_list

PAGE_ITEMS = 10
PAGE_CHARS = 2500
_KEY = "paging"


def _cut(items: list[str]) -> list[list[str]]:
    pages: list[list[str]] = [[]]
    for item in items:
        page = pages[-1]
        if page and (len(page) >= PAGE_ITEMS or sum(map(len, page)) + len(item) > PAGE_CHARS):
            pages.append([])
        pages[-1].append(item)
    return pages


def _more_choice(ctx: Context) -> Choice:
    command = ctx.bot.intents[ctx.intent].commands[0]
    return Choice(ctx.t("knowledge.more"), f"/{command} {ctx.t('knowledge.more_word')}")


def _page(ctx: Context, head: list[str], pages: list[list[str]], at: int, tail: list[str],
          choices: list[Choice]) -> Reply:
    """Page ``at`` of ``pages``; all of them kept for "voir la suite" and "la page d'avant"."""
    data = {key: value for key, value in ctx.conversation.data.items() if key != _KEY}
    if len(pages) > 1:
        data[_KEY] = {"intent": ctx.intent, "pages": pages, "at": at, "tail": tail,
                      "choices": [[choice.label, choice.value] for choice in choices]}
    ctx.conversation.data = data
    lines = [*head, *pages[at]]
    if len(pages) > 1:
        lines.append(ctx.t("knowledge.page", page=at + 1, pages=len(pages)))
    if at + 1 < len(pages):
        lines.append(ctx.t("knowledge.more_left"))
        choices = [_more_choice(ctx), *choices]
    if tail:
        lines += ["", *tail]
    return ctx.reply("\n".join(lines), choices)


def paged(ctx: Context, head: list[str], items: list[str], tail: list[str],
          choices: list[Choice]) -> Reply:
    """The head, the first page of items and the tail (the sources); the other pages wait for
    the "more" choice."""
    return _page(ctx, head, _cut(items), 0, tail, choices)


def turn_page(ctx: Context, step: int) -> Reply | None:
    """The page after (``step`` 1) or before (-1) the one shown last by this intent; ``None``
    when it showed no pages, the end of the list when there is none that way."""
    stored = ctx.conversation.data.get(_KEY)
    if not stored or stored.get("intent") != ctx.intent:
        return None
    at = stored["at"] + step
    if not 0 <= at < len(stored["pages"]):
        return ctx.reply(ctx.t("knowledge.no_more" if step > 0 else "knowledge.no_previous"))
    choices = [Choice(label, value) for label, value in stored["choices"]]
    return _page(ctx, [], stored["pages"], at, stored["tail"], choices)


async def next_page(ctx: Context) -> Reply | None:
    """The next page when the request only asks for more ("suite", "voir la suite svp",
    "show more"), or ``None`` when it asks something else."""
    words = set(normalize(request_text(ctx)).split()) - STOP_WORDS
    if not words or not words <= {word for phrase in word_list("more") for word in phrase.split()}:
        return None
    return turn_page(ctx, 1) or ctx.reply(ctx.t("knowledge.no_more"))
