"""A throw-away PostgreSQL cluster for tests: initdb in a temporary folder, on a free
port, stopped and deleted afterwards. initdb refuses to run as root, so as root the
cluster runs as the `postgres` OS user."""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

DEBIAN_BIN = Path("/usr/lib/postgresql/15/bin")


def binaries() -> Path | None:
    """The folder holding initdb and pg_ctl, or None when PostgreSQL is not installed."""
    found = shutil.which("initdb")
    if found:
        return Path(found).parent
    candidates = sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)
    for folder in [DEBIAN_BIN, *candidates]:
        if (folder / "initdb").exists() and (folder / "pg_ctl").exists():
            return folder
    return None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _run(argv: list[str], as_postgres: bool) -> None:
    prefix = ["runuser", "-u", "postgres", "--"] if as_postgres else []
    subprocess.run([*prefix, *argv], check=True, capture_output=True, timeout=120)


@contextmanager
def throwaway_cluster(database: str = "dd") -> Iterator[str]:
    """Yields a SQLAlchemy URL of an empty database in a fresh cluster."""
    folder = binaries()
    assert folder is not None
    as_postgres = os.geteuid() == 0
    root = Path(tempfile.mkdtemp(prefix="dd-pg-"))
    if as_postgres:
        user = pwd.getpwnam("postgres")
        os.chown(root, user.pw_uid, user.pw_gid)
    data, port = root / "data", _free_port()
    try:
        _run(
            [
                str(folder / "initdb"),
                "-D",
                str(data),
                "-U",
                "postgres",
                "--auth=trust",
                "-E",
                "UTF8",
            ],
            as_postgres,
        )
        options = f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off"
        _run(
            [
                str(folder / "pg_ctl"),
                "-D",
                str(data),
                "-o",
                options,
                "-l",
                str(root / "log"),
                "-w",
                "start",
            ],
            as_postgres,
        )
        try:
            import psycopg

            with psycopg.connect(
                f"host=127.0.0.1 port={port} user=postgres dbname=postgres", autocommit=True
            ) as admin:
                admin.execute(f"CREATE DATABASE {database}")
            yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/{database}"
        finally:
            _run([str(folder / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"], as_postgres)
    finally:
        shutil.rmtree(root, ignore_errors=True)
