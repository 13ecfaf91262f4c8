"""HTTP client for the backend's test-control API. Never reaches into backend internals."""

from __future__ import annotations

import ssl
import time
from dataclasses import dataclass
from typing import Any

import httpx


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
                 verify: ssl.SSLContext | bool = True) -> None:
        self.base_url = base_url.rstrip("/")
        self._http = httpx.Client(base_url=self.base_url, timeout=timeout, verify=verify)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> BackendClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _check(self, response: httpx.Response) -> httpx.Response:
        if response.status_code >= 400:
            raise ControlError(f"{response.request.method} {response.request.url.path}: "
                               f"{response.status_code} {response.text}")
        return response

    def _post(self, path: str, json: Any = None) -> httpx.Response:
        return self._check(self._http.post(path, json=json))

    def reset(self) -> None:
        self._post("/__harness/reset")

    def journal(self, path: str | None = None, method: str | None = None) -> list[dict[str, Any]]:
        params = {k: v for k, v in (("path", path), ("method", method)) if v}
        entries: list[dict[str, Any]] = self._check(
            self._http.get("/__harness/journal", params=params)).json()["entries"]
        return entries

    def peak_in_flight(self, path: str) -> int:
        peak = self._check(self._http.get("/__harness/journal", params={"path": path})).json()
        return int(peak["peak_in_flight"].get(path, 0))

    def count(self, path: str, method: str | None = None, status: int | None = None) -> int:
        return sum(1 for e in self.journal(path, method)
                   if status is None or e["status"] == status)

    def refresh_count(self) -> int:
        return self.count("/api/refresh-token", "POST")

    def advance_clock(self, seconds: float) -> float:
        return float(self._post("/__harness/clock", {"advance": seconds}).json()["now"])

    def set_clock(self, epoch: float) -> float:
        return float(self._post("/__harness/clock", {"set": epoch}).json()["now"])

    def fault(self, path: str, times: int = 1, **effect: Any) -> Fault:
        return Fault(self._post("/__harness/faults", {"path": path, "times": times,
                                                      **effect}).json()["id"], self)

    def clear_faults(self) -> None:
        self._check(self._http.delete("/__harness/faults"))

    def faults(self) -> list[dict[str, Any]]:
        faults: list[dict[str, Any]] = self._check(self._http.get("/__harness/faults")).json()[
            "faults"]
        return faults

    def sessions(self) -> list[dict[str, Any]]:
        families: list[dict[str, Any]] = self._check(
            self._http.get("/__harness/sessions")).json()["families"]
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
