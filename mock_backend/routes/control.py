"""The test-control API (`/__harness/*`): facts, journal, reset, clock, faults, sessions.

Mounted only when test control is enabled; otherwise every path here is a 404.

The waits (`POST /journal/wait`, `POST /faults/{id}/wait`) are long polls: one request,
answered the moment the condition holds or at its timeout, so a test waits without polling.
Like the journal and the faults, they see only the process that answers them.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, Protocol

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, model_validator

from mock_backend.clock import Clock
from mock_backend.errors import ApiError
from mock_backend.faults import FaultBook
from mock_backend.journal import EntryFilter, Journal
from mock_backend.profile import ApiProfile


class _HasProfile(Protocol):
    @property
    def api_profile(self) -> ApiProfile: ...


class Controlled(Protocol):
    """What the test-control API steers: the reference backend (`state.Backend`), or an edge
    in front of another backend (`edge.app.Edge`)."""

    clock: Clock
    journal: Journal
    faults: FaultBook

    @property
    def settings(self) -> _HasProfile: ...

    @property
    def holds_checked_refreshes(self) -> bool: ...

    def reset(self) -> None: ...

    def facts(self) -> dict[str, Any]: ...

    def families(self) -> list[dict[str, Any]]: ...


async def _controlled(request: Request) -> Controlled:
    backend: Controlled = request.app.state.backend
    return backend


BackendDep = Annotated[Controlled, Depends(_controlled)]

router = APIRouter(prefix="/__harness", tags=["test-control"])

Finite = Annotated[float, Field(allow_inf_nan=False, strict=True)]
# A wait's timeout: bounded, so a forgotten wait cannot hold a connection (or a shutdown) long.
WaitTimeout = Annotated[float, Field(gt=0, le=60, allow_inf_nan=False, strict=True)]


class ClockChange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    advance: Finite | None = None
    set: Finite | None = None
    freeze: StrictBool | None = None

    @model_validator(mode="after")
    def _one_move(self) -> ClockChange:
        if self.advance is not None and self.set is not None:
            raise ValueError("give advance or set, not both")
        if self.advance is None and self.set is None and self.freeze is None:
            raise ValueError("give advance, set or freeze")
        return self


class FaultSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    path: Annotated[str, Field(pattern=r"^/", max_length=2048, strict=True)]
    times: Annotated[StrictInt, Field(ge=1, le=100_000)] = 1
    method: Annotated[str, Field(pattern=r"^[A-Z]+$", strict=True)] | None = None
    delay_ms: Annotated[float, Field(ge=0, le=600_000, allow_inf_nan=False, strict=True)] = 0
    status: Annotated[StrictInt, Field(ge=100, le=599)] | None = None
    gate: StrictBool = False
    drop: StrictBool = False
    at: Literal["arrival", "checked"] = "arrival"

    @model_validator(mode="after")
    def _one_effect(self) -> FaultSpec:
        if not (self.delay_ms or self.status is not None or self.gate or self.drop):
            raise ValueError("a fault needs delay_ms, status, gate or drop")
        if self.status is not None and self.drop:
            raise ValueError("status and drop exclude each other")
        if self.at == "checked" and (self.status is not None or self.drop):
            raise ValueError("a fault at 'checked' holds or delays; status and drop act on "
                             "arrival")
        return self


class JournalWait(BaseModel):
    model_config = ConfigDict(extra="forbid")

    after: Annotated[StrictInt, Field(ge=0)] = 0
    path: Annotated[str, Field(pattern=r"^/", max_length=2048, strict=True)] | None = None
    method: Annotated[str, Field(pattern=r"^[A-Za-z]+$", max_length=32, strict=True)] | None = None
    query_contains: Annotated[str, Field(min_length=1, max_length=2048, strict=True)] | None = None
    answered: StrictBool | None = None
    status: Annotated[StrictInt, Field(ge=0, le=599)] | None = None  # 0: dropped on purpose
    count: Annotated[StrictInt, Field(ge=1, le=100_000)] = 1
    timeout: WaitTimeout = 10


class FaultWait(BaseModel):
    model_config = ConfigDict(extra="forbid")

    held: Annotated[StrictInt, Field(ge=1, le=100_000)] = 1
    timeout: WaitTimeout = 10


@router.get("/facts")
def facts(backend: BackendDep) -> dict[str, Any]:
    """Everything a test needs to know about this backend, so that no client repeats it."""
    return backend.facts()


@router.get("/journal")
def journal(backend: BackendDep, path: str | None = None, method: str | None = None,
            after: Annotated[int | None, Query(ge=0)] = None,
            last: Annotated[int | None, Query(ge=0)] = None) -> dict[str, Any]:
    """The entries (after seq `after`, to `path` with `method`; only the newest `last` of
    them), and the newest seq of all (`last_seq`): `?last=0` is a mark, with no entries."""
    return backend.journal.query(path=path, method=method, after=after, last=last)


@router.post("/journal/wait")
async def wait_journal(wait: JournalWait, backend: BackendDep) -> dict[str, Any]:
    where = EntryFilter(path=wait.path, method=wait.method, query_contains=wait.query_contains,
                        answered=wait.answered, status=wait.status)
    met = await backend.journal.wait(wait.after, wait.count, where, wait.timeout)
    # The copy in a worker thread, as `GET /journal` makes it: a long journal must not
    # stall the requests the loop is serving.
    answer = await run_in_threadpool(backend.journal.query, after=wait.after)
    return {"met": met, **answer}


@router.post("/reset", status_code=204)
async def reset(backend: BackendDep) -> Response:
    backend.reset()
    return Response(status_code=204)


@router.post("/clock")
async def clock(change: ClockChange, backend: BackendDep) -> dict[str, Any]:
    # Freezing first: `{"set": t, "freeze": true}` stands exactly at t.
    if change.freeze is not None:
        backend.clock.freeze(change.freeze)
    if change.advance is not None:
        backend.clock.advance(change.advance)
    elif change.set is not None:
        backend.clock.set(change.set)
    return {"now": backend.clock.now(), "frozen": backend.clock.frozen}


@router.get("/clock")
async def clock_now(backend: BackendDep) -> dict[str, Any]:
    return {"now": backend.clock.now(), "frozen": backend.clock.frozen}


@router.post("/faults", status_code=201)
async def add_fault(spec: FaultSpec, backend: BackendDep) -> dict[str, str]:
    refresh = backend.settings.api_profile.refresh.endpoint
    if spec.at == "checked" and not backend.holds_checked_refreshes:
        raise ApiError(422, "invalid_request", "a fault at 'checked' acts inside the backend, "
                                               "once the refresh token is checked; an edge "
                                               "sees a request only before and after the "
                                               "backend: use at 'arrival'")
    if spec.at == "checked" and spec.path != refresh.path:
        raise ApiError(422, "invalid_request", f"a fault at 'checked' holds the refresh once its "
                                               f"token is checked: path must be {refresh.path}")
    fault = backend.faults.add(**spec.model_dump())
    return {"id": fault.id}


@router.get("/faults")
async def list_faults(backend: BackendDep) -> dict[str, Any]:
    return {"faults": backend.faults.list()}


@router.post("/faults/{fault_id}/release")
async def release_fault(fault_id: str, backend: BackendDep) -> dict[str, Any]:
    fault = backend.faults.release(fault_id)
    if fault is None:
        raise ApiError(404, "unknown_fault", f"no fault {fault_id!r}")
    return fault.describe()


@router.post("/faults/{fault_id}/wait")
async def wait_fault(fault_id: str, wait: FaultWait, backend: BackendDep) -> dict[str, Any]:
    fault = backend.faults.get(fault_id)
    if fault is None:
        raise ApiError(404, "unknown_fault", f"no fault {fault_id!r}")
    if not fault.gate:
        raise ApiError(422, "invalid_request", f"fault {fault_id!r} has no gate, so it never "
                                               f"holds a request")
    met = await fault.wait_held(wait.held, wait.timeout)
    return {"met": met, "fault": fault.describe()}


@router.delete("/faults", status_code=204)
async def clear_faults(backend: BackendDep) -> Response:
    backend.faults.clear()
    return Response(status_code=204)


@router.get("/sessions")
def sessions(backend: BackendDep) -> dict[str, Any]:
    return {"families": backend.families()}
