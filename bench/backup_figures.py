"""Figures for backup and restore (operations issue): how long a large store takes, stage by stage.

    .venv/bin/python bench/backup_figures.py [--registrations 200000]

A store is filled with sealed rows the way `store_figures.py` does it, then `make_backup` and
`restore_backup` run on it. Each stage (online copy, encryption, verification) is timed through the
progress callback the CLI uses for its bars. Baseline, same disk, same run: a plain file copy of the
database plus one SHA-256 pass over it, the least any verified copy costs.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from store_figures import bulk_load, new_registry  # noqa: E402

from agent.ops.backup import make_backup, restore_backup  # noqa: E402

PASSPHRASE = "bench backup passphrase"


class Stages:
    """When each stage began, from the progress callback (the gaps between are opening, checks, scrypt)."""

    def __init__(self) -> None:
        self.t0 = time.perf_counter()
        self.first: dict[str, float] = {}
        self.last: dict[str, float] = {}

    def __call__(self, stage: str, done: int, total: int) -> None:
        now = time.perf_counter() - self.t0
        self.first.setdefault(stage, now)
        self.last[stage] = now

    def line(self) -> str:
        return ", ".join(f"{stage} {self.first[stage]:.2f}-{self.last[stage]:.2f} s" for stage in self.first)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--registrations", type=int, default=200_000)
    args = parser.parse_args()
    os.environ.setdefault("DENGJI_PASSPHRASE", "bench")
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        home = root / "home"
        registry = new_registry(home)
        bulk_load(registry, args.registrations, present=1000)
        registry.store.dispose()
        database = home / "dengji.sqlite3"
        size = database.stat().st_size
        mib = size / 2**20
        print(f"store: {args.registrations:,} registrations, {mib:.1f} MiB")

        t0 = time.perf_counter()
        shutil.copyfile(database, root / "plain-copy.sqlite3")
        with open(root / "plain-copy.sqlite3", "rb") as f:
            hashlib.file_digest(f, "sha256")
        baseline = time.perf_counter() - t0
        print(f"baseline: file copy + SHA-256          {baseline:6.2f} s  ({mib / baseline:6.1f} MiB/s)")

        t0 = time.perf_counter()
        stages = Stages()
        report = make_backup(home, root / "bench.dengji-backup", PASSPHRASE, progress=stages)
        took = time.perf_counter() - t0
        print(f"dengji backup (verified)               {took:6.2f} s  ({mib / took:6.1f} MiB/s, "
              f"{took / baseline:.1f}x baseline), file {report.size / 2**20:.1f} MiB")
        print(f"    {stages.line()}")

        t0 = time.perf_counter()
        stages = Stages()
        restore_backup(root / "new-home", report.path, PASSPHRASE, progress=stages)
        took = time.perf_counter() - t0
        print(f"dengji restore (verified, then opened) {took:6.2f} s  ({mib / took:6.1f} MiB/s, "
              f"{took / baseline:.1f}x baseline)")
        print(f"    {stages.line()}")


if __name__ == "__main__":
    main()
