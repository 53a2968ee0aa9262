"""User accounts: created and disabled by the administrator (admin CLI), never over the API."""
from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import select, update

from records.areas import USER_AREA_LENGTHS
from records.roles import ROLES
from server.auth import normalize_username
from server.db import Database
from server.security import hash_password
from server.tables import Area, Token, User

USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")
MIN_PASSWORD = 8


class UserError(ValueError):
    pass


@dataclass(frozen=True)
class UserInfo:
    username: str
    full_name: str
    role: str
    area_code: str
    disabled: bool


def _check_area(db: Database, role: str, area_code: str) -> None:
    if area_code == "":
        if role != "admin":
            raise UserError("only an admin may have the whole country (empty area)")
        return
    if len(area_code) not in USER_AREA_LENGTHS or not area_code.isdigit():
        raise UserError("area code is a province (2 digits), district (4) or commune (6) code")
    with db.session() as s:
        if s.execute(select(Area.code).limit(1)).first() is None:
            return  # no gazetteer yet: the code cannot be checked
        if s.get(Area, area_code) is None:
            raise UserError(f"area {area_code} is not in the loaded gazetteer")


def create_user(db: Database, username: str, password: str, role: str, area_code: str,
                full_name: str = "") -> UserInfo:
    name = normalize_username(username)
    if not USERNAME.match(name):
        raise UserError("username: 2-64 characters a-z, 0-9, '.', '_' or '-'")
    if role not in ROLES:
        raise UserError(f"role must be one of {', '.join(ROLES)}")
    if len(password) < MIN_PASSWORD:
        raise UserError(f"password: at least {MIN_PASSWORD} characters")
    area_code = area_code.strip()
    _check_area(db, role, area_code)
    hashed = hash_password(password)
    with db.session() as s:
        if s.execute(select(User.id).where(User.username == name)).first() is not None:
            raise UserError(f"user {name} exists")
        s.add(User(username=name, full_name=full_name.strip()[:120] or name, role=role, area_code=area_code,
                   password_hash=hashed, disabled=False))
    return UserInfo(name, full_name.strip() or name, role, area_code, False)


def disable_user(db: Database, username: str) -> int:
    """Disable the account and revoke its tokens; returns how many tokens were revoked."""
    from records.models import utcnow

    name = normalize_username(username)
    with db.session() as s:
        user = s.execute(select(User).where(User.username == name)).scalar_one_or_none()
        if user is None:
            raise UserError(f"no user {name}")
        user.disabled = True
        result = s.execute(update(Token).where(Token.user_id == user.id, Token.revoked_at.is_(None))
                           .values(revoked_at=utcnow()))
        return result.rowcount or 0


def list_users(db: Database) -> list[UserInfo]:
    with db.session() as s:
        return [UserInfo(u.username, u.full_name, u.role, u.area_code, u.disabled)
                for u in s.execute(select(User).order_by(User.username)).scalars()]
