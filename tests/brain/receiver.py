"""A local HTTP endpoint on 127.0.0.1 that records the notifications it receives."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Receiver:
    url: str
    received: list[dict[str, Any]] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)
    arrived: list[float] = field(default_factory=list)  # time.monotonic() per notification
    fail_first: int = 0
    refused: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def entities(self) -> list[dict[str, Any]]:
        with self.lock:
            return [entity for n in self.received for entity in n["data"]]


@contextmanager
def receiver(fail_first: int = 0) -> Iterator[Receiver]:
    """Serve on a free loopback port; the first ``fail_first`` requests get HTTP 503."""
    state: dict[str, Receiver] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - the http.server hook name
            length = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(length)
            target = state["receiver"]
            with target.lock:
                if target.refused < target.fail_first:
                    target.refused += 1
                    self.send_response(503)
                    self.end_headers()
                    return
                target.received.append(json.loads(body))
                target.arrived.append(time.monotonic())
                target.headers.append(dict(self.headers.items()))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    host, port = server.server_address[:2]
    state["receiver"] = Receiver(url=f"http://{host}:{port}/notify", fail_first=fail_first)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state["receiver"]
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
