"""Runs inside `unshare -rm` (a private user and mount namespace, no root needed): mounts small
tmpfs file systems only this process tree sees, and drives the real CLI against them.

    unshare -rm python -m tests.fault.namespace_driver WORKDIR OUT.json

* full/: a 2 MB tmpfs. One answer is stored, then the disk is filled to 40 KB short of full (the
  database still opens; a long answer's write fails), then completely (it cannot even open),
  then the filler is removed: the stored answer must still be there and the file intact.
* ro/: a read-only tmpfs, so sqlite's own connect fails (CANTOPEN), ten times over.

Writes every run's (name, exit code, stdout, stderr) and the final checks as JSON.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

from tests.conftest import run_cli

QID = "coding-duplicate-events"
ANSWER = "I assume the ids fit in memory; a hash set makes one pass, linear time and space."


def fill(folder: Path, leave_bytes: int) -> Path:
    filler = folder / "filler"
    with open(filler, "wb", buffering=0) as fh:
        room = os.statvfs(folder).f_bavail * os.statvfs(folder).f_frsize - leave_bytes
        try:
            while room > 0:
                fh.write(b"\0" * min(room, 65536))
                room -= 65536
            if leave_bytes == 0:
                while True:  # the last blocks, until the file system refuses
                    fh.write(b"\0" * 4096)
        except OSError:
            pass
    return filler


def main(work: Path, out: Path) -> None:
    runs: list[dict[str, object]] = []

    def cli(name: str, *args: str, data_dir: Path) -> None:
        p = run_cli(*args, data_dir=data_dir, timeout=120)
        runs.append({"name": name, "rc": p.returncode, "stdout": p.stdout, "stderr": p.stderr})

    full, ro = work / "full", work / "ro"
    full.mkdir()
    ro.mkdir()
    for options, where in (("size=2m", full), ("ro,size=1m", ro)):
        m = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(where)],
                           capture_output=True, text=True)
        if m.returncode != 0:  # some kernels refuse tmpfs inside a user namespace
            out.write_text(json.dumps({"unavailable": f"mount -t tmpfs refused ({m.stderr.strip()[:60]})"}))
            return

    cli("first", "analyze", "--text", ANSWER, "--question", QID, "--save", data_dir=full)
    filler = fill(full, 40 * 1024)
    cli("save-40k-left", "analyze", "--text", ANSWER + " x" * 7000, "--question", QID, "--save", data_dir=full)
    cli("history-40k-left", "history", data_dir=full)
    filler.unlink()
    filler = fill(full, 0)
    cli("save-full", "analyze", "--text", ANSWER, "--question", QID, "--save", data_dir=full)
    cli("history-full", "history", data_dir=full)
    filler.unlink()
    cli("history-after", "history", "--json", data_dir=full)
    con = sqlite3.connect(full / "parley.sqlite3")
    checks = {"integrity": con.execute("PRAGMA integrity_check").fetchone()[0],
              "attempts": con.execute("SELECT COUNT(*) FROM attempts").fetchone()[0]}
    con.close()

    for i in range(10):
        cli(f"readonly-{i}", "analyze", "--text", ANSWER, "--question", QID, "--save", data_dir=ro)
    out.write_text(json.dumps({"runs": runs, "checks": checks}))


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]))
