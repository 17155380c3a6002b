"""E-mails as residents receive them: a plain-text part and an HTML part with the same content,
the headers of a one-click unsubscribe (RFC 8058) and links to the resident's settings."""
from __future__ import annotations

import html
import re
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid, parseaddr
from zoneinfo import ZoneInfo

from bot.config import Settings
from bot.db import as_utc, utcnow
from bot.formatting import long_date
from bot.i18n import Catalog
from bot.publications.models import Publication
from bot.publications.render import language_of, title_and_text

# Headers are not folded: a folded List-Unsubscribe URL would no longer be one.
SMTP_POLICY = policy.SMTP.clone(max_line_length=998)
_URL = re.compile(r"(https?://[^\s<>\"]+)")


@dataclass
class Letter:
    """What an e-mail says, before its headers and footer."""

    subject: str
    paragraphs: list[str]
    language: str


@dataclass
class Footer:
    unsubscribe: str  # the one-click unsubscribe link
    settings: str  # the resident's settings page
    mailto: str  # the unsubscribe by mail, with the same signed token


def confirmation(catalog: Catalog, settings: Settings, lang: str, what: str, link: str) -> Letter:
    city = settings.city_name
    text = catalog.get("email.confirm", lang, city=city, what=what, link=link,
                       hours=f"{settings.email_confirm_hours:g}")
    return Letter(catalog.get("email.subject.confirm", lang, city=city), text.split("\n\n"), lang)


def publication_letter(publication: Publication, wanted: str, catalog: Catalog, settings: Settings) -> Letter:
    """The publication as in chat (title, text, link) with its sources: who, when, where."""
    lang = language_of(publication, wanted)
    title, text = title_and_text(publication, lang)
    published = as_utc(publication.created_at).astimezone(ZoneInfo(settings.timezone)).date()
    sources = [catalog.get("email.source", lang, source=settings.city_name, date=long_date(published, lang))]
    if publication.link:
        sources.append(catalog.get("email.source_link", lang, link=publication.link))
    return Letter(title, [*text.split("\n\n"), "\n".join(sources)], lang)


def _html_paragraph(paragraph: str) -> str:
    pieces = []
    for number, piece in enumerate(_URL.split(paragraph)):
        if number % 2:  # a URL
            pieces.append(f'<a href="{html.escape(piece)}">{html.escape(piece)}</a>')
        else:
            pieces.append(html.escape(piece).replace("\n", "<br>\n"))
    return f"<p>{''.join(pieces)}</p>"


def _html(letter: Letter, footer_text: str) -> str:
    body = "\n".join(_html_paragraph(paragraph) for paragraph in letter.paragraphs)
    return (f'<!DOCTYPE html>\n<html lang="{letter.language}">\n<head><meta charset="utf-8">'
            f"<title>{html.escape(letter.subject)}</title></head>\n<body>\n"
            f"<h1>{html.escape(letter.subject)}</h1>\n{body}\n<hr>\n"
            f'<footer style="font-size: small">{_html_paragraph(footer_text)}</footer>\n</body>\n</html>\n')


def sender_address(settings: Settings) -> str:
    """The bare address of ``email_from``: the envelope sender, where bounces and mailto
    unsubscribes arrive."""
    return parseaddr(settings.email_from)[1]


def build(settings: Settings, catalog: Catalog, to: str, letter: Letter, footer: Footer) -> EmailMessage:
    """The whole e-mail to ``to`` (an address already checked: no line break can reach a header)."""
    sender = sender_address(settings)
    footer_text = catalog.get("email.footer", letter.language, city=settings.city_name,
                              settings=footer.settings, unsubscribe=footer.unsubscribe)
    message = EmailMessage(policy=SMTP_POLICY)
    message["From"] = settings.email_from
    message["To"] = to
    message["Subject"] = " ".join(letter.subject.split())  # one line, whatever the title holds
    message["Date"] = format_datetime(utcnow())
    message["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2])
    message["List-Unsubscribe"] = f"<{footer.unsubscribe}>, <{footer.mailto}>"
    message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message["Content-Language"] = letter.language
    message.set_content("\n\n".join([letter.subject, *letter.paragraphs, "--", footer_text]) + "\n",
                        cte="quoted-printable")
    message.add_alternative(_html(letter, footer_text), subtype="html", cte="quoted-printable")
    return message
