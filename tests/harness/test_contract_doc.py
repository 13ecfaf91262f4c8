"""docs/contract.md quotes the Angular and React examples' real code: every quoted block whose
first line names a file must still be a verbatim part of that file."""

from __future__ import annotations

import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
DOC = REPO / "docs" / "contract.md"
QUOTE = re.compile(r"```(?:tsx|ts|json|js)\n// (examples/\S+)\n(.*?)```", re.S)


def test_every_quote_of_the_examples_is_verbatim() -> None:
    quotes = QUOTE.findall(DOC.read_text())
    assert {path for path, _ in quotes} >= {
        "examples/angular/src/app/auth.interceptor.ts",
        "examples/angular/src/app/auth.service.ts",
        "examples/angular/src/app/app.config.ts",
        "examples/angular/src/testing/expose-driver.ts",
        "examples/react/src/main.tsx",
        "examples/react/src/auth/interceptor.ts",
        "examples/react/src/auth/session.ts",
        "examples/react/vite.config.ts",
        "examples/react/src/harness-driver.ts",
    }, quotes
    stale = [path for path, text in quotes if text not in (REPO / path).read_text()]
    assert not stale, f"docs/contract.md quotes code that changed: {stale}"

