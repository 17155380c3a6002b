"""The pages e-mail links open, served by ``civicbot serve``:

- ``GET /email/confirm?t=…``: asks "confirm?" with one button; ``POST`` to the same link
  confirms the address (double opt-in). A GET never confirms: mail scanners that open every
  link of a message must not subscribe an address on its owner's behalf;
- ``GET /email/unsubscribe?t=…``: asks "unsubscribe?" with one button; ``POST`` to the same
  link unsubscribes at once, with or without the RFC 8058 body ``List-Unsubscribe=One-Click``
  (what mail clients send from the List-Unsubscribe-Post header);
- ``GET /email/settings?t=…``: the address, its state, and what it receives.

A forged, altered or expired link gets a page that says so (400), never an error trace.
"""
from __future__ import annotations

import html
from collections.abc import Awaitable, Callable

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncSession

from bot.app import CivicBot
from bot.email import store
from bot.email.links import CONFIRM, PATHS, SETTINGS, UNSUBSCRIBE, BadLink, Links, LinkTarget
from bot.email.models import STOPPED, EmailAddress, EmailChoice
from bot.http import BOT_KEY

LINKS_KEY = web.AppKey("email_links", Links)
CSP = "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'"


def setup_routes(app: web.Application, bot: CivicBot) -> None:
    app[LINKS_KEY] = Links(bot.settings)
    app.router.add_get(PATHS[CONFIRM], confirm_page)
    app.router.add_post(PATHS[CONFIRM], confirm)
    app.router.add_get(PATHS[UNSUBSCRIBE], unsubscribe_page)
    app.router.add_post(PATHS[UNSUBSCRIBE], unsubscribe)
    app.router.add_get(PATHS[SETTINGS], settings_page)


def _page(bot: CivicBot, lang: str, paragraphs: list[str], status: int = 200, form: str = "") -> web.Response:
    title = html.escape(bot.catalog.get("email.page.title", lang, city=bot.settings.city_name))
    body = "\n".join(f"<p>{html.escape(paragraph)}</p>" for paragraph in paragraphs)
    page = (f'<!DOCTYPE html>\n<html lang="{lang}">\n<head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{title}</title></head>\n<body>\n<main>\n<h1>{title}</h1>\n{body}\n{form}</main>\n"
            f"</body>\n</html>\n")
    return web.Response(text=page, status=status, content_type="text/html", charset="utf-8",
                        headers={"Content-Security-Policy": CSP, "Cache-Control": "no-store",
                                 "Referrer-Policy": "no-referrer"})


def _language(request: web.Request, row: EmailAddress | None = None) -> str:
    if row is not None:
        return row.language
    return "en" if request.headers.get("Accept-Language", "").lower().startswith("en") else "fr"


def _target(request: web.Request, purpose: str) -> LinkTarget:
    return request.app[LINKS_KEY].read(purpose, request.query.get("t", ""))


def _bad_link(request: web.Request, error: BadLink) -> web.Response:
    bot = request.app[BOT_KEY]
    lang = _language(request)
    return _page(bot, lang, [bot.catalog.get(f"email.page.{error.reason}", lang)], status=400)


async def _answer(request: web.Request, purpose: str,
                  action: Callable[[AsyncSession, LinkTarget], Awaitable[str | None]]) -> web.Response:
    """Read the link, run ``action`` on its address in one transaction, and say the outcome."""
    bot = request.app[BOT_KEY]
    try:
        target = _target(request, purpose)
        async with bot.sessions() as session:
            outcome = await action(session, target)
            row = await store.address_of(session, target.user_id)
            await session.commit()
        if outcome is None:
            raise BadLink("invalid")
    except BadLink as error:
        return _bad_link(request, error)
    lang = _language(request, row)
    return _page(bot, lang, [bot.catalog.get(f"email.page.{outcome}", lang, city=bot.settings.city_name)])


async def confirm(request: web.Request) -> web.Response:
    return await _answer(request, CONFIRM, store.confirm)


async def unsubscribe(request: web.Request) -> web.Response:
    """One click: no page interaction, whatever the body says (RFC 8058 sends a form body)."""
    return await _answer(request, UNSUBSCRIBE, store.unsubscribe)


async def _shown(request: web.Request, purpose: str) -> tuple[EmailAddress, list[EmailChoice]]:
    """The address a link is for and what it receives, or BadLink."""
    target = _target(request, purpose)
    async with request.app[BOT_KEY].sessions() as session:
        row = await store.address_for(session, target)
        if row is None:
            raise BadLink("invalid")
        return row, await store.choices_of(session, target.user_id)


async def confirm_page(request: web.Request) -> web.Response:
    return await _ask(request, CONFIRM, "confirm")


async def unsubscribe_page(request: web.Request) -> web.Response:
    return await _ask(request, UNSUBSCRIBE, "unsubscribe")


async def _ask(request: web.Request, purpose: str, texts: str) -> web.Response:
    """The page a link opens: the question and one button that POSTs to the same link."""
    bot = request.app[BOT_KEY]
    try:
        row, _ = await _shown(request, purpose)
    except BadLink as error:
        return _bad_link(request, error)
    lang = _language(request, row)
    city = bot.settings.city_name
    button = html.escape(bot.catalog.get(f"email.page.{texts}_button", lang))
    # RFC 8058's body, for an unsubscribe sent from the page as from a mail client
    one_click = '<input type="hidden" name="List-Unsubscribe" value="One-Click">' if purpose == UNSUBSCRIBE else ""
    form = (f'<form method="post" action="{html.escape(request.path_qs)}">{one_click}'
            f'<button type="submit">{button}</button></form>\n')
    return _page(bot, lang, [bot.catalog.get(f"email.page.{texts}_ask", lang, city=city)], form=form)


async def settings_page(request: web.Request) -> web.Response:
    bot = request.app[BOT_KEY]
    try:
        row, choices = await _shown(request, SETTINGS)
    except BadLink as error:
        return _bad_link(request, error)
    lang, catalog = row.language, bot.catalog
    lines = [catalog.get("email.page.address", lang, address=row.address or "—",
                         status=catalog.get(f"email.status.{row.status}", lang)),
             catalog.get("email.page.follows", lang)]
    lines += [f"• {store.label(choice)}" for choice in choices]
    if not choices:
        lines.append(catalog.get("email.page.nothing", lang))
    lines.append(catalog.get("email.page.change", lang))
    unsubscribe_link = request.app[LINKS_KEY].url(UNSUBSCRIBE, row.user_id, row.nonce)
    text = html.escape(catalog.get("email.unsubscribe_link", lang))
    link = f'<p><a href="{html.escape(unsubscribe_link)}">{text}</a></p>\n'
    return _page(bot, lang, lines, form=link if row.status != STOPPED else "")
