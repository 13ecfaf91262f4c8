"""Root conftest: only what the repository's own test run needs.

The harness plugin itself is registered through the `pytest11` entry point.
"""

pytest_plugins = ["pytester"]
