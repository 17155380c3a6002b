"""Secrets and personal data kept out of every log line, whoever logs them.

python-telegram-bot logs the Bot API URL — which holds the token — at DEBUG when the application
is built, and an HTTP error may quote a URL in its message. Quieting loggers is not enough (it
depends on the order things happen and on the level chosen), so each secret registered here is
replaced by ``[secret]`` in every log record as the record is created: in its message and in the
text of its exception. A pattern registered with :func:`hide_matches` (e-mail addresses) is
masked the same way.
"""
from __future__ import annotations

import logging
import re
from typing import Any

MASK = "[secret]"
_SECRETS: set[str] = set()
_PATTERNS: set[re.Pattern[str]] = set()
_formatter = logging.Formatter()


def hide_in_logs(secret: str) -> None:
    """From now on, ``secret`` never appears in a log record of this process."""
    if not secret:
        return
    _install()
    _SECRETS.add(secret)


def hide_matches(pattern: re.Pattern[str]) -> None:
    """From now on, what ``pattern`` matches never appears in a log record of this process."""
    _install()
    _PATTERNS.add(pattern)


def _install() -> None:
    if not _SECRETS and not _PATTERNS:
        logging.setLogRecordFactory(_redacting(logging.getLogRecordFactory()))


def _redact(text: str) -> str:
    for secret in _SECRETS:
        text = text.replace(secret, MASK)
    for pattern in _PATTERNS:
        text = pattern.sub(MASK, text)
    return text


def _redacting(factory: Any) -> Any:
    def make_record(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = factory(*args, **kwargs)
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a malformed call is the logging module's to report
            return record
        if _redact(message) != message:
            record.msg, record.args = _redact(message), None
        if record.exc_info and record.exc_info[1] is not None:
            text = _formatter.formatException(record.exc_info)
            if _redact(text) != text:
                record.exc_text = _redact(text)
        return record

    return make_record
