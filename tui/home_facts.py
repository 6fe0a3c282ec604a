"""What the home screen shows, gathered in one pass off the UI thread: who is here, today, reminders,
delivery. Kept apart from the screen so that it can be tested (and timed) without a terminal.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING

from agent.domain import CHINA_TIME

if TYPE_CHECKING:
    from agent.register.delivery import Delivery, DeliveryState
    from agent.register.records import RegistrationView
    from agent.register.registry import Registry, Reminder


def unit_order(unit: str) -> tuple[object, ...]:
    """Natural order of unit labels: 2 before 3-50 before 10.

    >>> sorted(["10", "2", "3-502", "3-50"], key=unit_order)
    ['2', '3-50', '3-502', '10']
    """
    return tuple((0, int(part), "") if part.isdigit() else (1, 0, part) for part in re.split(r"(\d+)", unit) if part)


@dataclass(frozen=True)
class HomeFacts:
    present: list[RegistrationView] = field(default_factory=list)  # by unit
    arrived_today: int = 0
    departed_today: int = 0
    reminders: list[Reminder] = field(default_factory=list)  # the venue's duties that are due
    daily_report: tuple[date, str] | None = None  # the last no-arrivals report: its day, its delivery state
    outbox: dict[str, int] = field(default_factory=dict)
    delivery: DeliveryState | None = None
    connected: bool = False  # this program was given a Delivery (it can send); else it only shows


def gather(registry: Registry, delivery: Delivery | None, now: datetime) -> HomeFacts:
    """Everything the home screen needs (runs in a worker thread: it decrypts names)."""
    today = now.astimezone(CHINA_TIME).date()
    views = registry.registrations()
    present = sorted((v for v in views if v.present), key=lambda v: (unit_order(v.unit), v.arrived_at))
    arrived = sum(1 for v in views if v.arrived_at.astimezone(CHINA_TIME).date() == today)
    departed = sum(1 for v in views if v.departed_at and v.departed_at.astimezone(CHINA_TIME).date() == today)
    state = delivery.state() if delivery is not None else registry.delivery_state()
    return HomeFacts(present, arrived, departed, registry.reminders(now), registry.last_no_arrivals_report(),
                     registry.outbox_counts(), state, delivery is not None)


def delivery_line(facts: HomeFacts, lang: str) -> str:
    """One line: where the reports stand (`平台：未连接 · 待上传 3 · 被退回 0`).

    Without a Delivery of its own this program sends nothing: it says "not connected", unless a
    background service holds the sender's lease, whose state it then shows.
    """
    say = (lambda zh, en: en if lang == "en" else zh)
    state = facts.delivery
    pending = facts.outbox.get("pending", 0) + facts.outbox.get("in_flight", 0)
    rejected = facts.outbox.get("rejected", 0)
    if state is None or (not facts.connected and not state.sender):
        where = say("平台：未连接", "Platform: not connected")
    elif not state.enrolled:
        where = say("平台：本机尚未注册", "Platform: this device is not enrolled")
    elif state.platform_reachable is False:
        where = say("平台：离线（联网后自动补传）", "Platform: offline (sends when back online)")
    elif state.platform_reachable:
        where = say("平台：在线", "Platform: online")
    else:
        where = say("平台：尚未连接过", "Platform: not tried yet")
    parts = [where, say(f"待上传 {pending}", f"pending {pending}"), say(f"被退回 {rejected}", f"rejected {rejected}")]
    if state is not None and state.last_success is not None:
        when = state.last_success.astimezone(CHINA_TIME).strftime("%Y-%m-%d %H:%M")
        parts.append(say(f"上次上传 {when}", f"last upload {when}"))
    sender = state.sender if state is not None else None
    if sender and sender.startswith("daemon"):
        parts.append(say("由后台服务发送", "sent by the background service"))
    elif sender and facts.connected:
        parts.append(say("由本程序发送", "sent by this program"))
    return " · ".join(parts)
