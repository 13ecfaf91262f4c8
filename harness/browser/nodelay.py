"""System Firefox's WebDriver BiDi connection without Nagle's algorithm (Linux).

System Firefox is driven over WebDriver BiDi: a WebSocket between Playwright's driver and
Firefox's Remote Agent on localhost. The Remote Agent accepts that connection without
`TCP_NODELAY`. When Firefox then writes several small messages in a row (the network
events of a command, then its answer), the last one waits until the driver acknowledges
the first, and Linux delays that acknowledgement by up to 40 ms. Most commands that make
the page send a request paid it: on this machine `page.evaluate` of one fetch took 48 ms
instead of 15 ms, and the bare check cycle 0.72 s instead of 0.64 s.

`after_launch(options)` calls `disable_nagle()` for launch options that drive system
Firefox over BiDi. `disable_nagle(root)` sets `TCP_NODELAY` on the TCP sockets of every
Firefox main process descended from `root`, through a copy of each descriptor
(`pidfd_getfd`, Linux 5.6+; a process may take its descendants' descriptors). On Linux an
accepted socket takes the listening socket's option, so a connection made later gets it
too. Where any of this is not possible (another OS, a kernel or container that refuses
the call) nothing changes and the run is as it was, only slower. Playwright's own Firefox
talks over a pipe and is left alone.
"""

from __future__ import annotations

import ctypes
import functools
import os
import socket
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from harness.browser.launch import is_bidi_firefox

# The same number on every architecture Linux numbers its system calls alike (5.6+).
_SYS_PIDFD_GETFD = 438
# /proc/PID/comm of Firefox's main process (the content processes have names of their own).
_FIREFOX_NAMES = ("firefox", "firefox-esr", "firefox-bin")


@functools.cache
def _libc() -> ctypes.CDLL:
    return ctypes.CDLL(None, use_errno=True)


def _parents() -> dict[int, int]:
    """pid -> parent pid of every process this one can see."""
    parents = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
                parents[int(entry)] = int(stat.rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
    return parents


def firefox_main_processes(root: int) -> list[int]:
    """The Firefox main processes among `root`'s descendants."""
    parents = _parents()
    children: dict[int, list[int]] = {}
    for pid, parent in parents.items():
        children.setdefault(parent, []).append(pid)
    found, todo = [], list(children.get(root, []))
    while todo:
        pid = todo.pop()
        try:
            name = Path(f"/proc/{pid}/comm").read_text().strip()
        except OSError:
            continue
        if name in _FIREFOX_NAMES:
            found.append(pid)  # its children are content processes: no sockets of ours
        else:
            todo.extend(children.get(pid, []))
    return found


def tcp_sockets(pid: int) -> Iterator[socket.socket]:
    """A copy of each TCP socket of `pid`, closed once the next is asked for (closing a copy
    leaves the process's own descriptor open). Raises OSError where copies are refused."""
    libc = _libc()
    pidfd = os.pidfd_open(pid)
    try:
        for fd in os.listdir(f"/proc/{pid}/fd"):
            try:
                if not os.readlink(f"/proc/{pid}/fd/{fd}").startswith("socket:"):
                    continue
            except OSError:
                continue
            copy = libc.syscall(_SYS_PIDFD_GETFD, pidfd, int(fd), 0)
            if copy < 0:
                raise OSError(ctypes.get_errno(), f"pidfd_getfd of fd {fd} of process {pid}")
            with socket.socket(fileno=copy) as sock:
                if sock.type == socket.SOCK_STREAM and sock.family in (socket.AF_INET,
                                                                       socket.AF_INET6):
                    yield sock
    finally:
        os.close(pidfd)


def _tcp_sockets_no_delay(pid: int) -> int:
    """Set TCP_NODELAY on each TCP socket of `pid`; how many were set."""
    count = 0
    for sock in tcp_sockets(pid):
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        count += 1
    return count


def disable_nagle(root: int | None = None) -> int:
    """TCP_NODELAY on the sockets of the Firefox main processes under `root` (this process
    by default); how many sockets were set, 0 where it cannot be done."""
    if not sys.platform.startswith("linux") or not hasattr(os, "pidfd_open"):
        return 0
    total = 0
    for pid in firefox_main_processes(os.getpid() if root is None else root):
        try:
            total += _tcp_sockets_no_delay(pid)
        except OSError:
            continue
    return total


def after_launch(options: dict[str, Any], root: int | None = None) -> int:
    """What follows a launch with `options`: for system Firefox over BiDi, `disable_nagle`
    on the Firefox under `root` (this process by default); 0 for any other browser."""
    return disable_nagle(root) if is_bidi_firefox(options) else 0
