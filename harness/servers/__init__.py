"""Servers a check needs besides the backend: the live server that runs an ASGI app in a
thread, a third-party origin, the test CA for https, and the topologies. Imports no other
layer of the harness."""
