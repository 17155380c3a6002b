"""delivery_settings: how the resident receives what they follow, in everyday words — "mettre
en pause", "reprendre", "chaque semaine", "plutôt une fois par jour", "heures calmes de 21h à 7h".

Only the NLU examples are its own: the change and its answer are my_subscriptions' (one place),
which also says so, and changes nothing, when the resident follows nothing.
"""
from intents import my_subscriptions

NAME = "delivery_settings"
handle = my_subscriptions.handle
