"""What the web chat connector brings to the application besides the connector itself: the
visitors' inbox tables and the widget's texts (the connector is built by ``connectors.registry``
when ``webchat_enabled`` is set)."""
from __future__ import annotations

from bot.feature import Feature
from connectors import webchat_store

FEATURE = Feature(name="webchat", texts=("webchat",), models=(webchat_store,))
