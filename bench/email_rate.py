"""Publications by e-mail through the delivery engine to a real SMTP server (aiosmtpd on
loopback): the rate reached against ``email_rate``, and the sender's own ceiling (no rate).

    python bench/email_rate.py [--addresses 300] [--rate 20]
"""
from __future__ import annotations

import argparse
import asyncio
import secrets
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import insert, select

from bot.app import CivicBot
from bot.config import Settings
from bot.db import utcnow
from bot.delivery.engine import DeliveryEngine
from bot.email.models import ACTIVE, EmailAddress, EmailChoice
from bot.features import create_bot
from bot.models import User
from bot.serve import start_up_heap_frozen
from tests.support.email import publish
from tests.support.smtp import MailServer


async def confirmed_addresses(bot: CivicBot, count: int) -> None:
    """``count`` residents whose confirmed address receives the council summaries."""
    now = utcnow()
    async with bot.sessions() as session:
        await session.execute(insert(User), [
            {"platform": "bench", "user_hash": f"bench-{number}", "active": True, "created_at": now,
             "last_seen_at": now} for number in range(count)])
        ids = (await session.execute(select(User.id).where(User.platform == "bench"))).scalars().all()
        await session.execute(insert(EmailAddress), [
            {"user_id": user_id, "address": f"habitant{user_id}@exemple.fr", "language": "fr", "status": ACTIVE,
             "nonce": secrets.token_hex(16), "created_at": now} for user_id in ids])
        await session.execute(insert(EmailChoice), [
            {"user_id": user_id, "kind": "topic", "value": "conseil municipal", "label": "conseil municipal",
             "area": "", "area_label": "", "created_at": now} for user_id in ids])
        await session.commit()


async def run(count: int, rate: float) -> float:
    """E-mails per second from the first arrival to the last."""
    server = MailServer()
    server.start()
    try:
        with tempfile.TemporaryDirectory() as directory:
            settings = Settings(data_dir=Path(directory), secret="bench", demo_data=False, log_level="WARNING",
                                email_rate=rate)
            server.configure(settings)
            bot = await create_bot(settings)
            with start_up_heap_frozen():  # as civicbot serve
                try:
                    await confirmed_addresses(bot, count)
                    arrivals: list[float] = []
                    stop = asyncio.Event()
                    engine = asyncio.create_task(DeliveryEngine(bot.sessions, settings, bot.catalog, {},
                                                                handlers=bot.outbox_handlers).run(stop))
                    assert await publish(bot, "Conseil municipal du 12 mars", "Les délibérations adoptées.",
                                         topics=["conseil municipal"]) == count
                    while len(server.received) < count:
                        if len(arrivals) < len(server.received):
                            arrivals += [time.monotonic()] * (len(server.received) - len(arrivals))
                        await asyncio.sleep(0.005)
                    arrivals += [time.monotonic()] * (count - len(arrivals))
                    stop.set()
                    await engine
                finally:
                    await bot.close()
    finally:
        server.stop()
    return (count - 1) / (arrivals[-1] - arrivals[0])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--addresses", type=int, default=300)
    parser.add_argument("--rate", type=float, default=20.0)
    options = parser.parse_args()
    limited = asyncio.run(run(options.addresses, options.rate))
    print(f"email_rate {options.rate:g}/s: {limited:.2f} e-mails/s "
          f"({100 * limited / options.rate:.1f} % of the rate), {options.addresses} addresses")
    ceiling = asyncio.run(run(options.addresses, 100_000.0))
    print(f"no rate: {ceiling:.1f} e-mails/s (one SMTP connection per e-mail, delivery_concurrency 8)")


if __name__ == "__main__":
    main()
