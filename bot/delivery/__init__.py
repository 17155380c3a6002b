"""Delivery of everything the outbox holds: rate limits per platform (:mod:`.limits`), what a
row becomes as a message (:mod:`.compose`), the workers (:mod:`.engine`), group commit of their
outcomes (:mod:`.recorder`) and the background service of ``civicbot serve`` (:mod:`.service`).
See docs/operate/publications-and-delivery.md for the guarantees."""
