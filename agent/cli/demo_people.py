"""Fictional people with well-formed documents, for the demo, the tests and the benchmarks.

The numbers pass every check (real county codes, real dates, correct check digits) but are made up:
sequence numbers are drawn from the index, so the same index always gives the same person.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from agent.validation import resident_id

_COUNTIES = ("410102", "410105", "410122", "411302", "412721", "340102", "130102", "510104")
_SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗"
_GIVEN = ("伟", "芳", "娜", "秀英", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明", "超",
          "秀兰", "霞")


def resident_id_for(index: int) -> tuple[str, date, str]:
    """A valid 18-digit resident ID for `index`, with its birth date and sex (M/F)."""
    county = _COUNTIES[index % len(_COUNTIES)]
    born = date(1960, 1, 1) + timedelta(days=(index * 7919) % (365 * 45))
    sequence = index // len(_COUNTIES) % 1000
    body = f"{county}{born:%Y%m%d}{sequence:03d}"
    sex = "M" if sequence % 2 else "F"
    return body + resident_id.calc_check_digit(body), born, sex


def sample_person(index: int) -> dict[str, Any]:
    """The `person` part of a registration payload."""
    number, born, sex = resident_id_for(index)
    name = _SURNAMES[index % len(_SURNAMES)] + _GIVEN[(index // len(_SURNAMES)) % len(_GIVEN)]
    return {"doc_type": "resident_id", "doc_number": number, "name": name, "sex": sex,
            "birth_date": born.isoformat(), "ethnicity": "01",
            "phone": f"13{index % 10}{index % 100_000_000:08d}", "address": "河南省郑州市中原区建设路1号"}


def sample_registration(index: int, kind: str, arrived_at: str, unit: str | None = None) -> dict[str, Any]:
    """A whole registration payload for `index` (tenancy, stay or employment)."""
    payload: dict[str, Any] = {"kind": kind, "unit": unit or f"{100 + index % 400}", "arrived_at": arrived_at,
                               "person": sample_person(index)}
    if kind == "tenancy":  # what a landlord's form asks besides the person (templates/rental.toml)
        lease_end = datetime.fromisoformat(arrived_at) + timedelta(days=180)
        payload.update(expected_departure=lease_end.isoformat(), reason="work")
    if kind == "employment":  # templates/employer.toml
        payload.update(position="店员", lodges_on_site=index % 3 == 0)
    return payload
