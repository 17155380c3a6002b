"""Matrix round trip: residents on their own matrix-nio clients talk to the bot through a local
Synapse; messages per second and latency (p50, p99) from a resident's send to the reply it sees.

    python bench/matrix_roundtrip.py [--residents 10] [--messages 10] [--encrypted]

Runs twice: with the whole pipeline (router, NLU, database), then with an echo handler in its
place, so that the ratio shows what the pipeline costs over Synapse and the connector. Each
resident sends its next message once the previous one is answered (as a person would), all
residents at once. Needs matrix-synapse (the test extras); figures only, no target.
"""
from __future__ import annotations

import argparse
import asyncio
import itertools
import logging
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.app import CivicBot
from bot.config import Settings
from bot.messages import IncomingMessage, Reply
from tests.support.synapse import BotAccount, Resident, Synapse, synapse_missing_reason

CONVERSATION = ["bonjour", "aide", "qui est le maire ?", "je veux signaler un nid de poule",
                "annuler", "hello, what can you do?", "merci, au revoir", "2"]


async def resident_session(resident: Resident, bot_id: str, messages: int) -> list[float]:
    latencies = []
    texts = itertools.cycle(CONVERSATION)
    for _ in range(messages):
        began = time.perf_counter()
        await resident.say(next(texts))
        await resident.replies(bot_id, timeout=60)
        latencies.append(time.perf_counter() - began)
    return latencies


async def run(bot: CivicBot, synapse: Synapse, workdir: Path, label: str, residents: int,
              messages: int, encrypted: bool) -> tuple[float, list[float]]:
    """Start a connector for a new bot account, open the chats, then time the conversations."""
    account = await BotAccount(bot, synapse).register(f"bench-bot-{label}")
    await account.start()
    people = [Resident(synapse, f"bench-{label}-{number}",
                       workdir / f"{label}-{number}" if encrypted else None)
              for number in range(residents)]
    try:
        for person in people:
            await person.open()
            await person.open_chat(account, encrypted)
        began = time.perf_counter()
        results = await asyncio.gather(*(resident_session(person, account.user_id, messages)
                                         for person in people))
        elapsed = time.perf_counter() - began
    finally:
        for person in people:
            await person.close()
        await account.stop()
    return elapsed, [latency for latencies in results for latency in latencies]


def report(label: str, elapsed: float, latencies: list[float]) -> float:
    rate = len(latencies) / elapsed
    ordered = sorted(latencies)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    print(f"{label:9} {len(latencies):5d} messages in {elapsed:6.2f}s: {rate:7.1f} msg/s, "
          f"p50 {statistics.median(ordered) * 1000:7.1f} ms, p99 {p99 * 1000:7.1f} ms")
    return rate


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--residents", type=int, default=10)
    parser.add_argument("--messages", type=int, default=10, help="per resident")
    parser.add_argument("--encrypted", action="store_true", help="end-to-end encrypted chats")
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)  # matrix-nio warns about routine key exchanges
    reason = synapse_missing_reason()
    if reason:
        sys.exit(reason)
    with tempfile.TemporaryDirectory(prefix="civicbot-bench-") as directory:
        workdir = Path(directory)
        synapse = Synapse(workdir / "synapse")
        print(f"Synapse started in {synapse.start():.1f}s")
        try:
            settings = Settings(data_dir=workdir / "data", secret="bench",
                                matrix_homeserver=synapse.base_url)
            bot = await CivicBot.create(settings)
            try:
                pipeline = report("pipeline", *await run(bot, synapse, workdir, "pipeline",
                                                         args.residents, args.messages, args.encrypted))

                async def echo(message: IncomingMessage) -> Reply:
                    return Reply(message.text)

                bot.handle = echo
                echoed = report("echo", *await run(bot, synapse, workdir, "echo",
                                                   args.residents, args.messages, args.encrypted))
                print(f"pipeline/echo throughput ratio: {pipeline / echoed:.2f}")
            finally:
                await bot.close()
        finally:
            synapse.stop()


if __name__ == "__main__":
    asyncio.run(main())
