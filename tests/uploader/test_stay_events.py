"""Issue 18's stay events end to end: the real `dengji` commands record them, `dengji send` delivers
them to a real `dengji-receiver` on 127.0.0.1, which checks each and holds each exactly once; a refused
one is corrected and accepted. Bad input is refused by the command with exit status 1 and writes nothing.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path

from agent.cli.demo_people import sample_registration
from agent.domain import CHINA_TIME
from tests.uploader.processes import Receiver, assert_delivered_exactly_once, dengji, local_event_ids
from tests.uploader.test_rejections import device_id, platform_events

HUGE = "99999999999999999999999"


def _ago(**delta: float) -> str:
    return (datetime.now(CHINA_TIME) - timedelta(**delta)).strftime("%Y-%m-%d %H:%M")


def _register(*records: dict) -> None:  # type: ignore[type-arg]
    dengji("register", "--json", "-", input=json.dumps(list(records), ensure_ascii=False))


def _visit(host: int | str, n: int = 9, arrived: str | None = None) -> object:
    visitor = sample_registration(n, "stay", _ago(hours=1))["person"]
    return dengji("visit", "--json", "-", check=False, input=json.dumps(
        {"visitor": visitor, "host": host, "arrived_at": arrived or _ago(minutes=30)}, ensure_ascii=False))


def test_a_familys_stay_its_visitor_room_change_extension_and_undo_reach_the_platform_once(
        enrolled_hotel: Receiver, private_home: Path) -> None:
    arrived = _ago(hours=3)
    _register(*(sample_registration(n, "stay", arrived, unit="501") for n in range(1, 5)),
              sample_registration(5, "stay", arrived, unit="502"))
    came = _visit(5)
    assert came.returncode == 0 and "visit recorded as 1" in came.stdout  # type: ignore[attr-defined]
    dengji("move", "5", "--unit", "503", "--at", _ago(hours=1))
    tomorrow = (datetime.now(CHINA_TIME) + timedelta(days=2)).strftime("%Y-%m-%d")
    dengji("extend", "5", "--until", tomorrow)
    out = dengji("depart-room", "501")
    assert "registrations 1, 2, 3, 4" in out.stdout
    dengji("undo-depart", "4")  # the youngest was not leaving after all
    dengji("visit-end", "1")
    assert json.loads(dengji("visits", "--in", "--json").stdout) == []
    present = json.loads(dengji("list", "--present", "--json").stdout)
    assert sorted((r["id"], r["unit"]) for r in present) == [(4, "501"), (5, "503")]

    dengji("send")
    assert_delivered_exactly_once(private_home, enrolled_hotel)
    held = platform_events(enrolled_hotel)
    kinds = [e["type"] for e in held]
    assert kinds.count("registration") == 5 and kinds.count("departure") == 4
    for kind in ("visit", "visit_end", "unit_change", "stay_extension", "departure_cancelled"):
        assert kinds.count(kind) == 1, kind
    by_kind = {e["type"]: e["data"] for e in held}
    assert by_kind["visit"]["registration_id"] == "5" and by_kind["visit"]["visit_id"] == "1"
    assert by_kind["visit"]["visitor"]["doc_number"] == sample_registration(9, "stay", arrived)["person"]["doc_number"]
    assert (by_kind["unit_change"]["unit"], by_kind["unit_change"]["previous_unit"]) == ("503", "502")
    assert by_kind["stay_extension"]["expected_departure"].startswith(tomorrow)
    cancelled = by_kind["departure_cancelled"]
    departure_4 = [e for e in held if e["type"] == "departure" and e["data"]["registration_id"] == "4"]
    assert cancelled["registration_id"] == "4" and cancelled["cancels"] == departure_4[0]["event_id"]
    # After the undo the platform holds the stay open: guest 4 can leave (again) and be visited.
    dengji("depart", "4")
    dengji("send")
    assert_delivered_exactly_once(private_home, enrolled_hotel)
    assert json.loads(dengji("rejected", "--json").stdout) == []


def test_bad_input_is_refused_with_a_reason_and_writes_nothing(enrolled_hotel: Receiver, private_home: Path) -> None:
    _register(sample_registration(1, "stay", _ago(days=5), unit="301"),
              sample_registration(2, "stay", _ago(days=5), unit="302"))
    dengji("depart", "2", "--at", _ago(hours=2))
    before = local_event_ids(private_home)
    refusals = {
        ("depart", "999"): "there is no registration 999",
        ("depart", HUGE): f"there is no registration {HUGE}",
        ("move", HUGE, "--unit", "303"): "there is no registration",
        ("extend", HUGE, "--until", "2030-01-01"): "there is no registration",
        ("undo-depart", HUGE): "there is no registration",
        ("visit-end", HUGE): "there is no such visit",
        ("move", "2", "--unit", "303"): "registration 2 already departed",  # a departed stay moved
        ("extend", "2", "--until", "2030-01-01"): "registration 2 already departed",
        ("move", "1", "--unit", "301"): "already in 301",
        ("extend", "1", "--until", "2020-01-01"): "not after the arrival",
        ("undo-depart", "1"): "no departure to undo",
        ("depart", "1", "--at", _ago(hours=73)): "--late-reason",  # a backdate of 73 h without a reason
        ("depart-room", "404"): "no one is registered",
        ("correct", HUGE, "--departed-at", "2026-12-01 10:00"): "was not rejected",
        ("resend", HUGE): "was not rejected",
        ("closing-time", "24:00"): "HH:MM",
    }
    for args, reason in refusals.items():
        out = dengji(*args, check=False)
        if HUGE in args:
            # a number no row can have is refused as it is read (exit 2), before the register is opened
            assert out.returncode == 2 and "positive whole number" in out.stderr, (args, out.stdout, out.stderr)
        else:
            assert out.returncode == 1 and reason in out.stderr, (args, out.stdout, out.stderr)
        assert "Traceback" not in out.stderr
    for host, reason in ((2, "has left"), (HUGE, "host is the registration number"), (404, "no registration 404")):
        out = _visit(host)
        assert out.returncode == 1 and reason in out.stderr, (host, out.stderr)  # type: ignore[attr-defined]
    assert local_event_ids(private_home) == before

    # 72 hours back is allowed as it is; 73 with the reason, which goes to the platform.
    dengji("depart", "1", "--at", _ago(hours=73), "--late-reason", "客人凌晨离店未退房卡，今日查房发现")
    dengji("send")
    late = [e["data"] for e in platform_events(enrolled_hotel) if e["type"] == "departure"
            and e["data"]["registration_id"] == "1"]
    assert late[0]["late_reason"] == "客人凌晨离店未退房卡，今日查房发现"


def test_a_room_change_the_platform_refuses_is_corrected_and_accepted(enrolled_hotel: Receiver,
                                                                      private_home: Path, tmp_path: Path) -> None:
    units = tmp_path / "units.txt"
    units.write_text("301\n302\n303\n", encoding="utf-8")
    enrolled_hotel.admin("file-units", device_id(private_home), str(units))
    _register(sample_registration(1, "stay", _ago(hours=5), unit="301"))
    dengji("move", "1", "--unit", "3O3", "--at", _ago(hours=1))  # a letter O typed for a zero
    out = dengji("send", check=False)
    assert out.returncode == 1
    rejected = json.loads(dengji("rejected", "--json").stdout)
    assert [(r["type"], r["code"]) for r in rejected] == [("unit_change", "unit.not_filed")]
    dengji("correct", str(rejected[0]["seq"]), "--json", "-", input=json.dumps({"unit": "303"}))
    assert json.loads(dengji("rejected", "--json").stdout) == []
    dengji("send")
    moves = [e["data"] for e in platform_events(enrolled_hotel) if e["type"] == "unit_change"]
    assert len(moves) == 1 and moves[0]["unit"] == "303" and moves[0]["corrects"] == rejected[0]["event_id"]
    assert json.loads(dengji("list", "--present", "--json").stdout)[0]["unit"] == "303"


def test_a_visit_refused_for_its_refused_host_is_sent_again_with_the_hosts_correction(
        enrolled_hotel: Receiver, private_home: Path, tmp_path: Path) -> None:
    units = tmp_path / "units.txt"
    units.write_text("301\n302\n", encoding="utf-8")
    enrolled_hotel.admin("file-units", device_id(private_home), str(units))
    host = sample_registration(1, "stay", _ago(hours=5), unit="3O1")  # a letter O typed for a zero
    _register(host)
    assert _visit(1).returncode == 0  # type: ignore[attr-defined]
    dengji("extend", "1", "--until", (datetime.now(CHINA_TIME) + timedelta(days=3)).strftime("%Y-%m-%d"))
    assert dengji("send", check=False).returncode == 1
    rejected = json.loads(dengji("rejected", "--json").stdout)
    assert [(r["type"], r["code"]) for r in rejected] == [
        ("registration", "unit.not_filed"), ("visit", "registration.unknown"), ("stay_extension", "registration.unknown")]
    dengji("correct", str(rejected[0]["seq"]), "--json", "-", input=json.dumps({**host, "unit": "301"}, ensure_ascii=False))
    assert json.loads(dengji("rejected", "--json").stdout) == []  # the visit and the extension go again with it
    dengji("send")
    held = sorted(e["type"] for e in platform_events(enrolled_hotel))
    assert held == ["correction", "stay_extension", "visit"]
    assert len(local_event_ids(private_home)) == 6  # the 3 refused stay superseded, never sent twice
