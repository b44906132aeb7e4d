"""The queue on a real SQLite file: every hot query uses an index (no scan of the table, so the
cost stays flat as the backlog grows), group commits, claims, releases and restarts."""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path

import pytest

from sagemaker_async.local.runtime.queue import (
    _INSERT,
    COMPLETED,
    NewRequest,
    Queue,
)


def new(n: int, endpoint: str = "echo", ttl: float = 3600) -> NewRequest:
    now = time.time()
    return NewRequest(
        inference_id=f"id-{n}",
        endpoint=endpoint,
        body=b"x",
        input_location=None,
        content_type=None,
        accept=None,
        custom_attributes=None,
        output_bucket="b",
        output_key=f"o/{n}",
        failure_bucket="b",
        failure_key=f"f/{n}",
        received_at=now,
        expires_at=now + ttl,
        timeout_seconds=900,
    )


@pytest.fixture
def queue(tmp_path: Path):
    q = Queue(tmp_path / "queue.sqlite3", run_id="test")
    yield q
    q.close()


HOT_QUERIES = [
    # claim
    (
        "SELECT seq FROM requests WHERE endpoint=? AND state='queued' AND seq>? "
        "ORDER BY seq LIMIT 1",
        ("echo", 0),
    ),
    ("SELECT seq FROM requests WHERE seq=? AND state='queued'", (1,)),
    # finish
    ("UPDATE requests SET state='done' WHERE seq=? AND state='queued'", (1,)),
    # reaper
    (
        "SELECT seq FROM requests WHERE state='queued' AND expires_at<=? "
        "ORDER BY expires_at LIMIT 10",
        (0.0,),
    ),
    ("SELECT seq, expires_at FROM requests WHERE state='queued' ORDER BY expires_at LIMIT 3", ()),
    # status: the oldest unfinished request
    (
        "SELECT received_at FROM requests WHERE endpoint=? AND state='queued' ORDER BY seq LIMIT 1",
        ("echo",),
    ),
]


@pytest.mark.parametrize(("sql", "params"), HOT_QUERIES)
def test_hot_queries_use_an_index_not_a_scan(queue, tmp_path, sql, params):
    conn = sqlite3.connect(tmp_path / "queue.sqlite3")
    conn.executemany(
        _INSERT.replace(" RETURNING seq", ""), [tuple(vars(new(n)).values()) for n in range(50)]
    )
    conn.execute("ANALYZE")
    plan = " | ".join(row[-1] for row in conn.execute("EXPLAIN QUERY PLAN " + sql, params))
    conn.close()
    assert "USING" in plan, plan  # an index or the primary key
    for step in plan.split(" | "):
        if step.startswith("SCAN"):  # only an ordered walk of a queued-rows index, to a LIMIT
            assert " LIMIT " in sql and step.endswith(("requests_queued", "requests_expiry")), plan


def test_the_queued_indexes_hold_only_unfinished_rows(queue, tmp_path):
    for n in range(5):
        queue.enqueue(new(n))
    for _ in range(3):
        request = queue.claim("echo")
        assert request is not None
        queue.finish(request.seq, COMPLETED)
    conn = sqlite3.connect(tmp_path / "queue.sqlite3")
    (indexed,) = conn.execute(
        "SELECT COUNT(*) FROM requests INDEXED BY requests_queued "
        "WHERE endpoint='echo' AND state='queued'"
    ).fetchone()
    conn.close()
    assert indexed == 2


def test_concurrent_enqueues_are_all_stored_and_claimed_once_in_order(queue):
    seqs: list[int] = []
    lock = threading.Lock()

    def submit(base: int) -> None:
        for n in range(base, base + 50):
            seq = queue.enqueue(new(n))
            with lock:
                seqs.append(seq)

    threads = [threading.Thread(target=submit, args=(i * 100,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(set(seqs)) == 400
    assert queue.stats()["echo"]["queued"] == 400
    claimed = []
    while (request := queue.claim("echo")) is not None:
        claimed.append(request.seq)
    assert claimed == sorted(seqs)
    assert queue.stats()["echo"]["running"] == 400


def test_release_gives_a_request_back_marked_as_possibly_started(queue):
    first = queue.enqueue(new(1))
    queue.enqueue(new(2))
    request = queue.claim("echo")
    assert request is not None and (request.seq, request.attempts) == (first, 1)
    queue.release(first)
    again = queue.claim("echo")
    assert again is not None and (again.seq, again.attempts) == (first, 2)


def test_a_restart_hands_out_earlier_rows_as_possibly_started(tmp_path):
    path = tmp_path / "queue.sqlite3"
    before = Queue(path, run_id="one")
    seq = before.enqueue(new(1))
    assert before.claim("echo") is not None  # in progress when the process "dies"
    before.close()
    after = Queue(path, run_id="two")
    assert after.requeue_orphans() == 1
    request = after.claim("echo")
    assert request is not None and (request.seq, request.attempts) == (seq, 2)
    after.finish(seq, COMPLETED)
    assert after.stats()["echo"].get("completed") == 1
    after.close()


def test_expired_requests_are_taken_once_and_skip_claimed_ones(queue):
    claimed_seq = queue.enqueue(new(1, ttl=-1))
    waiting_seq = queue.enqueue(new(2, ttl=-1))
    fresh_seq = queue.enqueue(new(3))
    claimed = queue.claim("echo")
    assert claimed is not None and claimed.seq == claimed_seq
    assert queue.next_expiry() is not None and queue.next_expiry() < time.time()
    assert [r.seq for r in queue.take_expired(time.time())] == [waiting_seq]
    assert queue.take_expired(time.time()) == []
    nxt = queue.claim("echo")
    assert nxt is not None and nxt.seq == fresh_seq  # the expired one is not handed out again


def test_rows_read_ahead_and_taken_by_the_reaper_are_not_handed_out(queue):
    first = queue.enqueue(new(1))
    expiring = [queue.enqueue(new(n, ttl=-1)) for n in range(2, 5)]
    last = queue.enqueue(new(5))
    request = queue.claim("echo")  # reads the next rows ahead
    assert request is not None and request.seq == first
    taken = queue.take_expired(time.time())
    assert sorted(r.seq for r in taken) == expiring
    nxt = queue.claim("echo")
    assert nxt is not None and nxt.seq == last
    assert queue.claim("echo") is None
    for r in taken:
        queue.finish(r.seq, "expired")
    assert queue.claim("echo") is None
    assert queue.stats()["echo"]["expired"] == 3
