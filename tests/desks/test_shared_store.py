"""The store on PostgreSQL, part by part: migrations, creating and joining a site, the lease, retries.

Desks here are threads of this process, each with its own engine (its own connections), released
together by a barrier so that they really do meet in the database - or processes where a library keeps
global state. Each test has a fresh schema.
"""

from __future__ import annotations

import subprocess
import sys
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text
from sqlmodel import Session, SQLModel, select

from agent.domain.errors import StoreError, TransferError
from agent.register.registry import Registry
from agent.secrets.keystore import MASTER_KEY_NAME
from agent.secrets.keytransfer import read_transfer, write_transfer
from agent.store import migrate
from agent.store.database import Store, make_engine
from agent.store.models import Meta
from agent.store.opening import join_site, open_store
from agent.store.vault import Vault, new_master_key
from agent.validation.venue import VenueDetails
from uploader import lease

T = TypeVar("T")


def at_once(*jobs: Callable[[], T]) -> list[T | BaseException]:
    """Run the jobs in threads released together; each one's result or exception."""
    barrier = threading.Barrier(len(jobs))

    def run(job: Callable[[], T]) -> T | BaseException:
        barrier.wait()
        try:
            return job()
        except BaseException as exc:  # noqa: BLE001 - handed back to the test to look at
            return exc

    with ThreadPoolExecutor(len(jobs)) as pool:
        return list(pool.map(run, jobs))


def first_desk(home: Path, url: str) -> Store:
    home.mkdir(parents=True, exist_ok=True)
    (home / "config.toml").write_text(f'database_url = "{url}"\n', encoding="utf-8")
    store = open_store(home, create=True)
    Registry(store).set_venue(VenueDetails(kind="hotel", name="双台宾馆"))
    return store


# A desk starting after an update: connect, then (on the go signal) bring the schema up to date.
_MIGRATING_DESK = """
import sys
from agent.store import migrate
from agent.store.database import make_engine
engine = make_engine(sys.argv[1])
engine.connect().close()
print("ready", flush=True)
sys.stdin.readline()
migrate.upgrade(engine)
"""


