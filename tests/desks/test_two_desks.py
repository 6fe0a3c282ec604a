"""Two desks of one hotel on one PostgreSQL database work as one venue (issue #8).

Real processes throughout: a `dengji-receiver` on 127.0.0.1, one `dengji agent run` daemon per desk,
and one front-desk process per desk (tests/desks/desk.py) registering and departing at the same moment,
the same people in the same order. What must hold:
- nobody is checked in twice: of two desks registering the same person, exactly one wins and the other
  is told `registration.already_present` in Chinese and English; a departure is recorded once;
- each event names the operator of the desk that made it;
- one daemon sends at a time; when it dies, the other desk's daemon takes over after the lease expires;
- the platform holds every event of the store, each exactly once.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

from sqlalchemy import text
from sqlmodel import col, select

from agent.cli.demo_people import sample_registration
from agent.domain import EventType
from agent.register.delivery import outbox_counts
from agent.store.models import Event
from agent.store.opening import open_store
from tests.desks.conftest import Desk, Site
from tests.uploader.processes import BIN, assert_delivered_exactly_once
from uploader import lease
from uploader.device import load_device

SHARED = range(0, 30)  # both desks register these, in the same order, at the same moment
OWN = {"a": range(1000, 1030), "b": range(2000, 2030)}  # each desk's own guests
LEAVING = range(500, 530)  # registered by desk A first; both desks then record their departures at once
LATE = range(3000, 3010)  # registered with `dengji register` after a daemon is killed
LEASE_SECONDS = "4"


def plan(name: str) -> dict[str, list]:  # type: ignore[type-arg]
    steps: list[dict[str, int]] = []
    for shared, mine, leaving in zip(SHARED, OWN[name], LEAVING, strict=True):
        steps += [{"register": shared}, {"register": mine}, {"depart": leaving}]
    return {"before": list(LEAVING) if name == "a" else [], "steps": steps}


def register(desk: Desk, people: range) -> None:
    records = [sample_registration(i, "stay", "2026-11-20 10:00") for i in people]
    out = desk.dengji("register", "--json", "-", input=json.dumps(records, ensure_ascii=False))
    assert out.stdout.count("registered as") == len(people)


def start_daemon(desk: Desk) -> subprocess.Popen[bytes]:
    return subprocess.Popen([str(BIN / "dengji"), "--home", str(desk.home), "agent", "run", "--watch-interval", "0.3",
                             "--lease-seconds", LEASE_SECONDS, "--max-events", "25"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def start_desks(site: Site, tmp_path: Path) -> dict[str, subprocess.Popen[str]]:
    """Both desks' front-desk processes, each with its plan, waiting for the go signal."""
    procs = {}
    for name, desk in (("a", site.a), ("b", site.b)):
        plan_file = tmp_path / f"plan-{name}.json"
        plan_file.write_text(json.dumps(plan(name)), encoding="utf-8")
        procs[name] = subprocess.Popen([sys.executable, str(Path(__file__).with_name("desk.py")), str(desk.home),
                                        str(plan_file)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                       stderr=subprocess.PIPE, text=True)
    return procs


def work_at_once(procs: dict[str, subprocess.Popen[str]]) -> dict[str, list[dict]]:  # type: ignore[type-arg]
    """Release both desks together; what each step of each desk came to."""
    before: dict[str, list[dict]] = {}  # type: ignore[type-arg]
    for name, proc in procs.items():
        assert proc.stdout is not None
        before[name] = []
        for line in proc.stdout:  # the `before` registrations, then `ready`
            if line == "ready\n":
                break
            before[name].append(json.loads(line))
        else:
            raise AssertionError(f"desk {name} stopped before it was ready: {proc.communicate()[1]}")
    for proc in procs.values():  # the go signal, to both at once
        assert proc.stdin is not None
        proc.stdin.write("go\n")
        proc.stdin.flush()
    results = {}
    for name, proc in procs.items():
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
        results[name] = before[name] + [json.loads(line) for line in out.splitlines()]
    return results


def wait_until(condition, what: str, seconds: float = 40) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting until {what}"
        time.sleep(0.2)  # polling an observable state, bounded by the deadline


def test_two_desks_register_and_depart_at_once_as_one_venue(site: Site, tmp_path: Path) -> None:
    daemons = {"a": start_daemon(site.a), "b": start_daemon(site.b)}
    store = open_store(site.a.home)  # the test's own look at the site's store
    try:
        results = work_at_once(start_desks(site, tmp_path))

        # Nobody checked in twice: each shared person was registered by exactly one desk, and the other was told.
        for person in SHARED:
            tries = [r for name in "ab" for r in results[name] if r["op"] == "register" and r["person"] == person]
            assert sorted(r["id"] is not None for r in tries) == [False, True], tries
            refused = next(r for r in tries if r["id"] is None)
            assert refused["code"] == "registration.already_present"
            assert "已在本场所登记" in refused["zh"] and "already registered here" in refused["en"]
        for name in "ab":
            assert all(r["id"] is not None for r in results[name] if r["op"] == "register" and r["person"] not in SHARED)
        # Each departure was recorded once, by one desk; the other found it done or the person gone.
        for person in LEAVING:
            tries = [r for name in "ab" for r in results[name] if r["op"] == "depart" and r["person"] == person]
            assert sorted(r["id"] is not None for r in tries) == [False, True], tries
            assert next(r for r in tries if r["id"] is None)["code"] in ("registration.already_departed", "absent")

        with store.read() as session:
            twice_present = session.execute(text(
                "SELECT person_id FROM registration WHERE departed_at IS NULL GROUP BY person_id HAVING count(*) > 1"
            )).all()
            departed_twice = session.execute(text(
                "SELECT registration_id FROM event WHERE type = :t GROUP BY registration_id HAVING count(*) > 1"
            ), {"t": EventType.DEPARTED.value}).all()
            made_by = {(e.type, e.registration_id): e.operator for e in session.exec(select(Event))}
        assert twice_present == [] and departed_twice == []
        # Each event names the operator of the desk that made it (from its config.toml).
        for name, desk in (("a", site.a), ("b", site.b)):
            for r in results[name]:
                if r["id"] is not None:
                    kind = EventType.REGISTERED if r["op"] == "register" else EventType.DEPARTED
                    assert made_by[(kind.value, r["id"])] == desk.operator, r
        assert Counter(made_by.values()) == {site.a.operator: sum(r["id"] is not None for r in results["a"]),
                                             site.b.operator: sum(r["id"] is not None for r in results["b"])}

        # One daemon sends; it drains what both desks wrote.
        total = len(made_by)
        wait_until(lambda: outbox_counts(store)["sent"] == total, "every event is sent")
        holder = lease.current_holder(store)
        pids = {name: daemon.pid for name, daemon in daemons.items()}
        assert holder is not None and holder.startswith("daemon@")
        sender = next(name for name, pid in pids.items() if holder.endswith(f":{pid}"))
        other = "b" if sender == "a" else "a"
        desks = {"a": site.a, "b": site.b}
        assert "another sender holds the lease" in (desks[other].home / "logs" / "dengji.log").read_text("utf-8")

        # The sender dies; the desk keeps registering; the other desk's daemon takes over and sends.
        daemons[sender].send_signal(signal.SIGKILL)
        daemons[sender].wait()
        register(desks[sender], LATE)  # through `dengji register`: the operator comes from the desk's config
        total += len(LATE)
        with store.read() as session:
            late = session.exec(select(Event.operator).order_by(col(Event.seq).desc()).limit(len(LATE))).all()
        assert late == [desks[sender].operator] * len(LATE)
        wait_until(lambda: (lease.current_holder(store) or "").endswith(f":{pids[other]}"),
                   "the other desk's daemon holds the lease", seconds=30)
        wait_until(lambda: outbox_counts(store)["sent"] == total, "the late registrations are sent")
        assert daemons[other].poll() is None
    finally:
        store.dispose()
        for daemon in daemons.values():
            if daemon.poll() is None:
                daemon.send_signal(signal.SIGTERM)
                daemon.wait(10)
    assert daemons[other].returncode == 0
    assert_delivered_exactly_once(site.a.home, site.receiver)
    # One venue, one device: both desks sign as the device desk A enrolled.
    devices = []
    for desk in (site.a, site.b):
        store = open_store(desk.home)
        device = load_device(store)
        devices.append((device.device_id, device.signing_key.public_key().public_bytes_raw()))
        store.dispose()
    assert devices[0] == devices[1]
