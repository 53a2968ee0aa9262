"""FaultyProxy: a small HTTP-aware TCP proxy on 127.0.0.1 that makes a bad link on purpose.

Between the sync client and the real server it can, per request:
  drop   close the connection before the server sees the request
  delay  hold the request for a while, then pass it on
  error  answer 500 itself (the server never sees the request)
  busy   answer 503 with Retry-After itself
  cut    pass the request on, read the server's whole answer (so the server has
         committed), then send the client only part of it, or nothing, and close
and it can shape every byte like a slow mobile link (bandwidth in bits/s, round-trip
time). Faults are drawn from a seeded random generator, or taken from a script first.
Threads only, 127.0.0.1 only, bounded connections, everything closed by ``stop()``.
"""
from __future__ import annotations

import random
import socket
import threading
import time
from collections import Counter
from typing import Optional

FAULTS = ("drop", "delay", "error", "busy", "cut")


class _Link:
    """One direction of the simulated link: bandwidth and one-way latency."""

    def __init__(self, bandwidth_bps: Optional[float], one_way_s: float):
        self.bandwidth_bps = bandwidth_bps
        self.one_way_s = one_way_s

    def send(self, sock: socket.socket, data: bytes, *, first: bool = True) -> None:
        if first and self.one_way_s:
            time.sleep(self.one_way_s)
        if not self.bandwidth_bps:
            sock.sendall(data)
            return
        chunk = 1460  # one TCP segment at a time, paced like the link would
        for i in range(0, len(data), chunk):
            part = data[i:i + chunk]
            time.sleep(len(part) * 8 / self.bandwidth_bps)
            sock.sendall(part)


def _read_head(rfile) -> Optional[bytes]:
    """Start line + headers (up to the blank line); None when the peer closed first."""
    lines = []
    while True:
        line = rfile.readline(65537)
        if not line:
            return None
        lines.append(line)
        if line in (b"\r\n", b"\n"):
            return b"".join(lines)
        if len(lines) > 200:
            raise ValueError("header too long")


def _header(head: bytes, name: bytes) -> Optional[bytes]:
    for line in head.split(b"\r\n")[1:]:
        key, _, value = line.partition(b":")
        if key.strip().lower() == name:
            return value.strip()
    return None


def _read_body(rfile, head: bytes, *, response_to_head: bool = False) -> bytes:
    """The message body as raw bytes (Content-Length or chunked, kept as it came)."""
    status = head.split(b" ", 2)
    if response_to_head or (len(status) > 1 and status[0].startswith(b"HTTP/") and status[1] in (b"204", b"304")):
        return b""
    length = _header(head, b"content-length")
    if length is not None:
        return rfile.read(int(length))
    if (_header(head, b"transfer-encoding") or b"").lower() == b"chunked":
        parts = []
        while True:
            size_line = rfile.readline(1024)
            parts.append(size_line)
            size = int(size_line.split(b";")[0].strip() or b"0", 16)
            if size == 0:
                parts.append(rfile.readline(1024))
                return b"".join(parts)
            parts.append(rfile.read(size + 2))
    return b""


def _canned(status: int, reason: str, extra: str = "") -> bytes:
    body = ('{"detail": {"code": "proxy_%d", "reason": "%s (faulty proxy)"}}' % (status, reason)).encode()
    return (f"HTTP/1.1 {status} {reason}\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n"
            f"{extra}\r\n").encode() + body


