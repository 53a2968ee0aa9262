"""Sign-in, tokens and their end: login, throttling, expiry, logout, disabled accounts."""
from __future__ import annotations

from datetime import timedelta

import requests
from sqlalchemy import select, update

from records.models import utcnow
from server.db import Database
from server.security import token_hash
from server.tables import Token, User
from server.users import disable_user
from tests.server.client import Api


def _login(server, username, password, device_id="d"):
    return requests.post(f"{server.api_url}/auth/login", timeout=30,
                         json={"username": username, "password": password, "device_id": device_id})


def _in_db(server, fn):
    db = Database(server.db_url)
    try:
        return fn(db)
    finally:
        db.dispose()


def test_login_returns_a_token_its_expiry_and_the_user(server):
    answer = _login(server, server.official.username, server.official.password)
    assert answer.status_code == 200
    body = answer.json()
    assert len(body["token"]) >= 40
    assert body["user"] == {"username": "demo-official", "full_name": "Demo Official", "role": "official",
                            "area_code": "010201"}
    assert body["expires_at"] > utcnow().isoformat()[:10]


def test_the_token_is_stored_only_as_its_hash_and_the_password_with_a_slow_kdf(server):
    token = server.login(server.official)

    def look(db):
        with db.session() as s:
            stored = s.execute(select(Token.token_hash)).scalars().all()
            password = s.execute(select(User.password_hash).where(User.username == "demo-official")).scalar_one()
        return stored, password

    stored, password = _in_db(server, look)
    assert token_hash(token) in stored and token not in stored
    assert password.startswith("scrypt$") and "phum-official" not in password


def test_a_wrong_password_is_401_login_failed_and_so_is_an_unknown_user(server):
    for username, password in ((server.official.username, "wrong-password"), ("nobody-here", "whatever1")):
        answer = _login(server, username, password)
        assert answer.status_code == 401
        assert answer.json()["detail"]["code"] == "login_failed"


def test_five_failed_logins_lock_the_account_with_429_and_retry_after(server, unique):
    creds = server.create_user(unique("locked"), "right-password", "official", "010201")
    for _ in range(5):
        assert _login(server, creds.username, "wrong-password").status_code == 401
    locked = _login(server, creds.username, "right-password")
    assert locked.status_code == 429
    assert locked.json()["detail"]["code"] == "login_locked"
    assert 0 < int(locked.headers["Retry-After"]) <= 15 * 60


def test_a_successful_login_clears_earlier_failures(server, unique):
    creds = server.create_user(unique("forgetful"), "right-password", "official", "010201")
    for _ in range(4):
        _login(server, creds.username, "wrong-password")
    assert _login(server, creds.username, "right-password").status_code == 200
    for _ in range(4):
        _login(server, creds.username, "wrong-password")
    assert _login(server, creds.username, "right-password").status_code == 200


def test_calls_without_a_token_or_with_a_bad_one_are_401_with_the_reason(server):
    url = f"{server.api_url}/sync/pull"
    missing = requests.get(url, timeout=30)
    assert (missing.status_code, missing.json()["detail"]["code"]) == (401, "token_missing")
    assert missing.headers["WWW-Authenticate"] == "Bearer"
    bad = requests.get(url, headers={"Authorization": "Bearer not-a-token"}, timeout=30)
    assert (bad.status_code, bad.json()["detail"]["code"]) == (401, "token_invalid")
    basic = requests.get(url, headers={"Authorization": "Basic dXNlcjpwYXNz"}, timeout=30)
    assert (basic.status_code, basic.json()["detail"]["code"]) == (401, "token_missing")


def test_health_needs_no_token(server):
    answer = requests.get(f"{server.api_url}/health", timeout=30)
    assert answer.status_code == 200 and answer.json()["status"] == "ok"


def test_an_expired_token_is_401_token_expired(server):
    api = Api(server, server.official)

    def expire(db):
        with db.session() as s:
            s.execute(update(Token).where(Token.token_hash == token_hash(api.token))
                      .values(expires_at=utcnow() - timedelta(seconds=1)))

    _in_db(server, expire)
    answer = api.get("/sync/pull")
    assert (answer.status_code, answer.json()["detail"]["code"]) == (401, "token_expired")


def test_logout_revokes_the_token_and_only_that_token(server):
    first, second = Api(server, server.official, "phone-a"), Api(server, server.official, "phone-b")
    assert first.post("/auth/logout").status_code == 204
    answer = first.get("/sync/pull")
    assert (answer.status_code, answer.json()["detail"]["code"]) == (401, "token_invalid")
    assert second.get("/sync/pull").status_code == 200


def test_a_disabled_account_loses_its_tokens_and_cannot_sign_in(server, unique):
    creds = server.create_user(unique("leaver"), "password-123", "official", "010201")
    api = Api(server, creds)
    assert api.get("/sync/pull").status_code == 200
    revoked = _in_db(server, lambda db: disable_user(db, creds.username))
    assert revoked == 1
    assert api.get("/sync/pull").status_code == 401
    assert _login(server, creds.username, creds.password).status_code == 401


def test_login_with_missing_or_unknown_fields_is_422(server):
    assert requests.post(f"{server.api_url}/auth/login", json={"username": "x"}, timeout=30).status_code == 422
    extra = {"username": "x", "password": "y", "device_id": "d", "admin": True}
    assert requests.post(f"{server.api_url}/auth/login", json=extra, timeout=30).status_code == 422
