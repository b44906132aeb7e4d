"""The durable request queue: one SQLite database in WAL mode under ``DATA_DIR/queue.sqlite3``.

A request row is committed (``synchronous=FULL``) before the 202 is sent. Workers claim the
oldest queued row of their endpoint with a lease (owner = this process's run id); a request
ends in state ``done`` with an outcome ``completed``/``failed``/``expired``. At start-up every
``running`` row belongs to a dead process (the data directory is locked), so it is re-queued.
All access goes through one connection guarded by a lock: SQLite serialises writers anyway,
and a Python lock wakes waiters at once where SQLite's busy handler sleeps.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

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
CREATE INDEX IF NOT EXISTS requests_pending ON requests (endpoint, state, seq);
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


class Queue:
    def __init__(self, path: Path, run_id: str):
        self.run_id = run_id
        self._lock = threading.Lock()
        self._conn = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False)
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("PRAGMA synchronous=FULL")
        self._conn.executescript(_SCHEMA)

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def _write(self, sql: str, params: tuple[object, ...] = ()) -> list[tuple[Any, ...]]:
        """Run one statement in its own write transaction; returns its rows (RETURNING)."""
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                cur = self._conn.execute(sql, params)
                rows: list[tuple[Any, ...]] = cur.fetchall()  # no row_factory: plain tuples
                self._conn.execute("COMMIT")
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            return rows

    def requeue_orphans(self) -> int:
        """Put back every claim held by an earlier process; returns how many."""
        rows = self._write(
            "UPDATE requests SET state=?, lease_owner=NULL, lease_expires=NULL "
            "WHERE state=? RETURNING seq",
            (QUEUED, RUNNING),
        )
        return len(rows)

    def enqueue(self, req: NewRequest) -> int:
        rows = self._write(
            "INSERT INTO requests (inference_id, endpoint, body, input_location, content_type, "
            "accept, custom_attributes, output_bucket, output_key, failure_bucket, failure_key, "
            "received_at, expires_at, timeout_seconds) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?) "
            "RETURNING seq",
            (
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
            ),
        )
        return rows[0][0]

    def claim(self, endpoint: str, lease_seconds: float) -> Request | None:
        """Lease the oldest queued request of ``endpoint`` to this process."""
        now = time.time()
        rows = self._write(
            f"UPDATE requests SET state=?, lease_owner=?, lease_expires=?, attempts=attempts+1 "
            f"WHERE seq = (SELECT seq FROM requests WHERE endpoint=? AND state=? "
            f"ORDER BY seq LIMIT 1) RETURNING {_SELECT}",
            (RUNNING, self.run_id, now + lease_seconds, endpoint, QUEUED),
        )
        return Request(*rows[0]) if rows else None

    def release(self, seq: int) -> None:
        """Give a claimed request back to the queue (shutdown while it was in progress)."""
        self._write(
            "UPDATE requests SET state=?, lease_owner=NULL, lease_expires=NULL "
            "WHERE seq=? AND state=? AND lease_owner=?",
            (QUEUED, seq, RUNNING, self.run_id),
        )

    def finish(self, seq: int, outcome: str, reason: str | None = None) -> None:
        self._write(
            "UPDATE requests SET state=?, outcome=?, reason=?, finished_at=?, body=NULL, "
            "lease_owner=NULL, lease_expires=NULL WHERE seq=?",
            (DONE, outcome, reason, time.time(), seq),
        )

    def take_expired(self, now: float) -> list[Request]:
        """Claim every queued request whose TTL has passed (the caller finishes them)."""
        return [
            Request(*row)
            for row in self._write(
                f"UPDATE requests SET state=?, lease_owner=?, lease_expires=? "
                f"WHERE state=? AND expires_at<=? RETURNING {_SELECT}",
                (RUNNING, self.run_id, now + 60, QUEUED, now),
            )
        ]

    def next_expiry(self) -> float | None:
        with self._lock:
            row = self._conn.execute(
                "SELECT MIN(expires_at) FROM requests WHERE state=?", (QUEUED,)
            ).fetchone()
        return row[0]

    def pending(self, endpoint: str) -> int:
        with self._lock:
            row = self._conn.execute(
                "SELECT COUNT(*) FROM requests WHERE endpoint=? AND state=?", (endpoint, QUEUED)
            ).fetchone()
        return row[0]

    def stats(self) -> dict[str, dict[str, float]]:
        """Per endpoint: counts by state/outcome and the age of the oldest waiting request."""
        with self._lock:
            rows = self._conn.execute(
                "SELECT endpoint, state, outcome, COUNT(*), MIN(received_at) FROM requests "
                "GROUP BY endpoint, state, outcome"
            ).fetchall()
        now = time.time()
        out: dict[str, dict[str, float]] = {}
        for endpoint, state, outcome, count, oldest in rows:
            entry = out.setdefault(endpoint, {"oldest": now})
            name = outcome if state == DONE else state
            entry[name] = entry.get(name, 0) + count
            if state != DONE:
                entry["oldest"] = min(entry["oldest"], oldest)
        return out
