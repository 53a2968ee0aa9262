"""API errors in the protocol's shape: {"detail": {"code": "<stable_code>", "reason": "<English>"}}."""
from __future__ import annotations

from typing import Optional

from fastapi import HTTPException


class ApiError(HTTPException):
    def __init__(self, status: int, code: str, reason: str, headers: Optional[dict[str, str]] = None):
        super().__init__(status_code=status, detail={"code": code, "reason": reason}, headers=headers)
        self.code = code


def error_responses(*statuses: int) -> dict[int | str, dict]:
    """OpenAPI `responses` entries for the error statuses an endpoint can answer."""
    from server.schemas import ErrorBody

    text = {400: "Malformed body or cursor, or another device's id", 401: "No, bad, expired or revoked token",
            403: "Not allowed for your role", 404: "No such record in your area", 409: "Not allowed by the lifecycle",
            413: "Body or batch too large",
            415: "Unsupported Content-Encoding", 429: "Too many failed logins (see Retry-After)",
            503: "Overloaded (see Retry-After)"}
    return {s: {"model": ErrorBody, "description": text[s]} for s in statuses}
