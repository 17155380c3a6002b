"""Message catalogs, French first, English too.

Shared texts live in ``bot/locale/<domain>.<lang>.yaml`` and are looked up under
``<domain>.<key>`` (``core.error``); each intent's texts live in its own data file and are looked
up under ``<intent>.<key>``. A key missing in English falls back to French.
"""
from __future__ import annotations

import logging
from pathlib import Path

from bot.intent import LANGUAGES, IntentSpec
from bot.yamlfile import load_file

log = logging.getLogger(__name__)
LOCALE_DIR = Path(__file__).parent / "locale"


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
    def load(cls, intents: dict[str, IntentSpec], locale_dir: Path = LOCALE_DIR) -> Catalog:
        messages: dict[str, dict[str, str]] = {}
        for lang in LANGUAGES:
            table: dict[str, str] = {}
            for path in sorted(locale_dir.glob(f"*.{lang}.yaml")):
                domain = path.name.split(".")[0]
                table.update(_flatten(load_file(path) or {},
                                      f"{domain}."))
            for spec in intents.values():
                table.update(_flatten(spec.messages.get(lang, {}), f"{spec.name}."))
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
