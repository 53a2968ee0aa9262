"""The faulty proxy itself does what the faulty-link tests rely on (against a tiny stdlib server)."""
from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from sync.transport import RetryLater, Transport, Unreachable
from tests.sync.faulty_proxy import FaultyProxy


class Echo(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    seen: list[str] = []

    def _answer(self, body: bytes) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):  # noqa: N802 - the stdlib's name
        Echo.seen.append(self.path)
        self._answer(json.dumps({"status": "ok", "pad": "x" * 4000}).encode())

    def log_message(self, *args):
        pass


@pytest.fixture
def upstream():
    Echo.seen = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), Echo)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


def transport(proxy):
    return Transport(proxy.url, timeout=(2, 5))


def test_passes_requests_through_on_a_kept_alive_connection(upstream):
    with FaultyProxy(upstream) as proxy:
        t = transport(proxy)
        assert t.health()["status"] == "ok" and t.health()["status"] == "ok"
        t.close()
    assert proxy.stats["requests"] == 2 and proxy.stats["pass"] == 2


@pytest.mark.parametrize("fault, error, reaches_server", [
    ("drop", Unreachable, False),
    ("error", Unreachable, False),
    ("busy", RetryLater, False),
    ("cut", Unreachable, True),
])
def test_each_fault_looks_to_the_client_like_a_bad_link(upstream, fault, error, reaches_server):
    with FaultyProxy(upstream, script=[fault, fault, fault], seed=3) as proxy:
        t = transport(proxy)
        for _ in range(3):
            with pytest.raises(error):
                t.health()
        assert t.health()["status"] == "ok"
        t.close()
    assert len(Echo.seen) == (4 if reaches_server else 1)


def test_a_slow_link_costs_round_trips_and_bandwidth(upstream):
    with FaultyProxy(upstream, bandwidth_bps=256_000, rtt_s=0.3) as proxy:
        t = transport(proxy)
        started = time.monotonic()
        t.health()
        took = time.monotonic() - started
        t.close()
    # handshake RTT + request RTT + ~4.1 kB down at 256 kbit/s (~0.13 s)
    assert 0.7 < took < 2.0
