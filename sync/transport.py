"""Transport: the one place that talks HTTP to the central server (docs/sync-protocol.md).

(Over 300 lines on purpose: every request, its encoding and the whole error tree stay in the
one module allowed to import requests, so no other module needs to know HTTP.)

The Transport builds requests and reads answers; a *send* callable moves the bytes. The
default send uses a ``requests.Session`` (connect/read timeouts, TLS verification on);
tests swap it for any callable ``HttpRequest -> HttpResponse``.

Errors, split by what the caller should do::

    SyncError                 root: .status, .code, .reason, .method, .url
    ├── Temporary             trying the same request again later can succeed
    │   ├── Unreachable       no usable answer: connection refused/reset, timeout, 5xx,
    │   │                     a cut or unreadable response -> retry with backoff
    │   └── RetryLater        the server asked us to wait: 429/503 (.retry_after seconds,
    │                         from Retry-After; None when it did not say) -> wait that long
    └── Refused               the server answered no; the same request will fail again
        ├── AuthError         401: token missing/invalid/expired/revoked, or login failed
        │                     -> sign in again
        └── Forbidden         403: outside the user's area or role -> nothing to retry

Other 4xx are plain ``Refused`` with the server's stable ``code`` and ``reason``.
"""
from __future__ import annotations

import gzip
import ipaddress
import json
import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from typing import Any, Callable, Optional
from urllib.parse import quote, urlencode, urlsplit

import requests

from records.version import APP_VERSION

API_PREFIX = "/api/v1"
LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})
DEFAULT_TIMEOUT = (10.0, 60.0)  # (connect, read) seconds: a 2G link connects slowly


class SyncError(Exception):
    """Root of every error the transport raises."""

    def __init__(self, reason: str, *, status: Optional[int] = None, code: str = "", method: str = "",
                 url: str = ""):
        super().__init__(reason)
        self.reason = reason
        self.status = status
        self.code = code
        self.method = method
        self.url = url

    def __str__(self) -> str:
        where = f" ({self.method} {self.url})" if self.method else ""
        status = f"{self.status} " if self.status else ""
        code = f"{self.code}: " if self.code else ""
        return f"{status}{code}{self.reason}{where}"


class Temporary(SyncError):
    """Trying again later can succeed."""


class Unreachable(Temporary):
    """No usable answer from the server."""


class RetryLater(Temporary):
    """The server is there but asked us to come back later."""

    def __init__(self, reason: str, *, retry_after: Optional[float] = None, **kw: Any):
        super().__init__(reason, **kw)
        self.retry_after = retry_after


class Refused(SyncError):
    """The server answered no; sending the same request again will not help."""


class AuthError(Refused):
    """401: sign in again."""


class Forbidden(Refused):
    """403: outside the user's area or role."""


class InsecureServerURL(ValueError):
    """Plain http to a host other than this machine, without an explicit allowance."""


@dataclass(frozen=True)
class HttpRequest:
    method: str
    url: str
    headers: dict[str, str]
    body: Optional[bytes] = None
    timeout: tuple[float, float] = DEFAULT_TIMEOUT


@dataclass(frozen=True)
class HttpResponse:
    status: int
    headers: dict[str, str]  # names lower-cased
    body: bytes  # decoded content (any Content-Encoding already undone)
    wire_bytes: int = -1  # bytes as they came over the network, when the sender knows

    def header(self, name: str) -> Optional[str]:
        return self.headers.get(name.lower())


Send = Callable[[HttpRequest], HttpResponse]


@dataclass(frozen=True)
class PushBody:
    """A push request body as it goes on the wire, and how many records it carries."""

    body: bytes
    headers: dict[str, str]  # Content-Type, Content-Encoding
    count: int


def check_server_url(url: str, *, allow_insecure: bool = False) -> str:
    """The server's base URL, normalised (no trailing slash, no API prefix).

    Raises ValueError for something that is not an http(s) URL, InsecureServerURL for plain
    http to anything but this machine unless ``allow_insecure``.
    """
    text = (url or "").strip().rstrip("/")
    if text.endswith(API_PREFIX):
        text = text[: -len(API_PREFIX)]
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"not an http(s) server address: {url!r}")
    if parts.scheme == "http" and not allow_insecure and not _is_loopback(parts.hostname):
        raise InsecureServerURL(f"plain http is only allowed to this machine, not to {parts.hostname}")
    return text


