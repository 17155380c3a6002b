"""The subscriptions feature: the topics, areas and officials residents follow, and when they
want to hear about them."""
from __future__ import annotations

from bot.feature import Feature
from bot.subscriptions import models
from bot.subscriptions.targeting import queue_for_subscribers

FEATURE = Feature(
    name="subscriptions",
    intents=("subscribe", "unsubscribe", "my_subscriptions", "delivery_settings"),
    texts=("subscriptions",),
    models=(models,),
    audience=queue_for_subscribers,
)
