"""Issue 18's people through real processes: the `dengji` CLI registers a family with a minor, a minor
alone and a foreign guest at a hotel, `dengji send` delivers them to a `dengji-receiver` on 127.0.0.1,
and the platform accepts what the agent accepted, flags and all (`dengji-receiver events --json`)."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from pathlib import Path

from agent.domain import CHINA_TIME
from agent.validation import resident_id
from tests.uploader.processes import Receiver, dengji, status


def id_number(born: date, sequence: int) -> str:
    body = f"410102{born:%Y%m%d}{sequence:03d}"
    return body + resident_id.calc_check_digit(body)


def test_a_family_a_minor_alone_and_a_foreign_guest_reach_the_platform(private_home: Path, receiver: Receiver) -> None:
    dengji("init", "--kind", "hotel", "--name", "测试宾馆", "--address", "郑州市中原区")
    dengji("enroll", receiver.issue_code(), "--platform", receiver.url)
    now = datetime.now(CHINA_TIME) - timedelta(minutes=30)
    arrived = now.isoformat(timespec="minutes")
    today = now.date()
    mother = id_number(date(1985, 6, 7), 14)
    child = id_number(today - timedelta(days=365 * 12), 16)
    alone = id_number(today - timedelta(days=365 * 16), 18)
    contact = {"name": "王芳", "phone": "13812345678"}
    records = [
        {"kind": "stay", "unit": "301", "arrived_at": arrived, "person": {"doc_type": "resident_id",
                                                                          "doc_number": mother, "name": "王芳"}},
        {"kind": "stay", "unit": "301", "arrived_at": arrived, "guardian_contact": contact,
         "companions": [{"doc_number": mother, "relation": "母亲"}],
         "person": {"doc_type": "resident_id", "doc_number": child, "name": "李小明"}},
        {"kind": "stay", "unit": "302", "arrived_at": arrived, "guardian_contact": contact, "guardian_contacted": "是",
         "person": {"doc_type": "resident_id", "doc_number": alone, "name": "李小红"}},
        {"kind": "stay", "unit": "303", "arrived_at": arrived,
         "person": {"doc_type": "passport", "doc_number": "E12345678", "name": "SMITH JOHN", "sex": "M",
                    "nationality": "USA", "doc_expiry": (today + timedelta(days=900)).isoformat(),
                    "visa": {"type": "免签", "stay_until": (today + timedelta(days=1)).isoformat(),
                             "entry_date": today.isoformat(), "entry_port": "郑州新郑国际机场"}},
         "expected_departure": (now + timedelta(days=3)).isoformat(timespec="minutes")},
    ]
    out = dengji("register", "--json", "-", input=json.dumps(records, ensure_ascii=False))
    assert out.stdout.count("registered as") == 4, out.stdout
    assert "guardian was contacted" in out.stdout and "permitted stay" in out.stdout  # the warnings
    dengji("send")
    state = status()
    assert (state["sent"], state["rejected"]) == (4, 0)
    held = [e["data"] for e in json.loads(receiver.admin("events", "--json")) if e["type"] == "registration"]
    by_unit = {data["unit"]: data for data in held}
    assert all("flags" not in data for data in held if data["unit"] == "301")  # the minor has her mother
    assert [d["companions"] for d in held if "companions" in d] == [[{"doc_number": mother, "relation": "parent"}]]
    assert by_unit["302"]["flags"] == ["minor_unaccompanied"]
    assert by_unit["303"]["flags"] == ["visa_overstay"]
    assert by_unit["303"]["person"]["visa"]["type"] == "visa_free"
    reminders = json.loads(dengji("reminders", "--json").stdout)
    assert sorted(r["code"] for r in reminders) == ["minor.unaccompanied", "visa.overstay"]
