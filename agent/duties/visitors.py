"""Visitors after hours: the venue's closing time for visitors (a setting in the store, shared by every
desk, default 23:00) and the visits still open past it.

Local rules ask hotels to see visitors out by a closing time (some: 23:00, no visitor overnight). A visit
is late once the closing time of its visiting day has passed, or at once when it began after that
closing time; a visiting day runs from 06:00 to 06:00, so a closing time after midnight (01:00) closes
the evening before, and a visitor who came at 02:00 came after hours.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from sqlmodel import Session

from agent.domain import CHINA_TIME
from agent.domain.errors import SettingError
from agent.duties.operators import require_owner
from agent.store import audit
from agent.store.database import Store
from agent.store.models import Meta

DEFAULT_CLOSING = time(23, 0)
DAY_BEGINS = time(6, 0)  # a visiting day runs from 06:00 to 06:00
CLOSING_META_KEY = "visitor_closing_time"


def closing_time(store: Store) -> time:
    """The time visitors must be out by (a setting in the store, shared by every desk)."""
    with store.read() as session:
        row = session.get(Meta, CLOSING_META_KEY)
    try:
        return time.fromisoformat(row.value.decode("ascii")) if row else DEFAULT_CLOSING
    except ValueError:
        return DEFAULT_CLOSING


def parse_closing_time(text: str) -> time:
    """`HH:MM` (24-hour clock), or SettingError."""
    value = text.strip().replace("：", ":")
    hours, _, minutes = value.partition(":")
    if hours.isascii() and hours.isdigit() and minutes.isascii() and minutes.isdigit() and len(minutes) == 2 \
            and int(hours) < 24 and int(minutes) < 60:
        return time(int(hours), int(minutes))
    raise SettingError("访客离开时间应写作 HH:MM（24 小时制），例如 23:00",
                       "the visitors' closing time is written HH:MM (24-hour clock), for example 23:00",
                       code="setting.closing_time", field="closing_time")


def set_closing_time(store: Store, text: str, *, operator: str, now: datetime | None = None) -> time:
    """Set the time visitors must be out by (owners only; audited as a setting); the time set."""
    value = parse_closing_time(text)
    moment = now or datetime.now(UTC)
    shown = value.strftime("%H:%M")

    def work(session: Session) -> None:
        require_owner(session, operator)
        session.merge(Meta(key=CLOSING_META_KEY, value=shown.encode("ascii")))
        audit.append(session, action=audit.SETTING, operator=operator, at=moment,
                     detail={"name": CLOSING_META_KEY, "value": shown})

    store.write(work)
    return value


def late_since(arrived_at: datetime, closing: time) -> datetime:
    """When a visit that began at `arrived_at` is past closing: the closing time of its visiting day, or
    its start when it began after that."""
    local = arrived_at.astimezone(CHINA_TIME)
    day = (local - timedelta(hours=DAY_BEGINS.hour, minutes=DAY_BEGINS.minute)).date()
    if closing < DAY_BEGINS:
        day += timedelta(days=1)
    closes = datetime.combine(day, closing, tzinfo=CHINA_TIME)
    return max(closes, local)
