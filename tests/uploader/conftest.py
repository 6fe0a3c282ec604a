"""Fixtures for delivery tests: a real receiver process and an enrolled hotel."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.uploader.processes import Receiver, dengji


@pytest.fixture
def receiver(tmp_path: Path) -> Iterator[Receiver]:
    server = Receiver(f"sqlite:///{tmp_path / 'platform.sqlite3'}").start()
    yield server
    server.stop()


@pytest.fixture
def enrolled_hotel(private_home: Path, receiver: Receiver) -> Receiver:
    dengji("init", "--kind", "hotel", "--name", "测试宾馆")
    dengji("enroll", receiver.issue_code(), "--platform", receiver.url)
    return receiver


