"""Reading the times and dates people type: arrivals, departures, birth dates.

A time without an offset is China Standard Time (+08:00): the venue, the clerk and the platform are
all in China, and a spreadsheet never says. Every time comes back aware and in +08:00, so that two
registrations compare and sort correctly whatever offset the input used.

>>> parse_datetime('2024-05-01 14:30').isoformat()
'2024-05-01T14:30:00+08:00'
>>> parse_datetime('2024-05-01T06:30:00Z').isoformat()
'2024-05-01T14:30:00+08:00'
>>> parse_datetime('2024/5/1 9:05').isoformat()
'2024-05-01T09:05:00+08:00'
>>> parse_date('1990-1-31'), parse_date('2027年6月5日'), parse_date('20270605')
(datetime.date(1990, 1, 31), datetime.date(2027, 6, 5), datetime.date(2027, 6, 5))
>>> parse_datetime('2024年5月1日 14时30分').isoformat()
'2024-05-01T14:30:00+08:00'

The same forms are read wherever a date is typed: JSON, a spreadsheet's cell, the TUI's form.
"""

from __future__ import annotations

import re
from datetime import date, datetime

from agent.domain import CHINA_TIME
from agent.domain.errors import InvalidFormat
from agent.domain.problems import Problem
from agent.validation.normalise import halfwidth

# 2027-6-5, 2027/6/5, 2027.6.5, 2027年6月5日, each with an optional time: 14:30, 14：30, 14时30分.
WRITTEN_DATE = re.compile(
    r"([0-9]{4})\s*[-/.年]\s*([0-9]{1,2})\s*[-/.月]\s*([0-9]{1,2})\s*日?"
    r"(?:\s*[T ]?\s*([0-9]{1,2})\s*[:：时]\s*([0-9]{1,2})\s*(?:[:：分]\s*([0-9]{1,2})\s*秒?|分)?)?")
# 20270605, with an optional time: 20270605 14:30.
COMPACT_DATE = re.compile(r"([0-9]{4})([0-9]{2})([0-9]{2})(?:\s*([0-9]{1,2}):([0-9]{2})(?::([0-9]{2}))?)?")


def parse_datetime(value: str | datetime | date) -> datetime:
    """An aware datetime in China Standard Time; raises `InvalidFormat` when the text is no time.

    Accepts ISO 8601 with or without an offset ('Z' too), 'YYYY-MM-DD HH:MM', slashes or dots
    between the date's parts, and a date alone (midnight).
    """
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, date):
        moment = datetime(value.year, value.month, value.day)
    elif isinstance(value, str):
        moment = _read(halfwidth(value).strip())
    else:
        raise InvalidFormat(_datetime_problem())
    try:
        if moment.tzinfo is None:
            return moment.replace(tzinfo=CHINA_TIME)
        return moment.astimezone(CHINA_TIME)
    except (OverflowError, ValueError):
        raise InvalidFormat(_datetime_problem()) from None


def parse_date(value: str | date) -> date:
    """A calendar date from 'YYYY-MM-DD' (or slashes, dots, 年月日, unpadded parts, YYYYMMDD); raises
    `InvalidFormat`."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        text = halfwidth(value).strip()
        match = WRITTEN_DATE.fullmatch(text) or COMPACT_DATE.fullmatch(text)
        if match and match.group(4) is None:
            try:
                return date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
            except ValueError:
                pass
    raise InvalidFormat(Problem(
        "date.format",
        "日期应写作 YYYY-MM-DD（例如 1990-01-31），并且是真实存在的日期",
        "a date is written YYYY-MM-DD (for example 1990-01-31) and must exist",
    ))


def to_iso(moment: datetime) -> str:
    """ISO 8601 with the +08:00 offset, to the second: the form stored and sent."""
    return moment.astimezone(CHINA_TIME).isoformat(timespec="seconds")


def _read(text: str) -> datetime:
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        pass
    match = WRITTEN_DATE.fullmatch(text) or COMPACT_DATE.fullmatch(text)
    if match:
        year, month, day, hour, minute, second = (int(part) if part else 0 for part in match.groups())
        try:
            return datetime(year, month, day, hour, minute, second)
        except ValueError:
            pass
    raise InvalidFormat(_datetime_problem())


def _datetime_problem() -> Problem:
    return Problem(
        "datetime.format",
        "请写日期，例如 2027-06-05 或 2027年6月5日，需要时后面加时间如 14:30；并且是真实存在的日期",
        "write the date, such as 2027-06-05, with a time such as 14:30 after it where one is needed; it must "
        "exist",
    )
