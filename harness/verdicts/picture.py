"""A check's request timeline as a picture (SVG) that a person reads without hovering.

One lane per tab (`tab 1`, `tab 2`; `outside the browser` for the check's own requests),
one row per request: method, path and query, status, the token it carried (or, for a login
or refresh, the one it was handed), and a bar on a time axis with ticks. A refresh is drawn
apart, a `↻` row in its own colour with a line down every lane at the moment it was
answered, and a refused one says why (superseded, reused, expired, revoked). The requests
the failure is about are marked. A burst (harness/verdicts/layout.py) folds into one row
that counts its answers by status and ticks each request; the report opens it in a
`<details>`, the SVG file on a click (`#burst-N`). The backend clock's jumps are breaks on
the axis, labelled with the time they skip.
"""

from __future__ import annotations

import html
from collections.abc import Sequence

from harness.verdicts.drawn import Drawn
from harness.verdicts.layout import BREAK, Row, TimeScale, rows

WIDTH = 1060
LABEL_X, STATUS_X, NOTE_X = 88, 330, 378  # the columns of a row's words
CHART_X = 540  # where the time axis starts
ROW, TOP = 16, 34  # row height; room above the first row for the axis

OK, FAILED, OTHER, NONE = "#2a9d4b", "#d33", "#e07b00", "#888"
REFRESHED, REFUSED, MARK = "#2f5bd3", "#7a1fa2", "#ffe26b"
LEGEND = ((OK, "answered 2xx"), (FAILED, "401/403"), (OTHER, "other error"),
          (NONE, "dropped or no answer"), (REFRESHED, "↻ refresh"),
          (REFUSED, "↻ refused refresh"), (MARK, "the failure is about it"))

# Scoped to the picture's own root: inline in the report, a picture's style is the page's.
_STYLE = (".tl text{font:11px ui-monospace,Menlo,Consolas,monospace;fill:#1c2430}"
          ".tl .lane{font:bold 11px system-ui,sans-serif}.tl .muted{fill:#6b7686}"
          ".tl .axis{font-size:10px;fill:#6b7686}.tl .big{font-weight:bold}"
          ".tl .burst{display:none}.tl .burst:target{display:inline}"
          ".tl a text{text-decoration:underline}")


def colour(d: Drawn) -> str:
    if d.refresh and d.status is not None and 200 <= d.status < 300:
        return REFRESHED
    if d.refused:
        return REFUSED
    if not d.status:  # dropped, or no answer yet
        return NONE
    if 200 <= d.status < 300:
        return OK
    return FAILED if d.status in (401, 403) else OTHER


def _status(status: int | None) -> str:
    return {None: "…", 0: "drop"}.get(status, str(status))


def _note(d: Drawn) -> str:
    """What the row says after the status: the token it was handed or carried, or why a
    refresh was refused."""
    if d.refused:
        return f"refused: {d.refusal or 'no reason given'}"
    if d.issued:
        return f"→ {d.issued}"
    return d.token or ""


def _cut(text: str, room: int) -> str:
    return text if len(text) <= room else text[:room - 1] + "…"


def _t(x: float, y: float, text: str, cls: str = "", fill: str = "", anchor: str = "") -> str:
    attrs = (f' class="{cls}"' if cls else "") + (f' fill="{fill}"' if fill else "") + (
        f' text-anchor="{anchor}"' if anchor else "")
    return f'<text x="{x:.1f}" y="{y:.1f}"{attrs}>{html.escape(text)}</text>'


