"""Publications by e-mail: a resident gives an address from any channel, confirms it by a link
(double opt-in), and receives the publications they chose, each with a one-click unsubscribe.
See docs/operate/email.md."""
