"""The HTTP API for the city's systems: bearer-token authentication and the publication routes."""
