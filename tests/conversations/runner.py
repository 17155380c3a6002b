"""Plays a scenario with a fresh resident and checks every reply and the state after each turn.

Replies are matched on folded text (case, accents, apostrophes and spaces folded): an expected
phrase matches where a word starts, and ``a|b`` means either; ``re:`` starts a regular
expression on the folded text. On the first check that fails, the whole conversation so far is
in the error.
"""
from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn
from zoneinfo import ZoneInfo

import time_machine
import yaml
from sqlalchemy import delete, func, select

from bot.app import CivicBot
from bot.config import Settings
from bot.contributions.models import Contribution, ContributionEvent, Opinion, PollOption, Support, Vote
from bot.contributions.polls import create_poll
from bot.features import create_bot
from bot.handover.models import OPEN, Ticket
from bot.messages import Choice, Reply
from bot.models import User
from bot.subscriptions.models import AREA, OFFICIAL, TOPIC, Subscriber, Subscription
from bot.testing import ChatTester
from knowledge.models import Area
from tests.conftest import POSTGRES_URL
from tests.conversations.scenarios import DIRECTORY, Scenario, Turn
from tests.support.scratch import scratch_database

WORLD_FILE = DIRECTORY / "world.yaml"
_QUOTES = str.maketrans({"’": "'", "‘": "'", "`": "'", "´": "'", "«": '"', "»": '"', "“": '"', "”": '"',
                         "œ": "oe", "æ": "ae", "–": "-", "—": "-"})
_SPACES = re.compile(r"\s+")
DEFAULT_SETTINGS = (False, "immediate", "")  # a resident without subscriptions: nothing set


class ScenarioFailure(AssertionError):
    pass


def fold(text: str) -> str:
    """Lower case, no accents, straight quotes, single spaces (no-break spaces included)."""
    decomposed = unicodedata.normalize("NFKD", text.casefold().translate(_QUOTES))
    plain = "".join(char for char in decomposed if not unicodedata.combining(char))
    return _SPACES.sub(" ", plain).strip()


def _pattern(alternative: str) -> re.Pattern[str]:
    alternative = alternative.strip()
    if alternative.startswith("re:"):
        return re.compile(alternative[3:].strip())
    return re.compile(r"(?<![a-z0-9])" + re.escape(fold(alternative)))


def find(text: str, expected: str, start: int = 0) -> re.Match[str] | None:
    """The first place (from ``start`` in the folded text) where one of the ``|``-separated
    alternatives occurs in ``text``."""
    folded = fold(text)
    found = [match for alternative in expected.split("|") if alternative.strip()
             for match in [_pattern(alternative).search(folded, start)] if match]
    return min(found, key=lambda match: match.start()) if found else None


def as_list(value: Any) -> list[str]:
    return [str(item) for item in value] if isinstance(value, list) else [str(value)]


@dataclass
class Resident:
    """What a conversation may have changed for its resident (contributions, supports and votes:
    those made since it started, whoever they are linked to)."""

    user: User | None
    subscriptions: list[Subscription]
    subscriber: Subscriber | None
    tickets: int  # open
    contributions: list[Contribution]
    supports: int
    votes: list[tuple[int, dict]]  # (vote, option label by language)
    home_area: str | None  # the remembered quartier's key and name


