"""The checks' entries of docs/checks.md, shipped inside the package (a copy that a test keeps
equal to the docs), so that the report shows beside a failed check what the check demands:
the situation, what the app must do, the bound, what it looks at."""

from __future__ import annotations

import html
import re
from functools import lru_cache
from pathlib import Path

ENTRIES = Path(__file__).resolve().parent / "checks.md"
_HEADING = re.compile(r"^### ([A-Z]\d+) — (.*)$", re.M)


@lru_cache(maxsize=1)
def entries() -> dict[str, tuple[str, str]]:
    """Each check's (title, body) as docs/checks.md writes them."""
    text = ENTRIES.read_text()
    parts = _HEADING.split(text)
    return {parts[i]: (parts[i + 1].strip(), parts[i + 2].split("\n## ")[0].strip())
            for i in range(1, len(parts), 3)}


def entry_html(check: str) -> str:
    """The entry of a check (`R2`, or `F1 [expired]` of a parametrized run) as HTML: its
    title, then each of its points; "" for a check without one."""
    found = entries().get(check.split()[0])
    if found is None:
        return ""
    title, body = found
    points: list[str] = []
    for line in body.splitlines():
        if line.startswith("- "):
            points.append(line[2:])
        elif points and line.strip():
            points[-1] += " " + line.strip()
    items = "".join(f"<li>{_inline(p)}</li>" for p in points)
    return (f"<div class='entry'><p><b>{html.escape(check.split()[0])} — {_inline(title)}</b> "
            f"<span class='muted'>(docs/checks.md)</span></p><ul>{items}</ul></div>")


def _inline(text: str) -> str:
    """Markdown's code spans, emphasis and links as HTML; everything else escaped."""
    out = []
    for i, part in enumerate(text.split("`")):
        if i % 2:
            out.append(f"<code>{html.escape(part)}</code>")
            continue
        part = html.escape(part)
        part = re.sub(r"\*\*(.+?)\*\*", r"<b>\1</b>", part)
        part = re.sub(r"\*(.+?)\*", r"<i>\1</i>", part)
        part = re.sub(r"\[([^\]]+)\]\([^)]+\)", r"\1", part)
        out.append(part)
    return "".join(out)
