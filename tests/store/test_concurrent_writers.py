"""Two processes (a TUI and a daemon, or two CLI runs) write the same SQLite file at once."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from agent.cli import main
from agent.cli.demo_people import sample_registration
from agent.register.registry import Registry
from agent.store.opening import open_store

PER_PROCESS = 40


def test_two_processes_register_at_once_without_losing_or_locking(private_home: Path, tmp_path: Path) -> None:
    assert CliRunner().invoke(main, ["init", "--kind", "hotel", "--name", "并发宾馆"]).exit_code == 0
    exe = str(Path(sys.executable).with_name("dengji"))
    procs = []
    for n in range(2):
        batch = [sample_registration(n * 1000 + i, "stay", "2026-11-20 10:00") for i in range(PER_PROCESS)]
        source = tmp_path / f"batch{n}.json"
        source.write_text(json.dumps(batch, ensure_ascii=False), encoding="utf-8")
        procs.append(subprocess.Popen([exe, "--lang", "en", "register", "--json", str(source)],
                                      stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, out + err
        assert out.count("registered as") == PER_PROCESS
    registry = Registry(open_store(private_home))
    assert len(registry.registrations()) == 2 * PER_PROCESS
    assert registry.outbox_counts()["pending"] == 2 * PER_PROCESS
    registry.store.dispose()
