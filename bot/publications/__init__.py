"""City publications (council summaries, news, works notices, consultations): created through
the HTTP API or ``civicbot publish``, delivered to the matching subscribers."""