class FaultyProxy:
    def __init__(
        self,
        upstream_port: int,
        *,
        faults: Optional[dict[str, float]] = None,  # fault name -> probability per request
        script: Optional[list[str]] = None,  # faults to apply first, in order ("pass" = none)
        seed: int = 0,
        delay_s: tuple[float, float] = (0.05, 0.4),
        retry_after_s: int = 1,
        bandwidth_bps: Optional[float] = None,
        rtt_s: float = 0.0,
        max_connections: int = 32,
        socket_timeout_s: float = 30.0,
    ):
        unknown = set(faults or {}) - set(FAULTS)
        if unknown:
            raise ValueError(f"unknown faults {unknown}")
        self.upstream = ("127.0.0.1", upstream_port)
        self.faults = dict(faults or {})
        self.script = list(script or [])
        self.rng = random.Random(seed)
        self.delay_s = delay_s
        self.retry_after_s = retry_after_s
        self.up_link = _Link(bandwidth_bps, rtt_s / 2)
        self.down_link = _Link(bandwidth_bps, rtt_s / 2)
        self.rtt_s = rtt_s
        self.max_connections = max_connections
        self.socket_timeout_s = socket_timeout_s
        self.stats: Counter = Counter()
        self._lock = threading.RLock()
        self._conns: set[socket.socket] = set()
        self._threads: list[threading.Thread] = []
        self._stopping = threading.Event()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.2)
        self.port = self._listener.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"

    # ------------------------------------------------------------ life cycle

    def start(self) -> "FaultyProxy":
        thread = threading.Thread(target=self._accept_loop, name="faulty-proxy", daemon=True)
        thread.start()
        self._threads.append(thread)
        return self

    def stop(self) -> None:
        self._stopping.set()
        self._listener.close()
        with self._lock:
            conns = list(self._conns)
        for conn in conns:
            _close(conn)
        for thread in list(self._threads):
            thread.join(timeout=5)

    def __enter__(self) -> "FaultyProxy":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def _count(self, name: str, n: int = 1) -> None:
        with self._lock:
            self.stats[name] += n

    def shape(self, *, bandwidth_bps: Optional[float], rtt_s: float) -> None:
        """Change the simulated link from now on (e.g. after a fast setup)."""
        self.up_link = _Link(bandwidth_bps, rtt_s / 2)
        self.down_link = _Link(bandwidth_bps, rtt_s / 2)
        self.rtt_s = rtt_s

    def set_faults(self, faults: dict[str, float]) -> None:
        with self._lock:
            self.faults = dict(faults)

    # ------------------------------------------------------------ work

    def _accept_loop(self) -> None:
        while not self._stopping.is_set():
            try:
                client, _ = self._listener.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            with self._lock:
                if len(self._conns) >= self.max_connections:
                    self._count("refused_connections", 1)
                    _close(client)
                    continue
                self._conns.add(client)
                self._threads = [t for t in self._threads if t.is_alive()]
            thread = threading.Thread(target=self._serve, args=(client,), daemon=True)
            self._threads.append(thread)
            thread.start()

    def _choose(self) -> str:
        with self._lock:
            if self.script:
                return self.script.pop(0)
            roll = self.rng.random()
            for name, p in self.faults.items():
                if roll < p:
                    return name
                roll -= p
            return "pass"

    def _serve(self, client: socket.socket) -> None:
        upstream: Optional[socket.socket] = None
        client.settimeout(self.socket_timeout_s)
        try:
            if self.rtt_s:
                time.sleep(self.rtt_s)  # the TCP handshake costs a round trip on a real link
            crfile = client.makefile("rb")
            urfile = None
            while not self._stopping.is_set():
                head = _read_head(crfile)
                if head is None:
                    return
                body = _read_body(crfile, head)
                request = head + body
                self._count("requests", 1)
                fault = self._choose()
                self._count(fault, 1)
                if fault == "drop":
                    return
                if fault == "delay":
                    time.sleep(self.rng.uniform(*self.delay_s))
                if fault == "error":
                    self.down_link.send(client, _canned(500, "Internal Server Error"))
                    continue
                if fault == "busy":
                    self.down_link.send(client, _canned(503, "Service Unavailable",
                                                        f"Retry-After: {self.retry_after_s}\r\n"))
                    continue
                if upstream is None:
                    upstream = socket.create_connection(self.upstream, timeout=self.socket_timeout_s)
                    with self._lock:
                        self._conns.add(upstream)
                    urfile = upstream.makefile("rb")
                self.up_link.send(upstream, request)
                self._count("bytes_up", len(request))
                rhead = _read_head(urfile)
                if rhead is None:
                    return  # the server went away: the client sees the connection close
                rbody = _read_body(urfile, rhead, response_to_head=head.startswith(b"HEAD "))
                response = rhead + rbody
                if fault == "cut":
                    # The server has answered, so it has committed; the client gets a piece, or nothing.
                    keep = self.rng.choice([0, len(rhead) // 2, len(rhead) + len(rbody) // 2])
                    if keep:
                        self.down_link.send(client, response[:keep])
                    return
                self.down_link.send(client, response)
                self._count("bytes_down", len(response))
                if (_header(rhead, b"connection") or b"").lower() == b"close":
                    return
        except (OSError, ValueError):
            self._count("broken_connections", 1)
        finally:
            with self._lock:
                self._conns.discard(client)
                if upstream is not None:
                    self._conns.discard(upstream)
            _close(client)
            if upstream is not None:
                _close(upstream)


def _close(sock: socket.socket) -> None:
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    try:
        sock.close()
    except OSError:
        pass
