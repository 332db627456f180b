"""A real Postgres server from the system binaries (initdb, pg_ctl) in a temporary folder.

Used by the storage tests on Postgres (marked `scale`: make test-scale) and bench/bench_storage.py.
The binaries are found on PATH or in Debian's /usr/lib/postgresql/<version>/bin (the `postgresql`
package; scripts/install-system-deps.sh installs it). Postgres refuses to run as root: as root,
the server runs as `nobody` in a folder it owns. Nothing here is mocked, and nothing imports pytest.
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import tempfile
from pathlib import Path

from tests.scale.cluster import free_port


def find_binaries() -> Path | None:
    """The folder holding initdb and pg_ctl, or None when Postgres is not installed."""
    on_path = shutil.which("initdb")
    if on_path and shutil.which("pg_ctl"):
        return Path(os.path.realpath(on_path)).parent
    versions = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: p.parent.parent.name)
    return versions[-1].parent if versions else None


class PostgresServer:
    """One postgres process on 127.0.0.1:<free port>, trust authentication for user `parley`.

    `stop` and `start` keep the data (a server restart); `close` removes the folder."""

    def __init__(self, *, durable: bool = False) -> None:
        """`durable`: Postgres' own defaults (fsync, full page writes), as a production server runs;
        without it, fsync is off (tests: much faster, and a crash of the test machine loses nothing of value)."""
        self.durable = durable
        found = find_binaries()
        if found is None:
            raise RuntimeError("Postgres is not installed (initdb/pg_ctl): scripts/install-system-deps.sh "
                               "installs the postgresql package (make test-scale)")
        self.bin = found
        self.port = free_port()
        self.folder = Path(tempfile.mkdtemp(prefix="parley-pg-"))
        self.data = self.folder / "data"
        self._user: int | None = None
        self._group: int | None = None
        if os.geteuid() == 0:
            nobody = pwd.getpwnam("nobody")
            self._user, self._group = nobody.pw_uid, nobody.pw_gid
            os.chown(self.folder, nobody.pw_uid, nobody.pw_gid)

    def _run(self, *args: str, timeout: float = 60) -> None:
        done = subprocess.run([str(self.bin / args[0]), *args[1:]], capture_output=True, text=True,
                              timeout=timeout, user=self._user, group=self._group, cwd=self.folder)
        if done.returncode != 0:
            raise RuntimeError(f"{args[0]} failed ({done.returncode}): {done.stderr.strip() or done.stdout.strip()}")

    def init(self) -> PostgresServer:
        self._run("initdb", "-D", str(self.data), "-U", "parley", "--auth=trust", "-E", "UTF8",
                  "--locale=C", "--no-sync")
        return self

    def start(self) -> None:
        opts = f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c max_connections=200"
        if not self.durable:
            opts += " -c fsync=off -c full_page_writes=off"
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.folder / "server.log"), "-o", opts, "-w",
                  "-t", "60", "start")

    def stop(self, mode: str = "fast") -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "stop")

    def running(self) -> bool:
        done = subprocess.run([str(self.bin / "pg_ctl"), "-D", str(self.data), "status"], capture_output=True,
                              user=self._user, group=self._group, cwd=self.folder)
        return done.returncode == 0

    def ensure_running(self) -> None:
        if not self.running():
            self.start()

    def restart(self) -> None:
        """Stop (fast: every session is cut, open transactions roll back) and start again."""
        self.stop("fast")
        self.start()

    def close(self) -> None:
        try:
            self.stop("immediate")
        except RuntimeError:
            pass  # not running
        shutil.rmtree(self.folder, ignore_errors=True)

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://parley@127.0.0.1:{self.port}/{database}"

    async def create_database(self, name: str) -> str:
        """A new, empty database on this server; returns its URL."""
        await self._admin(f'CREATE DATABASE "{name}"')
        return self.url(name)

    async def drop_database(self, name: str) -> None:
        await self._admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    async def _admin(self, sql: str) -> None:
        import asyncpg

        conn = await asyncpg.connect(self.url())
        try:
            await conn.execute(sql)
        finally:
            await conn.close()
