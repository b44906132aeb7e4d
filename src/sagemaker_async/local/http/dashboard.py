"""``GET /_dashboard``: the status page for people.

Plain HTML that reloads itself (``<meta http-equiv="refresh">``), no script at all: endpoints
with their model and counts, throughput over the last minute, notification delivery, and the
most recent inferences with status, latency and failure reason. Payloads never appear. Every
value is HTML-escaped; the page is served with a Content-Security-Policy that allows no script.
"""

from __future__ import annotations

import html
import threading
import time
from collections import deque
from collections.abc import Callable
from datetime import datetime, timezone

from sagemaker_async.local.http.wire import Request, Response

RECENT = 50  # inferences listed
WINDOW = 60.0  # seconds of throughput
REFRESH_SECONDS = 2
CONTENT_SECURITY_POLICY = "default-src 'none'; style-src 'unsafe-inline'; img-src 'none'"


def _parse_iso(text: str) -> float | None:
    try:
        parsed = datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ")
    except (TypeError, ValueError):
        return None
    return parsed.replace(tzinfo=timezone.utc).timestamp()


class Activity:
    """Recent inferences, fed by the notification log (one event per finished request)."""

    def __init__(self, recent: int = RECENT):
        self._lock = threading.Lock()
        self._recent: deque[dict] = deque(maxlen=recent)
        self._finished: deque[tuple[float, str]] = deque()  # (monotonic time, endpoint)

    def record(self, event: dict) -> None:
        """Called on a worker thread for each event: keep it cheap (parse when rendering)."""
        endpoint = event.get("requestParameters", {}).get("endpointName", "")
        now = time.monotonic()
        with self._lock:
            self._recent.appendleft(event)
            self._finished.append((now, endpoint))
            self._trim(now)

    def _trim(self, now: float) -> None:
        while self._finished and self._finished[0][0] < now - WINDOW:
            self._finished.popleft()

    def snapshot(self) -> tuple[list[dict], dict[str, int]]:
        """(most recent first, finished per endpoint in the last minute)."""
        with self._lock:
            self._trim(time.monotonic())
            per_endpoint: dict[str, int] = {}
            for _, endpoint in self._finished:
                per_endpoint[endpoint] = per_endpoint.get(endpoint, 0) + 1
            events = list(self._recent)
        return [_summary(event) for event in events], per_endpoint


def _summary(event: dict) -> dict:
    """What the page shows of an event: never the locations or content types."""
    received = _parse_iso(event.get("receivedTime", ""))
    finished = _parse_iso(event.get("eventTime", ""))
    latency = None
    if received is not None and finished is not None:
        latency = max(0.0, (finished - received) * 1000)
    return {
        "time": event.get("eventTime", ""),
        "endpoint": event.get("requestParameters", {}).get("endpointName", ""),
        "inference_id": event.get("inferenceId", ""),
        "status": event.get("invocationStatus", ""),
        "latency_ms": latency,
        "reason": event.get("failureReason", ""),
    }


def _e(value: object) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def _cell(value: object, name: str | None = None, endpoint: str | None = None) -> str:
    attrs = ""
    if name is not None:
        attrs = f' data-field="{_e(name)}"'
        if endpoint is not None:
            attrs += f' data-endpoint="{_e(endpoint)}"'
    return f"<td{attrs}>{_e(value)}</td>"


STYLE = """
body{font:14px/1.4 system-ui,sans-serif;margin:1.5em;color:#222}
h1{font-size:1.3em}h2{font-size:1.1em;margin-top:1.5em}
table{border-collapse:collapse}th,td{border:1px solid #ccc;padding:.25em .6em;text-align:left}
th{background:#f3f3f3}td.num,td[data-field]{text-align:right}
.Completed{color:#176d2c}.Failed{color:#b3261e}.Expired{color:#8a5a00}
small{color:#666}
"""


