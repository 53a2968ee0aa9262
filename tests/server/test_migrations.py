"""The Alembic migrations make exactly the schema the code's tables describe, and run again safely."""
from __future__ import annotations

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from server.db import Database
from server.migrate import alembic_config, current_revision, head_revision, upgrade
from server.tables import Base


def test_migrations_build_the_schema_of_the_tables_and_can_be_rerun_and_undone(new_db_url):
    db = Database(new_db_url())
    try:
        assert upgrade(db) == ("", head_revision())
        assert upgrade(db) == (head_revision(), head_revision())  # every start runs it: a no-op
        with db.engine.connect() as conn:
            differences = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}),
                                           Base.metadata)
        assert differences == []
        config = alembic_config(db)
        with db.engine.begin() as conn:
            config.attributes["connection"] = conn
            command.downgrade(config, "base")
        assert current_revision(db) == ""
        upgrade(db)
        with db.serial() as tx:  # the seq counter row is there again
            assert tx.next_seq() == 1
    finally:
        db.dispose()
