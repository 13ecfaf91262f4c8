"""Two small charts drawn by hand as SVG (no plotting dependency): burst scaling and
backend throughput. Medians as points or bars, min to max as whiskers."""

from __future__ import annotations

import math
from html import escape
from typing import Any

COLOURS = {"chromium": "#1a73e8", "firefox": "#e66000"}
FONT = 'font-family="sans-serif" font-size="12"'


def _text(x: float, y: float, text: str, anchor: str = "middle", extra: str = "") -> str:
    return (f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" {FONT} {extra}>'
            f"{escape(text)}</text>")


def _nice_max(value: float) -> float:
    if value <= 0:
        return 1.0
    step = 10 ** math.floor(math.log10(value))
    return next(m * step for m in (1, 2, 2.5, 5, 10) if m * step >= value)


def burst_chart(burst: dict[str, Any], width: int = 640, height: int = 320) -> str:
    sizes: list[int] = burst["sizes"]
    left, right, top, bottom = 56, 190, 20, 44
    plot_w, plot_h = width - left - right, height - top - bottom
    y_max = _nice_max(max(r["settled_s"]["max"] for runs in burst["browsers"].values()
                          for r in runs.values()))
    lo, hi = math.log10(min(sizes)), math.log10(max(sizes))

    def x(n: int) -> float:
        return left + (math.log10(n) - lo) / ((hi - lo) or 1) * plot_w

    def y(s: float) -> float:
        return top + plot_h - s / y_max * plot_h

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
             f'role="img" aria-label="burst scaling">',
             f'<rect width="{width}" height="{height}" fill="white"/>']
    for i in range(5):
        value = y_max * i / 4
        parts.append(f'<line x1="{left}" x2="{left + plot_w}" y1="{y(value):.1f}" '
                     f'y2="{y(value):.1f}" stroke="#ddd"/>')
        parts.append(_text(left - 6, y(value) + 4, f"{value:g} s", "end"))
    for n in sizes:
        parts.append(_text(x(n), top + plot_h + 16, str(n)))
    parts.append(_text(left + plot_w / 2, height - 8,
                       "concurrent requests with an expired token (N, log scale)"))
    for row, (engine, runs) in enumerate(burst["browsers"].items()):
        colour = COLOURS.get(engine, "#555")
        points = [(x(int(n)), r["settled_s"]) for n, r in runs.items()]
        path = " ".join(f"{px:.1f},{y(f['median']):.1f}" for px, f in points)
        parts.append(f'<polyline points="{path}" fill="none" stroke="{colour}" '
                     f'stroke-width="2"/>')
        for px, f in points:
            parts.append(f'<line x1="{px:.1f}" x2="{px:.1f}" y1="{y(f["min"]):.1f}" '
                         f'y2="{y(f["max"]):.1f}" stroke="{colour}"/>')
            parts.append(f'<circle cx="{px:.1f}" cy="{y(f["median"]):.1f}" r="3" '
                         f'fill="{colour}"/>')
        refreshes = sorted({c for r in runs.values() for c in r["refreshes"]})
        label = (f"{engine}: 1 refresh per burst" if refreshes == [1] else
                 f"{engine}: refreshes per burst {'/'.join(map(str, refreshes))}")
        parts.append(_text(left + plot_w + 8, top + 16 + row * 18, label, "start",
                           f'fill="{colour}"'))
    parts.append(_text(left + plot_w + 8, top + 16 + 2 * 18, "time until all settled",
                       "start"))
    parts.append("</svg>")
    return "\n".join(parts)


def backend_chart(backend: dict[str, Any], width: int = 640) -> str:
    scenarios: dict[str, Any] = backend["scenarios"]
    left, right, bar, gap, top = 130, 90, 18, 8, 10
    height = top + len(scenarios) * (bar + gap) + 30
    plot_w = width - left - right
    x_max = _nice_max(max(s["throughput_rps"]["max"] for s in scenarios.values()))

    def x(v: float) -> float:
        return left + v / x_max * plot_w

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
             f'role="img" aria-label="backend throughput">',
             f'<rect width="{width}" height="{height}" fill="white"/>']
    for i, (name, s) in enumerate(scenarios.items()):
        y0 = top + i * (bar + gap)
        f = s["throughput_rps"]
        colour = "#888" if name == "bare" else "#1a73e8"
        parts.append(_text(left - 6, y0 + bar - 5, name, "end"))
        parts.append(f'<rect x="{left}" y="{y0}" width="{x(f["median"]) - left:.1f}" '
                     f'height="{bar}" fill="{colour}"/>')
        parts.append(f'<line x1="{x(f["min"]):.1f}" x2="{x(f["max"]):.1f}" '
                     f'y1="{y0 + bar / 2}" y2="{y0 + bar / 2}" stroke="black"/>')
        parts.append(_text(x(f["max"]) + 6, y0 + bar - 5, f"{f['median']:.0f} req/s",
                           "start"))
    parts.append(_text(left + plot_w / 2, height - 8,
                       f"requests per second, {backend['concurrency']} clients on loopback"))
    parts.append("</svg>")
    return "\n".join(parts)
