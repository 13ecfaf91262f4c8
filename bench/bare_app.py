"""The backend throughput baseline: one FastAPI endpoint, no auth, no middleware.

`python -m bench.bare_app --port P` serves it with the uvicorn settings of
`python -m mock_backend` (same log level, lifespan, header limit), so the ratio of the two
is what auth, the token store and the journal cost.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence

from fastapi import FastAPI

PATH = "/bare"
# About the size of /api/current-user's answer.
BODY = {"id": "u-alice", "username": "alice", "email": "alice@example.com", "role": "user"}


def create_bare_app() -> FastAPI:
    app = FastAPI()

    @app.get(PATH)
    def bare() -> dict[str, str]:
        return BODY

    return app


def main(argv: Sequence[str] | None = None) -> int:
    import uvicorn

    from mock_backend.request_limits import MAX_REQUEST_HEAD_BYTES

    parser = argparse.ArgumentParser(prog="python -m bench.bare_app")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s: %(message)s")
    uvicorn.run(create_bare_app(), host=args.host, port=args.port, log_level="info",
                lifespan="on", h11_max_incomplete_event_size=MAX_REQUEST_HEAD_BYTES)
    return 0


if __name__ == "__main__":
    sys.exit(main())
