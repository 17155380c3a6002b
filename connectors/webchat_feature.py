"""What the web chat connector brings to the application besides the connector itself: the
widget's texts (the connector is built by ``connectors.registry`` when ``webchat_enabled`` is
set; what it holds for visitors is the core's, ``bot.mailbox``)."""
from __future__ import annotations

from bot.feature import Feature

FEATURE = Feature(name="webchat", texts=("webchat",))
