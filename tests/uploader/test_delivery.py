"""Delivery through real processes: the `dengji` CLI and daemon against a `dengji-receiver` on 127.0.0.1.

The proof the uploader issue asks for: whatever is killed and whenever, the set of events the platform
holds EQUALS the set the venue registered, each exactly once.
"""

from __future__ import annotations

import asyncio
import random
import signal
import subprocess
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from agent.register.delivery import outbox_counts
from agent.store.opening import open_store
from tests.uploader.processes import (
    BIN,
    Receiver,
    assert_delivered_exactly_once,
    daemon_sends_a_registration_made_while_idle,
    dengji,
    register_guests,
    sent_count,
    status,
)
from uploader import lease
from uploader.device import load_device
from uploader.sender import Sender
from uploader.transport import Transport


def test_send_delivers_everything_once_and_status_says_so(enrolled_hotel: Receiver, private_home: Path) -> None:
    register_guests(25)
    assert status()["pending"] == 25
    out = dengji("send", "--max-events", "10")
    assert "sent 25" in out.stdout
    state = status()
    assert (state["pending"], state["in_flight"], state["sent"], state["rejected"]) == (0, 0, 25, 0)
    assert state["platform_reachable"] is True and state["last_success"] and state["last_error"] is None
    assert_delivered_exactly_once(private_home, enrolled_hotel)
    # Sending again has nothing to do and sends nothing twice.
    dengji("send")
    assert_delivered_exactly_once(private_home, enrolled_hotel)


def test_send_without_enrollment_says_what_to_do(private_home: Path) -> None:
    dengji("init", "--kind", "hotel", "--name", "未登记宾馆")
    out = dengji("send", check=False)
    assert out.returncode == 2 and "dengji enroll" in out.stderr


def test_enroll_with_a_used_or_wrong_code_is_refused(private_home: Path, receiver: Receiver) -> None:
    dengji("init", "--kind", "hotel", "--name", "测试宾馆")
    out = dengji("enroll", "AAAA-BBBB-CCCC-DDDD", "--platform", receiver.url, check=False)
    assert out.returncode == 1 and "enrollment code" in out.stderr
    code = receiver.issue_code()
    dengji("enroll", code, "--platform", receiver.url)
    again = dengji("enroll", code, "--platform", receiver.url, check=False)
    assert again.returncode == 1 and "already used" in again.stderr


def test_platform_down_keeps_everything_and_sends_when_back(enrolled_hotel: Receiver, private_home: Path) -> None:
    register_guests(5)
    enrolled_hotel.kill()
    out = dengji("send", check=False)
    assert out.returncode == 1 and "cannot reach the platform" in out.stderr
    state = status()
    assert state["platform_reachable"] is False and state["next_attempt"]
    assert state["pending"] + state["in_flight"] == 5
    enrolled_hotel.start()
    dengji("send")
    assert_delivered_exactly_once(private_home, enrolled_hotel)


