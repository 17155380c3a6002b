"""Matrix round trip: residents on their own matrix-nio clients talk to a bot through a local
Synapse; reply latency (p50, p99) from a resident's send to the reply it sees.

    python bench/matrix_roundtrip.py [--residents 10] [--messages 10] [--typing-every 0.2]

In the same run and on the same Synapse, two bots: civicbot's Matrix connector as ``civicbot
serve`` builds it (its limiter, flood control, the whole pipeline: router, NLU, database), and a
minimal matrix-nio echo bot (``sync_forever`` and a callback that sends the text back). Each is
measured quiet, then while one more resident types fast (a message every ``--typing-every``
seconds, never waiting for an answer). Each resident sends its next message once the previous
one is answered, as a person would, all residents at once. Target: civicbot's p50 within 1.5×
the echo bot's, in both cases. Needs matrix-synapse (the test extras).
"""
from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import logging
import secrets
import statistics
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from nio import AsyncClient, InviteMemberEvent, MatrixRoom, RoomMessageText

from bot.app import CivicBot
from bot.config import Settings
from bot.features import create_bot
from bot.serve import start_up_heap_frozen
from tests.support.synapse import BotAccount, Resident, Synapse, synapse_missing_reason

CONVERSATION = ["bonjour", "aide", "qui est le maire ?", "je veux signaler un nid de poule",
                "annuler", "hello, what can you do?", "merci, au revoir", "2"]
TARGET_RATIO = 1.5


class EchoBot:
    """The baseline: a minimal matrix-nio bot that joins invitations and echoes each text."""

    def __init__(self, synapse: Synapse, localpart: str) -> None:
        self.synapse = synapse
        self.localpart = localpart
        self.client: AsyncClient | None = None
        self.task: asyncio.Task | None = None

    @property
    def user_id(self) -> str:
        assert self.client is not None
        return self.client.user_id

    async def start(self) -> None:
        password = secrets.token_hex(8)
        user_id = await self.synapse.register(self.localpart, password)
        self.client = client = AsyncClient(self.synapse.base_url, user_id)
        await client.login(password)
        await client.sync(timeout=0)
        client.add_event_callback(self._on_invite, InviteMemberEvent)  # type: ignore[arg-type]
        client.add_event_callback(self._on_text, RoomMessageText)  # type: ignore[arg-type]
        self.task = asyncio.create_task(client.sync_forever(timeout=30_000))

    async def _on_invite(self, room: MatrixRoom, event: InviteMemberEvent) -> None:
        if self.client is not None and event.state_key == self.client.user_id:
            await self.client.join(room.room_id)

    async def _on_text(self, room: MatrixRoom, event: RoomMessageText) -> None:
        if self.client is not None and event.sender != self.client.user_id:
            await self.client.room_send(room.room_id, "m.room.message",
                                        {"msgtype": "m.text", "body": event.body})

    async def stop(self) -> None:
        if self.task is not None:
            self.task.cancel()
            await asyncio.gather(self.task, return_exceptions=True)
        if self.client is not None:
            await self.client.close()


async def resident_session(resident: Resident, bot_id: str, messages: int) -> list[float]:
    latencies = []
    texts = itertools.cycle(CONVERSATION)
    for _ in range(messages):
        began = time.perf_counter()
        await resident.say(next(texts))
        await resident.replies(bot_id, timeout=60)
        latencies.append(time.perf_counter() - began)
    return latencies


async def fast_typist(resident: Resident, every: float) -> None:
    """Writes every ``every`` seconds without waiting for an answer, until cancelled."""
    texts = itertools.cycle(CONVERSATION)
    while True:
        await resident.say(next(texts))
        await asyncio.sleep(every)


async def open_chat(resident: Resident, bot: EchoBot | BotAccount) -> None:
    if isinstance(bot, BotAccount):
        await resident.open_chat(bot)
    else:
        await resident.invite(bot.user_id)
        assert await resident.membership_of(bot.user_id) == "join"


