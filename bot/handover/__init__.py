"""Hand-over to a person of the city.

A resident who asks for a human gets a *ticket* (one open ticket per resident); while it is open
the ``talk_to_human`` flow relays their messages to it instead of the NLU. Agents read and answer
tickets through the HTTP API or the console page (``/agent``) with a token of scope ``agent``;
they see a ticket number and the conversation, never who the resident is on their platform.
Replies reach the resident through the outbox. See docs/operate/hand-over.md.

- :mod:`.models`: the tables; :mod:`.store`: opening, relaying, answering, closing, retention;
- :mod:`.api`: the agents' routes and console; :mod:`.openapi`: their description.
"""
