"""The backend throughput baseline: one FastAPI endpoint, no auth, no middleware, served
like `python -m mock_backend` (same uvicorn options, log level and lifespan), so the ratio
of the two is what auth, the token store and the journal cost.
`python -m bench.bare_app --port P`."""

from __future__ import annotations

import argparse
import logging

import uvicorn
from fastapi import FastAPI

from mock_backend import server_options

app = FastAPI()


@app.get("/bare")
def bare() -> dict[str, str]:  # about the size of /api/current-user's answer
    return {"id": "u-alice", "username": "alice", "email": "alice@example.com", "role": "user"}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m bench.bare_app")
    parser.add_argument("--port", type=int, default=8000)
    port = parser.parse_args().port
    logging.basicConfig(level=logging.INFO, format="%(levelname)s: %(message)s")
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="info", lifespan="on",
                **server_options())
