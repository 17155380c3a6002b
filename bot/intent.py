"""Intent specifications, discovered from the ``intents`` package.

An intent is one module ``intents/<name>.py`` and one data file ``intents/<name>.yaml``:

- the module defines ``NAME`` and ``async def handle(ctx) -> Reply``, and optionally
  ``async def resume(ctx) -> Reply | None`` to continue a multi-turn flow it started with
  ``ctx.start_flow(...)`` (returning None lets the router treat the message afresh), and
  ``async def leave(ctx) -> None``, called when the resident leaves that flow, whichever way
  (it ended, "annuler", another flow started), in the same transaction; ``LISTENS = True``
  has the flow's steps listened to (``bot.listening``: "aide", "stop", another request); and
  ``async def consent(ctx) -> str | None`` when it acts on the resident's behalf: the question
  asked before acting on a request that is not unambiguous (see :mod:`bot.consent`);
- the data file holds ``examples`` (per language, for the NLU), optional ``commands`` (slash
  commands that go straight to the intent), optional ``requests`` (words that make a request
  for the intent's action explicit: see :mod:`bot.consent`), optional ``negates`` (the intent
  it undoes, and the ``words`` that negate a wish: "je ne veux plus recevoir les alertes" is not
  a subscription; see :mod:`bot.nlu`) and ``messages`` (per language, the intent's catalog).

A feature lists its intents (``bot.feature.Feature.intents``); nothing else needs to change.
"""
from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING

from bot.i18n import LANGUAGES
from bot.text import normalize
from bot.yamlfile import load_file

if TYPE_CHECKING:
    from bot.context import Context
    from bot.messages import Reply


Handler = Callable[["Context"], Awaitable["Reply"]]
Resumer = Callable[["Context"], Awaitable["Reply | None"]]
Leaver = Callable[["Context"], Awaitable[None]]
Asker = Callable[["Context"], Awaitable["str | None"]]


@dataclass
class IntentSpec:
    name: str
    handle: Handler
    resume: Resumer | None = None
    leave: Leaver | None = None
    consent: Asker | None = None
    examples: dict[str, list[str]] = field(default_factory=dict)
    commands: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    messages: dict[str, dict[str, str]] = field(default_factory=dict)
    listens: bool = False  # its flow's steps are listened to (bot.listening)
    negates: str | None = None  # the intent whose wish this one's negation words turn around
    negations: list[str] = field(default_factory=list)  # folded; "*" stands for any one word


def examples_by_language(intents: Mapping[str, IntentSpec]) -> dict[str, list[str]]:
    """Every intent's example phrases, by language: the words residents use in each."""
    phrases: dict[str, list[str]] = {}
    for spec in intents.values():
        for language, examples in spec.examples.items():
            phrases.setdefault(language, []).extend(examples)
    return phrases


class IntentError(RuntimeError):
    """An intent module or data file is malformed; the message says which and why."""


def _load_data(path: Path) -> dict:
    if not path.is_file():
        return {}
    data = load_file(path) or {}
    if not isinstance(data, dict):
        raise IntentError(f"{path}: expected a mapping with examples/commands/messages")
    return data


def spec_from_module(module: ModuleType) -> IntentSpec:
    name = getattr(module, "NAME", None)
    handle = getattr(module, "handle", None)
    if not name or handle is None or module.__file__ is None:
        raise IntentError(f"{module.__name__}: an intent module (a file) defines NAME and handle()")
    data = _load_data(Path(module.__file__).with_suffix(".yaml"))
    return IntentSpec(
        name=name,
        handle=handle,
        resume=getattr(module, "resume", None),
        leave=getattr(module, "leave", None),
        consent=getattr(module, "consent", None),
        listens=bool(getattr(module, "LISTENS", False)),
        examples={lang: list(data.get("examples", {}).get(lang, [])) for lang in LANGUAGES},
        commands=[str(command).lower() for command in data.get("commands", [])],
        requests=[normalize(str(words)) for words in data.get("requests", [])],
        messages={lang: dict(data.get("messages", {}).get(lang, {})) for lang in LANGUAGES},
        negates=data.get("negates", {}).get("intent"),
        negations=[" ".join(normalize(word) or "*" for word in str(words).split())
                   for words in data.get("negates", {}).get("words", [])],
    )


def intent_modules(package: str = "intents") -> list[str]:
    """The names of the intent modules in ``package`` (not the shared ``_`` ones)."""
    root = importlib.import_module(package)
    return [info.name for info in pkgutil.iter_modules(root.__path__) if not info.name.startswith("_")]


def discover(names: Iterable[str], package: str = "intents") -> dict[str, IntentSpec]:
    """The intents of the modules ``package.<name>`` (the features list them), by intent name."""
    specs: dict[str, IntentSpec] = {}
    for module_name in sorted(names):
        try:
            module = importlib.import_module(f"{package}.{module_name}")
        except ModuleNotFoundError as error:
            if error.name != f"{package}.{module_name}":
                raise
            raise IntentError(f"a feature lists the intent {module_name!r}, but there is no "
                              f"{package}/{module_name}.py") from None
        spec = spec_from_module(module)
        if spec.name in specs:
            raise IntentError(f"two intent modules are named {spec.name!r}")
        specs[spec.name] = spec
    return specs
