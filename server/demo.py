"""Demo accounts and the built-in gazetteer, for `make run` and the tests (`serve --seed-demo`)."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from server import gazetteer
from server.db import Database
from server.tables import User
from server.users import create_user


@dataclass(frozen=True)
class DemoUser:
    username: str
    password: str
    role: str
    area_code: str
    full_name: str


# A district of Banteay Meanchey and one of its communes: the same codes in the MEF and NCDD lists.
DEMO_SUPERVISOR = DemoUser("demo-supervisor", "phum-supervisor", "supervisor", "0102", "Demo Supervisor")
DEMO_OFFICIAL = DemoUser("demo-official", "phum-official", "official", "010201", "Demo Official")
DEMO_USERS = (DEMO_SUPERVISOR, DEMO_OFFICIAL)


def seed(db: Database) -> list[str]:
    """Load the built-in gazetteer when none is loaded and create the demo users that are missing."""
    done = []
    if gazetteer.current(db) is None:
        info = gazetteer.load(db, gazetteer.builtin())
        done.append(f"gazetteer {info['source']}: {info['counts']}")
    for user in DEMO_USERS:
        with db.session() as s:
            exists = s.execute(select(User.id).where(User.username == user.username)).first() is not None
        if not exists:
            create_user(db, user.username, user.password, user.role, user.area_code, user.full_name)
            done.append(f"user {user.username}")
    return done
