"""A tiny model server following the SageMaker container contract, standard library only.

    GET  /ping         200 when ready
    POST /invocations  the payload in, the answer out

It listens on 127.0.0.1 at the port in SAGEMAKER_BIND_TO_PORT, or on port 8080 of every
interface when that is unset (inside a container, as SageMaker runs it), so ``sagemaker-async serve --endpoint m=command:"python
examples/model_server.py"`` can run it behind a local asynchronous endpoint.

The "model" counts the payload's bytes and words. ``X-Amzn-SageMaker-Custom-Attributes`` may
carry ``sleep=SECONDS`` (answer slowly) and ``fail=MESSAGE`` (answer 500), to try timeouts and
failures. SIGTERM stops it cleanly, as SageMaker expects.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def predict(payload: bytes, content_type: str) -> dict:
    text = payload.decode("utf-8", "replace")
    return {"bytes": len(payload), "words": len(text.split()), "content_type": content_type}


def directives(header: str | None) -> dict[str, str]:
    out = {}
    for item in (header or "").replace(",", ";").split(";"):
        name, sep, value = item.partition("=")
        if sep:
            out[name.strip()] = value.strip()
    return out


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as SageMaker's client uses

    def log_message(self, format, *args):  # noqa: A002 - the base class's name
        sys.stderr.write("model_server: " + (format % args) + "\n")

    def reply(self, status: int, body: bytes, content_type: str = "application/json") -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):  # noqa: N802
        if self.path == "/ping":
            self.reply(200, b"")
        else:
            self.reply(404, b'{"message":"not found"}')

    def do_POST(self):  # noqa: N802
        payload = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if self.path != "/invocations":
            self.reply(404, b'{"message":"not found"}')
            return
        asked = directives(self.headers.get("X-Amzn-SageMaker-Custom-Attributes"))
        if "sleep" in asked:
            time.sleep(float(asked["sleep"]))
        if "fail" in asked:
            body = json.dumps({"message": asked["fail"], "status": "error"}).encode()
            self.reply(500, body)
            return
        content_type = self.headers.get("Content-Type") or "application/octet-stream"
        self.reply(200, json.dumps(predict(payload, content_type)).encode())


def main() -> None:
    bind_to = os.environ.get("SAGEMAKER_BIND_TO_PORT")
    # Given a port, serve on loopback; without one we are inside a container: all interfaces.
    host = "127.0.0.1" if bind_to else "0.0.0.0"  # noqa: S104
    port = int(bind_to or "8080")
    server = ThreadingHTTPServer((host, port), Handler)
    server.daemon_threads = True

    def on_sigterm(signum, frame):
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, on_sigterm)
    print(f"model_server: listening on {host}:{port} (pid {os.getpid()})", flush=True)
    server.serve_forever()
    print("model_server: stopped", flush=True)


if __name__ == "__main__":
    main()
