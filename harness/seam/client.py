"""HTTP client for the backend's test-control API. Never reaches into backend internals:
what it knows of the backend it reads from `/__harness/facts`."""

from __future__ import annotations

import ssl
import time
from dataclasses import dataclass
from typing import Any

import httpx

from harness.seam.facts import BackendFacts
from harness.seam.journal import Entry, Journal, exp_of


class ControlError(RuntimeError):
    """The test-control API answered with an error (is it enabled on this backend?)."""


@dataclass(frozen=True)
class Fault:
    id: str
    client: BackendClient

    def release(self) -> None:
        self.client._post(f"/__harness/faults/{self.id}/release")


class BackendClient:
    def __init__(self, base_url: str, timeout: float = 10.0,
                 verify: ssl.SSLContext | bool = True, facts: BackendFacts | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self._http = httpx.Client(base_url=self.base_url, timeout=timeout, verify=verify)
        self._facts = facts

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> BackendClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _check(self, response: httpx.Response) -> httpx.Response:
        if response.status_code >= 400:
            hint = (" (is the backend running with --test-control?)"
                    if response.status_code == 404 else "")
            raise ControlError(f"{response.request.method} {response.request.url.path}: "
                               f"{response.status_code} {response.text}{hint}")
        return response

    def _get(self, url: str, params: dict[str, str] | None = None) -> Any:
        return self._check(self._http.get(url, params=params)).json()

    def _post(self, path: str, json: Any = None) -> httpx.Response:
        return self._check(self._http.post(path, json=json))

    def reset(self) -> None:
        self._post("/__harness/reset")

    def facts(self) -> BackendFacts:
        """What the backend says about itself; read once, the same for the backend's life."""
        if self._facts is None:
            self._facts = BackendFacts.from_json(self._get("/__harness/facts"))
        return self._facts

    def journal(self, path: str | None = None, method: str | None = None) -> Journal:
        """A snapshot of the journal, all of it or the requests to `path` (and `method`)."""
        params = {k: v for k, v in (("path", path), ("method", method)) if v}
        answer = self._get("/__harness/journal", params)
        return Journal([Entry.from_json(e) for e in answer["entries"]], self.facts(),
                       answer["peak_in_flight"])

    def mark(self) -> int:
        """The journal's newest sequence number: `journal().after(mark)` is what came since."""
        return self.journal().last_seq

    def count(self, path: str, method: str | None = None, status: int | None = None) -> int:
        return self.journal(path, method).count(path, method, status)

    def peak_in_flight(self, path: str) -> int:
        return self.journal(path).peak_in_flight(path)

    def refresh_count(self) -> int:
        refresh = self.facts().refresh
        return len(self.journal(refresh.path, refresh.method))

    def now(self) -> float:
        return float(self._get("/__harness/clock")["now"])

    def access_token_lifetime_left(self) -> float:
        """Seconds until the newest access token expires, on the backend clock."""
        return exp_of(self.journal().current_access_token()) - self.now()

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

    def faults(self) -> list[dict[str, Any]]:
        faults: list[dict[str, Any]] = self._get("/__harness/faults")["faults"]
        return faults

    def sessions(self) -> list[dict[str, Any]]:
        families: list[dict[str, Any]] = self._get("/__harness/sessions")["families"]
        return families

    def wait_for(self, predicate: Any, timeout: float = 10.0, what: str = "condition") -> None:
        """Poll the journal-backed `predicate` until true; fails after `timeout` seconds."""
        if not self.wait_until(predicate, timeout):
            raise TimeoutError(f"timed out after {timeout}s waiting for {what}")

    def wait_until(self, predicate: Any, timeout: float = 10.0) -> bool:
        """Poll the journal-backed `predicate` until true; False after `timeout` seconds."""
        deadline = time.monotonic() + timeout
        while not predicate():
            if time.monotonic() > deadline:
                return False
            self._http.get("/__harness/clock")  # a round trip paces the loop; no sleeping
        return True
