"""Residents' contributions to the city: reports, ideas, supports, polls, votes and opinions.

A contribution is linked to its author by ``users.id`` only while they want it (an anonymous
one has no link at all), and the link is cut by erasure or after ``retention_days``: what the
city received stays, unlinked. Columns marked ``info={"personal": True}`` are cleared whenever
a row is unlinked from its resident (see :mod:`bot.contributions.privacy`).
"""