def _is_loopback(host: str) -> bool:
    if host.lower() in LOOPBACK_HOSTS:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class RequestsSend:
    """The real send: one requests.Session, no automatic retries (the runner decides)."""

    def __init__(self, *, verify: bool | str = True):
        self.session = requests.Session()
        self.verify = verify  # passed on every request: requests lets REQUESTS_CA_BUNDLE override session.verify
        adapter = requests.adapters.HTTPAdapter(max_retries=0, pool_connections=2, pool_maxsize=4)
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            resp = self.session.request(request.method, request.url, headers=request.headers, data=request.body,
                                        timeout=request.timeout, allow_redirects=False, verify=self.verify)
            body = resp.content
        except requests.exceptions.SSLError as exc:
            # A certificate we cannot verify is not going to fix itself by retrying.
            raise Refused(f"TLS verification failed: {exc}", code="tls_failed", method=request.method,
                          url=request.url) from exc
        except (requests.exceptions.RequestException, OSError) as exc:
            raise Unreachable(f"{type(exc).__name__}: {exc}", method=request.method, url=request.url) from exc
        wire = resp.raw.tell() if hasattr(resp.raw, "tell") else len(body)
        return HttpResponse(resp.status_code, {k.lower(): v for k, v in resp.headers.items()}, body, wire)

    def close(self) -> None:
        self.session.close()


@dataclass
class WireCounter:
    """Bytes that went over the network, for the sync screen and the benchmark."""

    requests: int = 0
    sent: int = 0  # request bodies as sent (gzip where used)
    received: int = 0  # response bodies as received
    by_path: dict[str, int] = field(default_factory=dict)


