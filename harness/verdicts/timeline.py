"""The backend journal drawn as a readable timeline, written next to a failed check's trace."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any


def _short(value: str | None, keep: int = 8) -> str:
    return "-" if not value else value[:keep]


def _reference_api(path: str) -> bool:
    return path.startswith("/api/")


def render(entries: list[dict[str, Any]],
           is_api: Callable[[str], bool] = _reference_api,
           lanes: Mapping[int, str] | None = None) -> str:
    """One line per API request: start offset (backend clock, so clock moves show as jumps),
    duration, the tab that sent it (`lanes`, by seq, when known), method, path, status, the
    tokens carried and issued, and why a refused refresh was refused."""
    if not entries:
        return "(the backend journal is empty: no request reached the backend)\n"
    t0 = min(e["start"] for e in entries)
    others = [e for e in entries if not is_api(e["path"])]
    entries = [e for e in entries if is_api(e["path"])]
    wide = max(len(lane) for lane in lanes.values()) if lanes else 0
    tab = (lambda e: f"{lanes.get(e['seq'], '-'):<{wide}} ") if lanes else (lambda e: "")
    lines = [f"{'start':>9} {'took':>8}  " + (f"{'tab':<{wide}} " if lanes else "")
             + f"{'method':<7} {'path':<32} {'status':<6} {'access jti':<10} "
               f"{'refresh':<14} issued"]
    for e in entries:
        took = "pending" if e["end"] is None else f"{(e['end'] - e['start']) * 1000:.0f}ms"
        status = {None: "...", 0: "drop"}.get(e["status"], str(e["status"]))
        path = e["path"] + (f"?{e['query']}" if e.get("query") else "")
        refresh = "-" if e.get("refresh_family") is None else (
            f"{_short(e['refresh_family'], 6)}#{e['refresh_generation']}")
        issued = ", ".join(name for name, key in (("access", "issued_access_jti"),
                                                  ("refresh cookie", "issued_refresh_token"))
                           if e.get(key)) or "-"
        why = f"  refused: {e['refusal']}" if e.get("refusal") else ""
        lines.append(f"{e['start'] - t0:>+8.3f}s {took:>8}  {tab(e)}{e['method']:<7} "
                     f"{path:<32} {status:<6} {_short(e.get('access_jti')):<10} "
                     f"{refresh:<14} {issued}{why}")
    if others:
        lines.append(f"({len(others)} requests for the app's files not shown)")
    return "\n".join(lines) + "\n"
