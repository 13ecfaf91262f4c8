"""HTTP client for the backend's test-control API. Never reaches into backend internals:
what it knows of the backend it reads from `/__harness/facts`."""

from __future__ import annotations

import ssl
from dataclasses import dataclass
from typing import Any

import httpx

from harness.seam.facts import BackendFacts
from harness.seam.journal import Entry, Journal
from harness.seam.wire import HttpClient, record

# How much longer than a wait's own timeout its request may take: the server answers at the
# timeout, so only a backend that stopped answering runs into this.
WAIT_MARGIN = 5.0


class ControlError(RuntimeError):
    """The test-control API answered with an error (is it enabled on this backend?)."""


@dataclass(frozen=True)
class Family:
    """A refresh family (one login's chain of refresh tokens), as `/__harness/sessions`
    gives it. Times are epoch seconds on the backend clock."""

    id: str
    user: str
    generation: int
    state: str  # "live", "revoked" or "expired"
    reason: str | None  # why it was revoked ("reuse", "logout", ...) or expired
    created_at: float | None = None
    expires_at: float | None = None
    last_used_at: float | None = None

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Family:
        return record(cls, data)

    @property
    def live(self) -> bool:
        return self.state == "live"

    @property
    def revoked(self) -> bool:
        return self.state == "revoked"


@dataclass(frozen=True)
class FaultState:
    """An armed fault as `/__harness/faults` gives it."""

    id: str
    path: str
    method: str | None  # None: every method but preflights
    remaining: int  # uses left
    delay_ms: float
    status: int | None
    gate: bool
    drop: bool
    at: str  # "arrival" or "checked"
    held: int  # requests its gate holds now
    released: bool

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> FaultState:
        return record(cls, data)


@dataclass(frozen=True)
class Fault:
    """A fault armed by `BackendClient.fault`."""

    id: str
    client: BackendClient

    def release(self) -> None:
        self.client._post(f"/__harness/faults/{self.id}/release")

    def state(self) -> FaultState:
        for fault in self.client.faults():
            if fault.id == self.id:
                return fault
        raise ControlError(f"fault {self.id} is no longer armed (reset or cleared)")

    def wait_held(self, n: int = 1, timeout: float = 10.0) -> bool:
        """Whether its gate holds at least `n` requests within `timeout` seconds; one request,
        answered the moment it does. False at once if the gate is released first."""
        return bool(self.client._post(f"/__harness/faults/{self.id}/wait",
                                      {"held": n, "timeout": timeout},
                                      timeout=timeout + WAIT_MARGIN).json()["met"])


def _error_code(response: httpx.Response) -> str | None:
    """The `error` code of the backend's JSON error body, if it has one."""
    try:
        body = response.json()
    except ValueError:
        return None
    return body.get("error") if isinstance(body, dict) else None


