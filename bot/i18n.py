"""Message catalogs, French first, English too.

Shared texts live in ``bot/locale/<domain>.<lang>.yaml`` and are looked up under
``<domain>.<key>`` (``core.error``); each intent's texts live in its own data file and are looked
up under ``<intent>.<key>``. A key missing in English falls back to French.
"""
from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path

from bot.yamlfile import load_file

log = logging.getLogger(__name__)
LOCALE_DIR = Path(__file__).parent / "locale"
LANGUAGES = ("fr", "en")  # French first: the fallback


def _flatten(table: dict, prefix: str = "") -> dict[str, str]:
    flat: dict[str, str] = {}
    for key, value in table.items():
        if isinstance(value, dict):
            flat.update(_flatten(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = str(value)
    return flat


class Catalog:
    def __init__(self, messages: dict[str, dict[str, str]]) -> None:
        self.messages = messages  # lang -> key -> text

    @classmethod
    def load(cls, intent_messages: Mapping[str, Mapping[str, dict]], locale_dir: Path = LOCALE_DIR) -> Catalog:
        """The shared texts of ``locale_dir`` and each intent's own (intent -> language -> texts)."""
        messages: dict[str, dict[str, str]] = {}
        for lang in LANGUAGES:
            table: dict[str, str] = {}
            for path in sorted(locale_dir.glob(f"*.{lang}.yaml")):
                domain = path.name.split(".")[0]
                table.update(_flatten(load_file(path) or {},
                                      f"{domain}."))
            for intent, texts in intent_messages.items():
                table.update(_flatten(texts.get(lang, {}), f"{intent}."))
            messages[lang] = table
        return cls(messages)

    def get(self, key: str, lang: str, **values: object) -> str:
        text = self.messages.get(lang, {}).get(key) or self.messages["fr"].get(key)
        if text is None:
            log.error("missing message %r", key)
            return key
        try:
            return text.format(**values) if values else text
        except (KeyError, IndexError, ValueError):
            log.error("message %r does not fit the values %s", key, sorted(values))
            return text