class _Canvas:
    def __init__(self, scale: TimeScale) -> None:
        self.scale, self.width = scale, WIDTH
        self.chart_w = WIDTH - CHART_X - 12

    def x(self, t: float) -> float:
        return CHART_X + self.scale.at(t) / self.scale.span * self.chart_w

    def axis(self, bottom: float) -> list[str]:
        span_ms = self.scale.span * 1000
        step = _nice_step(span_ms / 7)
        out = [f'<line x1="{CHART_X}" y1="{TOP - 6}" x2="{CHART_X + self.chart_w}" '
               f'y2="{TOP - 6}" stroke="#9aa4b2"/>',
               _t(6, TOP - 14, "tab", "axis"), _t(LABEL_X, TOP - 14, "request", "axis"),
               _t(STATUS_X, TOP - 14, "status", "axis"),
               _t(NOTE_X, TOP - 14, "token · why", "axis")]
        tick = 0.0
        while tick <= span_ms + 1e-9:
            x = CHART_X + tick / span_ms * self.chart_w
            out.append(f'<line x1="{x:.1f}" y1="{TOP - 10}" x2="{x:.1f}" y2="{bottom:.1f}" '
                       f'stroke="#e3e7ee"/>')
            out.append(_t(x, TOP - 14, _ms(tick), "axis", anchor="middle"))
            tick += step
        for ends, skipped in self.scale.breaks:
            x = self.x(ends) - BREAK / 2 / self.scale.span * self.chart_w
            out.append(f'<line x1="{x:.1f}" y1="{TOP - 8}" x2="{x:.1f}" y2="{bottom:.1f}" '
                       f'stroke="#9aa4b2" stroke-dasharray="1 3"/>')
            out.append(_t(x + 3, TOP - 2, f"+{_ms(skipped * 1000)}", "axis"))
        return out

    def row(self, row: Row, y: float, first_of_lane: bool, opener: str) -> list[str]:
        out = []
        marked = any(d.highlight for d in row.requests)
        if marked:
            out.append(f'<rect x="0" y="{y:.1f}" width="{self.width}" height="{ROW}" '
                       f'fill="{MARK}" opacity="0.55"/>')
            out.append(_t(LABEL_X - 14, y + 12, "◆", fill="#8a6d00"))
        if first_of_lane:
            out.append(_lane_name(row.lane, y + 12))
        base = y + 12
        if row.burst:
            out += self._burst(row, y, base, opener)
            return out
        d = row.requests[0]
        label = ("↻ " if d.refresh else "") + f"{d.method} {d.target}"
        cls = "big" if d.refresh or marked else ""
        out.append(_t(LABEL_X, base, _cut(label, 36), cls))
        out.append(_t(STATUS_X, base, _status(d.status), "big", colour(d)))
        out.append(_t(NOTE_X, base, _cut(_note(d), 26), "big" if d.refused else "muted"))
        x0 = self.x(d.start)
        x1 = self.x(d.end) if d.end is not None else CHART_X + self.chart_w
        dash = ' stroke-dasharray="3 2" stroke="#555" fill-opacity="0.35"' \
            if d.end is None else ""
        height = ROW - 4 if d.refresh else ROW - 8
        out.append(f'<rect x="{x0:.1f}" y="{y + (ROW - height) / 2:.1f}" '
                   f'width="{max(x1 - x0, 2):.1f}" height="{height}" fill="{colour(d)}"'
                   f'{dash}/>')
        return out

    def _burst(self, row: Row, y: float, base: float, opener: str) -> list[str]:
        first = row.requests[0]
        counts: dict[int | None, int] = {}
        for d in row.requests:
            counts[d.status] = counts.get(d.status, 0) + 1
        label = f"{first.method} {first.path} ×{len(row.requests)}"
        out = [_t(LABEL_X, base, _cut(label, 36), "big")]
        words = []
        x = STATUS_X
        for status, n in sorted(counts.items(), key=lambda c: -c[1]):
            said = f"{n} × {_status(status)}"
            sample = next(d for d in row.requests if d.status == status)
            words.append(_t(x, base, said, "big", colour(sample)))
            x += 7 * len(said) + 10
        out += words
        marked = sum(d.highlight for d in row.requests)
        hint = (f"{marked} marked · " if marked else "") + (
            "opened below" if opener == "details" else "open")
        text = _t(x, base, f"({hint})", "muted")
        out.append(f'<a href="#burst-{row.burst}">{text}</a>' if opener == "link" else text)
        for d in row.requests:
            tick = self.x(d.start)
            out.append(f'<rect x="{tick:.1f}" y="{y + 2}" width="1.5" height="{ROW - 4}" '
                       f'fill="{colour(d)}"/>')
        return out

    def refresh_lines(self, drawn: Sequence[Drawn], bottom: float) -> list[str]:
        out = []
        for d in drawn:
            if d.refresh and d.end is not None:
                x = self.x(d.end)
                out.append(f'<line x1="{x:.1f}" y1="{TOP - 4}" x2="{x:.1f}" y2="{bottom:.1f}" '
                           f'stroke="{colour(d)}" stroke-dasharray="4 3" opacity="0.7"/>')
        return out


def _lane_name(lane: str, y: float) -> str:
    """The lane's name in its column, on two lines where it is long (`outside the
    browser`)."""
    words, lines = lane.split(), [""]
    for word in words:
        if lines[-1] and len(lines[-1]) + 1 + len(word) > 12:
            lines.append(word)
        else:
            lines[-1] = f"{lines[-1]} {word}".strip()
    spans = "".join(f'<tspan x="6" dy="{0 if i == 0 else 12}">{html.escape(line)}</tspan>'
                    for i, line in enumerate(lines))
    return f'<text x="6" y="{y:.1f}" class="lane">{spans}</text>'


