"""System Firefox's BiDi connection without Nagle's delay (harness/browser/nodelay.py), on
a real Firefox: its driver socket has TCP_NODELAY once the harness launched it, and had not
before; a process without Firefox under it is left alone."""

from __future__ import annotations

import os
import socket
import subprocess
import sys

import pytest
from playwright.sync_api import Playwright

from harness.browser import nodelay
from harness.browser.launch import is_bidi_firefox, resolve

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux only")


def _no_delay_of_connected_sockets(pid: int) -> list[int]:
    """TCP_NODELAY of each connected TCP socket of `pid` (the listener left out)."""
    values = []
    for sock in nodelay.tcp_sockets(pid):
        try:
            sock.getpeername()
        except OSError:
            continue  # the listener
        values.append(sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
    return values


def test_the_bidi_socket_of_system_firefox_gets_tcp_nodelay(playwright: Playwright) -> None:
    options = resolve("firefox").launch_args
    if not is_bidi_firefox(options):
        pytest.skip("Playwright's own Firefox runs here: it talks over a pipe")
    # pytest-playwright's Playwright: under pytest-xdist this worker may already drive a
    # Firefox of its own, whose socket the harness has set; this test's is the new one.
    earlier = set(nodelay.firefox_main_processes(os.getpid()))
    browser = playwright.firefox.launch(**options)
    try:
        [main] = set(nodelay.firefox_main_processes(os.getpid())) - earlier
        before = _no_delay_of_connected_sockets(main)
        assert before and not any(before), before  # Firefox accepts it with Nagle on
        # The listener and the connection of this Firefox, besides any earlier one's.
        assert nodelay.disable_nagle() >= 2 * (len(earlier) + 1)
        assert all(_no_delay_of_connected_sockets(main))
        page = browser.new_page()  # still driven
        assert page.evaluate("() => 1 + 1") == 2
    finally:
        browser.close()


def test_a_process_without_firefox_below_it_is_left_alone() -> None:
    child = subprocess.Popen([sys.executable, "-c", "import sys; sys.stdin.read()"],
                             stdin=subprocess.PIPE)
    try:
        assert nodelay.firefox_main_processes(child.pid) == []
        assert nodelay.disable_nagle(child.pid) == 0
    finally:
        child.communicate(timeout=30)