class Transport:
    """The device's client of the sync protocol."""

    def __init__(
        self,
        server_url: str,
        *,
        token: str = "",
        allow_insecure: bool = False,
        ca_path: str = "",
        timeout: tuple[float, float] = DEFAULT_TIMEOUT,
        send: Optional[Send] = None,
        gzip_level: int = 6,
    ):
        self.base_url = check_server_url(server_url, allow_insecure=allow_insecure)
        self.token = token
        self.timeout = timeout
        self.gzip_level = gzip_level
        self._own_send = send is None
        self._send: Send = send or RequestsSend(verify=ca_path or True)
        self.wire = WireCounter()

    # ---------------------------------------------------------------- auth

    def login(self, username: str, password: str, *, device_id: str) -> dict[str, Any]:
        """Sign in: ``{"token", "expires_at", "user": {...}}``; the token is used from now on."""
        answer = self._call("POST", "/auth/login", {"username": username, "password": password,
                                                    "device_id": device_id}, auth=False)
        if not isinstance(answer, dict) or not answer.get("token"):
            raise Unreachable("login answer has no token", code="bad_response")
        self.token = answer["token"]
        return answer

    def logout(self) -> None:
        """Revoke the token on the server; a token the server no longer knows is as good as revoked."""
        try:
            if self.token:
                self._call("POST", "/auth/logout", None)
        except AuthError:
            pass
        finally:
            self.token = ""

    def health(self) -> dict[str, Any]:
        return self._call("GET", "/health", None, auth=False)

    # ---------------------------------------------------------------- sync

    def push(self, records: list[dict[str, Any]], *, device_id: str) -> list[dict[str, Any]]:
        """Send one batch; one result per record, in request order."""
        return self.send_push(self.encode_push(records, device_id=device_id))

    def encode_push(self, records: list[dict[str, Any]], *, device_id: str) -> "PushBody":
        """The request body of a push (JSON, gzip), made ahead: while another batch is on the wire."""
        body, headers = self._encode({"device_id": device_id, "records": records}, compress=True)
        return PushBody(body, headers, len(records))

    def send_push(self, push: "PushBody") -> list[dict[str, Any]]:
        """Send a body made by ``encode_push``; one result per record, in request order."""
        answer = self._exchange("POST", "/sync/push", push.body, push.headers)
        results = answer.get("results") if isinstance(answer, dict) else None
        if not isinstance(results, list) or len(results) != push.count:
            raise Unreachable("push answer does not have one result per record", code="bad_response")
        return results

    def pull(self, cursor: Optional[str], *, limit: int = 500) -> dict[str, Any]:
        """One page: ``{"changes": [...], "next_cursor", "has_more"}``."""
        query = {"limit": limit} if cursor is None else {"cursor": cursor, "limit": limit}
        answer = self._call("GET", "/sync/pull?" + urlencode(query), None)
        if not isinstance(answer, dict) or not isinstance(answer.get("changes"), list):
            raise Unreachable("pull answer has no changes", code="bad_response")
        return answer

    def reference_areas(self, *, version: Optional[str] = None) -> dict[str, Any]:
        """``{"version", "source", "changed", "areas"}``: areas empty when we already have ``version``."""
        path = "/reference/areas" + ("?" + urlencode({"version": version}) if version else "")
        return self._call("GET", path, None)

    def reference_institutions(self, *, version: Optional[str] = None) -> dict[str, Any]:
        """``{"version", "source", "changed", "institutions"}``: empty when we already have ``version``."""
        path = "/reference/institutions" + ("?" + urlencode({"version": version}) if version else "")
        return self._call("GET", path, None)

    def reference_due_days(self, *, version: Optional[str] = None) -> dict[str, Any]:
        """``{"version", "changed", "defaults", "overrides"}``: the due-date table."""
        path = "/reference/due-days" + ("?" + urlencode({"version": version}) if version else "")
        return self._call("GET", path, None)

    def change_concern_status(self, concern_id: str, status: str, *, note: str = "",
                              referred_to: Optional[str] = None, institution_id: Optional[str] = None,
                              escalation: Optional[dict[str, Any]] = None) -> dict[str, Any]:
        """District office: move a concern along its lifecycle on the server; ``{"server_rev", "data"}``."""
        body = {"status": status, "note": note, "referred_to": referred_to}
        if institution_id is not None:
            body["institution_id"] = institution_id
        if escalation is not None:
            body["escalation"] = escalation
        return self._call("POST", f"/concerns/{quote(concern_id, safe='')}/status", body)

    # ---------------------------------------------------------------- reports

    def report_file(self, area: str, period: str, fmt: str, lang: str) -> tuple[bytes, str]:
        """The activity report of ``area`` ("" = yours) for ``period`` as the server makes it
        (``fmt`` xlsx, pdf or csv; labels in ``lang``): (the file's bytes, its name)."""
        query = {"period": period, "format": fmt, "lang": lang, **({"area": area} if area else {})}
        response = self._exchange("GET", "/reports/activity?" + urlencode(query), None, {"Accept": "*/*"},
                                  raw=True)
        if not response.body:
            raise Unreachable("the report file came empty", code="bad_response")
        return response.body, _file_name(response.header("content-disposition"), f"phum-report.{fmt}")

    def submit_report(self, period: str, note: str = "") -> dict[str, Any]:
        """Submit the period's report of the signed-in supervisor's own area, with a note (frozen on the
        server; submitting again is a correction). The area is always the account's: the server takes no other."""
        return self._call("POST", "/reports/submissions", {"period": period, "note": note})

    def report_submissions(self, period: str, *, area: str = "", lang: str = "en") -> dict[str, Any]:
        """Which sub-areas of ``area`` ("" = yours; admin: national) submitted ``period``, on time or
        late, the reporting rate and the totals compiled from their submissions."""
        query = {"period": period, "lang": lang, **({"area": area} if area else {})}
        answer = self._call("GET", "/reports/submissions?" + urlencode(query), None)
        if not isinstance(answer, dict) or not isinstance(answer.get("sub_areas"), list):
            raise Unreachable("submissions answer has no sub_areas", code="bad_response")
        return answer

    def close(self) -> None:
        if self._own_send and isinstance(self._send, RequestsSend):
            self._send.close()

    # ---------------------------------------------------------------- plumbing

    def _call(self, method: str, path: str, payload: Any, *, auth: bool = True, compress: bool = False) -> Any:
        body, headers = self._encode(payload, compress=compress) if payload is not None else (None, {})
        return self._exchange(method, path, body, headers, auth=auth)

    def _encode(self, payload: Any, *, compress: bool) -> tuple[bytes, dict[str, str]]:
        body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        headers = {"Content-Type": "application/json"}
        if compress:
            body = gzip.compress(body, compresslevel=self.gzip_level, mtime=0)
            headers["Content-Encoding"] = "gzip"
        return body, headers

    def _exchange(self, method: str, path: str, body: Optional[bytes], content_headers: dict[str, str], *,
                  auth: bool = True, raw: bool = False) -> Any:
        url = self.base_url + API_PREFIX + path
        headers = {"Accept": "application/json", "Accept-Encoding": "gzip", "User-Agent": f"phum/{APP_VERSION}"}
        if auth and self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        headers.update(content_headers)
        request = HttpRequest(method, url, headers, body, self.timeout)
        try:
            response = self._send(request)
        except SyncError:
            raise
        except OSError as exc:
            raise Unreachable(f"{type(exc).__name__}: {exc}", method=method, url=url) from exc
        self._count(path, body, response)
        return self._read(request, response, raw=raw)

    def _count(self, path: str, body: Optional[bytes], response: HttpResponse) -> None:
        sent = len(body or b"")
        received = response.wire_bytes if response.wire_bytes >= 0 else len(response.body)
        self.wire.requests += 1
        self.wire.sent += sent
        self.wire.received += received
        key = path.split("?", 1)[0]
        self.wire.by_path[key] = self.wire.by_path.get(key, 0) + sent + received

    def _read(self, request: HttpRequest, response: HttpResponse, *, raw: bool = False) -> Any:
        """The JSON answer (``raw``: the response itself, for a file), or the error it stands for."""
        status = response.status
        where = {"method": request.method, "url": request.url, "status": status}
        if 200 <= status < 300:
            if raw:
                return response
            if status == 204 or not response.body:
                return None
            try:
                return json.loads(response.body)
            except ValueError as exc:
                raise Unreachable("the answer is not JSON (cut or garbled)", code="bad_response", **where) from exc
        code, reason = _error_detail(response.body)
        if status in (429, 503) and (status == 429 or response.header("retry-after") is not None):
            retry_after = parse_retry_after(response.header("retry-after"))
            raise RetryLater(reason or "server busy", retry_after=retry_after, code=code or "busy", **where)
        if status >= 500 or status in (408, 502, 504):
            raise Unreachable(reason or f"server error {status}", code=code or "server_error", **where)
        if status == 401:
            raise AuthError(reason or "sign in again", code=code or "token_invalid", **where)
        if status == 403:
            raise Forbidden(reason or "not allowed", code=code or "forbidden", **where)
        raise Refused(reason or f"refused ({status})", code=code or f"http_{status}", **where)


