"""One module per intent, each with its data file (examples, commands, messages).

See :mod:`bot.intent` for the contract; modules whose name starts with ``_`` are helpers.
"""
