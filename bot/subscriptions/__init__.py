"""Subscriptions: what each resident wants to hear about (topics, areas, officials), how often,
when not, and where to reach them. Publications reach them through :mod:`bot.delivery`."""
