"""The durable request queue: one SQLite database in WAL mode under ``DATA_DIR/queue.sqlite3``.

A request row is committed with ``synchronous=FULL`` (the WAL is fsynced) before the 202 is sent.
Concurrent enqueues share one commit (group commit): the first caller commits every row waiting
at that moment, the others wait for it, so under load one fsync covers many requests.

The database holds what must survive a crash: a row is ``queued`` until it is ``done`` (outcome
``completed``/``failed``/``expired``). Which rows this process is working on is kept in memory
(one process owns the data directory, so a claim means nothing to anyone else): claiming is a
read on a second connection, which in WAL mode never waits for a writer's fsync. Marking rows
done commits with ``synchronous=NORMAL``, in batches: that survives a crash of the process, and
after a power loss the worst case is a row still ``queued`` although its object exists, which
the re-run finds. A row that an earlier process may have started (any row older than this
process, or one given back after an error) is handed out with ``attempts > 1``, and the worker
first checks whether its output or failure object already exists.

Cost does not grow with the backlog: queued rows have partial indexes (claim order, expiry),
and the status counts are kept in memory, counted once at start.
"""

from __future__ import annotations

import heapq
import sqlite3
import threading
import time
from collections import Counter, deque
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


# Queued rows read per query when claiming: one read (one wait for the GIL after SQLite) serves
# several claims when there is a backlog. Read-ahead rows are still queued: nothing is claimed.
READ_AHEAD = 16

_INSERT = (
    "INSERT INTO requests (inference_id, endpoint, body, input_location, content_type, "
    "accept, custom_attributes, output_bucket, output_key, failure_bucket, failure_key, "
    "received_at, expires_at, timeout_seconds) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?) "
    "RETURNING seq"
)


