"""The durable request queue: one SQLite database in WAL mode under ``DATA_DIR/queue.sqlite3``.

A request row is committed with ``synchronous=FULL`` (the WAL is fsynced) before the 202 is sent.
Concurrent enqueues share one commit (group commit): the first caller commits every row waiting
at that moment, the others wait for it, so under load one fsync covers many requests.

Every other change — claim, release, finish, expiry — commits with ``synchronous=NORMAL``: it
survives a crash of the process (the data is in the OS's page cache), and after a power loss
the worst case is a row that is still ``queued``/``running`` although its output object exists,
which the re-run finds (the worker checks for the object first). Workers claim the oldest queued
row of their endpoint with a lease (owner = this process's run id); a request ends in state
``done`` with an outcome ``completed``/``failed``/``expired``. At start-up every ``running`` row
belongs to a dead process (the data directory is locked), so it is re-queued.

Cost does not grow with the backlog: the queued and running rows have their own partial indexes
(claim, expiry, oldest request), and the status counts are kept in memory, counted once at start.
All access goes through one connection guarded by a lock: SQLite serialises writers anyway,
and a Python lock wakes waiters at once where SQLite's busy handler sleeps.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# The partial indexes hold only the rows still waiting or running, so done rows cost nothing.
# Queries must name the state as a literal ('queued'), or SQLite cannot use them.
_SCHEMA = """
CREATE TABLE IF NOT EXISTS requests (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    inference_id TEXT NOT NULL,
    endpoint TEXT NOT NULL,
    state TEXT NOT NULL DEFAULT 'queued',
    outcome TEXT,
    body BLOB,
    input_location TEXT,
    content_type TEXT,
    accept TEXT,
    custom_attributes TEXT,
    output_bucket TEXT NOT NULL,
    output_key TEXT NOT NULL,
    failure_bucket TEXT NOT NULL,
    failure_key TEXT NOT NULL,
    received_at REAL NOT NULL,
    expires_at REAL NOT NULL,
    timeout_seconds INTEGER NOT NULL,
    lease_owner TEXT,
    lease_expires REAL,
    attempts INTEGER NOT NULL DEFAULT 0,
    finished_at REAL,
    reason TEXT
);
DROP INDEX IF EXISTS requests_pending;
CREATE INDEX IF NOT EXISTS requests_queued ON requests (endpoint, seq) WHERE state = 'queued';
CREATE INDEX IF NOT EXISTS requests_expiry ON requests (expires_at) WHERE state = 'queued';
CREATE INDEX IF NOT EXISTS requests_running ON requests (endpoint, seq) WHERE state = 'running';
"""

_COLUMNS = [
    "seq",
    "inference_id",
    "endpoint",
    "state",
    "outcome",
    "body",
    "input_location",
    "content_type",
    "accept",
    "custom_attributes",
    "output_bucket",
    "output_key",
    "failure_bucket",
    "failure_key",
    "received_at",
    "expires_at",
    "timeout_seconds",
    "lease_owner",
    "lease_expires",
    "attempts",
]
_SELECT = ", ".join(_COLUMNS)

QUEUED, RUNNING, DONE = "queued", "running", "done"
COMPLETED, FAILED, EXPIRED = "completed", "failed", "expired"


@dataclass
class Request:
    seq: int
    inference_id: str
    endpoint: str
    state: str
    outcome: str | None
    body: bytes | None
    input_location: str | None
    content_type: str | None
    accept: str | None
    custom_attributes: str | None
    output_bucket: str
    output_key: str
    failure_bucket: str
    failure_key: str
    received_at: float
    expires_at: float
    timeout_seconds: int
    lease_owner: str | None
    lease_expires: float | None
    attempts: int


@dataclass
class NewRequest:
    inference_id: str
    endpoint: str
    body: bytes | None
    input_location: str | None
    content_type: str | None
    accept: str | None
    custom_attributes: str | None
    output_bucket: str
    output_key: str
    failure_bucket: str
    failure_key: str
    received_at: float
    expires_at: float
    timeout_seconds: int


@dataclass
class _Waiter:
    """One enqueue waiting for the group commit that makes its row durable."""

    request: NewRequest
    done: threading.Event = field(default_factory=threading.Event)
    lead: bool = False  # set when this waiter is to commit the next group itself
    seq: int = 0
    error: BaseException | None = None


@dataclass
class Finished:
    """How a claimed request ended: its final outcome and the reason shown for a failure."""

    seq: int
    outcome: str
    reason: str | None = None


_INSERT = (
    "INSERT INTO requests (inference_id, endpoint, body, input_location, content_type, "
    "accept, custom_attributes, output_bucket, output_key, failure_bucket, failure_key, "
    "received_at, expires_at, timeout_seconds) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?) "
    "RETURNING seq"
)


class Queue:
    def __init__(self, path: Path, run_id: str):
        self.run_id = run_id
        self._lock = threading.Lock()
        self._conn = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False)
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("PRAGMA synchronous=NORMAL")
        self._conn.executescript(_SCHEMA)
        self._group_lock = threading.Lock()
        self._waiting: list[_Waiter] = []
        self._committing = False
        self._counts: dict[str, Counter[str]] = {}
        self.recount()

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def _write(self, sql: str, params: tuple[object, ...] = ()) -> list[tuple[Any, ...]]:
        """Run one statement in its own write transaction; returns its rows (RETURNING)."""
        with self._lock:
            return self._transaction(lambda: self._conn.execute(sql, params).fetchall())

    def _transaction(self, body, durable: bool = False):
        """Run ``body()`` in a write transaction (the caller holds the lock)."""
        if durable:
            self._conn.execute("PRAGMA synchronous=FULL")
        self._conn.execute("BEGIN IMMEDIATE")
        try:
            result = body()
            self._conn.execute("COMMIT")
        except BaseException:
            self._conn.execute("ROLLBACK")
            raise
        finally:
            if durable:
                self._conn.execute("PRAGMA synchronous=NORMAL")
        return result

    # -- counts for the status page ---------------------------------------------------------
    def recount(self) -> None:
        """Count the rows by endpoint and state/outcome (once at start: a scan of the table)."""
        with self._lock:
            rows = self._conn.execute(
                "SELECT endpoint, state, outcome, COUNT(*) FROM requests "
                "GROUP BY endpoint, state, outcome"
            ).fetchall()
            self._counts = {}
            for endpoint, state, outcome, count in rows:
                self._counts.setdefault(endpoint, Counter())[
                    outcome if state == DONE else state
                ] += count

    def _count(self, endpoint: str, before: str | None, after: str) -> None:
        counts = self._counts.setdefault(endpoint, Counter())
        if before:
            counts[before] -= 1
        counts[after] += 1

    # -- enqueue: durable, one fsync per group -----------------------------------------------
    def enqueue(self, req: NewRequest) -> int:
        """Store ``req`` durably (``synchronous=FULL``); returns its sequence number."""
        waiter = _Waiter(req)
        with self._group_lock:
            self._waiting.append(waiter)
            lead = not self._committing
            self._committing = True
        if not lead:
            waiter.done.wait()
        if lead or waiter.lead:
            self._commit_group()
        if waiter.error is not None:
            raise waiter.error
        return waiter.seq

    def _commit_group(self) -> None:
        """Commit every waiting enqueue in one transaction, then hand on the lead."""
        with self._group_lock:
            group, self._waiting = self._waiting, []

        def insert_all() -> list[int]:
            return [self._conn.execute(_INSERT, _values(w.request)).fetchone()[0] for w in group]

        try:
            with self._lock:
                seqs = self._transaction(insert_all, durable=True)
                for waiter, seq in zip(group, seqs, strict=True):
                    waiter.seq = seq
                    self._count(waiter.request.endpoint, None, QUEUED)
        except BaseException as exc:  # every request of the group fails with it
            for waiter in group:
                waiter.error = exc
        with self._group_lock:
            if self._waiting:
                self._waiting[0].lead = True
                self._waiting[0].done.set()
            else:
                self._committing = False
        for waiter in group:
            waiter.done.set()

    # -- claims and outcomes: no fsync -------------------------------------------------------
    def requeue_orphans(self) -> int:
        """Put back every claim held by an earlier process; returns how many."""
        rows = self._write(
            "UPDATE requests SET state='queued', lease_owner=NULL, lease_expires=NULL "
            "WHERE state='running' RETURNING seq"
        )
        if rows:
            self.recount()
        return len(rows)

    def claim(self, endpoint: str, lease_seconds: float) -> Request | None:
        """Lease the oldest queued request of ``endpoint`` to this process."""
        rows = self._write(
            f"UPDATE requests SET state='running', lease_owner=?, lease_expires=?, "
            f"attempts=attempts+1 WHERE seq = (SELECT seq FROM requests "
            f"WHERE endpoint=? AND state='queued' ORDER BY seq LIMIT 1) RETURNING {_SELECT}",
            (self.run_id, time.time() + lease_seconds, endpoint),
        )
        if not rows:
            return None
        with self._lock:
            self._count(endpoint, QUEUED, RUNNING)
        return Request(*rows[0])

    def release(self, seq: int) -> None:
        """Give a claimed request back to the queue (shutdown, or an I/O error to retry)."""
        rows = self._write(
            "UPDATE requests SET state='queued', lease_owner=NULL, lease_expires=NULL "
            "WHERE seq=? AND state='running' AND lease_owner=? RETURNING endpoint",
            (seq, self.run_id),
        )
        with self._lock:
            for (endpoint,) in rows:
                self._count(endpoint, RUNNING, QUEUED)

    def finish(self, seq: int, outcome: str, reason: str | None = None) -> None:
        self.finish_many([Finished(seq, outcome, reason)])

    def finish_many(self, finished: list[Finished]) -> None:
        """Mark claimed requests done, all in one transaction."""
        now = time.time()

        def update_all() -> list[tuple[str, str]]:
            out = []
            for item in finished:
                row = self._conn.execute(
                    "UPDATE requests SET state='done', outcome=?, reason=?, finished_at=?, "
                    "body=NULL, lease_owner=NULL, lease_expires=NULL "
                    "WHERE seq=? AND state='running' RETURNING endpoint",
                    (item.outcome, item.reason, now, item.seq),
                ).fetchone()
                if row is not None:
                    out.append((row[0], item.outcome))
            return out

        with self._lock:
            for endpoint, outcome in self._transaction(update_all):
                self._count(endpoint, RUNNING, outcome)

    def take_expired(self, now: float) -> list[Request]:
        """Claim every queued request whose TTL has passed (the caller finishes them)."""
        next_expiry = self.next_expiry()
        if next_expiry is None or next_expiry > now:
            return []  # no write transaction when nothing expired
        rows = self._write(
            f"UPDATE requests SET state='running', lease_owner=?, lease_expires=? "
            f"WHERE state='queued' AND expires_at<=? RETURNING {_SELECT}",
            (self.run_id, now + 60, now),
        )
        requests = [Request(*row) for row in rows]
        with self._lock:
            for request in requests:
                self._count(request.endpoint, QUEUED, RUNNING)
        return requests

    # -- reads -----------------------------------------------------------------------------
    def next_expiry(self) -> float | None:
        with self._lock:
            row = self._conn.execute(
                "SELECT MIN(expires_at) FROM requests WHERE state='queued'"
            ).fetchone()
        return row[0]

    def pending(self, endpoint: str) -> int:
        with self._lock:
            return self._counts.get(endpoint, Counter())[QUEUED]

    def stats(self) -> dict[str, dict[str, float]]:
        """Per endpoint: counts by state/outcome and the age of the oldest waiting request."""
        now = time.time()
        out: dict[str, dict[str, float]] = {}
        with self._lock:
            for endpoint, counts in self._counts.items():
                entry: dict[str, float] = {name: n for name, n in counts.items() if n}
                oldest = [
                    self._conn.execute(
                        f"SELECT received_at FROM requests WHERE endpoint=? AND state='{state}' "
                        f"ORDER BY seq LIMIT 1",
                        (endpoint,),
                    ).fetchone()
                    for state in (QUEUED, RUNNING)
                ]
                entry["oldest"] = min([row[0] for row in oldest if row] + [now])
                out[endpoint] = entry
        return out


def _values(req: NewRequest) -> tuple[object, ...]:
    return (
        req.inference_id,
        req.endpoint,
        req.body,
        req.input_location,
        req.content_type,
        req.accept,
        req.custom_attributes,
        req.output_bucket,
        req.output_key,
        req.failure_bucket,
        req.failure_key,
        req.received_at,
        req.expires_at,
        req.timeout_seconds,
    )
