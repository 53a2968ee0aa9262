"""Limits that protect the server: body sizes (also after gzip), JSON nesting, requests in flight.

Both middlewares are plain ASGI: they answer before FastAPI does any work. A refused body
is read and thrown away (up to a cap) before answering, so the client reads the 413/503
instead of a connection reset.
"""
from __future__ import annotations

import json
import re
import zlib
from array import array
from itertools import accumulate
from typing import Any, Optional

from server.errors import ApiError

DRAIN_CAP = 64 * 1024 * 1024  # past this a client may see a reset rather than our answer
# A push record nests 6 deep; the parser (and FastAPI's error encoder) recurse per level.
MAX_JSON_DEPTH = 32
_NOT_STRUCTURE = bytes(sorted(set(range(256)) - set(b'"[]{}')))
_BRACKET_STEPS = bytes.maketrans(b"[{]}", b"\x01\x01\xff\xff")  # +1 / -1 as signed bytes
_STRING = re.compile(rb'"[^"]*"')


def json_depth(raw: bytes) -> int:
    """How deep the brackets of a JSON text nest, outside strings; at C speed (a few ms for a full batch)."""
    # Escapes go first (a backslash only occurs in strings), then all but quotes and brackets.
    reduced = raw.replace(b"\\\\", b"").replace(b'\\"', b"").translate(None, _NOT_STRUCTURE)
    outside = reduced.replace(b'""', b"")  # strings without brackets in them, the usual case
    if b'"' in outside:
        outside = _STRING.sub(b"", reduced)
    steps = array("b")
    steps.frombytes(outside.translate(_BRACKET_STEPS))
    return max(accumulate(steps), default=0)


def parse_json(raw: bytes) -> Any:
    """A request body as JSON, or 400 bad_json: not JSON, or nested deeper than MAX_JSON_DEPTH."""
    if json_depth(raw) > MAX_JSON_DEPTH:
        raise ApiError(400, "bad_json", f"The body nests deeper than {MAX_JSON_DEPTH} levels.")
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        raise ApiError(400, "bad_json", f"The body is not JSON ({exc}).") from None


def json_bytes(value: Any) -> bytes:
    """JSON as UTF-8; text the client sent that UTF-8 cannot carry (a lone surrogate) is sent escaped."""
    try:
        return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    except UnicodeEncodeError:
        return json.dumps(value, separators=(",", ":")).encode("ascii")


async def send_error(send, status: int, code: str, reason: str, headers: Optional[dict[str, str]] = None) -> None:
    body = json.dumps({"detail": {"code": code, "reason": reason}}).encode("utf-8")
    raw_headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    raw_headers += [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in (headers or {}).items()]
    await send({"type": "http.response.start", "status": status, "headers": raw_headers})
    await send({"type": "http.response.body", "body": body})


async def _drain(receive, already: int = 0) -> None:
    seen = already
    while seen < DRAIN_CAP:
        message = await receive()
        if message["type"] != "http.request":
            return
        seen += len(message.get("body", b""))
        if not message.get("more_body"):
            return


def _header(scope, name: bytes) -> Optional[str]:
    for key, value in scope.get("headers", []):
        if key == name:
            return value.decode("latin-1")
    return None


class OverloadLimiter:
    """Answers 503 + Retry-After at once when too many requests are already being served."""

    def __init__(self, app, max_in_flight: int, retry_after_s: int, exempt: tuple[str, ...] = ()):
        self.app, self.max_in_flight, self.retry_after_s, self.exempt = app, max_in_flight, retry_after_s, exempt
        self.in_flight = 0  # only touched on the event loop thread

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope["path"] in self.exempt:
            await self.app(scope, receive, send)
            return
        if self.in_flight >= self.max_in_flight:
            await _drain(receive)
            await send_error(send, 503, "overloaded", "The server is busy; try again after Retry-After seconds.",
                             {"Retry-After": str(self.retry_after_s)})
            return
        self.in_flight += 1
        try:
            await self.app(scope, receive, send)
        finally:
            self.in_flight -= 1


class BodyLimit:
    """Reads the whole request body up to a per-path limit, then hands it on; 413 beyond it.

    Bodies of the other paths (small: FastAPI parses them) are refused 400 bad_json when they nest
    too deep; the paths in ``limits`` read their bodies themselves (``decode_body``, ``parse_json``).
    """

    def __init__(self, app, limits: dict[str, int], default_limit: int):
        self.app, self.limits, self.default_limit = app, limits, default_limit

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        limit = self.limits.get(scope["path"], self.default_limit)
        declared = _header(scope, b"content-length")
        if declared is not None:
            if not declared.strip().isdigit():
                await send_error(send, 400, "bad_content_length", "Content-Length is not a number.")
                return
            if int(declared) > limit:
                await _drain(receive)
                await send_error(send, 413, "body_too_large", f"The body is larger than {limit} bytes.")
                return
        chunks, size = [], 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return  # the client went away: nothing to answer
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                await _drain(receive, size)
                await send_error(send, 413, "body_too_large", f"The body is larger than {limit} bytes.")
                return
            chunks.append(chunk)
            if not message.get("more_body"):
                break
        body = b"".join(chunks)
        if scope["path"] not in self.limits and json_depth(body) > MAX_JSON_DEPTH:
            await send_error(send, 400, "bad_json", f"The body nests deeper than {MAX_JSON_DEPTH} levels.")
            return
        delivered = False

        async def replay():
            nonlocal delivered
            if not delivered:
                delivered = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)


def decode_body(raw: bytes, content_encoding: Optional[str], limit: int) -> bytes:
    """The body as sent before compression; refuses gzip bombs without inflating them in full."""
    encoding = (content_encoding or "identity").strip().lower()
    if encoding in ("", "identity"):
        if len(raw) > limit:
            raise ApiError(413, "body_too_large", f"The body is larger than {limit} bytes.")
        return raw
    if encoding != "gzip":
        raise ApiError(415, "unsupported_encoding", f"Content-Encoding {encoding!r} is not supported; use gzip.")
    out = bytearray()
    data = raw
    while True:  # a gzip file may hold several members one after another
        inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
        try:
            out += inflater.decompress(data, limit + 1 - len(out))
        except zlib.error as exc:
            raise ApiError(400, "bad_gzip", f"The body is not valid gzip ({exc}).") from None
        if len(out) > limit:
            raise ApiError(413, "body_too_large", f"The body is larger than {limit} bytes once decompressed.")
        if not inflater.eof:
            raise ApiError(400, "bad_gzip", "The gzip body is truncated.")
        data = inflater.unused_data
        if not data:
            return bytes(out)
