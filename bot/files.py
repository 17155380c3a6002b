"""Private files: the data directory and the SQLite database hold chat addresses and residents'
words, so other local users must not read them (0700 for directories, 0600 for files).

Only what civicbot creates is made private; a directory or file that already exists keeps the
permissions its operator gave it.
"""
from __future__ import annotations

import contextlib
import os
from pathlib import Path

PRIVATE_DIR = 0o700
PRIVATE_FILE = 0o600


def private_dir(path: Path) -> Path:
    """Create ``path`` (and missing parents) readable by its owner only, if it does not exist."""
    path.mkdir(mode=PRIVATE_DIR, parents=True, exist_ok=True)
    return path


def private_file(path: Path) -> None:
    """Create an empty ``path`` readable by its owner only, unless it exists; the directory is
    created private too. SQLite gives its -wal and -shm files the database file's mode."""
    private_dir(path.parent)
    with contextlib.suppress(FileExistsError):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE))
