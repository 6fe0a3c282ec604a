"""`dengji agent run`: the unattended uploader.

One asyncio loop. APScheduler (3.x, in memory: the durable state is the outbox) ticks the schedules:
`send` (hotels and overnight venues every minute, landlords and employers every 15 minutes), `watch`
(a cheap look for events written by another process - the TUI, the CLI - every few seconds, so real
time does not wait for the next tick) and `heartbeat` (renew the sender lease, log a line). The send
loop itself runs in the foreground: it sends while there is something to send, waits out backoff, and
sleeps until a tick, a change or a stop.

Trigger instances are passed, not names: a frozen (PyInstaller) app loses the entry points that map
"interval" to a class. Misfires are coalesced with a generous grace time, so a machine that was
suspended runs each job once on waking instead of silently skipping it (APScheduler's 1 s default).

SIGTERM/SIGINT: stop taking work; the request in flight gets a few seconds to finish, else it is
abandoned - safe, since its sealed batch is stored and will be resent identically - and the process
exits 0 within 5 s.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from dataclasses import dataclass

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import func
from sqlmodel import select

from agent.domain import VenueKind
from agent.store.database import Store
from agent.store.models import Event, Venue
from uploader import lease
from uploader.device import load_device
from uploader.outbox import MAX_EVENTS
from uploader.sender import Sender
from uploader.transport import Transport

log = logging.getLogger("dengji.uploader.daemon")

SEND_INTERVAL = {VenueKind.HOTEL: 60, VenueKind.OVERNIGHT: 60, VenueKind.RENTAL: 900, VenueKind.EMPLOYER: 900}
WATCH_INTERVAL = 3
HEARTBEAT_INTERVAL = 10
STOP_GRACE = 3.0


@dataclass
class DaemonSettings:
    send_interval: float | None = None  # None: by venue kind
    watch_interval: float = WATCH_INTERVAL
    heartbeat_interval: float = HEARTBEAT_INTERVAL
    role: str = "daemon"
    max_events: int = MAX_EVENTS
    handle_signals: bool = True  # False inside the TUI, whose framework owns the terminal's signals


class Daemon:
    def __init__(self, store: Store, settings: DaemonSettings | None = None) -> None:
        self.store = store
        self.settings = settings or DaemonSettings()
        self.holder = lease.holder_id(self.settings.role)
        self.stop = asyncio.Event()
        self.wake = asyncio.Event()
        self._last_seq: int | None = None
        self._holding = False

    def _send_interval(self) -> float:
        if self.settings.send_interval:
            return self.settings.send_interval
        with self.store.read() as session:
            venue = session.exec(select(Venue)).first()
        return SEND_INTERVAL.get(VenueKind(venue.kind), 900) if venue else 900

    async def _watch_tick(self) -> None:
        self._watch()

    async def _heartbeat_tick(self) -> None:
        self._heartbeat()

    def _watch(self) -> None:
        with self.store.read() as session:
            seq = session.exec(select(func.max(Event.seq))).one()
        if seq != self._last_seq:
            if self._last_seq is not None:
                self.wake.set()
            self._last_seq = seq

    def _heartbeat(self) -> None:
        self._holding = lease.acquire(self.store, self.holder)
        log.debug("heartbeat: %s the sender lease", "holding" if self._holding else "waiting for")

    async def _nap(self, seconds: float) -> None:
        """Wait until a stop, a wake-up or `seconds` pass, whichever comes first."""
        waiters = [asyncio.ensure_future(self.stop.wait()), asyncio.ensure_future(self.wake.wait())]
        try:
            await asyncio.wait(waiters, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for waiter in waiters:
                waiter.cancel()
        self.wake.clear()

    async def run(self) -> int:
        """Run until stopped; returns the exit status."""
        device = load_device(self.store)
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT) if self.settings.handle_signals else ():
            try:
                loop.add_signal_handler(sig, self.stop.set)
            except (NotImplementedError, RuntimeError):  # Windows: only SIGINT via KeyboardInterrupt
                pass
        send_interval = self._send_interval()
        scheduler = AsyncIOScheduler(job_defaults={"misfire_grace_time": 300, "coalesce": True, "max_instances": 1})
        scheduler.add_job(self.wake.set, IntervalTrigger(seconds=send_interval), id="send",
                          replace_existing=True)
        # The ticks run on the event loop as coroutines: a plain function would be handed to a thread pool,
        # waking a thread and then the loop again (measured: about 60 context switches a minute idle). Each
        # is one short indexed query (the heartbeat a one-row write), which the loop can afford.
        scheduler.add_job(self._watch_tick, IntervalTrigger(seconds=self.settings.watch_interval), id="watch",
                          replace_existing=True)
        scheduler.add_job(self._heartbeat_tick, IntervalTrigger(seconds=self.settings.heartbeat_interval),
                          id="heartbeat", replace_existing=True)
        scheduler.start()
        log.info("uploader started as %s (device %s, platform %s)", self.holder, device.device_id, device.platform_url)
        transport = Transport(device.platform_url, device.ca_file)
        sender = Sender(self.store, device, transport, max_events=self.settings.max_events)
        self._watch()
        try:
            while not self.stop.is_set():
                self._holding = lease.acquire(self.store, self.holder)
                if not self._holding:
                    log.info("another sender holds the lease (%s); waiting", lease.current_holder(self.store))
                    await self._nap(lease.TTL.total_seconds() / 2)
                    continue
                step_task = asyncio.ensure_future(sender.step())
                stop_task = asyncio.ensure_future(self.stop.wait())
                await asyncio.wait([step_task, stop_task], return_when=asyncio.FIRST_COMPLETED)
                stop_task.cancel()
                if not step_task.done():
                    await asyncio.wait([step_task], timeout=STOP_GRACE)
                    if not step_task.done():
                        step_task.cancel()
                        with contextlib.suppress(asyncio.CancelledError):
                            await step_task
                        log.info("stopping: abandoned the request in flight (its batch is kept and will be resent)")
                        break
                step = step_task.result()
                if step.kind == "idle":
                    await self._nap(send_interval)
                elif step.kind != "answered":
                    await self._nap(step.wait)
        finally:
            scheduler.shutdown(wait=False)
            await transport.close()
            if self._holding:
                lease.release(self.store, self.holder)
            log.info("uploader stopped")
        return 0
