"""What the home screen shows, gathered in one pass off the UI thread: who is here, today, reminders,
delivery. Kept apart from the screen so that it can be tested (and timed) without a terminal.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
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


OFFLINE_WARNING_HOURS = 24  # a platform unreachable this long with reports waiting is said in the banner


def not_reporting(facts: HomeFacts, now: datetime, lang: str, *, short: bool = False) -> str | None:
    """A warning when nothing reaches the platform, with what to do; None while reports flow.

    The delivery line says where things stand in a few words; a landlord who does not know that an
    unenrolled machine reports nothing needs it said plainly, once, at the top of the home screen.
    `short`: one line, for a terminal too low for the whole warning beside the reminders.
    """
    say = (lambda zh, en: en if lang == "en" else zh)
    state = facts.delivery
    if state is None:
        return None
    pending = facts.outbox.get("pending", 0) + facts.outbox.get("in_flight", 0)
    if not state.enrolled:
        if short:
            return say("注意：没有上报——本机未在平台注册（F6 设置）", "Not reported: device not enrolled (F6 Settings)")
        return say("注意：登记只保存在本机，没有上报给公安机关。本机还没有在平台注册：请向派出所索取注册码，"
                   "然后按 F6 设置，在“平台”一栏填写并连接。",
                   "Nothing is being reported: registrations stay on this machine. This device is not enrolled "
                   "with the platform: get an enrollment code from the police station, then F6 Settings, Platform.")
    if pending and not state.sender and not facts.connected:
        if short:
            return say(f"注意：{pending} 条等待上报，没有程序在上传", f"Not reported: {pending} waiting, nothing sends")
        return say(f"注意：{pending} 条登记等待上报，但没有程序在上传。请运行 dengji service install 安装后台上传服务，"
                   "或退出后用 dengji 重新打开本程序。",
                   f"Nothing is being reported: {pending} waiting and no program is sending. Install the background "
                   "service with `dengji service install`, or quit and start dengji again.")
    if pending and state.platform_reachable is False and state.last_success is not None \
            and now - state.last_success > timedelta(hours=OFFLINE_WARNING_HOURS):
        hours = int((now - state.last_success).total_seconds() // 3600)
        if short:
            return say(f"注意：{hours} 小时没连上平台，{pending} 条等待", f"Nothing sent for {hours} h; {pending} waiting")
        return say(f"注意：已有 {hours} 小时没有连上平台，{pending} 条登记等待上报。请检查网络；联网后会自动补传。",
                   f"Nothing has reached the platform for {hours} hours; {pending} waiting. Check the network: "
                   "they are sent once it is back.")
    return None


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
