"""Routers by area: auth, the demo API, the test-control API, well-known keys."""
