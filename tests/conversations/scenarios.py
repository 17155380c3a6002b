"""Conversation scenarios as data: ``tests/conversations/*.yaml``, one file per class of issue.

A file is a list of scenarios; its name (``consent.yaml``) is the scenario's class. The format is
described in ``tests/conversations/README.md``. Loading checks every key, so that a misspelt
check fails loudly instead of checking nothing.

    python -m tests.conversations.scenarios     # scenarios per class: total, passing, xfail
"""
from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

DIRECTORY = Path(__file__).parent
NOT_SCENARIOS = {"world.yaml"}  # the suite's shared world: polls the city opened

SCENARIO_KEYS = {"name", "lang", "platform_lang", "platform", "at", "setup", "turns", "xfail"}
SETUP_KEYS = {"position", "say", "neighbour"}
ACTIONS = {"say", "position", "photo", "press", "choose"}
REPLY_CHECKS = {"says", "never", "order", "lang", "offers", "asks_position", "document"}
STATE_CHECKS = {"subscriptions", "settings", "tickets", "contributions", "supports", "votes",
                "exported", "erased", "home_area"}
SUBSCRIPTION_KEYS = {"topic", "area", "quartier", "official"}
CONTRIBUTION_KEYS = {"kind", "category", "description", "title", "located", "photo", "area",
                     "address", "anonymous"}
SETTINGS_KEYS = {"paused", "frequency", "quiet_hours"}
LANGUAGES = {"fr", "en"}


class ScenarioError(ValueError):
    """A scenario file is malformed; the message names the file, the scenario and the key."""


@dataclass(frozen=True)
class Turn:
    """What the resident does (one of ``ACTIONS``, ``say`` may go with a position or a photo),
    what the reply must show, and what the state must be afterwards. Whatever the turn does
    not name in ``state`` or ``allows`` must not change."""

    action: dict[str, Any]
    checks: dict[str, Any]
    state: dict[str, Any]
    allows: frozenset[str] = frozenset()  # may change, acting now or after a yes both being right


@dataclass(frozen=True)
class Scenario:
    kind: str  # the class: the file's name
    name: str
    turns: tuple[Turn, ...]
    lang: str = "fr"  # the resident's language: every reply is in it unless a turn says otherwise
    platform_lang: str | None = None  # the language the platform reports for the resident, if any
    platform: str = "test"
    at: dt.datetime | None = None  # the city's clock during the conversation
    setup: dict[str, Any] = field(default_factory=dict)
    xfail: str | None = None  # the class of issue that makes it fail today

    @property
    def id(self) -> str:
        return f"{self.kind}/{slug(self.name)}"


def slug(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text.casefold()).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", folded).strip("-")


def _unknown(keys: Any, allowed: set[str], where: str) -> None:
    if not isinstance(keys, dict):
        raise ScenarioError(f"{where}: expected a mapping, got {keys!r}")
    extra = set(keys) - allowed
    if extra:
        raise ScenarioError(f"{where}: unknown key(s) {sorted(extra)}; allowed: {sorted(allowed)}")


def _position(value: Any, where: str) -> None:
    if not (isinstance(value, list) and len(value) == 2 and all(isinstance(v, int | float) for v in value)):
        raise ScenarioError(f"{where}: a position is [latitude, longitude], got {value!r}")


def _items(value: Any, keys: set[str], where: str) -> None:
    """A state check that is a count or a list of descriptions (mappings of ``keys``)."""
    if isinstance(value, bool) or not isinstance(value, int | list):
        raise ScenarioError(f"{where}: expected a count or a list, got {value!r}")
    for item in value if isinstance(value, list) else []:
        _unknown(item, keys, where)


