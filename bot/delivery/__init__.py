"""Delivery of everything the outbox holds, within each platform's limits (:mod:`bot.limits`,
shared with the connectors' replies): what a row becomes as a message (:mod:`.compose`), the
workers (:mod:`.engine`), group commit of their outcomes (:mod:`.recorder`) and the background
service of ``civicbot serve`` (:mod:`.service`).
See docs/operate/publications-and-delivery.md for the guarantees."""
