"""A publication as the message a subscriber receives, always ending with how to stop in one word."""
from __future__ import annotations

from collections.abc import Sequence

from bot.i18n import Catalog
from bot.messages import Reply
from bot.publications.models import Publication

DIGEST_EXCERPT_CHARS = 280  # a digest gives each publication's beginning and its link
DIGEST_FULL_ITEMS = 10  # beyond, a digest lists titles only, to stay within one message


def language_of(publication: Publication, wanted: str) -> str:
    """The resident's language when the publication has a text in it, else French."""
    return "en" if wanted == "en" and publication.text_en and publication.title_en else "fr"


def title_and_text(publication: Publication, lang: str) -> tuple[str, str]:
    if lang == "en":
        return publication.title_en or publication.title_fr, publication.text_en or publication.text_fr
    return publication.title_fr, publication.text_fr


def _excerpt(text: str) -> str:
    if len(text) <= DIGEST_EXCERPT_CHARS:
        return text
    return text[:DIGEST_EXCERPT_CHARS].rsplit(" ", 1)[0].rstrip(" ,;:.") + "…"


def render_publication(publication: Publication, wanted: str, catalog: Catalog) -> Reply:
    lang = language_of(publication, wanted)
    title, text = title_and_text(publication, lang)
    parts = [title, text]
    if publication.link:
        parts.append(publication.link)
    parts.append(catalog.get("publications.footer", lang))
    return Reply("\n\n".join(parts), language=lang)


def render_digest(publications: Sequence[Publication], wanted: str, frequency: str,
                  catalog: Catalog) -> Reply:
    """Several publications in one message, oldest first."""
    lang = "en" if wanted == "en" and all(language_of(p, "en") == "en" for p in publications) else "fr"
    parts = [catalog.get(f"publications.digest.{frequency}", lang)]
    for number, publication in enumerate(publications):
        title, text = title_and_text(publication, lang)
        if number >= DIGEST_FULL_ITEMS:
            parts.append(f"• {title}")
            continue
        item = f"• {title}\n{_excerpt(text)}"
        if publication.link:
            item += "\n" + catalog.get("publications.more", lang, link=publication.link)
        parts.append(item)
    parts.append(catalog.get("publications.footer", lang))
    return Reply("\n\n".join(parts), language=lang)