def _file_name(disposition: Optional[str], default: str) -> str:
    """The file name from ``Content-Disposition: attachment; filename="x.pdf"``, without any folder."""
    match = re.search(r'filename="?([^";]+)"?', disposition or "")
    name = (match.group(1) if match else "").replace("\\", "/").rsplit("/", 1)[-1].strip()
    return name if name and name not in (".", "..") else default


def _error_detail(body: bytes) -> tuple[str, str]:
    """(code, reason) from ``{"detail": {"code", "reason"}}`` or FastAPI's 422 list."""
    try:
        data = json.loads(body) if body else None
    except ValueError:
        return "", body[:200].decode("utf-8", "replace")
    detail = data.get("detail") if isinstance(data, dict) else None
    if isinstance(detail, dict):
        return str(detail.get("code") or ""), str(detail.get("reason") or detail.get("message") or "")
    if isinstance(detail, list) and detail:
        first = detail[0] if isinstance(detail[0], dict) else {}
        loc = ".".join(str(p) for p in first.get("loc", []) if p != "body")
        return "invalid_request", f"{loc}: {first.get('msg', '')}".strip(": ")
    if isinstance(detail, str):
        return "", detail
    if isinstance(data, dict) and "code" in data:
        return str(data.get("code") or ""), str(data.get("reason") or "")
    return "", ""


def parse_retry_after(value: Optional[str], *, now: Optional[datetime] = None) -> Optional[float]:
    """Retry-After as seconds to wait: delta-seconds or an HTTP date; None when absent or unreadable."""
    if value is None:
        return None
    text = value.strip()
    try:
        return max(0.0, float(text))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max(0.0, (when - (now or datetime.now(timezone.utc))).total_seconds())
