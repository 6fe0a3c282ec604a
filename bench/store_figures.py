"""Figures for the store (foundation issue): commit latency, look-up by document, search among people present.

    .venv/bin/python bench/store_figures.py [--registrations 1000000] [--present 5000] [--commits 500]

Each figure is printed beside a baseline measured in the same run on the same disk:
- commit: `Registry.register` (validation, encryption, row + event + outbox in one transaction) against a
  bare sqlite3 transaction with the same pragmas inserting one 1 KB row (the fsync floor);
- look-up: `Registry.find_by_document` among N stored registrations against a bare indexed SELECT;
- search: `Registry.search` by name and by last digits among P people present, against a bare sqlite3
  scan of the same rows with LIKE.
Targets (issue 3): commit p99 < 10 ms; each search < 50 ms.
"""

from __future__ import annotations

import argparse
import os
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from agent.cli.demo_people import resident_id_for, sample_person, sample_registration  # noqa: E402
from agent.register.registry import Registry  # noqa: E402
from agent.store.opening import open_store  # noqa: E402
from agent.validation.documents import mask_document  # noqa: E402
from agent.validation.venue import VenueDetails


def pct(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


def report(label: str, samples: list[float], baseline: list[float] | None = None) -> None:
    line = f"{label:<48} p50 {pct(samples, .5):8.3f} ms   p99 {pct(samples, .99):8.3f} ms"
    if baseline:
        line += f"   baseline p50 {pct(baseline, .5):7.3f} ms   ratio {statistics.median(samples) / statistics.median(baseline):6.1f}x"
    print(line, flush=True)


def new_registry(home: Path, kind: str = "hotel") -> Registry:
    os.environ.setdefault("DENGJI_PASSPHRASE", "bench passphrase")
    registry = Registry(open_store(home, create=True))
    registry.set_venue(VenueDetails(kind=kind, name="bench"))
    return registry


def bench_commits(root: Path, n: int) -> None:
    registry = new_registry(root / "commit")
    arrived = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
    samples = []
    for i in range(n):
        payload = sample_registration(i, "stay", arrived)
        t0 = time.perf_counter()
        outcome = registry.register(payload)
        samples.append(time.perf_counter() - t0)
        assert outcome.ok, outcome.problems
    base = sqlite3.connect(root / "commit-baseline.sqlite3", isolation_level=None)
    base.execute("PRAGMA journal_mode=WAL")
    base.execute("PRAGMA synchronous=FULL")
    base.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, payload BLOB)")
    blob = os.urandom(1024)
    baseline = []
    for _ in range(n):
        t0 = time.perf_counter()
        base.execute("BEGIN IMMEDIATE")
        base.execute("INSERT INTO t (payload) VALUES (?)", (blob,))
        base.execute("COMMIT")
        baseline.append(time.perf_counter() - t0)
    report(f"register commit ({n} registrations)", samples, baseline)


