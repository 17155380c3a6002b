"""E-mail addresses residents type: found in their words, checked, shown half hidden."""
from __future__ import annotations

from email_validator import EmailNotValidError, validate_email

from bot.text import normalize

MAX_LENGTH = 254
# Words that say "by e-mail" (folded), with the usual typos.
EMAIL_WORDS = ("mail", "mails", "email", "emails", "e mail", "e mails", "courriel", "courriels", "mel",
               "mailbox", "inbox", "emial", "mial", "imel", "mell")


class BadAddress(ValueError):
    """Not one usable address; ``reason`` is a catalog key (``email.address.<reason>``)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def mentions_email(text: str) -> bool:
    """Whether ``text`` speaks of e-mail: an e-mail word, or something shaped like an address."""
    padded = f" {normalize(text)} "
    return "@" in text or any(f" {word} " in padded for word in EMAIL_WORDS)


def addresses_in(text: str) -> list[str]:
    """The words of ``text`` that look like an address (with an "@"), stripped of punctuation.

    A line break or a space ends a word, so "a@b.c\\r\\nBcc: x@y.z" is two addresses, never a
    header."""
    return [word.strip("<>()[],;:!?\"'«»").rstrip(".") for word in text.split() if "@" in word]


def checked(raw: str) -> str:
    """The address in its normal form, or BadAddress (syntax only: nothing is looked up)."""
    if len(raw) > MAX_LENGTH or any(ord(char) < 32 or char == "\x7f" for char in raw):
        raise BadAddress("malformed")
    try:
        return validate_email(raw, check_deliverability=False).normalized
    except EmailNotValidError:
        raise BadAddress("malformed") from None


def the_address_in(text: str) -> str | None:
    """The one address of ``text`` (None when there is none); BadAddress when there are several
    or it is malformed."""
    found = addresses_in(text)
    if not found:
        return None
    if len(set(found)) > 1:
        raise BadAddress("several")
    return checked(found[0])


def masked(address: str) -> str:
    """"a•••@example.org": enough for the resident to recognise it in a chat."""
    local, _, domain = address.rpartition("@")
    return f"{local[:1]}•••@{domain}"
