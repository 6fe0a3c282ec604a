"""`dengji agent run`: the unattended uploader.

One asyncio loop. APScheduler (3.x, in memory: the durable state is the outbox) ticks the schedules:
`send` (hotels and overnight venues every minute, landlords and employers every 15 minutes), `watch`
(a cheap look for events written by another process - the TUI, the CLI, another desk - every few
seconds, so real time does not wait for the next tick), `heartbeat` (renew the sender lease, log a
line), `duties` (every few minutes, by the lease holder only: queue the daily no-arrivals report that
hotels owe, and log the reminders due - codes and counts, never names) and `purge` (the retention purge,
`agent.duties.retention`: daily, first a minute after start, in a worker thread). What is due comes from
the agent's side (`agent.register.scheduled_duties`) through the small `Duties` interface. On a site with several desks
every desk may run a daemon: one holds the lease and sends, the others wait; when the sender dies,
another takes over once its lease has expired. The send
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
from datetime import UTC, datetime, timedelta
from typing import Protocol

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import func
from sqlmodel import select

from agent.domain import OutboxState, VenueKind
from agent.register.scheduled_duties import DutiesDone, VenueDuties
from agent.store.database import Store
from agent.store.models import Event, OutboxEntry, Venue
from uploader import lease
from uploader.device import load_device
from uploader.outbox import MAX_EVENTS
from uploader.sender import Sender, Step
from uploader.transport import Transport

log = logging.getLogger("dengji.uploader.daemon")

SEND_INTERVAL = {VenueKind.HOTEL: 60, VenueKind.OVERNIGHT: 60, VenueKind.RENTAL: 900, VenueKind.EMPLOYER: 900}
WATCH_INTERVAL = 3
HEARTBEAT_INTERVAL = 10
DUTIES_INTERVAL = 600
PURGE_INTERVAL = 24 * 3600
PURGE_DELAY = 60  # the first purge waits for the start's backlog to go out
STOP_GRACE = 3.0


@dataclass
class DaemonSettings:
    send_interval: float | None = None  # None: by venue kind
    watch_interval: float = WATCH_INTERVAL
    heartbeat_interval: float = HEARTBEAT_INTERVAL
    duties_interval: float = DUTIES_INTERVAL
    role: str = "daemon"
    max_events: int = MAX_EVENTS
    handle_signals: bool = True  # False inside the TUI, whose framework owns the terminal's signals
    purge_interval: float = PURGE_INTERVAL
    purge_delay: float = PURGE_DELAY
    lease_ttl: timedelta = lease.TTL  # how long a killed sender keeps the others waiting; same at every desk

    @property
    def renew_interval(self) -> float:
        """Renew the lease at least three times within its life, so a busy moment never lets it lapse."""
        return min(self.heartbeat_interval, self.lease_ttl.total_seconds() / 3)


class Duties(Protocol):
    """What the daemon asks of the agent's side on a schedule (`agent.register.scheduled_duties`)."""

    def run_due(self, now: datetime) -> DutiesDone: ...

    def purge(self) -> None: ...


