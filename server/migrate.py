"""Schema migrations (Alembic), run programmatically: on every start and by `python -m server migrate`."""
from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from server.db import Database

MIGRATIONS = Path(__file__).with_name("migrations")


def alembic_config(db: Database) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", db.url.replace("%", "%%"))
    return config


def head_revision() -> str:
    return ScriptDirectory(str(MIGRATIONS)).get_current_head() or ""


def current_revision(db: Database) -> str:
    with db.engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision() or ""


def upgrade(db: Database) -> tuple[str, str]:
    """Bring the schema to the newest revision; returns (before, after)."""
    before = current_revision(db)
    config = alembic_config(db)
    with db.engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, "head")
    return before, current_revision(db)