class Queue:
    def __init__(self, path: Path, run_id: str):
        self.run_id = run_id
        self._lock = threading.Lock()  # the writer connection
        self._conn = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False)
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("PRAGMA synchronous=NORMAL")
        self._conn.executescript(_SCHEMA)
        self._read_lock = threading.Lock()  # the reader connection (claims, expiry, status)
        self._reader = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False)
        self._group_lock = threading.Lock()
        self._waiting: list[_Waiter] = []
        self._committing = False
        # In memory, under _claim_lock: the claims, each endpoint's claim position, the rows
        # given back to be claimed again, and the counts.
        self._claim_lock = threading.Lock()
        self._claimed: dict[int, str] = {}  # seq -> endpoint
        self._cursor: dict[str, int] = {}  # the last seq read ahead
        self._ahead: dict[str, deque[tuple[Any, ...]]] = {}  # read, not yet claimed
        self._again: dict[str, list[int]] = {}
        self._counts: dict[str, Counter[str]] = {}
        row = self._conn.execute("SELECT MAX(seq) FROM requests").fetchone()
        self._started_seq = row[0] or 0  # rows up to here may have been started before
        self.recount()

    def close(self) -> None:
        with self._lock, self._read_lock:
            self._conn.close()
            self._reader.close()

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

    def _read(self, sql: str, params: tuple[object, ...] = ()) -> list[tuple[Any, ...]]:
        with self._read_lock:
            return self._reader.execute(sql, params).fetchall()

    # -- counts for the status page ---------------------------------------------------------
    def recount(self) -> None:
        """Count the rows by endpoint and state/outcome (once at start: a scan of the table)."""
        rows = self._read(
            "SELECT endpoint, state, outcome, COUNT(*) FROM requests "
            "GROUP BY endpoint, state, outcome"
        )
        counts: dict[str, Counter[str]] = {}
        for endpoint, state, outcome, count in rows:
            counts.setdefault(endpoint, Counter())[outcome if state == DONE else state] += count
        with self._claim_lock:
            self._counts = counts

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
            with self._claim_lock:
                for waiter, seq in zip(group, seqs, strict=True):
                    waiter.seq = seq
                    self._counts.setdefault(waiter.request.endpoint, Counter())[QUEUED] += 1
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

    # -- claims: in memory -------------------------------------------------------------------
    def requeue_orphans(self) -> int:
        """Rows an earlier process left unfinished (all are queued again); returns how many."""
        with self._lock:
            self._transaction(
                lambda: self._conn.execute(
                    "UPDATE requests SET state='queued', lease_owner=NULL, lease_expires=NULL "
                    "WHERE state='running'"  # written by earlier versions
                )
            )
        self.recount()
        with self._claim_lock:
            return sum(counts[QUEUED] for counts in self._counts.values())

    def _take(self, row: tuple[Any, ...], again: bool = False) -> Request:
        request = Request(*row)
        self._claimed[request.seq] = request.endpoint
        request.state = RUNNING
        request.lease_owner = self.run_id
        request.attempts = 2 if again or request.seq <= self._started_seq else 1
        return request

    def claim(self, endpoint: str, lease_seconds: float = 0.0) -> Request | None:
        """Hand the oldest queued request of ``endpoint`` to the caller (in memory)."""
        with self._claim_lock:
            again = self._again.get(endpoint)
            while again:
                rows = self._read(
                    f"SELECT {_SELECT} FROM requests WHERE seq=? AND state='queued'",
                    (heapq.heappop(again),),
                )
                if rows and rows[0][0] not in self._claimed:
                    return self._take(rows[0], again=True)
            ahead = self._ahead.setdefault(endpoint, deque())
            while True:
                if not ahead:
                    rows = self._read(
                        f"SELECT {_SELECT} FROM requests WHERE endpoint=? AND state='queued' "
                        f"AND seq>? ORDER BY seq LIMIT {READ_AHEAD}",
                        (endpoint, self._cursor.get(endpoint, 0)),
                    )
                    if not rows:
                        return None
                    self._cursor[endpoint] = rows[-1][0]
                    # rows the reaper has taken are still queued in the database: skip them
                    ahead.extend(row for row in rows if row[0] not in self._claimed)
                    continue
                return self._take(ahead.popleft())

    def release(self, seq: int) -> None:
        """Give a claimed request back to be claimed again (an error to retry, shutdown)."""
        with self._claim_lock:
            endpoint = self._claimed.pop(seq, None)
            if endpoint is not None:
                heapq.heappush(self._again.setdefault(endpoint, []), seq)

    def finish(self, seq: int, outcome: str, reason: str | None = None) -> None:
        self.finish_many([Finished(seq, outcome, reason)])

    def finish_many(self, finished: list[Finished]) -> None:
        """Mark claimed requests done, all in one transaction (no fsync)."""
        now = time.time()

        def update_all() -> list[tuple[str, str]]:
            out = []
            for item in finished:
                row = self._conn.execute(
                    "UPDATE requests SET state='done', outcome=?, reason=?, finished_at=?, "
                    "body=NULL WHERE seq=? AND state='queued' RETURNING endpoint",
                    (item.outcome, item.reason, now, item.seq),
                ).fetchone()
                if row is not None:
                    out.append((row[0], item.outcome))
            return out

        with self._lock:
            done = self._transaction(update_all)
        with self._claim_lock:
            for item in finished:
                self._claimed.pop(item.seq, None)
            for endpoint, outcome in done:
                counts = self._counts.setdefault(endpoint, Counter())
                counts[QUEUED] -= 1
                counts[outcome] += 1

    def take_expired(self, now: float, limit: int = 500) -> list[Request]:
        """Claim queued requests whose TTL has passed (the caller finishes them)."""
        with self._claim_lock:
            rows = self._read(
                f"SELECT {_SELECT} FROM requests WHERE state='queued' AND expires_at<=? "
                f"ORDER BY expires_at LIMIT ?",
                (now, limit + len(self._claimed)),
            )
            taken = [self._take(row) for row in rows if row[0] not in self._claimed][:limit]
            seqs = {request.seq for request in taken}
            for endpoint, ahead in self._ahead.items():  # read ahead, now the reaper's
                if any(row[0] in seqs for row in ahead):
                    self._ahead[endpoint] = deque(row for row in ahead if row[0] not in seqs)
            return taken

    # -- reads -----------------------------------------------------------------------------
    def next_expiry(self) -> float | None:
        """When the next queued, unclaimed request expires."""
        with self._claim_lock:
            rows = self._read(
                "SELECT seq, expires_at FROM requests WHERE state='queued' "
                "ORDER BY expires_at LIMIT ?",
                (len(self._claimed) + 1,),
            )
            return next((at for seq, at in rows if seq not in self._claimed), None)

    def pending(self, endpoint: str) -> int:
        with self._claim_lock:
            claimed = sum(1 for e in self._claimed.values() if e == endpoint)
            return self._counts.get(endpoint, Counter())[QUEUED] - claimed

    def stats(self) -> dict[str, dict[str, float]]:
        """Per endpoint: counts by state/outcome and the age of the oldest unfinished request."""
        now = time.time()
        out: dict[str, dict[str, float]] = {}
        with self._claim_lock:
            running = Counter(self._claimed.values())
            for endpoint, counts in self._counts.items():
                entry: dict[str, float] = {name: n for name, n in counts.items() if n}
                entry[QUEUED] = counts[QUEUED] - running[endpoint]
                entry[RUNNING] = running[endpoint]
                out[endpoint] = entry
        for endpoint, entry in out.items():
            rows = self._read(
                "SELECT received_at FROM requests WHERE endpoint=? AND state='queued' "
                "ORDER BY seq LIMIT 1",
                (endpoint,),
            )
            entry["oldest"] = rows[0][0] if rows else now
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
