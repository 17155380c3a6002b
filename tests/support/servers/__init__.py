"""Loopback servers that stand in for the platforms and back ends during tests and benchmarks."""
