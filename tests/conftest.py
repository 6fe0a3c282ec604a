"""Fixtures shared by every test: a private home per test, so no test touches a user's real data.

`DENGJI_TEST_POSTGRES_URL` (e.g. `postgresql://dengji:dengji@127.0.0.1:5432/dengji_test`) names a
PostgreSQL database for the tests that need one (the receiver's, the several-desks ones); each such test
works in a fresh schema of its own (`postgres_url`), so one database serves the whole suite, in
parallel. Without it, those tests skip.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.uploader.processes import Receiver, dengji

TEST_PASSPHRASE = "correct horse battery staple"
POSTGRES_URL = os.environ.get("DENGJI_TEST_POSTGRES_URL")


@pytest.fixture(autouse=True)
def _pilot_waits_for_the_queues(monkeypatch: pytest.MonkeyPatch) -> None:
    """Textual's pilot decides a key was handled when the process seems idle: it compares CPU time with
    wall time over 20 ms. A process starved of CPU (CI runs three workers on two cores) looks idle
    while a key is still on its way from the focused widget to the handler (a button's Pressed message
    to the panel that acts on it), and a test then reads the screen from before the key. Here `press`
    and `pause` also wait, by the queues and not by the clock, until every message queue of the app
    and of each screen's widgets is empty."""
    from textual.pilot import Pilot

    press, pause = Pilot.press, Pilot.pause

    async def drained(pilot: Pilot) -> None:  # type: ignore[type-arg]
        app = pilot.app
        for _ in range(100):
            nodes = [app, *(node for screen in app.screen_stack for node in screen.walk_children(with_self=True))]
            if all(node._message_queue.empty() for node in nodes):  # noqa: SLF001
                return
            await pilot._wait_for_screen()  # noqa: SLF001

    async def press_and_drain(self: Pilot, *keys: str) -> None:  # type: ignore[type-arg]
        await press(self, *keys)
        await drained(self)

    async def pause_and_drain(self: Pilot, delay: float | None = None) -> None:  # type: ignore[type-arg]
        await pause(self, delay)
        await drained(self)

    monkeypatch.setattr(Pilot, "press", press_and_drain)
    monkeypatch.setattr(Pilot, "pause", pause_and_drain)


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A PostgreSQL URL whose connections work in a new, empty schema; dropped with all in it afterwards."""
    if not POSTGRES_URL:
        pytest.skip("DENGJI_TEST_POSTGRES_URL is not set: this PostgreSQL test is skipped")
    import sqlalchemy
    from sqlalchemy.engine import make_url

    from agent.store.database import engine_url

    schema = f"t_{uuid.uuid4().hex[:16]}"
    engine = sqlalchemy.create_engine(engine_url(POSTGRES_URL))
    with engine.begin() as conn:
        conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    url = make_url(engine_url(POSTGRES_URL)).update_query_dict({"options": f"-csearch_path={schema}"})
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with engine.begin() as conn:
            conn.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
        engine.dispose()


@pytest.fixture(autouse=True)
def private_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test gets its own DENGJI_HOME and a passphrase for the key file (CI has no OS keyring)."""
    home = tmp_path / "home"
    monkeypatch.setenv("DENGJI_HOME", str(home))
    monkeypatch.setenv("DENGJI_PASSPHRASE", TEST_PASSPHRASE)
    monkeypatch.setenv("LANG", "zh_CN.UTF-8")
    for var in ("LC_ALL", "LC_MESSAGES", "CREDENTIALS_DIRECTORY"):
        monkeypatch.delenv(var, raising=False)
    return home


@pytest.fixture
def hotel_registry(private_home: Path) -> Iterator["Registry"]:  # noqa: F821
    """A freshly created store with a hotel venue, and its register."""
    from agent.register.registry import Registry
    from agent.store.opening import open_store
    from agent.validation.venue import VenueDetails

    store = open_store(private_home, create=True)
    registry = Registry(store)
    registry.set_venue(VenueDetails(kind="hotel", name="测试宾馆"))
    yield registry
    store.dispose()


@pytest.fixture
def receiver(tmp_path: Path) -> Iterator[Receiver]:
    """A real `dengji-receiver serve` process on 127.0.0.1 with its own SQLite database."""
    server = Receiver(f"sqlite:///{tmp_path / 'platform.sqlite3'}").start()
    yield server
    server.stop()


@pytest.fixture
def enrolled_hotel(private_home: Path, receiver: Receiver) -> Receiver:
    """A hotel set up with the real `dengji` command and enrolled with the receiver."""
    dengji("init", "--kind", "hotel", "--name", "测试宾馆")
    dengji("enroll", receiver.issue_code(), "--platform", receiver.url)
    return receiver
