"""Who is calling: login with throttling, bearer tokens (stored hashed), logout, the area rule."""
from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Optional

from sqlalchemy import delete, func, select, update

from records.areas import covers
from records.models import utcnow
from server.config import Settings
from server.db import Database
from server.errors import ApiError
from server.security import DUMMY_HASH, new_token, token_hash, verify_password
from server.tables import LoginAttempt, Token, User



@dataclass(frozen=True)
class Actor:
    """The authenticated caller."""

    user_id: int
    username: str
    full_name: str
    role: str
    area_code: str  # province (2), district (4) or commune (6) digits; "" = whole country
    device_id: str
    token_hash: str

    def covers(self, village_code: str) -> bool:
        return covers(self.area_code, village_code)


def normalize_username(username: str) -> str:
    return username.strip().lower()


def _locked_for(session, settings: Settings, username: str, now: datetime) -> Optional[int]:
    """Seconds until the next login may be tried, or None when not locked."""
    since = now - timedelta(seconds=settings.login_window_s)
    last_ok = session.execute(select(func.max(LoginAttempt.at)).where(
        LoginAttempt.username == username, LoginAttempt.success.is_(True))).scalar()
    if last_ok is not None and last_ok > since:
        since = last_ok
    failures = session.execute(
        select(LoginAttempt.at).where(LoginAttempt.username == username, LoginAttempt.success.is_(False),
                                      LoginAttempt.at > since).order_by(LoginAttempt.at.desc())
        .limit(settings.login_max_failures)).scalars().all()
    if len(failures) < settings.login_max_failures:
        return None
    unlock = failures[-1] + timedelta(seconds=settings.login_window_s)
    return max(1, math.ceil((unlock - now).total_seconds()))


def login(db: Database, settings: Settings, username: str, password: str, device_id: str,
          remote_addr: str = "") -> tuple[str, datetime, User]:
    name = normalize_username(username)
    with db.session() as s:
        wait = _locked_for(s, settings, name, utcnow())
        if wait is not None:
            raise ApiError(429, "login_locked", f"Too many failed sign-ins; try again in {wait} s.",
                           headers={"Retry-After": str(wait)})
        user = s.execute(select(User).where(User.username == name)).scalar_one_or_none()
        stored = user.password_hash if user is not None else DUMMY_HASH
    ok = verify_password(password, stored) and user is not None and not user.disabled  # slow: outside the transaction
    now = utcnow()
    with db.session() as s:
        s.add(LoginAttempt(username=name, at=now, success=ok, remote_addr=remote_addr[:64]))
        if not ok:
            failed = True
        else:
            failed = False
            token = new_token()
            expires = now + timedelta(seconds=settings.token_ttl_s)
            s.add(Token(token_hash=token_hash(token), user_id=user.id, device_id=device_id, created_at=now,
                        expires_at=expires))
            # Housekeeping on the (rare) successful sign-in keeps both tables small.
            s.execute(delete(LoginAttempt).where(LoginAttempt.at < now - timedelta(days=1)))
            s.execute(delete(Token).where(Token.expires_at < now - timedelta(days=30)))
    if failed:
        raise ApiError(401, "login_failed", "Wrong username or password, or the account is disabled.")
    return token, expires, user


def authenticate(db: Database, token: Optional[str]) -> Actor:
    if not token:
        raise ApiError(401, "token_missing", "Sign in first: send Authorization: Bearer <token>.",
                       headers={"WWW-Authenticate": "Bearer"})
    digest = token_hash(token)
    with db.session() as s:
        row = s.execute(select(Token, User).join(User, User.id == Token.user_id)
                        .where(Token.token_hash == digest)).first()
    if row is None:
        raise ApiError(401, "token_invalid", "Unknown token; sign in again.", headers={"WWW-Authenticate": "Bearer"})
    tok, user = row
    if tok.revoked_at is not None or user.disabled:
        raise ApiError(401, "token_invalid", "This token was revoked or the account disabled; sign in again.",
                       headers={"WWW-Authenticate": "Bearer"})
    if tok.expires_at <= utcnow():
        raise ApiError(401, "token_expired", "The sign-in has expired; sign in again.",
                       headers={"WWW-Authenticate": "Bearer"})
    return Actor(user_id=user.id, username=user.username, full_name=user.full_name or user.username,
                 role=user.role, area_code=user.area_code, device_id=tok.device_id, token_hash=digest)


def logout(db: Database, actor: Actor) -> None:
    with db.session() as s:
        s.execute(update(Token).where(Token.token_hash == actor.token_hash, Token.revoked_at.is_(None))
                  .values(revoked_at=utcnow()))
