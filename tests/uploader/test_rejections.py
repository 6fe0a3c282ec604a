"""A refusal only the platform can make, end to end: the rest is accepted, the refused one is shown with
its reason, and its correction is accepted - through the real `dengji` command and a real receiver.

The platform-only refusal: the hotel filed its rooms with the police station (房屋租赁登记备案), which
the receiver knows and the agent does not; a guest registered in a room not on file is rejected.
"""

from __future__ import annotations

import json
from pathlib import Path

from agent.cli.demo_people import sample_registration
from agent.store.opening import open_store
from tests.uploader.processes import Receiver, dengji, local_event_ids
from uploader.device import load_device

ARRIVED = "2026-11-20 10:00"


def device_id(home: Path) -> str:
    store = open_store(home)
    try:
        return load_device(store).device_id
    finally:
        store.dispose()


def platform_events(receiver: Receiver) -> list[dict]:  # type: ignore[type-arg]
    return json.loads(receiver.admin("events", "--json"))


def test_a_rejected_registration_is_shown_corrected_and_accepted(enrolled_hotel: Receiver, private_home: Path,
                                                                tmp_path: Path) -> None:
    units = tmp_path / "units.txt"
    units.write_text("101\n102\n103\n", encoding="utf-8")
    enrolled_hotel.admin("file-units", device_id(private_home), str(units))
    guests = [sample_registration(1, "stay", ARRIVED, unit="101"), sample_registration(2, "stay", ARRIVED, unit="102"),
              sample_registration(3, "stay", ARRIVED, unit="1O3")]  # a letter O typed for a zero
    dengji("register", "--json", "-", input=json.dumps(guests, ensure_ascii=False))
    dengji("depart", "3", "--at", "2026-11-21 09:00", "--late-reason", "补录")  # the platform cannot know this stay either

    out = dengji("send", check=False)
    assert out.returncode == 1 and "dengji rejected" in out.stderr
    held = platform_events(enrolled_hotel)
    assert sorted(e["data"]["unit"] for e in held) == ["101", "102"]  # the others were accepted

    rejections = json.loads(dengji("rejected", "--json").stdout)
    assert [(r["type"], r["code"], r["registration_id"]) for r in rejections] == [
        ("registration", "unit.not_filed", 3), ("departure", "registration.unknown", 3)]
    assert "备案" in rejections[0]["zh"] and "not on file" in rejections[0]["en"]
    listing = dengji("rejected").stdout
    assert "unit.not_filed" in listing and guests[2]["person"]["doc_number"] not in listing

    fixed = {**guests[2], "unit": "103"}
    dengji("correct", str(rejections[0]["seq"]), "--json", "-", input=json.dumps(fixed, ensure_ascii=False))
    assert json.loads(dengji("rejected", "--json").stdout) == []
    dengji("send")

    held = platform_events(enrolled_hotel)
    correction = next(e for e in held if e["type"] == "correction")
    assert correction["data"]["corrects"] == rejections[0]["event_id"] and correction["data"]["unit"] == "103"
    departure = next(e for e in held if e["type"] == "departure")
    assert departure["registration_id"] == "3" and departure["event_id"] != rejections[1]["event_id"]
    # Every event the venue holds reached the platform once, except the two it refused (kept as proof).
    refused = {r["event_id"] for r in rejections}
    assert sorted(e["event_id"] for e in held) == sorted(set(local_event_ids(private_home)) - refused)
    state = json.loads(dengji("status", "--json").stdout)
    assert (state["pending"], state["rejected"], state["sent"], state["superseded"]) == (0, 0, 4, 2)


def test_correcting_twice_or_correcting_what_was_not_rejected_is_refused(enrolled_hotel: Receiver,
                                                                        private_home: Path, tmp_path: Path) -> None:
    units = tmp_path / "units.txt"
    units.write_text("101\n", encoding="utf-8")
    enrolled_hotel.admin("file-units", device_id(private_home), str(units))
    guest = sample_registration(7, "stay", ARRIVED, unit="909")
    dengji("register", "--json", "-", input=json.dumps(guest, ensure_ascii=False))
    dengji("send", check=False)
    [rejection] = json.loads(dengji("rejected", "--json").stdout)

    still_wrong = dengji("correct", str(rejection["seq"]), "--json", "-", check=False,
                         input=json.dumps({**guest, "person": {**guest["person"], "doc_number": "110101199001011230"}}))
    assert still_wrong.returncode == 1 and "check digit is wrong" in still_wrong.stderr
    assert json.loads(dengji("rejected", "--json").stdout) == [rejection]  # a refused correction changes nothing
    # The unit is filed at the station after all: the same record is sent again unchanged.
    units.write_text("101\n909\n", encoding="utf-8")
    enrolled_hotel.admin("file-units", device_id(private_home), str(units))
    dengji("resend", str(rejection["seq"]))
    again = dengji("resend", str(rejection["seq"]), check=False)
    assert again.returncode == 1 and "not rejected" in again.stderr
    dengji("send")
    assert [e["data"]["unit"] for e in platform_events(enrolled_hotel)] == ["909"]
