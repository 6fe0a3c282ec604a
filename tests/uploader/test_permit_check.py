"""Residence-permit checks (一证通) through the real `dengji` command and a real platform: the answer is
the platform's, verified, and kept with the registration."""

from __future__ import annotations

import json
from pathlib import Path

from agent.cli.demo_people import sample_registration
from agent.duties.permit_checks import permit_checks
from agent.store import audit
from agent.store.opening import open_store
from tests.uploader.processes import Receiver, dengji

ARRIVED = "2026-11-20 10:00"


def test_permit_check_answers_from_the_platform_and_is_kept(enrolled_hotel: Receiver, private_home: Path,
                                                           tmp_path: Path) -> None:
    holder = sample_registration(1, "stay", ARRIVED, unit="201")
    holder["person"]["residence_permit_number"] = "4101 0200 0001 2345"
    other = sample_registration(2, "stay", ARRIVED, unit="202")
    dengji("register", "--json", "-", input=json.dumps([holder, other], ensure_ascii=False))
    permits = tmp_path / "permits.csv"
    permits.write_text("permit_number,document_number,valid_from,valid_until\n"
                       f"4101020000012345,{holder['person']['doc_number']},2026-01-01,2028-12-31\n", encoding="utf-8")
    enrolled_hotel.admin("load-permits", str(permits))

    valid = dengji("permit-check", "1")
    assert "valid (until 2028-12-31)" in valid.stdout
    unknown = dengji("permit-check", "2", check=False)  # no number recorded: says what to do
    assert unknown.returncode == 1 and "enter the number" in unknown.stderr
    wrong = dengji("permit-check", "2", "--permit", "4101020000012345", "--json", check=False)
    assert wrong.returncode == 1 and json.loads(wrong.stdout)["status"] == "not_found"  # someone else's permit

    store = open_store(private_home)
    try:
        assert [c.status for c in permit_checks(store, 1)] == ["valid"]
        assert [c.status for c in permit_checks(store, 2)] == ["not_found"]
        checks = [e for e in audit.entries(store) if e.action == audit.PERMIT_CHECK]
        assert [e.registration_id for e in checks] == [1, 2]  # an inspection, audited
        assert audit.verify(store).intact
    finally:
        store.dispose()


def test_permit_check_needs_a_registration_and_an_enrolled_device(private_home: Path) -> None:
    dengji("init", "--kind", "hotel", "--name", "测试宾馆")
    out = dengji("permit-check", "1", check=False)
    assert out.returncode == 1 and "no registration 1" in out.stderr
    guest = sample_registration(3, "stay", ARRIVED)
    guest["person"]["residence_permit_number"] = "4101020000012345"
    dengji("register", "--json", "-", input=json.dumps(guest, ensure_ascii=False))
    out = dengji("permit-check", "1", check=False)
    assert out.returncode == 1 and "not enrolled" in out.stderr
