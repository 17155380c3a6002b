"""The e-mail feature: publications by e-mail, with double opt-in and one-click unsubscribe
(the pages its links open, its outbox handler when an SMTP server is set)."""
from __future__ import annotations

from bot.email import delivery, models
from bot.email.cli import email
from bot.email.routes import setup_routes
from bot.feature import Feature

FEATURE = Feature(
    name="email",
    intents=("subscribe_email",),
    texts=("email",),
    models=(models,),
    startup=(delivery.setup,),
    audience=delivery.queue_publication,
    routes=setup_routes,
    commands=(email,),
)
