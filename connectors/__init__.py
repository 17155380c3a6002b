"""The edges: chat platforms and the city's back ends. Connectors only translate."""
