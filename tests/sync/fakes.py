"""FakeServer: an in-process stand-in for the central server at the transport seam.

It is a ``send`` callable (HttpRequest -> HttpResponse) that follows docs/sync-protocol.md
closely enough for the runner's unit tests, plus knobs to script trouble: ``faults`` (a
queue of exceptions or canned responses served before the real handling), ``force``
(answers for given record ids) and ``before_push_answer`` (runs after the server stored
a batch and before it answers, e.g. to edit a record on the device meanwhile).
The functional tests use the real server.
"""
from __future__ import annotations

import gzip
import json
from typing import Any, Callable, Optional
from urllib.parse import parse_qs, urlsplit

from pydantic import ValidationError

from records.models import RECORD_TYPES, field_errors
from sync.transport import HttpRequest, HttpResponse

ORDER = {"household": 0, "visit": 1, "concern": 2}


def json_response(status: int, body: Any, headers: Optional[dict[str, str]] = None) -> HttpResponse:
    return HttpResponse(status, {"content-type": "application/json", **(headers or {})},
                        json.dumps(body).encode() if body is not None else b"")


class FakeServer:
    def __init__(self, *, area_code: str = "12") -> None:
        self.area_code = area_code  # the signed-in user's area, as the login answer names it
        self.records: dict[str, dict[str, Any]] = {}  # id -> {type, server_rev, rev, data, seq}
        self.seq = 0
        self.requests: list[HttpRequest] = []
        self.pushed_batches: list[list[dict[str, Any]]] = []
        self.faults: list[Any] = []
        self.force: dict[str, dict[str, Any]] = {}
        self.before_push_answer: Optional[Callable[[list[dict[str, Any]]], None]] = None
        self.areas_version = "v1"
        self.areas: list[dict[str, Any]] = []
        self.valid_tokens = {"token-1"}
        self.max_batch = 500

    # ------------------------------------------------------------ server-side actions

    def district_change(self, record_id: str, **changes: Any) -> None:
        """A change made at the district office: new server_rev, new seq."""
        row = self.records[record_id]
        row["data"] = {**row["data"], **changes, "rev": row["data"]["rev"] + 1}
        row["rev"] = row["data"]["rev"]
        row["server_rev"] += 1
        self._bump(row)

    def _bump(self, row: dict[str, Any]) -> None:
        self.seq += 1
        row["seq"] = self.seq

    # ------------------------------------------------------------ HTTP

    def __call__(self, request: HttpRequest) -> HttpResponse:
        self.requests.append(request)
        if self.faults:
            fault = self.faults.pop(0)
            if isinstance(fault, BaseException):
                raise fault
            if isinstance(fault, HttpResponse):
                return fault
        parts = urlsplit(request.url)
        path = parts.path.removeprefix("/api/v1")
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        if path == "/health":
            return json_response(200, {"status": "ok", "version": "fake"})
        if path == "/auth/login":
            body = self._body(request)
            if body.get("password") != "secret":
                return json_response(401, {"detail": {"code": "login_failed", "reason": "wrong"}})
            return json_response(200, {"token": "token-1", "expires_at": "2099-01-01T00:00:00Z",
                                       "user": {"username": body["username"], "full_name": "", "role": "official",
                                                "area_code": self.area_code}})
        auth = request.headers.get("Authorization", "")
        if auth.removeprefix("Bearer ") not in self.valid_tokens:
            return json_response(401, {"detail": {"code": "token_invalid", "reason": "sign in"}})
        if path == "/auth/logout":
            self.valid_tokens.discard(auth.removeprefix("Bearer "))
            return HttpResponse(204, {}, b"")
        if path == "/sync/push":
            return self._push(self._body(request)["records"])
        if path == "/sync/pull":
            return self._pull(query.get("cursor"), int(query.get("limit", 500)))
        if path == "/reference/areas":
            if query.get("version") == self.areas_version:
                return json_response(200, {"version": self.areas_version, "source": "fake", "changed": False,
                                           "areas": []})
            return json_response(200, {"version": self.areas_version, "source": "fake", "changed": True,
                                       "areas": self.areas})
        if path == "/reference/institutions":  # the seed, as a server no administrator changed
            return json_response(200, {"version": query.get("version", ""), "source": "fake", "changed": False,
                                       "institutions": []})
        if path == "/reference/due-days":
            return json_response(200, {"version": "due-defaults", "changed": False, "defaults": {}, "overrides": []})
        return json_response(404, {"detail": {"code": "not_found", "reason": path}})

    @staticmethod
    def _body(request: HttpRequest) -> dict[str, Any]:
        raw = request.body or b""
        if request.headers.get("Content-Encoding") == "gzip":
            raw = gzip.decompress(raw)
        return json.loads(raw)

    def _push(self, entries: list[dict[str, Any]]) -> HttpResponse:
        if len(entries) > self.max_batch:
            return json_response(413, {"detail": {"code": "batch_too_large", "reason": "too many"}})
        self.pushed_batches.append(entries)
        answers: dict[int, dict[str, Any]] = {}
        for i in sorted(range(len(entries)), key=lambda i: ORDER.get(entries[i]["type"], 9)):
            answers[i] = self._push_one(entries[i])
        if self.before_push_answer:
            self.before_push_answer(entries)
        return json_response(200, {"results": [answers[i] for i in range(len(entries))]})

    def _push_one(self, e: dict[str, Any]) -> dict[str, Any]:
        base = {"id": e["id"], "type": e["type"], "server_rev": None, "code": None, "reason": None, "field": None,
                "current": None}
        if e["id"] in self.force:
            return {**base, **self.force[e["id"]]}
        try:
            RECORD_TYPES[e["type"]].model_validate(e["data"])
        except ValidationError as exc:
            field, code = next(iter(field_errors(exc).items()))
            return {**base, "status": "rejected", "code": code, "reason": "invalid", "field": field}
        parent = e["data"].get("household_id")
        if e["type"] != "household" and parent not in self.records:
            return {**base, "status": "rejected", "code": "household_missing", "reason": "no household",
                    "field": "household_id"}
        row = self.records.get(e["id"])
        if row is not None and row["rev"] == e["rev"] and row["data"] == e["data"]:
            return {**base, "status": "duplicate", "server_rev": row["server_rev"]}
        if (row is None and e["base_rev"] is None) or (row is not None and row["server_rev"] == e["base_rev"]):
            new = {"type": e["type"], "server_rev": (row["server_rev"] + 1) if row else 1, "rev": e["rev"],
                   "data": e["data"]}
            self._bump(new)
            self.records[e["id"]] = new
            return {**base, "status": "accepted", "server_rev": new["server_rev"]}
        return {**base, "status": "conflict", "server_rev": row["server_rev"] if row else None,
                "current": {"server_rev": row["server_rev"], "data": row["data"]} if row else None}

    def _pull(self, cursor: Optional[str], limit: int) -> HttpResponse:
        if cursor is not None and not cursor.isdigit():
            return json_response(400, {"detail": {"code": "bad_cursor", "reason": "unreadable"}})
        after = int(cursor or 0)
        rows = sorted(((rid, r) for rid, r in self.records.items() if r["seq"] > after), key=lambda x: x[1]["seq"])
        page = rows[:limit]
        changes = [{"type": r["type"], "id": rid, "server_rev": r["server_rev"], "data": r["data"]} for rid, r in page]
        next_cursor = str(page[-1][1]["seq"]) if page else str(after)
        return json_response(200, {"changes": changes, "next_cursor": next_cursor, "has_more": len(rows) > limit})