def _turn(raw: Any, where: str) -> Turn:
    _unknown(raw, ACTIONS | REPLY_CHECKS | {"state", "allows"}, where)
    action = {key: raw[key] for key in ACTIONS if key in raw}
    main = set(action) - {"say"}
    if len(main) > 1 or (not action) or (main & {"press", "choose"} and "say" in action):
        raise ScenarioError(f"{where}: a turn does one thing (say, position, photo, press or "
                            f"choose; say may go with a position or a photo), got {sorted(action)}")
    if "position" in action:
        _position(action["position"], where)
    if "lang" in raw and raw["lang"] not in LANGUAGES:
        raise ScenarioError(f"{where}: lang is one of {sorted(LANGUAGES)}")
    state = raw.get("state", {})
    _unknown(state, STATE_CHECKS, f"{where} state")
    allows = raw.get("allows", [])
    allows = [allows] if isinstance(allows, str) else allows
    if not isinstance(allows, list) or set(allows) - STATE_CHECKS:
        raise ScenarioError(f"{where}: allows names what the turn may change, among {sorted(STATE_CHECKS)}")
    if "subscriptions" in state:
        _items(state["subscriptions"], SUBSCRIPTION_KEYS, f"{where} subscriptions")
    if "contributions" in state:
        _items(state["contributions"], CONTRIBUTION_KEYS, f"{where} contributions")
    if "settings" in state:
        _unknown(state["settings"], SETTINGS_KEYS, f"{where} settings")
    return Turn(action, {key: raw[key] for key in REPLY_CHECKS if key in raw}, dict(state), frozenset(allows))


def _moment(value: Any, where: str) -> dt.datetime | None:
    if value is None:
        return None
    try:
        return value if isinstance(value, dt.datetime) else dt.datetime.fromisoformat(str(value))
    except ValueError:
        raise ScenarioError(f"{where}: 'at' is a date and time like \"2026-06-13 10:30\"") from None


def parse_scenario(kind: str, raw: Any, where: str = "scenario") -> Scenario:
    _unknown(raw, SCENARIO_KEYS, where)
    if not raw.get("name") or not raw.get("turns"):
        raise ScenarioError(f"{where}: a scenario has a name and turns")
    where = f"{where} {raw['name']!r}"
    setup = raw.get("setup") or {}
    _unknown(setup, SETUP_KEYS, f"{where} setup")
    if "position" in setup:
        _position(setup["position"], f"{where} setup")
    for key in ("lang", "platform_lang"):
        if raw.get(key) not in LANGUAGES | {None}:
            raise ScenarioError(f"{where}: {key} is one of {sorted(LANGUAGES)}")
    turns = tuple(_turn(turn, f"{where} turn {number}") for number, turn in enumerate(raw["turns"], 1))
    neighbour = setup.get("neighbour", [])
    for number, turn in enumerate(neighbour, 1):
        _turn(turn, f"{where} neighbour turn {number}")
    return Scenario(kind=kind, name=str(raw["name"]), turns=turns, lang=raw.get("lang", "fr"),
                    platform_lang=raw.get("platform_lang"),
                    platform=str(raw.get("platform", "test")), at=_moment(raw.get("at"), where),
                    setup=dict(setup), xfail=raw.get("xfail"))


def load(path: Path) -> list[Scenario]:
    raw = yaml.safe_load(path.read_text(encoding="utf-8")) or []
    if not isinstance(raw, list):
        raise ScenarioError(f"{path.name}: expected a list of scenarios")
    scenarios = [parse_scenario(path.stem, item, f"{path.name} #{number}") for number, item in enumerate(raw, 1)]
    seen = Counter(scenario.id for scenario in scenarios)
    twice = [name for name, count in seen.items() if count > 1]
    if twice:
        raise ScenarioError(f"{path.name}: two scenarios have the same name: {twice}")
    return scenarios


def load_all(directory: Path = DIRECTORY) -> list[Scenario]:
    return [scenario for path in sorted(directory.glob("*.yaml")) if path.name not in NOT_SCENARIOS
            for scenario in load(path)]


def summary(scenarios: list[Scenario]) -> str:
    """Scenarios per class: total, passing today (no mark) and marked xfail."""
    kinds = sorted({scenario.kind for scenario in scenarios})
    lines = [f"{'class':<12} {'total':>5} {'passing':>7} {'xfail':>5}"]
    for kind in [*kinds, None]:
        chosen = [s for s in scenarios if kind is None or s.kind == kind]
        failing = sum(1 for s in chosen if s.xfail)
        lines.append(f"{kind or 'all':<12} {len(chosen):>5} {len(chosen) - failing:>7} {failing:>5}")
    reasons = Counter(s.xfail for s in scenarios if s.xfail)
    lines.append("xfail by cause: " + ", ".join(f"{reason} {count}" for reason, count in sorted(reasons.items())))
    return "\n".join(lines)


if __name__ == "__main__":
    print(summary(load_all()))