@contextlib.asynccontextmanager
async def running_bot(kind: str, civicbot: CivicBot, synapse: Synapse,
                      label: str) -> AsyncIterator[EchoBot | BotAccount]:
    if kind == "civicbot":
        account = await BotAccount(civicbot, synapse).register(f"bench-{label}")
        await account.start(encryption=False)
        try:
            yield account
        finally:
            await account.stop()
    else:
        echo = EchoBot(synapse, f"bench-{label}")
        await echo.start()
        try:
            yield echo
        finally:
            await echo.stop()


async def run(kind: str, typing_every: float | None, civicbot: CivicBot, synapse: Synapse,
              residents: int, messages: int) -> list[float]:
    """Open the chats with a new bot account, then time the conversations."""
    label = f"{kind}-{'typing' if typing_every else 'quiet'}-{secrets.token_hex(2)}"
    async with running_bot(kind, civicbot, synapse, label) as bot:
        people = [Resident(synapse, f"{label}-{number}") for number in range(residents + 1)]
        typist: asyncio.Task[Any] | None = None
        try:
            for person in people:
                await person.open()
                await open_chat(person, bot)
            if typing_every:
                typist = asyncio.create_task(fast_typist(people[-1], typing_every))
            results = await asyncio.gather(*(resident_session(person, bot.user_id, messages)
                                             for person in people[:-1]))
        finally:
            if typist is not None:
                typist.cancel()
                await asyncio.gather(typist, return_exceptions=True)
            for person in people:
                await person.close()
    return [latency for latencies in results for latency in latencies]


def report(label: str, latencies: list[float]) -> float:
    """Print the figures; returns the p50 in seconds."""
    ordered = sorted(latencies)
    p50 = statistics.median(ordered)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    print(f"{label:52} {len(latencies):5d} replies: p50 {p50 * 1000:7.1f} ms, p99 {p99 * 1000:7.1f} ms",
          flush=True)
    return p50


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--residents", type=int, default=10)
    parser.add_argument("--messages", type=int, default=10, help="per resident")
    parser.add_argument("--typing-every", type=float, default=0.2,
                        help="seconds between two messages of the fast typist")
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)  # matrix-nio warns about routine key exchanges
    reason = synapse_missing_reason()
    if reason:
        sys.exit(reason)
    with tempfile.TemporaryDirectory(prefix="civicbot-bench-") as directory:
        workdir = Path(directory)
        synapse = Synapse(workdir / "synapse")
        print(f"Synapse started in {synapse.start():.1f}s; {args.residents} residents x "
              f"{args.messages} messages", flush=True)
        try:
            civicbot = await create_bot(Settings(data_dir=workdir / "data", secret="bench",
                                                      matrix_homeserver=synapse.base_url))
            with start_up_heap_frozen():  # as civicbot serve
                try:
                    p50: dict[tuple[str, bool], float] = {}
                    for typing in (False, True):
                        condition = f"fast typist every {args.typing_every:g}s" if typing else "quiet"
                        for kind in ("echo", "civicbot"):
                            latencies = await run(kind, args.typing_every if typing else None, civicbot,
                                                  synapse, args.residents, args.messages)
                            name = "matrix-nio echo bot" if kind == "echo" else "civicbot (as serve runs it)"
                            p50[(kind, typing)] = report(f"{name}, {condition}", latencies)
                finally:
                    await civicbot.close()
        finally:
            synapse.stop()
    ratios = [p50[("civicbot", typing)] / p50[("echo", typing)] for typing in (False, True)]
    print(f"civicbot p50 / echo p50: quiet x{ratios[0]:.2f}, with a fast typist x{ratios[1]:.2f}")
    verdict = "met" if max(ratios) <= TARGET_RATIO else "NOT met"
    print(f"target (civicbot p50 <= {TARGET_RATIO}x the echo bot's, in both cases): {verdict}")


if __name__ == "__main__":
    asyncio.run(main())
