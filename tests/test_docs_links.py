"""The README and docs/*.md link only to what the repository holds.

Every relative link, `[text](path)` or `[text](path#anchor)` (and `(#anchor)` within a page),
must name a file or folder of the repository, and its anchor a heading of the target page, by
GitHub's rules: the heading's text, lowercased, punctuation other than `-` and `_` dropped,
spaces turned into `-`, and `-1`, `-2`, ... added to repeated headings. Links with a scheme
(`https://...`, `mailto:`) are not fetched. Code blocks and code spans hold no links.

The README is the first page a team reads: it stays short, and the rest lives in docs/.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from urllib.parse import unquote

import pytest

REPO = Path(__file__).resolve().parents[1]
README = REPO / "README.md"
README_MAX_LINES = 200
PAGES = [README, *sorted((REPO / "docs").glob("*.md"))]

FENCE = re.compile(r"^\s{0,3}(`{3,}|~{3,})")
CODE_SPAN = re.compile(r"(`+)(.+?)\1")
LINK = re.compile(r"!?\[((?:[^\[\]]|\[[^\[\]]*\])*)\]\(\s*<?([^()\s<>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
HEADING = re.compile(r"^\s{0,3}(#{1,6})\s+(.*?)(?:\s+#+)?\s*$")
HTML_ANCHOR = re.compile(r"<a\s[^>]*\b(?:name|id)\s*=\s*\"([^\"]+)\"", re.I)
SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:")
LINE_ANCHOR = re.compile(r"^L\d+(?:-L\d+)?$")


def _prose_lines(text: str) -> list[tuple[int, str]]:
    """The lines outside fenced code blocks, numbered from 1."""
    lines, fence = [], None
    for number, line in enumerate(text.splitlines(), 1):
        opened = FENCE.match(line)
        if fence is None and opened:
            fence = opened.group(1)
        elif fence is not None:
            if opened and opened.group(1)[0] == fence[0] and len(opened.group(1)) >= len(fence):
                fence = None
        else:
            lines.append((number, line))
    return lines


def _without_code_spans(line: str) -> str:
    """The line with what code spans hold made inert: `[a](b)` in backticks is no link, while
    a code span inside a link's text keeps the link."""
    return CODE_SPAN.sub(lambda m: m.group(1) + re.sub(r"[\[\]()]", " ", m.group(2))
                         + m.group(1), line)


def slug(heading: str) -> str:
    """GitHub's anchor of a heading's Markdown text (without the repeat counter)."""
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", heading)  # a link: its text
    text = re.sub(r"<[^>]+>", "", text)                          # inline HTML
    text = text.replace("`", "").replace("*", "")
    text = re.sub(r"[^\w\- ]", "", text.strip().lower())
    return text.replace(" ", "-")


@cache
def anchors(page: Path) -> frozenset[str]:
    """Every anchor a Markdown page offers: its headings (repeats numbered) and HTML anchors."""
    found: set[str] = set()
    seen: dict[str, int] = {}
    for _, line in _prose_lines(page.read_text(encoding="utf-8")):
        heading = HEADING.match(line)
        if heading:
            base = slug(heading.group(2))
            count = seen.get(base, 0)
            seen[base] = count + 1
            found.add(base if count == 0 else f"{base}-{count}")
        found.update(HTML_ANCHOR.findall(line))
    return frozenset(found)


@dataclass(frozen=True)
class Link:
    page: Path
    line: int
    text: str
    target: str

    def __str__(self) -> str:
        return f"{self.page.relative_to(REPO)}:{self.line}: [{self.text}]({self.target})"


def _link_matches(text: str) -> Iterator[tuple[int, re.Match[str]]]:
    """Each link of a Markdown text outside code, with the number of its line."""
    for number, line in _prose_lines(text):
        for match in LINK.finditer(_without_code_spans(line)):
            yield number, match


def links(page: Path) -> list[Link]:
    return [Link(page, number, match.group(1), match.group(2))
            for number, match in _link_matches(page.read_text(encoding="utf-8"))]


def broken(link: Link) -> str | None:
    """Why the link leads nowhere, or None when it resolves."""
    if SCHEME.match(link.target):
        return None  # absolute: not fetched
    path, _, anchor = link.target.partition("#")
    target = (link.page.parent / unquote(path)).resolve() if path else link.page
    if target != REPO and REPO not in target.parents:
        return f"{path} is outside the repository"
    if not target.exists():
        return f"{path}: no such file in the repository"
    if not anchor:
        return None
    if target.is_dir():
        return f"{path} is a folder: it has no #{anchor}"
    if target.suffix.lower() != ".md":
        return None if LINE_ANCHOR.match(anchor) else f"#{anchor}: {path} is not a Markdown page"
    if unquote(anchor) not in anchors(target):
        return f"#{anchor}: no such heading in {target.relative_to(REPO)}"
    return None


ALL_LINKS = [link for page in PAGES for link in links(page)]


def test_the_pages_have_links_to_check() -> None:
    assert README in PAGES and len(PAGES) > 1
    assert len(ALL_LINKS) > 10, [str(link) for link in ALL_LINKS]


@pytest.mark.parametrize("link", [link for link in ALL_LINKS if not SCHEME.match(link.target)],
                         ids=str)
def test_a_relative_link_leads_to_a_file_and_heading_of_the_repository(link: Link) -> None:
    reason = broken(link)
    assert reason is None, f"{link}: {reason}"


def test_the_readme_is_at_most_200_lines() -> None:
    count = len(README.read_text(encoding="utf-8").splitlines())
    assert count <= README_MAX_LINES, (
        f"README.md has {count} lines, more than {README_MAX_LINES}: move detail to docs/")


@pytest.mark.parametrize(("heading", "anchor"), [
    ("The reference backend", "the-reference-backend"),
    ("Test-control API (`--test-control`)", "test-control-api---test-control"),
    ("S1 — the login answer carries", "s1--the-login-answer-carries"),
    ("In a fetch- or axios-based app", "in-a-fetch--or-axios-based-app"),
    ("Why `make_app` isn't [linked](x.md)", "why-make_app-isnt-linked"),
])
def test_anchors_follow_githubs_rules(heading: str, anchor: str) -> None:
    assert slug(heading) == anchor


def test_a_broken_link_is_named_by_file_line_and_link() -> None:
    page = REPO / "docs" / "checks.md"
    cases = {
        "nowhere.md": "no such file",
        "contract.md#no-such-heading": "no such heading",
        "#reading-a-failure": None,
        "../README.md#working-on-the-harness": None,
        "../examples/": None,
        "https://example.com/never-fetched": None,
    }
    for target, reason in cases.items():
        link = Link(page, 7, "text", target)
        found = broken(link)
        assert (found is None) if reason is None else (found and reason in found), (target, found)
    assert str(Link(page, 7, "text", "nowhere.md")) == "docs/checks.md:7: [text](nowhere.md)"


def test_links_in_code_are_not_links() -> None:
    text = ("[a](one.md) `[b](two.md)` [`c`](three.md)\n"
            "```md\n[d](four.md)\n```\n"
            "   ```\n[e](five.md)\n   ```\n")
    found = [(number, match.group(2)) for number, match in _link_matches(text)]
    assert found == [(1, "one.md"), (1, "three.md")]
