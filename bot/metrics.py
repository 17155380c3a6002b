"""Prometheus metrics of one civicbot process, served at ``/metrics``.

Counters and the latency histogram are updated where things happen; the gauges that describe
the database (outbox depth and age, active flows, open tickets) are read from it when
``/metrics`` is scraped (:mod:`bot.http`), so every process of a deployment reports the same
shared state.
Labels are platforms, intents, kinds and outcomes: never a resident's id or words.
"""
from __future__ import annotations

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram, generate_latest

REGISTRY = CollectorRegistry()
CONTENT_TYPE = CONTENT_TYPE_LATEST

MESSAGES_IN = Counter("civicbot_messages_received", "Messages received from residents",
                      ["platform"], registry=REGISTRY)
REPLIES_OUT = Counter("civicbot_replies_sent", "Replies to residents' messages, by the intent that answered",
                      ["platform", "intent"], registry=REGISTRY)
REPLY_SECONDS = Histogram("civicbot_reply_seconds", "Time from a message's arrival to its reply",
                          ["platform"], registry=REGISTRY,
                          buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10))
DELIVERIES = Counter("civicbot_deliveries", "Outbox messages sent to chats, by outcome",
                     ["platform", "outcome"], registry=REGISTRY)
RATE_LIMITED = Counter("civicbot_rate_limited", "Sends (replies and broadcasts) refused by a platform's rate limit",
                       ["platform"], registry=REGISTRY)
FORWARDS = Counter("civicbot_forwarding_attempts", "Contributions sent to the city's back end, by outcome",
                   ["target", "outcome"], registry=REGISTRY)
OUTBOX_DEPTH = Gauge("civicbot_outbox_pending", "Outbox rows waiting to be sent", ["kind"], registry=REGISTRY)
OUTBOX_AGE = Gauge("civicbot_outbox_oldest_seconds", "Age of the oldest waiting outbox row", ["kind"],
                   registry=REGISTRY)
ACTIVE_FLOWS = Gauge("civicbot_active_flows", "Conversations in the middle of a multi-step flow", ["flow"],
                     registry=REGISTRY)
OPEN_TICKETS = Gauge("civicbot_open_tickets", "Hand-over tickets waiting for or talking with an agent",
                     registry=REGISTRY)


def count_reply(platform: str, intent: str, seconds: float) -> None:
    MESSAGES_IN.labels(platform).inc()
    REPLIES_OUT.labels(platform, intent or "core").inc()
    REPLY_SECONDS.labels(platform).observe(seconds)


def exposition() -> bytes:
    """Every metric in Prometheus' text format."""
    return generate_latest(REGISTRY)
