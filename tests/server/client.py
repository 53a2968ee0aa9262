"""A small HTTP client for the server tests: real requests to the live server, nothing faked."""
from __future__ import annotations

import gzip
import json
from typing import Any, Iterable, Optional

import requests

from records.models import Record
from server.schemas import PushResponse
from tests.support.live_server import Credentials, LiveServer


def envelope(record: Record, base_rev: Optional[int] = None) -> dict[str, Any]:
    return {"type": record.kind, "id": record.id, "rev": record.rev, "base_rev": base_rev, "data": record.wire()}


class Api:
    """One signed-in user on one device."""

    def __init__(self, server: LiveServer, who: Credentials, device_id: str = "device-1"):
        self.server, self.who, self.device_id = server, who, device_id
        self.session = requests.Session()
        self.token = server.login(who, device_id)
        self.session.headers["Authorization"] = f"Bearer {self.token}"

    def url(self, path: str) -> str:
        return f"{self.server.api_url}{path}"

    def get(self, path: str, **kw) -> requests.Response:
        return self.session.get(self.url(path), timeout=60, **kw)

    def post(self, path: str, **kw) -> requests.Response:
        return self.session.post(self.url(path), timeout=60, **kw)

    def push_raw(self, body: bytes, *, gzipped: bool = False, headers: Optional[dict] = None) -> requests.Response:
        h = {"Content-Type": "application/json", **(headers or {})}
        if gzipped:
            h["Content-Encoding"] = "gzip"
        return self.post("/sync/push", data=body, headers=h)

    def push(self, items: Iterable[Any], *, gzipped: bool = True, device_id: Optional[str] = None) -> list[dict]:
        """Push records (or ready envelopes); returns the per-record results."""
        records = [envelope(i) if isinstance(i, Record) else i for i in items]
        body = json.dumps({"device_id": device_id or self.device_id, "records": records}).encode()
        answer = self.push_raw(gzip.compress(body) if gzipped else body, gzipped=gzipped)
        assert answer.status_code == 200, answer.text
        PushResponse.model_validate(answer.json())  # the documented shape, field by field
        results = answer.json()["results"]
        assert [r["id"] for r in results] == [r["id"] for r in records]
        return results

    def pull_all(self, cursor: Optional[str] = None, limit: int = 500) -> tuple[list[dict], str, int]:
        """Every page until has_more is false: (changes, last cursor, pages)."""
        changes, pages = [], 0
        while True:
            params = {"limit": limit, **({"cursor": cursor} if cursor else {})}
            answer = self.get("/sync/pull", params=params)
            assert answer.status_code == 200, answer.text
            page = answer.json()
            changes += page["changes"]
            cursor, pages = page["next_cursor"], pages + 1
            if not page["has_more"]:
                return changes, cursor, pages

    def change_status(self, concern_id: str, status: str, note: str = "", referred_to: Optional[str] = None):
        return self.post(f"/concerns/{concern_id}/status",
                         json={"status": status, "note": note, "referred_to": referred_to})


def statuses(results: list[dict]) -> list[str]:
    return [r["status"] for r in results]
