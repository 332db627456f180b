"""What is wrong with a path, in words a user can act on (a symlink loop is not "not found",
a named pipe is not "empty"), and removing files we wrote (`remove_files`)."""

from __future__ import annotations

import errno
import logging
import os
import stat
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PathProblem:
    reason: str  # reads after "<path>: ", e.g. "is a symbolic link loop …"
    missing: bool = False  # nothing there yet (a file or link target that can still be created)


def regular_file_problem(path: Path) -> PathProblem | None:
    """None when `path` is (or links to) a regular file; otherwise why it is not one.

    Only stats the path: never opens it, so a named pipe does not block."""
    try:
        st = os.stat(path)
    except OSError as e:
        return _stat_error(path, e)
    mode = st.st_mode
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISDIR(mode):
        return PathProblem("is a folder, not a file")
    if stat.S_ISFIFO(mode):
        return PathProblem("is a named pipe (FIFO), not a file")
    if stat.S_ISSOCK(mode):
        return PathProblem("is a socket, not a file")
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return PathProblem("is a device, not a file")
    return PathProblem("is not a regular file")


def _stat_error(path: Path, e: OSError) -> PathProblem:
    if e.errno == errno.ELOOP:
        return PathProblem("is a symbolic link loop (links that point back at each other)")
    if e.errno == errno.ENOENT:
        if os.path.islink(path):
            return PathProblem(f"is a link to {os.readlink(path)}, which does not exist", missing=True)
        return PathProblem("file not found", missing=True)
    if e.errno == errno.ENOTDIR:
        return PathProblem("cannot exist: a part of its path is a file, not a folder")
    if e.errno in (errno.EACCES, errno.EPERM):
        return PathProblem("cannot be read: permission denied")
    if e.errno == errno.ENAMETOOLONG:
        return PathProblem("has a name too long for the file system")
    return PathProblem(f"cannot be read ({e.strerror or e})")


def remove_files(paths: Iterable[Path], *, what: str = "a file") -> tuple[int, list[str]]:
    """Delete each file: (how many were removed, the paths that could not be). One already gone
    counts as neither; any other failure is logged (as "could not remove <what>") and returned.
    The one way audio retention and privacy erasure delete the recordings they kept."""
    removed, failed = 0, []
    for p in paths:
        try:
            p.unlink()
            removed += 1
        except FileNotFoundError:
            pass
        except OSError as e:
            log.warning("could not remove %s: %s", what, e.strerror or e)
            failed.append(str(p))
    return removed, failed