class Daemon:
    def __init__(self, store: Store, settings: DaemonSettings | None = None, duties: Duties | None = None) -> None:
        self.store = store
        self.settings = settings or DaemonSettings()
        self.duties = duties or VenueDuties(store)
        self.holder = lease.holder_id(self.settings.role)
        self.stop = asyncio.Event()
        self.wake = asyncio.Event()
        self.purged = asyncio.Event()  # set after each retention purge (those who wait on it: tests)
        self._last_seq: int | None = None
        self._idle = False  # the last step found nothing to send
        self._holding = False
        self._reminders = ""

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
        """Wake the sender when another process added events: the newest event changed, or the sender
        is idle while events wait.

        The newest alone is not enough on PostgreSQL: two desks' transactions commit in either order, so
        an event with a lower number can appear after the sender saw a higher one and went idle.
        """
        with self.store.read() as session:
            seq = session.exec(select(func.max(Event.seq))).one() or 0  # 0: no event yet (not "not looked")
            waiting = self._idle and session.exec(
                select(OutboxEntry.event_seq).where(OutboxEntry.state == OutboxState.PENDING.value).limit(1)
            ).first() is not None
        if (seq != self._last_seq and self._last_seq is not None) or waiting:
            self.wake.set()
        self._last_seq = seq

    def _acquire(self) -> bool:
        return lease.acquire(self.store, self.holder, self.settings.lease_ttl)

    def _heartbeat(self) -> None:
        self._holding = self._acquire()
        log.debug("heartbeat: %s the sender lease", "holding" if self._holding else "waiting for")

    def _duties(self) -> None:
        """The venue's scheduled duties; only the sender does them, so two desks never both do."""
        if not self._holding:
            return
        done = self.duties.run_due(datetime.now(UTC))
        if done.reported_days:
            log.info("no-arrivals report queued for %s", ", ".join(day.isoformat() for day in done.reported_days))
            self.wake.set()
        if done.reminders != self._reminders:
            log.info("reminders due: %s", done.reminders)
            self._reminders = done.reminders

    async def _purge(self) -> None:
        """The retention purge, off the event loop (it is ordinary database work). A daemon and a TUI
        may both run it: it is one write transaction that finds nothing left the second time."""
        try:
            await asyncio.to_thread(self.duties.purge)
        except Exception:  # noqa: BLE001 - a failed purge is retried at the next interval; sending goes on
            log.exception("retention purge failed; it runs again at the next interval")
        self.purged.set()

    async def _nap(self, seconds: float) -> None:
        """Wait until a stop, a wake-up or `seconds` pass, whichever comes first."""
        waiters = [asyncio.ensure_future(self.stop.wait()), asyncio.ensure_future(self.wake.wait())]
        try:
            await asyncio.wait(waiters, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for waiter in waiters:
                waiter.cancel()
        self.wake.clear()

    def _scheduler(self, send_interval: float) -> AsyncIOScheduler:
        """The schedules: send, watch for others' events, renew the lease, the duties, the purge."""
        scheduler = AsyncIOScheduler(job_defaults={"misfire_grace_time": 300, "coalesce": True, "max_instances": 1})
        scheduler.add_job(self.wake.set, IntervalTrigger(seconds=send_interval), id="send",
                          replace_existing=True)
        # The ticks run on the event loop as coroutines: a plain function would be handed to a thread pool,
        # waking a thread and then the loop again (measured: about 60 context switches a minute idle). Each
        # is one short indexed query (the heartbeat a one-row write), which the loop can afford.
        scheduler.add_job(self._watch_tick, IntervalTrigger(seconds=self.settings.watch_interval), id="watch",
                          replace_existing=True)
        scheduler.add_job(self._heartbeat_tick, IntervalTrigger(seconds=self.settings.renew_interval),
                          id="heartbeat", replace_existing=True)
        scheduler.add_job(self._duties, IntervalTrigger(seconds=self.settings.duties_interval), id="duties",
                          replace_existing=True)
        scheduler.add_job(self._purge, IntervalTrigger(seconds=self.settings.purge_interval), id="purge",
                          replace_existing=True,
                          next_run_time=datetime.now(UTC) + timedelta(seconds=self.settings.purge_delay))
        return scheduler

    async def _step_unless_stopped(self, sender: Sender) -> Step | None:
        """One sending step; on a stop, the request in flight gets STOP_GRACE seconds, else it is
        abandoned (None): safe, since its sealed batch is stored and will be resent identically."""
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
                return None
        return step_task.result()

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
        scheduler = self._scheduler(send_interval)
        scheduler.start()
        log.info("uploader started as %s (device %s, platform %s)", self.holder, device.device_id, device.platform_url)
        transport = Transport(device.platform_url, device.ca_file)
        sender = Sender(self.store, device, transport, max_events=self.settings.max_events)
        self._watch()
        self._holding = self._acquire()
        self._duties()  # a day that ended while the machine was off is reported at once
        try:
            while not self.stop.is_set():
                self._holding = self._acquire()
                if not self._holding:
                    sender.flush()
                    log.info("another sender holds the lease (%s); waiting", lease.current_holder(self.store))
                    await self._nap(self.settings.lease_ttl.total_seconds() / 2)
                    continue
                step = await self._step_unless_stopped(sender)
                if step is None:
                    break
                self._idle = step.kind == "idle"
                if step.kind == "idle":
                    await self._nap(send_interval)
                elif step.kind != "answered":
                    await self._nap(step.wait)
        finally:
            scheduler.shutdown(wait=False)
            with contextlib.suppress(Exception):  # not written now, the answer comes again: the batch is resent
                sender.flush()
            await transport.close()
            if self._holding:
                lease.release(self.store, self.holder)
            log.info("uploader stopped")
        return 0