def bulk_load(registry: Registry, count: int, present: int) -> None:
    """Fill the store fast with sealed rows as the registry would write them (bench set-up only)."""
    vault = registry.store.vault
    db = sqlite3.connect(registry.store.engine.url.database, isolation_level=None)
    db.execute("PRAGMA synchronous=OFF")
    venue_id = db.execute("SELECT id FROM venue").fetchone()[0]
    db.execute("BEGIN")
    db.executemany("INSERT INTO unit (id, venue_id, label) VALUES (?, ?, ?)",
                   [(u, venue_id, f"{u}") for u in range(1, 501)])
    start_time = datetime.now(UTC).replace(tzinfo=None) - timedelta(days=3 * 365)
    now = datetime.now(UTC).replace(tzinfo=None).isoformat(sep=" ")
    step = 20_000
    for start in range(0, count, step):
        people, regs = [], []
        for i in range(start, min(count, start + step)):
            person = sample_person(i)
            number = person["doc_number"]
            people.append((i + 1, "resident_id", vault.blind_index("resident_id", number),
                           mask_document("resident_id", number), person["sex"],
                           vault.seal(person["name"], "person.name", i + 1),
                           vault.seal(number, "person.doc_number", i + 1),
                           vault.seal(person["phone"], "person.phone", i + 1), now, now))
            # Real stays arrive and leave at their own times; identical timestamps would mislead ANALYZE
            # into thinking the departure index useless, which no real register does.
            arrived = start_time + timedelta(seconds=90 * i)
            departed = None if i >= count - present else (arrived + timedelta(hours=20)).isoformat(sep=" ")
            regs.append((i + 1, venue_id, i % 500 + 1, i + 1, "stay", arrived.isoformat(sep=" "), departed, now, now))
        db.executemany("INSERT INTO person (id, doc_type, doc_index, doc_masked, sex, name_sealed, doc_number_sealed,"
                       " phone_sealed, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?)", people)
        db.executemany("INSERT INTO registration (id, venue_id, unit_id, person_id, kind, arrived_at, departed_at,"
                       " created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?)", regs)
        print(f"  loaded {min(count, start + step):>9,} / {count:,}", end="\r", flush=True)
    db.execute("COMMIT")
    db.execute("ANALYZE")
    db.close()
    print()


def bench_lookups(root: Path, count: int, present: int, probes: int = 300) -> None:
    registry = new_registry(root / "lookup")
    t0 = time.perf_counter()
    bulk_load(registry, count, present)
    print(f"bulk load of {count:,} registrations: {time.perf_counter() - t0:.1f} s")
    rng = random.Random(7)
    picks = [rng.randrange(count) for _ in range(probes)]
    samples = []
    for i in picks:
        number = resident_id_for(i)[0]
        t0 = time.perf_counter()
        found = registry.find_by_document("resident_id", number)
        samples.append(time.perf_counter() - t0)
        assert len(found) == 1, (i, found)
    db = sqlite3.connect(registry.store.engine.url.database)
    vault = registry.store.vault
    baseline = []
    for i in picks:
        index = vault.blind_index("resident_id", resident_id_for(i)[0])
        t0 = time.perf_counter()
        db.execute("SELECT r.id FROM registration r JOIN person p ON p.id = r.person_id "
                   "WHERE p.doc_type = 'resident_id' AND p.doc_index = ?", (index,)).fetchall()
        baseline.append(time.perf_counter() - t0)
    report(f"find_by_document among {count:,}", samples, baseline)

    names = [sample_person(count - 1 - rng.randrange(present))["name"][1:] for _ in range(30)]
    tails = [resident_id_for(count - 1 - rng.randrange(present))[0][-4:] for _ in range(30)]
    by_name, by_tail, base_scan = [], [], []
    for name, tail in zip(names, tails):
        t0 = time.perf_counter()
        assert registry.search(name)
        by_name.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        assert registry.search(tail)
        by_tail.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        db.execute("SELECT r.id, p.doc_masked FROM registration r JOIN person p ON p.id = r.person_id "
                   "WHERE r.departed_at IS NULL AND p.doc_masked LIKE ?", (f"%{tail}",)).fetchall()
        base_scan.append(time.perf_counter() - t0)
    report(f"search by name among {present:,} present", by_name, base_scan)
    report(f"search by last 4 digits among {present:,} present", by_tail, base_scan)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--registrations", type=int, default=1_000_000)
    parser.add_argument("--present", type=int, default=5_000)
    parser.add_argument("--commits", type=int, default=500)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="dengji-bench-", dir=os.environ.get("BENCH_DIR")) as tmp:
        root = Path(tmp)
        print(f"python {sys.version.split()[0]}, {os.cpu_count()} cores, sqlite {sqlite3.sqlite_version}, in {root}")
        bench_commits(root, args.commits)
        bench_lookups(root, args.registrations, args.present)


if __name__ == "__main__":
    main()