class BackendClient(HttpClient):
    def __init__(self, base_url: str, timeout: float = 10.0,
                 verify: ssl.SSLContext | bool = True, facts: BackendFacts | None = None) -> None:
        super().__init__(base_url, timeout, verify)
        self.base_url = base_url.rstrip("/")
        self._facts = facts

    def _check(self, response: httpx.Response) -> httpx.Response:
        if response.status_code >= 400:
            # A 404 of a path the API has (an unknown fault) names itself; only a missing
            # path is the usual sign of a backend without test control.
            hint = (" (is the backend running with --test-control?)"
                    if response.status_code == 404 and _error_code(response) != "unknown_fault"
                    else "")
            raise ControlError(f"{response.request.method} {response.request.url.path}: "
                               f"{response.status_code} {response.text}{hint}")
        return response

    def _get(self, url: str, params: dict[str, str] | None = None) -> Any:
        return self._check(self._http.get(url, params=params)).json()

    def _post(self, path: str, json: Any = None, timeout: float | None = None) -> httpx.Response:
        if timeout is None:
            return self._check(self._http.post(path, json=json))
        return self._check(self._http.post(path, json=json, timeout=timeout))

    def reset(self) -> None:
        self._post("/__harness/reset")

    def facts(self) -> BackendFacts:
        """What the backend says about itself; read once, the same for the backend's life."""
        if self._facts is None:
            self._facts = BackendFacts.from_json(self._get("/__harness/facts"))
        return self._facts

    def items_of(self, username: str) -> int:
        """How many items `username` has: the seed count for the harness's own backend (a
        reset restores it); behind an edge, the count in the newest list answer for that
        user that crossed it."""
        return BackendFacts.from_json(self._get("/__harness/facts")).user(username).jobs

    def journal(self, path: str | None = None, method: str | None = None,
                after: int | None = None) -> Journal:
        """A snapshot of the journal, all of it or the requests to `path` (and `method`);
        with `after`, only the entries whose seq is greater."""
        params = {k: v for k, v in (("path", path), ("method", method)) if v}
        if after is not None:
            params["after"] = str(after)
        return self._journal_of(self._get("/__harness/journal", params))

    def _journal_of(self, answer: dict[str, Any]) -> Journal:
        return Journal([Entry.from_json(e) for e in answer["entries"]], self.facts(),
                       answer["peak_in_flight"])

    def wait_journal(self, after: int, *, count: int = 1, path: str | None = None,
                     method: str | None = None, query_contains: str | None = None,
                     answered: bool | None = None, status: int | None = None,
                     timeout: float = 10.0) -> tuple[bool, Journal]:
        """Wait until at least `count` entries after seq `after` match every filter given
        (`answered`: has a status, or with False, is still in flight), at most `timeout`
        seconds. One request, answered the moment they do: (met, the journal after `after`)."""
        body: dict[str, Any] = {"after": after, "count": count, "timeout": timeout}
        body.update({k: v for k, v in (("path", path), ("method", method),
                                       ("query_contains", query_contains),
                                       ("answered", answered), ("status", status))
                     if v is not None})
        answer = self._post("/__harness/journal/wait", body,
                            timeout=timeout + WAIT_MARGIN).json()
        return bool(answer["met"]), self._journal_of(answer)

    def mark(self) -> int:
        """The journal's newest sequence number: `journal().after(mark)` is what came since.
        One small answer: `last=0` asks for no entries, only the journal's `last_seq`."""
        answer = self._get("/__harness/journal", {"last": "0"})
        if "last_seq" not in answer:  # a backend older than `last_seq` sends every entry
            return self._journal_of(answer).last_seq
        return int(answer["last_seq"])

    def count(self, path: str, method: str | None = None, status: int | None = None) -> int:
        return self.journal(path, method).count(path, method, status)

    def peak_in_flight(self, path: str) -> int:
        return self.journal(path).peak_in_flight(path)

    def now(self) -> float:
        return float(self._get("/__harness/clock")["now"])

    def access_token_lifetime_left(self) -> float:
        """Seconds until the newest access token expires, on the backend clock."""
        return self.journal().current_access_token_ends() - self.now()

    def expire_access_token(self) -> None:
        """Move the backend clock just past the `exp` of the newest access token."""
        self.advance_clock(max(self.access_token_lifetime_left(), 0) + 1)

    def advance_clock(self, seconds: float) -> float:
        return float(self._post("/__harness/clock", {"advance": seconds}).json()["now"])

    def set_clock(self, epoch: float) -> float:
        return float(self._post("/__harness/clock", {"set": epoch}).json()["now"])

    def freeze_clock(self, at: float | None = None) -> float:
        """Stop the backend clock (at `at`, if given): it then moves only when told to."""
        body: dict[str, Any] = {"freeze": True, **({"set": at} if at is not None else {})}
        return float(self._post("/__harness/clock", body).json()["now"])

    def unfreeze_clock(self) -> float:
        return float(self._post("/__harness/clock", {"freeze": False}).json()["now"])

    def fault(self, path: str, times: int = 1, **effect: Any) -> Fault:
        return Fault(self._post("/__harness/faults", {"path": path, "times": times,
                                                      **effect}).json()["id"], self)

    def clear_faults(self) -> None:
        self._check(self._http.delete("/__harness/faults"))

    def faults(self) -> list[FaultState]:
        return [FaultState.from_json(f) for f in self._get("/__harness/faults")["faults"]]

    def sessions(self) -> list[Family]:
        """Every refresh family in the store, as the backend sees them now."""
        return [Family.from_json(f) for f in self._get("/__harness/sessions")["families"]]
