"""A hotel with two front desks: two homes whose stores are one PostgreSQL schema, enrolled once.

Desk A is set up as a first desk is (`dengji init --database-url`, `dengji enroll`), desk B as every
other desk is (`dengji keys export` on A, `dengji join` on B), all with the real `dengji` command.
The PostgreSQL schema comes from `postgres_url` and the platform from `receiver` (tests/conftest.py):
without `DENGJI_TEST_POSTGRES_URL` these tests skip.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.uploader.processes import Receiver, dengji

TRANSFER_PASSPHRASE = "two desks, one venue"


@dataclass(frozen=True)
class Desk:
    home: Path
    operator: str

    def dengji(self, *args: str, input: str | None = None, check: bool = True) -> subprocess.CompletedProcess[str]:
        return dengji("--home", str(self.home), *args, input=input, check=check)


@dataclass(frozen=True)
class Site:
    url: str
    receiver: Receiver
    a: Desk
    b: Desk


@pytest.fixture
def site(postgres_url: str, receiver: Receiver, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Site:
    monkeypatch.setenv("DENGJI_TRANSFER_PASSPHRASE", TRANSFER_PASSPHRASE)
    a, b = Desk(tmp_path / "desk-a", "前台甲"), Desk(tmp_path / "desk-b", "前台乙")
    a.dengji("init", "--kind", "hotel", "--name", "双台宾馆", "--database-url", postgres_url, "--desk-operator", a.operator)
    a.dengji("enroll", receiver.issue_code("双台宾馆"), "--platform", receiver.url)
    transfer = tmp_path / "site.keys"
    a.dengji("keys", "export", str(transfer))
    b.dengji("join", postgres_url, "--keys", str(transfer), "--desk-operator", b.operator)
    return Site(postgres_url, receiver, a, b)