def test_migrations_run_on_postgresql_from_three_desks_at_once_and_match_the_models(postgres_url: str) -> None:
    # Processes, as desks are: alembic keeps its migration context in a module global, so threads of one
    # process are no model of two desks.
    desks = [subprocess.Popen([sys.executable, "-c", _MIGRATING_DESK, postgres_url], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(3)]
    for desk in desks:
        assert desk.stdout is not None and desk.stdout.readline() == "ready\n", desk.communicate()[1]
    for desk in desks:
        assert desk.stdin is not None
        desk.stdin.write("go\n")
        desk.stdin.flush()
    for desk in desks:
        _, err = desk.communicate(timeout=60)
        assert desk.returncode == 0, err
    engine = make_engine(postgres_url)
    with engine.connect() as conn:
        assert migrate.current_revision(conn) == migrate.HEAD
        assert conn.execute(text("SELECT count(*) FROM alembic_version")).scalar() == 1
        assert compare_metadata(MigrationContext.configure(conn), SQLModel.metadata) == []
    engine.dispose()


def test_two_desks_creating_one_site_at_once_get_one_key_and_the_other_is_sent_to_join(
        postgres_url: str, tmp_path: Path) -> None:
    homes = [tmp_path / "a", tmp_path / "b"]
    for home in homes:
        home.mkdir()
        (home / "config.toml").write_text(f'database_url = "{postgres_url}"\n', encoding="utf-8")
    outcomes = at_once(*[lambda h=h: open_store(h, create=True) for h in homes])
    stores = [o for o in outcomes if isinstance(o, Store)]
    refused = [o for o in outcomes if not isinstance(o, Store)]
    assert len(stores) == 1 and len(refused) == 1
    assert isinstance(refused[0], StoreError) and "dengji join" in str(refused[0])
    stores[0].dispose()


def test_a_desk_pointed_at_an_empty_database_is_told_to_init_or_join(postgres_url: str, tmp_path: Path) -> None:
    home = tmp_path / "desk"
    home.mkdir()
    (home / "config.toml").write_text(f'database_url = "{postgres_url}"\n', encoding="utf-8")
    with pytest.raises(StoreError) as refused:
        open_store(home)
    assert "dengji init --database-url" in str(refused.value) and "dengji join" in str(refused.value)
    engine = make_engine(postgres_url)
    with engine.connect() as conn:
        assert migrate.current_revision(conn) is None  # nothing was created behind the operator's back
    engine.dispose()


def test_a_second_desk_joins_with_the_transfer_file_and_reads_what_the_first_wrote(
        postgres_url: str, tmp_path: Path) -> None:
    first = first_desk(tmp_path / "a", postgres_url)
    reg_id = Registry(first, operator="前台甲").register(
        {"kind": "stay", "unit": "301", "arrived_at": "2026-11-20 10:00",
         "person": {"doc_type": "resident_id", "doc_number": "11010519491231002X", "name": "张三", "sex": "F"}}
    ).registration_id
    key = first.keystore.get(MASTER_KEY_NAME)  # type: ignore[union-attr]
    transfer = tmp_path / "site.keys"
    write_transfer(transfer, "a long transfer passphrase", key)  # type: ignore[arg-type]
    with pytest.raises(TransferError, match="wrong transfer passphrase"):
        read_transfer(transfer, "not the passphrase")

    second = join_site(tmp_path / "b", postgres_url, read_transfer(transfer, "a long transfer passphrase"))
    [view] = Registry(second).registrations()
    assert (view.id, view.name) == (reg_id, "张三")
    first.dispose()
    second.dispose()


def test_join_refuses_another_sites_key_and_a_home_with_a_register_of_its_own(
        postgres_url: str, tmp_path: Path) -> None:
    first_desk(tmp_path / "a", postgres_url).dispose()
    with pytest.raises(StoreError, match="another store"):
        join_site(tmp_path / "b", postgres_url, new_master_key())
    assert not (tmp_path / "b" / "config.toml").exists()  # nothing written
    own = tmp_path / "own"
    open_store(own, create=True).dispose()  # a SQLite register of its own
    with pytest.raises(StoreError, match="register of its own"):
        join_site(own, postgres_url, new_master_key())


def test_the_transfer_file_wants_a_real_passphrase_and_never_overwrites(tmp_path: Path) -> None:
    with pytest.raises(TransferError, match="at least"):
        write_transfer(tmp_path / "k", "short", new_master_key())
    write_transfer(tmp_path / "k", "a long transfer passphrase", new_master_key())
    with pytest.raises(TransferError, match="exists already"):
        write_transfer(tmp_path / "k", "a long transfer passphrase", new_master_key())
    assert (tmp_path / "k").stat().st_mode & 0o077 == 0


def two_desk_stores(url: str) -> list[Store]:
    vault = Vault(new_master_key())
    stores = [Store(make_engine(url), vault) for _ in range(2)]
    migrate.upgrade(stores[0].engine)
    return stores


def test_the_lease_has_one_holder_when_two_desks_reach_for_it_at_once(postgres_url: str) -> None:
    stores = two_desk_stores(postgres_url)
    try:
        start = datetime.now(UTC)
        for round_ in range(15):  # round 0 races for the first row; later rounds for an expired lease
            moment = start + round_ * 2 * lease.TTL
            won = at_once(*[lambda s=s, n=n: lease.acquire(s, f"daemon@desk{n}:1", now=moment)
                            for n, s in enumerate(stores)])
            assert sorted(won) == [False, True], (round_, won)  # type: ignore[type-var]
    finally:
        for store in stores:
            store.dispose()


def test_the_lease_expires_by_the_database_clock(postgres_url: str) -> None:
    stores = two_desk_stores(postgres_url)
    try:
        assert lease.acquire(stores[0], "daemon@desk0:1", ttl=timedelta(seconds=30))
        assert not lease.acquire(stores[1], "daemon@desk1:1")
        assert lease.current_holder(stores[1]) == "daemon@desk0:1"

        def expire(session: Session) -> None:
            session.execute(text("UPDATE sender_lease SET expires_at = now() - interval '1 second'"))

        stores[0].write(expire)
        assert lease.current_holder(stores[1]) is None
        assert lease.acquire(stores[1], "daemon@desk1:1")
    finally:
        for store in stores:
            store.dispose()


def test_a_deadlock_is_retried_like_sqlite_busy(postgres_url: str) -> None:
    """Two transactions that lock two rows in opposite orders: PostgreSQL aborts one, `Store.write` runs it
    again, and both changes land."""
    stores = two_desk_stores(postgres_url)
    stores[0].write(lambda s: s.add_all([Meta(key="x", value=b"0"), Meta(key="y", value=b"0")]))
    both_hold_one = threading.Barrier(2, timeout=30)
    runs: list[str] = []

    def crosswise(first: str, second: str) -> Callable[[Session], None]:
        def work(session: Session) -> None:
            runs.append(first)
            session.execute(text("UPDATE meta SET value = value || '1'::bytea WHERE key = :k"), {"k": first})
            if len(runs) <= 2:  # only the first run of each waits for the other: the retry goes straight through
                both_hold_one.wait()
            session.execute(text("UPDATE meta SET value = value || '1'::bytea WHERE key = :k"), {"k": second})
        return work

    try:
        outcomes: list[Any] = at_once(lambda: stores[0].write(crosswise("x", "y")),
                                      lambda: stores[1].write(crosswise("y", "x")))
        assert outcomes == [None, None]
        assert len(runs) == 3  # one of the two was aborted as a deadlock and run again
        with stores[0].read() as session:
            assert {m.key: m.value for m in session.exec(select(Meta))} == {"x": b"011", "y": b"011"}
    finally:
        for store in stores:
            store.dispose()
