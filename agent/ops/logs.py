"""Log lines for unattended runs: one event per line, `key=value` friendly, to a rotated file and stderr.

journald takes stderr as is (and adds its own timestamps); the file in `HOME/logs/` rotates at 5 MB,
keeping 5. Log calls in dengji name batches, codes and counts - never a name, number or address.
"""

from __future__ import annotations

import logging
import logging.handlers
import sys
from pathlib import Path

from agent.home.private import private_folder

FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"


def configure_logging(home: Path, *, level: int = logging.INFO, to_stderr: bool = True) -> Path:
    """Send dengji's loggers to `HOME/logs/dengji.log` (rotated) and optionally stderr; returns the file."""
    log_dir = home / "logs"
    private_folder(log_dir)
    path = log_dir / "dengji.log"
    root = logging.getLogger("dengji")
    root.setLevel(level)
    for handler in list(root.handlers):
        root.removeHandler(handler)
    file_handler = logging.handlers.RotatingFileHandler(path, maxBytes=5_000_000, backupCount=5, encoding="utf-8")
    file_handler.setFormatter(logging.Formatter(FORMAT))
    root.addHandler(file_handler)
    if to_stderr:
        stream = logging.StreamHandler(sys.stderr)
        stream.setFormatter(logging.Formatter(FORMAT))
        root.addHandler(stream)
    return path
