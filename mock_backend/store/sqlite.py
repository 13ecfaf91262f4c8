"""SQLite store: survives restarts; rotation stays atomic across processes.

Every transaction starts with BEGIN IMMEDIATE, taking SQLite's write lock up front, so two
processes refreshing the same token serialize instead of both reading the old generation.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from mock_backend.store.base import RefreshFamily, StoreBusy, StoreUnavailable, TokenRecord

_SCHEMA = """
CREATE TABLE IF NOT EXISTS families (
    id TEXT PRIMARY KEY, user_id TEXT NOT NULL, created_at REAL NOT NULL,
    expires_at REAL NOT NULL, last_used_at REAL NOT NULL, generation INTEGER NOT NULL,
    rotated_at REAL NOT NULL, state TEXT NOT NULL, reason TEXT
);
CREATE INDEX IF NOT EXISTS families_user ON families (user_id);
CREATE TABLE IF NOT EXISTS tokens (
    digest TEXT PRIMARY KEY, family_id TEXT NOT NULL REFERENCES families (id),
    generation INTEGER NOT NULL
);
"""
# Write transactions between two checkpoints: a rotation adds about six pages to the log,
# so about as often as SQLite's own automatic checkpoint (1000 pages).
CHECKPOINT_EVERY = 160
# About 16 MB of log (4 KiB pages).
LOG_LIMIT_FRAMES = 4_000
# A wait for this process's turn shorter than this leaves SQLite's busy wait as it is.
_WAIT_SLACK_S = 0.05
_FAMILY_COLUMNS = ("id, user_id, created_at, expires_at, last_used_at, generation, "
                   "rotated_at, state, reason")

# An update in place, not INSERT OR REPLACE: replacing deletes the row first, and with
# foreign keys on SQLite then visits every token of the family (it grows by one per
# rotation). The row still moves to the end, as a replaced row does, so families with
# equal times keep being listed (and evicted) in the order they were last written.
_PUT_FAMILY = (
    f"INSERT INTO families ({_FAMILY_COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?) "
    "ON CONFLICT (id) DO UPDATE SET rowid = (SELECT max(rowid) FROM families) + 1, "
    + ", ".join(f"{c} = excluded.{c}" for c in _FAMILY_COLUMNS.split(", ") if c != "id"))


def _family(row: tuple) -> RefreshFamily:
    return RefreshFamily(*row)


class _SQLiteTransaction:
    def __init__(self, conn: sqlite3.Connection) -> None:
        self._c = conn

    def find_token(self, digest: str) -> TokenRecord | None:
        row = self._c.execute("SELECT digest, family_id, generation FROM tokens WHERE digest = ?",
                              (digest,)).fetchone()
        return TokenRecord(*row) if row else None

    def get_family(self, family_id: str) -> RefreshFamily | None:
        row = self._c.execute(f"SELECT {_FAMILY_COLUMNS} FROM families WHERE id = ?",
                              (family_id,)).fetchone()
        return _family(row) if row else None

    def put_family(self, f: RefreshFamily) -> None:
        self._c.execute(_PUT_FAMILY, (f.id, f.user_id, f.created_at, f.expires_at,
                                      f.last_used_at, f.generation, f.rotated_at, f.state,
                                      f.reason))

    def add_token(self, t: TokenRecord) -> None:
        self._c.execute("INSERT INTO tokens (digest, family_id, generation) VALUES (?,?,?)",
                        (t.digest, t.family_id, t.generation))

    def delete_all(self) -> None:
        self._c.execute("DELETE FROM tokens")
        self._c.execute("DELETE FROM families")

    def families(self, user_id: str | None = None) -> list[RefreshFamily]:
        sql = f"SELECT {_FAMILY_COLUMNS} FROM families"
        rows = (self._c.execute(sql + " WHERE user_id = ? ORDER BY created_at", (user_id,))
                if user_id is not None else self._c.execute(sql + " ORDER BY created_at"))
        return [_family(r) for r in rows]


class SQLiteStore:
    def __init__(self, path: str | Path, busy_timeout_s: float = 5.0) -> None:
        self.path = Path(path)
        self._timeout = busy_timeout_s
        # One connection, one transaction at a time in this process: threads queue on this
        # lock, which wakes the next one the moment a transaction ends. Left to SQLite's
        # busy handler they would poll for the write lock with sleeps of up to 100 ms.
        # Other processes sharing the file still meet BEGIN IMMEDIATE and the busy wait.
        self._lock = threading.Lock()
        self._conn: sqlite3.Connection | None = None
        self._busy_ms = 0  # the connection's busy timeout, set with it
        self._checkpointer = _Checkpointer(self.path, self._lock)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._lock, self._guard():
            conn = self._connect()
            conn.executescript(_SCHEMA)

    def _connect(self) -> sqlite3.Connection:
        if self._conn is None:
            # isolation_level=None: transactions are opened explicitly with BEGIN IMMEDIATE.
            conn = sqlite3.connect(self.path, timeout=self._timeout, isolation_level=None,
                                   check_same_thread=False)
            conn.execute("PRAGMA journal_mode=WAL")
            # In WAL mode, NORMAL syncs at checkpoints rather than at every commit: a commit
            # survives the process (a restart, a kill) but not a crash of the machine. An fsync
            # per rotation took about 1 ms with the store held, every other request waiting.
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute("PRAGMA foreign_keys=ON")
            # Checkpoints (copying the log back into the file, with an fsync) run in a thread
            # of their own; inside a commit they held the store for up to 100 ms.
            conn.execute("PRAGMA wal_autocheckpoint=0")
            self._conn = conn
            self._busy_ms = int(self._timeout * 1000)
        return self._conn

    @contextmanager
    def _guard(self) -> Iterator[None]:
        try:
            yield
        except sqlite3.OperationalError as exc:
            self._drop_connection()
            raise StoreUnavailable(f"token store {self.path}: {exc}") from None

    def _drop_connection(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            conn.close()

    @contextmanager
    def transaction(self, wait: bool = True) -> Iterator[_SQLiteTransaction]:
        left = self._acquire(wait)
        try:
            with self._guard():
                if not self.path.exists():
                    raise sqlite3.OperationalError("database file is missing")
                conn = self._connect()
                if wait:
                    self._begin(conn, left)
                else:
                    self._begin_at_once(conn)
                changes = conn.total_changes
                try:
                    yield _SQLiteTransaction(conn)
                except BaseException:
                    conn.execute("ROLLBACK")
                    raise
                conn.execute("COMMIT")
                self._checkpointer.committed(wrote=conn.total_changes != changes)
        finally:
            self._lock.release()

    def _acquire(self, wait: bool) -> float:
        """Take this process's turn; the seconds of the busy wait still left for SQLite's
        write lock, so the wait for both together stays within the one busy timeout."""
        if not wait:
            if not self._lock.acquire(blocking=False):
                raise StoreBusy(f"token store {self.path}: another transaction holds the "
                                "write lock")
            return 0.0
        started = time.monotonic()
        if not self._lock.acquire(timeout=self._timeout):
            raise StoreUnavailable(f"token store {self.path}: database is locked")
        return self._timeout - (time.monotonic() - started)

    def _begin(self, conn: sqlite3.Connection, left: float) -> None:
        full = int(self._timeout * 1000)
        self._wait_at_most(conn, full if left >= self._timeout - _WAIT_SLACK_S
                           else max(int(left * 1000), 0))
        conn.execute("BEGIN IMMEDIATE")

    def _begin_at_once(self, conn: sqlite3.Connection) -> None:
        self._wait_at_most(conn, 0)
        try:
            conn.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) and "busy" not in str(exc):
                raise
            raise StoreBusy(f"token store {self.path}: another transaction holds the write "
                            "lock") from None

    def _wait_at_most(self, conn: sqlite3.Connection, busy_ms: int) -> None:
        """SQLite's busy wait for the next BEGIN; set only when it changes, since runs of
        transactions that do not wait (those of the event loop) are the common case."""
        if busy_ms != self._busy_ms:
            conn.execute(f"PRAGMA busy_timeout = {busy_ms}")
            self._busy_ms = busy_ms

    def reset(self) -> None:
        with self.transaction() as tx:
            tx.delete_all()

    def close(self) -> None:
        self._checkpointer.stop()
        # A transaction still running (a refresh held at shutdown) keeps its connection.
        if self._lock.acquire(timeout=self._timeout):
            try:
                self._drop_connection()  # the last connection to close checkpoints the rest
            finally:
                self._lock.release()


class _Checkpointer:
    """Copies the write-ahead log back into the database file in a thread of its own,
    started with the first checkpoint: every CHECKPOINT_EVERY write transactions, and
    whenever a transaction that wrote nothing finds writes not yet copied (so the log is
    complete in the file when writing pauses, and the next write starts it afresh).
    PASSIVE: it neither waits for nor holds up any reader or writer, in this process or
    another. Should the log still grow past LOG_LIMIT_FRAMES (writes that never pause),
    one checkpoint runs with the store held, after which the next write restarts it."""

    def __init__(self, path: Path, store_lock: threading.Lock) -> None:
        self._path = path
        self._store_lock = store_lock
        self._pending = 0
        self._due = threading.Event()
        self._running = False
        self._stopping = False
        self._thread: threading.Thread | None = None

    def committed(self, wrote: bool) -> None:
        """Called after each transaction, with the store's lock held."""
        if wrote:
            self._pending += 1
            if self._pending >= CHECKPOINT_EVERY:
                self._request()
        elif self._pending and not self._running:
            self._request()

    def _request(self) -> None:
        if self._stopping:
            return
        self._pending = 0
        self._running = True
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, daemon=True,
                                            name=f"checkpoints of {self._path.name}")
            self._thread.start()
        self._due.set()

    def stop(self) -> None:
        self._stopping = True
        self._due.set()
        if self._thread is not None:
            self._thread.join()

    def _run(self) -> None:
        conn: sqlite3.Connection | None = None
        while True:
            self._due.wait()
            self._due.clear()
            if self._stopping:
                break
            try:
                if conn is None:  # mode=rw: a missing file is never created
                    conn = sqlite3.connect(f"{self._path.resolve().as_uri()}?mode=rw", uri=True,
                                           timeout=0, isolation_level=None,
                                           check_same_thread=False)
                _, frames, _ = conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
                if frames > LOG_LIMIT_FRAMES and self._store_lock.acquire(timeout=5):
                    try:
                        conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
                    finally:
                        self._store_lock.release()
            except sqlite3.Error:  # the next one catches up; the store reports its own errors
                if conn is not None:
                    conn.close()
                conn = None
            finally:
                self._running = False
        if conn is not None:
            conn.close()