def _nice_step(rough_ms: float) -> float:
    magnitude = 10 ** len(str(int(max(rough_ms, 1)))) / 10
    return next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= rough_ms)


def _ms(ms: float) -> str:
    if ms == 0:
        return "0"
    if ms < 1000:
        return f"{ms:.0f} ms"
    if ms < 120_000:
        return f"{ms / 1000:.3g} s"
    return f"{ms / 60_000:.3g} min"


def _lanes_block(canvas: _Canvas, lane_rows: Sequence[Row], top: float,
                 opener: str) -> tuple[list[str], float]:
    """The rows, lane after lane, from `top`; where they end."""
    out: list[str] = []
    y = top
    lane = None
    shade = False
    for row in lane_rows:
        first = row.lane != lane
        if first:
            lane, shade = row.lane, not shade
            out.append(f'<line x1="0" y1="{y:.1f}" x2="{canvas.width}" y2="{y:.1f}" '
                       f'stroke="#c9d1dc"/>')
        if shade:
            out.append(f'<rect x="0" y="{y:.1f}" width="{canvas.width}" height="{ROW}" '
                       f'fill="#f4f6fa"/>')
        out += canvas.row(row, y, first, opener)
        y += ROW
    return out, y


def svg(drawn: Sequence[Drawn], *, opener: str = "link", shrink: float = 1.0) -> str:
    """The picture. `opener`: how a burst opens, `link` (its rows are in the SVG, shown by
    `#burst-N`) or `details` (the report shows them with `burst_pictures`). `shrink`: a
    small copy (the report's first screen)."""
    if not drawn:
        return ""
    canvas = _Canvas(TimeScale.of(drawn))
    lane_rows = rows(drawn)
    body, bottom = _lanes_block(canvas, lane_rows, TOP, opener)
    parts = canvas.axis(bottom) + body + canvas.refresh_lines(drawn, bottom)
    legend_y = bottom + 18
    x = 6.0
    for fill, said in LEGEND:
        parts.append(f'<rect x="{x:.1f}" y="{legend_y - 9}" width="10" height="10" '
                     f'fill="{fill}"/>')
        parts.append(_t(x + 14, legend_y, said, "muted"))
        x += 14 + 7 * len(said) + 14
    height = legend_y + 10
    sizes = []
    if opener == "link":
        for row in (r for r in lane_rows if r.burst):
            inner, end = _lanes_block(canvas, [Row(row.lane, [d]) for d in row.requests],
                                      height + 22, opener)
            said = (f"burst {row.burst}: every request of {row.requests[0].method} "
                    f"{row.requests[0].path} ({row.lane})")
            title = _t(6, height + 14, said, "big")
            close = f'<a href="#">{_t(12 + 7 * len(said), height + 14, "(close)", "muted")}</a>'
            parts.append(f'<g id="burst-{row.burst}" class="burst">{title}{close}'
                         f'{"".join(inner)}</g>')
            sizes.append(f".tl:has(#burst-{row.burst}:target){{height:{end + 6:.0f}px}}")
    style = _STYLE + "".join(sizes)
    size = (f'width="{WIDTH * shrink:.0f}" height="{height * shrink:.0f}" '
            f'viewBox="0 0 {WIDTH} {height:.0f}"' if shrink != 1.0
            else f'width="{WIDTH}" height="{height:.0f}"')
    return (f'<svg xmlns="http://www.w3.org/2000/svg" class="tl" {size} role="img" '
            f'aria-label="request timeline"><style>{style}</style>'
            f'<rect width="100%" height="100%" fill="#fff"/>{"".join(parts)}</svg>')


def burst_pictures(drawn: Sequence[Drawn]) -> list[tuple[str, str]]:
    """Each burst's every request, on the picture's time axis: (what it is, its SVG)."""
    scale = TimeScale.of(drawn)
    found = []
    for row in (r for r in rows(drawn) if r.burst):
        first = row.requests[0]
        said = (f"burst {row.burst}: {first.method} {first.path} ×{len(row.requests)} "
                f"in {row.lane}, every request")
        canvas = _Canvas(scale)
        body, bottom = _lanes_block(canvas, [Row(row.lane, [d]) for d in row.requests], TOP,
                                    "details")
        parts = canvas.axis(bottom) + body
        found.append((said, f'<svg xmlns="http://www.w3.org/2000/svg" class="tl" width="{WIDTH}" '
                            f'height="{bottom + 4:.0f}" role="img" '
                            f'aria-label="{html.escape(said)}"><style>{_STYLE}</style>'
                            f'{"".join(parts)}</svg>'))
    return found
