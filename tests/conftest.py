"""Fixtures shared by every test: a private home per test, so no test touches a user's real data."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.uploader.processes import Receiver, dengji

TEST_PASSPHRASE = "correct horse battery staple"


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
    from agent.registry import Registry
    from agent.store.models import Venue
    from agent.store.opening import open_store

    store = open_store(private_home, create=True)
    registry = Registry(store)
    registry.set_venue(Venue(kind="hotel", name="测试宾馆", created_at=None))  # type: ignore[arg-type]
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
