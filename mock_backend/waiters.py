"""One-shot wake-ups for the test-control API's long-poll waits.

A wait parks on a future of the server's event loop; whatever changes the state it waits
on (the journal, written from the loop or from a worker thread; a fault's gate) wakes it
with its answer. Nothing sleeps or polls: the wait ends when woken or at its timeout.
"""

from __future__ import annotations

import asyncio
import contextlib


def new_waiter() -> asyncio.Future[bool]:
    """A future of the running loop, for `wake` to resolve; call on the server's loop."""
    return asyncio.get_running_loop().create_future()


def wake(waiter: asyncio.Future[bool], met: bool = True) -> None:
    """Answer `waiter` with `met`, from any thread (a future may be touched only on its own
    loop). The first answer stands: it is the one given when the state changed first."""
    # A closed loop refuses the call: nobody is waiting any more.
    with contextlib.suppress(RuntimeError):
        waiter.get_loop().call_soon_threadsafe(_resolve, waiter, met)


def _resolve(waiter: asyncio.Future[bool], met: bool) -> None:
    if not waiter.done():
        waiter.set_result(met)


async def answer(waiter: asyncio.Future[bool], timeout: float) -> bool:
    """The answer `waiter` was woken with, or False if it was not within `timeout` seconds."""
    done, _ = await asyncio.wait({waiter}, timeout=timeout)
    return bool(done) and waiter.result()
