"""YAML data files (intents, catalogs, word lists, packs), parsed by libyaml when PyYAML has it.

The pure-Python parser made most of the cost of starting a bot (and every test starts one);
libyaml reads the same safe subset about ten times faster.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

_LOADER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load_text(text: str) -> Any:
    """``yaml.safe_load``, faster."""
    return yaml.load(text, Loader=_LOADER)


def load_file(path: Path) -> Any:
    """The parsed content of a UTF-8 YAML file."""
    return load_text(path.read_text(encoding="utf-8"))