def test_daemon_killed_at_random_moments_loses_and_duplicates_nothing(enrolled_hotel: Receiver,
                                                                       private_home: Path) -> None:
    register_guests(600)
    rng = random.Random(20261125)
    kills = 0
    while kills < 20:
        daemon = subprocess.Popen([str(BIN / "dengji"), "agent", "run", "--max-events", "7", "--watch-interval", "0.5"],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + rng.uniform(0.3, 1.5)
        while time.monotonic() < deadline and daemon.poll() is None:
            time.sleep(0.05)  # the random moment of the kill, not a synchronisation
        daemon.send_signal(signal.SIGKILL)
        daemon.wait()
        kills += 1
    assert status()["sent"] < 600, "the backlog drained before the kills were done: make it larger"
    # The last lease expires by itself; `send --until-empty` then finishes what the killed daemons left.
    store = open_store(private_home)
    holder = lease.current_holder(store)
    store.dispose()
    if holder is not None:
        _expire_lease(private_home)
    dengji("send", "--until-empty")
    assert status()["sent"] == 600
    assert_delivered_exactly_once(private_home, enrolled_hotel)


def _expire_lease(home: Path) -> None:
    from agent.store.models import SenderLease

    store = open_store(home)

    def work(session):  # type: ignore[no-untyped-def]
        row = session.get(SenderLease, lease.NAME)
        row.expires_at = datetime.now(UTC) - timedelta(seconds=1)
        session.add(row)

    store.write(work)
    store.dispose()


def test_receiver_killed_mid_drain_loses_and_duplicates_nothing(enrolled_hotel: Receiver, private_home: Path) -> None:
    register_guests(400)
    daemon = subprocess.Popen([str(BIN / "dengji"), "agent", "run", "--max-events", "3", "--watch-interval", "0.5"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    rng = random.Random(7)
    enrolled_hotel.workers = None  # restarted as deployed: with its pool of checker processes
    try:
        for _ in range(5):
            time.sleep(rng.uniform(0.3, 1.0))  # the random moment of the kill, not a synchronisation
            enrolled_hotel.kill()
            enrolled_hotel.start()
        assert sent_count(private_home) < 400, "the backlog drained before the kills were done: make it larger"
        deadline = time.monotonic() + 120
        while sent_count(private_home) < 400:
            assert daemon.poll() is None and time.monotonic() < deadline, status()
            time.sleep(0.2)  # polling the observable state, bounded by the deadline
    finally:
        daemon.send_signal(signal.SIGTERM)
        assert daemon.wait(10) == 0
    assert_delivered_exactly_once(private_home, enrolled_hotel)


def test_faulty_platform_still_gets_everything_exactly_once(private_home: Path, tmp_path: Path) -> None:
    server = Receiver(f"sqlite:///{tmp_path / 'faulty.sqlite3'}",
                      faults="500=0.15,503=0.15,429=0.15,drop=0.15,delay=0.2,delay_share=0.1,seed=11").start()
    try:
        dengji("init", "--kind", "hotel", "--name", "测试宾馆")
        dengji("enroll", server.issue_code(), "--platform", server.url)
        register_guests(60)
        store = open_store(private_home)
        device = load_device(store)

        async def drain() -> Sender:
            async with Transport(device.platform_url) as transport:
                sender = Sender(store, device, transport, max_events=4)
                sender.backoff.base, sender.backoff.cap = 0.01, 0.05  # quick retries; the policy is the same
                while True:
                    step = await sender.step()
                    if step.kind == "idle":
                        return sender
                    assert step.kind in ("answered", "retry"), step
                    await asyncio.sleep(step.wait)

        sender = asyncio.run(drain())
        store.dispose()
        batches = 60 // 4
        # Each attempt fails with probability ~0.6: attempts beyond 20x the batch count would mean a runaway loop.
        assert batches <= sender.attempts <= 20 * batches
        assert status()["sent"] == 60
        assert_delivered_exactly_once(private_home, server)
    finally:
        server.stop()


def test_clock_ten_minutes_off_is_refused_and_said_clearly(enrolled_hotel: Receiver, private_home: Path) -> None:
    register_guests(2)
    store = open_store(private_home)
    device = load_device(store)

    async def once() -> object:
        async with Transport(device.platform_url) as transport:
            skewed = Sender(store, device, transport, clock=lambda: datetime.now(UTC) + timedelta(minutes=10))
            return await skewed.step()

    step = asyncio.run(once())
    store.dispose()
    assert step.kind == "blocked" and step.problem.code == "signature.stale"  # type: ignore[attr-defined]
    state = status()
    assert "clock" in state["last_error"] and state["pending"] + state["in_flight"] == 2
    dengji("send")  # with the right clock the same stored batch goes through
    assert_delivered_exactly_once(private_home, enrolled_hotel)


def test_only_one_sender_at_a_time(enrolled_hotel: Receiver, private_home: Path) -> None:
    store = open_store(private_home)
    assert lease.acquire(store, "daemon@elsewhere:1")
    out = dengji("send", check=False)
    assert out.returncode == 1 and "another process is sending" in out.stderr
    lease.release(store, "daemon@elsewhere:1")
    store.dispose()
    dengji("send")


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_daemon_stops_cleanly_on_signal(enrolled_hotel: Receiver, sig: signal.Signals) -> None:
    daemon = subprocess.Popen([str(BIN / "dengji"), "agent", "run"], stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True)
    assert daemon.stdout is not None
    for line in daemon.stdout:
        if "uploader started" in line:
            break
    daemon.send_signal(sig)
    assert daemon.wait(5) == 0


def test_the_first_registration_after_an_idle_start_is_sent_at_once(enrolled_hotel: Receiver, private_home: Path,
                                                                    tmp_path: Path) -> None:
    """An empty outbox at start: the first registration must still wake the daemon, not wait for the tick."""
    daemon_sends_a_registration_made_while_idle(private_home, tmp_path / "daemon.log")
    assert_delivered_exactly_once(private_home, enrolled_hotel)


def test_a_damaged_outbox_entry_is_quarantined_and_the_rest_still_flows(enrolled_hotel: Receiver,
                                                                      private_home: Path) -> None:
    from sqlmodel import select

    from agent.store.models import Event

    register_guests(4)
    store = open_store(private_home)

    def damage(session):  # type: ignore[no-untyped-def]
        event = session.exec(select(Event).order_by(Event.seq)).all()[1]
        event.payload_sealed = event.payload_sealed[:-1] + bytes([event.payload_sealed[-1] ^ 1])
        session.add(event)
        return event.event_id

    damaged = store.write(damage)
    store.dispose()
    out = dengji("send")
    assert "sent 3" in out.stdout
    state = status()
    assert (state["sent"], state["quarantined"], state["pending"], state["in_flight"]) == (3, 1, 0, 0)
    assert damaged not in enrolled_hotel.event_ids() and len(enrolled_hotel.event_ids()) == 3
    dengji("send")  # nothing loops on the damaged entry
    assert status()["quarantined"] == 1


def test_an_answer_is_written_back_beside_the_next_request_and_never_lost(enrolled_hotel: Receiver,
                                                                          private_home: Path) -> None:
    """A backlog drains as a pipeline: the answer to one batch is written back while the next is in
    flight. An answer held in memory when the sender stops is written by `flush`; one lost with the
    process is asked for again (the platform replays it) - in both cases every event is sent, once."""
    register_guests(12)

    def states() -> dict[str, int]:
        store = open_store(private_home)
        try:
            return outbox_counts(store)
        finally:
            store.dispose()

    async def steps(count: int, flush: bool) -> list[str]:
        store = open_store(private_home)
        try:
            async with Transport(load_device(store).platform_url) as transport:
                sender = Sender(store, load_device(store), transport, max_events=4)
                kinds = [(await sender.step()).kind for _ in range(count)]
                if flush:
                    sender.flush()
                return kinds
        finally:
            store.dispose()

    assert asyncio.run(steps(1, flush=False)) == ["answered"]
    # The first batch was answered, and its answer held for the next request: the sender "crashed".
    assert states()["sent"] == 0 and states()["in_flight"] == 8  # the first batch and the one sealed beside it
    assert asyncio.run(steps(2, flush=True)) == ["answered", "answered"]  # the first batch again, then the next
    # The first batch's answer, replayed, is written at once (nothing was sealed beside it); the second
    # batch's answer is held for the third request, and `flush` writes it.
    assert states()["sent"] == 8
    assert asyncio.run(steps(2, flush=False)) == ["answered", "idle"]
    counts = states()
    assert (counts["sent"], counts["pending"], counts["in_flight"]) == (12, 0, 0)
    assert_delivered_exactly_once(private_home, enrolled_hotel)
