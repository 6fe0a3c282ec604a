"""Figures for several desks (issue 8): registrations/s and sender drain rate, PostgreSQL beside SQLite.

    .venv/bin/python bench/desks_figures.py --db postgresql://dengji:dengji@127.0.0.1:5432/dengji_bench \\
        [--registrations 2000]

The same total of `--registrations` arrivals (distinct people, stays at a hotel) is registered, in the
same run, by:
- one desk on SQLite (one process; the baseline: what a single desk does today);
- one desk on PostgreSQL (one process);
- two desks on PostgreSQL (two processes, half each, released together, one shared store).
Each desk is a separate process that opens its store, waits for the go signal, then calls
`Registry.register` for each arrival; the figure is arrivals over the wall time from go to the last
desk done, with each commit's p50/p99. Then the backlog each store holds is drained by the real
`Sender` to a `dengji-receiver serve` (SQLite) on 127.0.0.1: events/s from the first batch to idle.

The PostgreSQL runs each use a fresh schema in the database named by `--db` (created and dropped here);
nothing else in that database is touched. Set-up and import times are not part of any figure.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import create_engine  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from agent.cli.demo_people import sample_registration  # noqa: E402
from agent.domain import CHINA_TIME  # noqa: E402
from agent.home.config import Config, save_config  # noqa: E402
from agent.register.registry import Registry  # noqa: E402
from agent.store.database import engine_url  # noqa: E402
from agent.store.opening import join_site, open_store  # noqa: E402
from agent.store.vault import MASTER_KEY_NAME  # noqa: E402
from agent.validation.venue import VenueDetails
from bench.uploader_figures import drain_seconds, start_receiver  # noqa: E402
from uploader.device import load_device  # noqa: E402
from uploader.enrollment import enroll  # noqa: E402

BIN = Path(sys.executable).parent


def desk(home: Path, first: int, count: int) -> None:
    """One desk process (`--desk`): register `count` people from index `first` on the go signal."""
    registry = Registry(open_store(home), operator=home.name)
    arrived = (datetime.now(CHINA_TIME) - timedelta(hours=1)).strftime("%Y-%m-%d %H:%M")
    payloads = [sample_registration(i, "stay", arrived) for i in range(first, first + count)]
    print("ready", flush=True)
    sys.stdin.readline()
    samples = []
    for payload in payloads:
        t0 = time.perf_counter()
        outcome = registry.register(payload)
        samples.append(time.perf_counter() - t0)
        assert outcome.ok, outcome.problems
    print(json.dumps(samples), flush=True)
    registry.store.dispose()


def run_desks(homes: list[Path], total: int) -> tuple[float, list[float]]:
    """Release one desk process per home together, `total` arrivals split between them; (wall s, commits)."""
    share = total // len(homes)
    procs = [subprocess.Popen([sys.executable, __file__, "--desk", str(home), str(n * share), str(share)],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
             for n, home in enumerate(homes)]
    for proc in procs:
        assert proc.stdout is not None and proc.stdout.readline() == "ready\n", "a desk did not start"
    t0 = time.perf_counter()
    for proc in procs:
        assert proc.stdin is not None
        proc.stdin.write("go\n")
        proc.stdin.flush()
    samples: list[float] = []
    for proc in procs:
        out, _ = proc.communicate(timeout=3600)
        assert proc.returncode == 0, "a desk failed"
        samples += json.loads(out)
    return time.perf_counter() - t0, samples


def pct(samples: list[float], q: float) -> float:
    return sorted(samples)[min(len(samples) - 1, int(q * len(samples)))] * 1000


def first_desk(home: Path, url: str | None) -> Registry:
    if url:
        save_config(home, Config(database_url=url))
    registry = Registry(open_store(home, create=True))
    registry.set_venue(VenueDetails(kind="hotel", name="bench"))
    return registry


def drain(registry: Registry, platform_db: str, platform_url: str) -> float:
    """Enroll the store's venue and send its whole backlog; events/s."""
    code = subprocess.run([str(BIN / "dengji-receiver"), "issue-code", "--venue", "bench", "--db", platform_db],
                          capture_output=True, text=True, check=True).stdout.split()[-1]
    venue = registry.venue()
    assert venue is not None
    asyncio.run(enroll(registry.store, venue, code, platform_url))
    device = load_device(registry.store)
    pending = registry.outbox_counts()["pending"]

    elapsed = drain_seconds(registry.store, device)
    assert registry.outbox_counts()["sent"] == pending
    return pending / elapsed


def fresh_schema(url: str) -> tuple[str, str]:
    """A new schema in the database at `url`; (its name, a URL whose connections work in it)."""
    schema = f"bench_{uuid.uuid4().hex[:12]}"
    admin = create_engine(engine_url(url))
    with admin.begin() as conn:
        conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    admin.dispose()
    scoped = make_url(engine_url(url)).update_query_dict({"options": f"-csearch_path={schema}"})
    return schema, scoped.render_as_string(hide_password=False)


def drop_schema(url: str, schema: str) -> None:
    admin = create_engine(engine_url(url))
    with admin.begin() as conn:
        conn.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
    admin.dispose()


def main() -> None:
    if len(sys.argv) == 5 and sys.argv[1] == "--desk":
        desk(Path(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]))
        return
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", required=True, help="a PostgreSQL database URL (a schema is made and dropped)")
    parser.add_argument("--registrations", type=int, default=2000, help="arrivals per configuration (even)")
    args = parser.parse_args()
    os.environ.setdefault("DENGJI_PASSPHRASE", "bench")
    total = args.registrations // 2 * 2
    schemas: list[str] = []
    with tempfile.TemporaryDirectory(prefix="dengji-bench-") as tmp:
        root = Path(tmp)
        print(f"python {sys.version.split()[0]}, {os.cpu_count()} cores, {total:,} arrivals per configuration")
        platform_db = f"sqlite:///{root / 'platform.sqlite3'}"
        receiver, platform_url = start_receiver(platform_db)
        stores: dict[str, Registry] = {}
        try:
            configurations = {"one desk, SQLite": [root / "sqlite"], "one desk, PostgreSQL": [root / "pg1"],
                              "two desks, PostgreSQL": [root / "pg2-a", root / "pg2-b"]}
            for label, homes in configurations.items():
                url = None
                if "PostgreSQL" in label:
                    schema, url = fresh_schema(args.db)
                    schemas.append(schema)
                registry = first_desk(homes[0], url)
                for home in homes[1:]:  # the other desks join with the first desk's key
                    assert url and registry.store.keystore is not None
                    join_site(home, url, registry.store.keystore.get(MASTER_KEY_NAME) or b"").dispose()
                stores[label] = registry
                wall, samples = run_desks(homes, total)
                print(f"{label:<24} register {total / wall:8,.0f} arrivals/s ({wall:5.1f} s)   commit p50 "
                      f"{pct(samples, .5):6.2f} ms  p99 {pct(samples, .99):6.2f} ms  "
                      f"(median {statistics.median(samples) * 1000:.2f} ms)", flush=True)
            for label, registry in stores.items():
                rate = drain(registry, platform_db, platform_url)
                print(f"{label:<24} drain    {rate:8,.0f} events/s", flush=True)
                registry.store.dispose()
        finally:
            receiver.terminate()
            receiver.wait(10)
            for schema in schemas:
                drop_schema(args.db, schema)


if __name__ == "__main__":
    main()