class World:
    """One bot per backend for the whole suite, on its own database, with the city's polls."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.bots: dict[str, CivicBot] = {}
        self.exits = AsyncExitStack()

    async def bot(self, backend: str) -> CivicBot:
        if backend not in self.bots:
            url = POSTGRES_URL if backend == "postgresql" else f"sqlite+aiosqlite:///{self.directory / 'suite.db'}"
            database = await self.exits.enter_async_context(scratch_database(url, prefix="conv"))
            settings = Settings(data_dir=self.directory / backend, database_url=database,
                                secret="conversations")
            bot = await create_bot(settings)
            self.exits.push_async_callback(bot.close)
            await self._open_polls(bot)
            self.bots[backend] = bot
        return self.bots[backend]

    @staticmethod
    async def _open_polls(bot: CivicBot) -> None:
        world = yaml.safe_load(WORLD_FILE.read_text(encoding="utf-8"))
        async with bot.sessions() as session:
            for poll in world["polls"]:
                await create_poll(session, question=poll["question"], options=poll["options"],
                                  opens_at=dt.datetime(2000, 1, 1, tzinfo=dt.UTC),
                                  closes_at=dt.datetime.now(dt.UTC) + dt.timedelta(days=poll["open_days"]),
                                  kind=poll.get("kind", "poll"))
            await session.commit()

    async def play(self, scenario: Scenario, backend: str, resident: str) -> str | None:
        """Play ``scenario`` with a fresh resident; what failed, with the conversation, or None."""
        bot = await self.bot(backend)
        try:
            await Conversation(bot, scenario, resident, backend).play()
        except ScenarioFailure as failure:
            return str(failure)
        finally:
            await self.reset(bot)
        return None

    @staticmethod
    async def reset(bot: CivicBot) -> None:
        """What a scenario leaves that others could see: contributions (duplicates, the ideas
        listed) and votes."""
        async with bot.sessions() as session:
            for model in (Support, ContributionEvent, Contribution, Opinion, Vote):
                await session.execute(delete(model))
            await session.commit()

    async def close(self) -> None:
        await self.exits.aclose()


@asynccontextmanager
async def city_clock(moment: dt.datetime | None, timezone: str) -> AsyncIterator[None]:
    """The wall clock at ``moment`` (the city's time) while the conversation runs."""
    if moment is None:
        yield
        return
    aware = moment if moment.tzinfo else moment.replace(tzinfo=ZoneInfo(timezone))
    with time_machine.travel(aware, tick=True):
        yield


class Conversation:
    """One scenario played by a fresh resident (``user``) of ``bot``."""

    def __init__(self, bot: CivicBot, scenario: Scenario, user: str, backend: str) -> None:
        self.bot = bot
        self.scenario = scenario
        self.backend = backend
        self.tester = ChatTester(bot, user=user, platform=scenario.platform, language=scenario.platform_lang)
        self.transcript: list[str] = []
        self.exports = 0  # data export documents sent to the resident so far
        self.before: dict[type, set[int]] = {}

    async def play(self) -> None:
        async with city_clock(self.scenario.at, self.bot.settings.timezone):
            await self._setup()
            self.before = await self._existing()
            state = await self._fingerprint()
            for number, turn in enumerate(self.scenario.turns, 1):
                reply = await self._act(self.tester, turn.action, "resident")
                self._check_reply(number, turn, reply)
                if turn.state:
                    self._check_state(number, turn, await self._read())
                after = await self._fingerprint()
                await self._check_unchanged(number, turn, state, after)
                state = after

    # The conversation
    async def _setup(self) -> None:
        setup = self.scenario.setup
        if setup.get("neighbour"):
            neighbour = ChatTester(self.bot, user=f"{self.tester.user}-neighbour", platform=self.scenario.platform)
            for turn in setup["neighbour"]:
                await self._act(neighbour, turn, "neighbour")
        if "position" in setup:
            await self._act(self.tester, {"position": setup["position"]}, "resident (setup)")
        for text in as_list(setup.get("say", [])):
            await self._act(self.tester, {"say": text}, "resident (setup)")

    async def _act(self, tester: ChatTester, action: dict[str, Any], who: str) -> Reply:
        text = str(action.get("say", ""))
        if "position" in action:
            latitude, longitude = action["position"]
            self._note(f"{who}: 📍 {latitude}, {longitude}" + (f" « {text} »" if text else ""))
            reply = await tester.share_location(latitude, longitude, text)
        elif "photo" in action:
            self._note(f"{who}: 🖼 {action['photo']}" + (f" « {text} »" if text else ""))
            reply = await tester.attach(str(action["photo"]), text=text)
        elif "press" in action:
            choice = self._choice(tester.last, str(action["press"]))
            self._note(f"{who}: [presses « {choice.label} »]")
            reply = await tester.say(choice.value)
        elif "choose" in action:
            number = int(action["choose"])
            offered = len(tester.last.choices) if tester.last else 0
            if not 1 <= number <= offered:
                self.fail(f"cannot choose {number}: the last reply offered {offered} choice(s)")
            self._note(f"{who}: {number}")
            reply = await tester.choose(number)
        else:
            self._note(f"{who}: {text}")
            reply = await tester.say(text)
        self._note_reply(reply)
        if reply.document is not None and tester is self.tester:
            self.exports += 1
        self._check_sound(reply)
        return reply

    def _choice(self, reply: Reply | None, wanted: str) -> Choice:
        choices = reply.choices if reply else []
        for alternative in wanted.split("|"):
            for choice in choices:
                if find(choice.label, alternative):
                    return choice
        self.fail(f"no choice « {wanted} » to press among {[choice.label for choice in choices]}")

    def _note(self, line: str) -> None:
        self.transcript.append(line)

    def _note_reply(self, reply: Reply) -> None:
        lines = reply.text.splitlines() or [""]
        self._note(f"bot [{reply.language}]: {lines[0]}")
        self.transcript += [f"    {line}" for line in lines[1:]]
        extras = [" | ".join(choice.label for choice in reply.choices)] if reply.choices else []
        if reply.request_location:
            extras.append("asks for a position")
        if reply.document is not None:
            extras.append(f"document {reply.document.filename}")
        if extras:
            self._note("    [" + "; ".join(extras) + "]")

    def fail(self, problem: str) -> NoReturn:
        scenario = self.scenario
        header = f"scenario {scenario.id!r} on {self.backend}" + (f" at {scenario.at}" if scenario.at else "")
        raise ScenarioFailure("\n".join([problem, "", header, *self.transcript]))

    # Checks of the reply
    def _check_sound(self, reply: Reply) -> None:
        """Every reply: some text, never the apology for an internal error."""
        if not reply.text.strip():
            self.fail("empty reply")
        for lang in ("fr", "en"):
            if fold(self.bot.catalog.get("core.error", lang)) in fold(reply.text):
                self.fail("the bot failed on this message (it answered with its error apology)")

    def _check_reply(self, number: int, turn: Turn, reply: Reply) -> None:
        checks, where = turn.checks, f"turn {number}"
        lang = checks.get("lang", self.scenario.lang)
        if reply.language != lang:
            self.fail(f"{where}: the reply is in {reply.language!r}, expected {lang!r}")
        for expected in as_list(checks.get("says", [])):
            if not find(reply.text, expected):
                self.fail(f"{where}: the reply does not say « {expected} »")
        for unwanted in as_list(checks.get("never", [])):
            match = find(reply.text, unwanted)
            if match:
                self.fail(f"{where}: the reply says « {match.group(0)} » (never « {unwanted} »)")
        position = 0
        for expected in as_list(checks.get("order", [])):
            match = find(reply.text, expected, position)
            if not match:
                self.fail(f"{where}: the reply does not say « {expected} » after what came before "
                          f"(expected in this order: {checks['order']})")
            position = match.end()
        labels = [choice.label for choice in reply.choices]
        for expected in as_list(checks.get("offers", [])):
            if not any(find(label, expected) for label in labels):
                self.fail(f"{where}: no choice « {expected} » among {labels}")
        if "asks_position" in checks and reply.request_location != checks["asks_position"]:
            self.fail(f"{where}: the reply {'does not ask' if checks['asks_position'] else 'asks'} "
                      "for the resident's position")
        if "document" in checks and (reply.document is not None) != checks["document"]:
            self.fail(f"{where}: the reply {'has no' if checks['document'] else 'has a'} document")

    # Checks of the state
    async def _existing(self) -> dict[type, set[int]]:
        """Rows other residents made before the conversation (the neighbour's)."""
        async with self.bot.sessions() as session:
            return {model: set((await session.execute(select(model.id))).scalars())
                    for model in (Contribution, Support, Vote)}

    def _new(self, model: Any) -> Any:
        """The rows of ``model`` made during the conversation."""
        return model.id.not_in(self.before[model] or {-1})

    async def _read(self) -> Resident:
        """The resident's state, in one session."""
        async with self.bot.sessions() as session:
            user_hash = self.bot.pseudonymizer.user_hash(self.scenario.platform, self.tester.user)
            user = await session.scalar(select(User).where(User.platform == self.scenario.platform,
                                                           User.user_hash == user_hash))
            user_id = user.id if user else -1
            tickets = (select(func.count()).select_from(Ticket)
                       .where(Ticket.user_id == user_id, Ticket.status == OPEN).scalar_subquery())
            supports = select(func.count()).select_from(Support).where(self._new(Support)).scalar_subquery()
            counts = (await session.execute(select(tickets, supports))).one()
            area = await session.scalar(select(Area.name).where(Area.key == user.home_area)) \
                if user and user.home_area else None
            return Resident(
                user=user,
                subscriptions=list((await session.execute(select(Subscription).where(
                    Subscription.user_id == user_id).order_by(Subscription.id))).scalars()),
                subscriber=await session.get(Subscriber, user_id),
                tickets=counts[0],
                contributions=list((await session.execute(select(Contribution).where(self._new(Contribution))
                                                          .order_by(Contribution.id))).scalars()),
                supports=counts[1],
                votes=[(vote_id, label) for vote_id, label in await session.execute(
                    select(Vote.id, PollOption.label).join(PollOption, PollOption.id == Vote.option_id)
                    .where(self._new(Vote)).order_by(Vote.id))],
                home_area=f"{user.home_area} {area or ''}" if user and user.home_area else None,
            )

    async def _fingerprint(self) -> dict[str, Any]:
        """What the resident's actions change, per aspect, in one query: enough to see that
        nothing changes unless a turn expects it."""
        user_hash = self.bot.pseudonymizer.user_hash(self.scenario.platform, self.tester.user)
        user_id = select(User.id).where(User.platform == self.scenario.platform,
                                        User.user_hash == user_hash).scalar_subquery()

        def one(*columns: Any, where: Any, model: Any) -> Any:
            return [select(column).select_from(model).where(where).scalar_subquery() for column in columns]

        aspects = {
            "resident": one(func.count(), where=User.id == user_id, model=User),
            "subscriptions": one(func.count(), func.sum(Subscription.id), where=Subscription.user_id == user_id,
                                 model=Subscription),
            "settings": one(Subscriber.paused, Subscriber.frequency, func.coalesce(Subscriber.quiet_hours, ""),
                            where=Subscriber.user_id == user_id, model=Subscriber),
            "tickets": one(func.count(), where=(Ticket.user_id == user_id) & (Ticket.status == OPEN), model=Ticket),
            "contributions": one(func.count(), where=self._new(Contribution), model=Contribution),
            "supports": one(func.count(), where=self._new(Support), model=Support),
            "votes": one(func.count(), func.sum(Vote.option_id), where=self._new(Vote), model=Vote),
            "home_area": one(User.home_area, where=User.id == user_id, model=User),
        }
        async with self.bot.sessions() as session:
            row = list((await session.execute(select(*(c for columns in aspects.values() for c in columns)))).one())
        values: dict[str, Any] = {"exported": self.exports}
        for aspect, columns in aspects.items():
            values[aspect], row = tuple(row[:len(columns)]), row[len(columns):]
        if values["settings"] == (None, None, None):
            values["settings"] = DEFAULT_SETTINGS
        return values

    def _check_state(self, number: int, turn: Turn, resident: Resident) -> None:
        state, where = turn.state, f"turn {number}"
        if "exported" in state and (self.exports > 0) != state["exported"]:
            self.fail(f"{where}: {'no' if state['exported'] else 'a'} data export was sent so far")
        if "erased" in state and (resident.user is None) != state["erased"]:
            self.fail(f"{where}: the resident's data {'is still there' if state['erased'] else 'was erased'}")
        if "subscriptions" in state:
            self._match(where, "subscriptions", state["subscriptions"], resident.subscriptions,
                        _subscription_matches, _describe_subscription)
        if "settings" in state:
            self._check_settings(where, state["settings"], resident.subscriber)
        if "tickets" in state and resident.tickets != state["tickets"]:
            self.fail(f"{where}: {resident.tickets} open hand-over ticket(s), expected {state['tickets']}")
        if "contributions" in state:
            self._match(where, "contributions", state["contributions"], resident.contributions,
                        _contribution_matches, _describe_contribution)
        if "supports" in state and resident.supports != state["supports"]:
            self.fail(f"{where}: {resident.supports} support(s) (+1) recorded, expected {state['supports']}")
        if "votes" in state:
            self._match(where, "votes", state["votes"], [label for _id, label in resident.votes],
                        lambda expected, label: any(fold(expected) == fold(text) for text in label.values()),
                        lambda label: label.get("fr", str(label)))
        if "home_area" in state:
            self._check_home_area(where, state["home_area"], resident.home_area)

    async def _check_unchanged(self, number: int, turn: Turn, before: dict[str, Any],
                               after: dict[str, Any]) -> None:
        """Anything the turn changed that it does not expect is an action the resident did not
        ask for (their first message creating them is not one; an erasure changes everything)."""
        declared = set(turn.state) | turn.allows | ({"exported"} if "document" in turn.checks else set())
        if before["resident"] == (1,) and after["resident"] == (0,):
            if "erased" not in declared:
                self.fail(f"turn {number}: the resident's data were erased without this turn expecting it")
            return
        changed = [aspect for aspect in after if aspect != "resident" and after[aspect] != before[aspect]
                   and aspect not in declared]
        if changed:
            now = await self._read()
            shown = {"subscriptions": [_describe_subscription(row) for row in now.subscriptions],
                     "contributions": [_describe_contribution(row) for row in now.contributions],
                     "votes": [label for _id, label in now.votes]}
            self.fail(f"turn {number}: the bot changed what this turn does not expect to change "
                      f"(an action nobody asked for?): "
                      + "; ".join(f"{aspect}: now {shown.get(aspect, after[aspect])}" for aspect in changed))

    def _match(self, where: str, what: str, expected: Any, rows: list, matches, describe) -> None:
        """``expected`` is a count, or one description per row (each row matched once)."""
        found = [describe(row) for row in rows]
        if isinstance(expected, int):
            if len(rows) != expected:
                self.fail(f"{where}: {len(rows)} {what}, expected {expected}; found {found}")
            return
        left = list(rows)
        for item in expected:
            row = next((row for row in left if matches(item, row)), None)
            if row is None:
                self.fail(f"{where}: no {what} like {item}; found {found}")
            left.remove(row)
        if left:
            self.fail(f"{where}: {what} not expected: {[describe(row) for row in left]}; expected {expected}")

    def _check_settings(self, where: str, expected: dict[str, Any], subscriber: Subscriber | None) -> None:
        if subscriber is None:
            self.fail(f"{where}: the resident has no subscription settings (expected {expected})")
        if "paused" in expected and subscriber.paused != expected["paused"]:
            self.fail(f"{where}: subscriptions {'are not' if expected['paused'] else 'are'} paused")
        if "frequency" in expected and subscriber.frequency != expected["frequency"]:
            self.fail(f"{where}: frequency {subscriber.frequency!r}, expected {expected['frequency']!r}")
        if "quiet_hours" in expected and (subscriber.quiet_hours or "") != (expected["quiet_hours"] or ""):
            self.fail(f"{where}: quiet hours {subscriber.quiet_hours!r}, expected {expected['quiet_hours']!r}")

    def _check_home_area(self, where: str, expected: str | None, kept: str | None) -> None:
        if expected is None:
            if kept is not None:
                self.fail(f"{where}: the resident's quartier was remembered ({kept!r}) without their consent")
        elif kept is None or fold(expected) not in fold(kept):
            self.fail(f"{where}: remembered quartier {kept!r}, expected {expected!r}")


def _contains(expected: Any, *values: Any) -> bool:
    """Whether one of the ``|``-separated alternatives is in the values (folded)."""
    text = fold(" ".join(str(value) for value in values if value))
    return any(fold(alternative) in text for alternative in str(expected).split("|") if alternative.strip())


def _subscription_matches(item: dict[str, Any], row: Subscription) -> bool:
    if "official" in item:
        return row.kind == OFFICIAL and _contains(item["official"], row.value, row.label)
    if "quartier" in item:
        return row.kind == AREA and _contains(item["quartier"], row.value, row.label)
    if row.kind != TOPIC or not _contains(item.get("topic", ""), row.value, row.label):
        return False
    if "area" in item:
        return bool(row.area) and _contains(item["area"], row.area, row.area_label)
    return not row.area  # a topic everywhere


def _describe_subscription(row: Subscription) -> str:
    return f"{row.kind}:{row.label}" + (f"@{row.area_label or row.area}" if row.area else "")


def _contribution_matches(item: dict[str, Any], row: Contribution) -> bool:
    checks = {
        "kind": lambda value: row.kind == value,
        "category": lambda value: _contains(value, row.category, row.category_label),
        "description": lambda value: _contains(value, row.description),
        "title": lambda value: _contains(value, row.title),
        "located": lambda value: (row.latitude is not None and row.longitude is not None) == value,
        "photo": lambda value: (row.media is not None) == value,
        "area": lambda value: _contains(value, row.area),
        "address": lambda value: _contains(value, row.address),
        "anonymous": lambda value: (row.user_id is None) == value,
    }
    return all(checks[key](value) for key, value in item.items())


def _describe_contribution(row: Contribution) -> dict[str, Any]:
    return {"kind": row.kind, "category": row.category_label, "title": row.title,
            "description": row.description, "point": (row.latitude, row.longitude),
            "address": row.address, "area": row.area, "photo": row.media is not None,
            "anonymous": row.user_id is None}
