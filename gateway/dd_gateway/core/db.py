"""The gateway's database: SQLite file by default, PostgreSQL by URL; schema by Alembic.

Tables are SQLAlchemy Core (the document itself is one JSON column: the Analysis model
is the schema, and the few columns beside it exist to filter, order, list and claim).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic import command
from alembic.config import Config

log = logging.getLogger(__name__)
metadata = sa.MetaData()

analyses = sa.Table(
    "analyses",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("status", sa.String(16), nullable=False, index=True),
    sa.Column("kind", sa.String(8), nullable=False, index=True),
    sa.Column("verdict", sa.String(16), nullable=True, index=True),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, index=True),
    sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("sha256", sa.String(64), nullable=False, index=True),
    # sha256 + the versions of every model that judged it: equal keys, equal answers.
    sa.Column("cache_key", sa.String(64), nullable=True, index=True),
    sa.Column("media_path", sa.Text, nullable=False),
    sa.Column("filename", sa.Text, nullable=False),
    sa.Column("request_id", sa.String(64), nullable=False),
    sa.Column("failure_status", sa.Integer, nullable=False, default=500),
    # The replica running it (null while queued).
    sa.Column("owner", sa.String(64), nullable=True),
    sa.Column("callback_url", sa.Text, nullable=True),
    sa.Column("document", sa.Text, nullable=False),
    # Summary columns (revision 0002): a history page is read without parsing documents.
    sa.Column("mime", sa.String(100), nullable=True),
    sa.Column("size_bytes", sa.BigInteger, nullable=True),
    sa.Column("fake_probability", sa.Float, nullable=True),
    sa.Column("thumbnail_url", sa.Text, nullable=True),
    # The API key that created it (null: created without keys); other keys never see it.
    sa.Column("key_id", sa.String(16), nullable=True, index=True),
)

api_keys = sa.Table(
    "api_keys",
    metadata,
    sa.Column("id", sa.String(16), primary_key=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("key_hash", sa.String(64), nullable=False, unique=True),
    sa.Column("prefix", sa.String(16), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("admin", sa.Boolean, nullable=False, default=False),
)

# Any constant shared by every replica: pg_advisory_lock serialises the migrations of
# replicas that start at the same moment (the second waits, then finds nothing to do).
MIGRATION_LOCK_KEY = 0x64640001


def _sqlite_pragmas(dbapi_connection: Any, _: Any) -> None:
    cursor = dbapi_connection.cursor()
    # WAL lets readers run beside the one writer; busy_timeout waits instead of failing.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()


def make_engine(url: str) -> sa.Engine:
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = sa.create_engine(url, connect_args={"check_same_thread": False})
        sa.event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return sa.create_engine(url, pool_pre_ping=True)


def _upgrade(connection: sa.Connection) -> None:
    config = Config()
    config.set_main_option("script_location", str(Path(__file__).parent / "migrations"))
    config.attributes["connection"] = connection
    command.upgrade(config, "head")


def migrate(engine: sa.Engine) -> None:
    """Bring the schema to the newest revision (idempotent; safe on every start, and on
    PostgreSQL safe for N replicas starting at once: the upgrade runs under a
    session-level advisory lock, so exactly one replica migrates at a time)."""
    if engine.dialect.name != "postgresql":
        # SQLite serialises writers itself (and is one host only).
        with engine.begin() as connection:
            _upgrade(connection)
        return
    with engine.connect() as connection:
        connection.execute(sa.text("SELECT pg_advisory_lock(:key)"), {"key": MIGRATION_LOCK_KEY})
        connection.commit()
        try:
            with connection.begin():
                _upgrade(connection)
        finally:
            connection.execute(
                sa.text("SELECT pg_advisory_unlock(:key)"), {"key": MIGRATION_LOCK_KEY}
            )
            connection.commit()