def render_dashboard(status: dict, activity: Activity, refresh: int = REFRESH_SECONDS) -> bytes:
    """The page for a /_status report and the recent activity."""
    recent, per_minute = activity.snapshot()
    endpoints = status.get("Endpoints", {})
    rows = []
    for name, entry in endpoints.items():
        server = entry.get("ModelServer") or {}
        server_text = ""
        if server:
            server_text = f"{server.get('State')} (pid {server.get('Pid')}, " + (
                f"restarts {server.get('Restarts')})"
            )
            if server.get("LastExit"):
                server_text += f"; last exit: {server.get('LastExit')}"
        rows.append(
            "<tr>"
            + f'<th scope="row">{_e(name)}</th>'
            + f"<td><code>{_e(entry.get('Model'))}</code></td>"
            + _cell(server_text or "—")
            + _cell(entry.get("ApproximateBacklogSize"), "backlog", name)
            + _cell(entry.get("InProgress"), "in-progress", name)
            + _cell(entry.get("Completed"), "completed", name)
            + _cell(entry.get("Failed"), "failed", name)
            + _cell(entry.get("Expired"), "expired", name)
            + _cell(per_minute.get(name, 0), "per-minute", name)
            + _cell(entry.get("ApproximateAgeOfOldestRequest"), "oldest-age", name)
            + "</tr>"
        )
    notes = status.get("Notifications") or {}
    notes_html = (
        "<p>No <code>--notify-success</code>/<code>--notify-error</code> subscriptions.</p>"
    )
    if notes.get("Subscriptions"):
        subs = "".join(
            f"<li>{_e(s['Topic'])}: <code>{_e(s['Endpoint'])}</code></li>"
            for s in notes["Subscriptions"]
        )
        counts = " · ".join(
            f'{label} <span data-field="notify-{label.lower()}">{_e(notes.get(label, 0))}</span>'
            for label in ("Delivered", "Retried", "Failed", "Dropped", "Pending")
        )
        notes_html = f"<ul>{subs}</ul><p>{counts}</p>"
    recent_rows = []
    for item in recent:
        latency = item["latency_ms"]
        recent_rows.append(
            f'<tr class="{_e(item["status"])}">'
            + _cell(item["time"][11:23])  # HH:MM:SS.mmm of the ISO time
            + _cell(item["endpoint"])
            + f"<td><code>{_e(item['inference_id'])}</code></td>"
            + _cell(item["status"])
            + _cell("" if latency is None else f"{latency:.0f}")
            + _cell(item["reason"])
            + "</tr>"
        )
    if not recent_rows:
        recent_rows.append('<tr><td colspan="6">No inference has finished yet.</td></tr>')
    page = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="refresh" content="{int(refresh)}">
<title>sagemaker-async serve</title><style>{STYLE}</style></head>
<body>
<h1>sagemaker-async serve</h1>
<p><code>{_e(status.get("Url"))}</code> · data <code>{_e(status.get("DataDir"))}</code>
 · <small>refreshes every {int(refresh)} s · generated {_e(time.strftime("%H:%M:%S", time.gmtime()))} UTC</small></p>
<h2>Endpoints</h2>
<table id="endpoints"><thead><tr><th>Endpoint</th><th>Model</th><th>Model server</th>
<th>Backlog</th><th>In progress</th><th>Completed</th><th>Failed</th><th>Expired</th>
<th>Finished in the last minute</th><th>Oldest waiting (s)</th></tr></thead>
<tbody>{"".join(rows)}</tbody></table>
<h2>Notifications</h2>
{notes_html}
<h2>Recent inferences</h2>
<table id="recent"><thead><tr><th>Finished (UTC)</th><th>Endpoint</th><th>Inference id</th>
<th>Status</th><th>Latency (ms)</th><th>Failure reason</th></tr></thead>
<tbody>{"".join(recent_rows)}</tbody></table>
<p><small>Latency is from the request being accepted to its notification. Payloads are never
shown. JSON: <a href="/_status">/_status</a>.</small></p>
</body></html>
"""
    return page.encode("utf-8")


def make_pages(status: Callable[[], dict], activity: Activity) -> Callable[[Request], Response]:
    """The handler of ``/_dashboard`` and ``/_sns/…`` (the SNS envelope's URLs: 501)."""

    def pages(req: Request) -> Response:
        path = req.raw_path.rstrip("/")
        if path.startswith("/_sns"):
            body = (
                b"NotImplemented: sagemaker-async serve has no SNS signing certificate or "
                b"unsubscribe; notification subscriptions are the --notify-* options\n"
            )
            return Response(501, {"Content-Type": "text/plain"}, body)
        if path != "/_dashboard":
            return Response(404, {"Content-Type": "text/plain"}, b"Not Found\n")
        if req.method not in ("GET", "HEAD"):
            return Response(405, {"Allow": "GET, HEAD"})
        body = render_dashboard(status(), activity)
        headers = {
            "Content-Type": "text/html; charset=utf-8",
            "Cache-Control": "no-store",
            "Content-Security-Policy": CONTENT_SECURITY_POLICY,
            "X-Content-Type-Options": "nosniff",
        }
        if req.method == "HEAD":
            headers["Content-Length"] = str(len(body))
            return Response(200, headers)
        return Response(200, headers, body)

    return pages
