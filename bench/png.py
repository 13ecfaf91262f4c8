"""PNG copies of the SVG charts, drawn by the browser the harness already uses (Chromium):
no plotting library needed."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import sync_playwright

from bench.launch import launch


def render(svgs: list[Path]) -> list[Path]:
    """Write `name.png` beside each `name.svg`; returns the PNGs written."""
    written: list[Path] = []
    with sync_playwright() as playwright:
        browser = launch(playwright, "chromium")
        try:
            page = browser.new_page(device_scale_factor=2)
            for svg in svgs:
                page.set_content('<body style="margin:0;background:#fff">'
                                 f"{svg.read_text()}</body>")
                png = svg.with_suffix(".png")
                page.locator("svg").first.screenshot(path=png)
                written.append(png)
        finally:
            browser.close()
    return written
