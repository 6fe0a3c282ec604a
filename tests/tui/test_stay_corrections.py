"""A refused visit, visitor leaving, room change or extension corrected from the Rejected screen (F5), by
keys only: the question is filled with what was sent, the correction is a new event naming the refused
one, which is superseded; what is wrong is said at its field and nothing is written. The refusal is
written as the uploader writes a platform's answer."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import update
from sqlmodel import col, select

from agent.cli.demo_people import sample_registration
from agent.register.registry import Registry
from agent.store.models import Event, OutboxEntry
from tests.tui.conftest import ARRIVED, sees, settle

REASON_ZH = "这个房间/单元没有在公安机关备案，请核对房间号，或先到派出所办理备案。"
REASON_EN = "This unit is not on file with the police station: check the unit, or file it at the station first."


def _visitor(n: int) -> dict[str, Any]:
    return sample_registration(n, "stay", ARRIVED)["person"]


def _happen(registry: Registry, kind: str) -> None:
    """A guest in 301 and the event of `kind` about them (a visit comes before its end)."""
    outcome = registry.register(sample_registration(1, "stay", ARRIVED, unit="301"))
    assert outcome.ok and outcome.registration_id is not None
    host = outcome.registration_id
    if kind in ("visit", "visit_end"):
        came = registry.visit({"visitor": _visitor(7), "host": host, "arrived_at": "2025-05-01 12:00"})
        assert came.ok and came.visit_id is not None
        if kind == "visit_end":
            assert registry.end_visit(came.visit_id).ok
    elif kind == "unit_change":
        assert registry.move(host, "305").ok
    else:
        assert registry.extend(host, "2025-05-03 12:00").ok


def _refuse(registry: Registry, kind: str) -> str:
    """The latest event of `kind` refused by the platform; its event id."""
    with registry.store.read() as session:
        event = session.exec(select(Event).where(Event.type == kind).order_by(col(Event.seq).desc())).first()
    assert event is not None and event.seq is not None
    registry.store.write(lambda s: s.execute(update(OutboxEntry).where(col(OutboxEntry.event_seq) == event.seq).values(
        state="rejected", reject_code="unit.not_filed", reject_zh=REASON_ZH, reject_en=REASON_EN)))
    return event.event_id


def _events(registry: Registry) -> list[tuple[str, str, dict[str, Any]]]:
    """Every event: its type, its outbox state and its data."""
    with registry.store.read() as session:
        rows = session.exec(select(Event, OutboxEntry.state).join(
            OutboxEntry, col(OutboxEntry.event_seq) == Event.seq).order_by(col(Event.seq))).all()
    return [(e.type, state, registry.event_payload(e)) for e, state in rows]


async def _question(app, pilot) -> None:  # type: ignore[no-untyped-def]
    await pilot.press("f5")
    await settle(app, pilot)
    await pilot.press("enter")
    await settle(app, pilot)
    assert app.screen.id == "stay-correction"


# What the clerk types in each kind's question: the first field is focused, filled with what was sent.
FIXES = {
    "visit_end": ("ctrl+u", *"2025-05-01 13:45", "enter"),
    "unit_change": ("ctrl+u", *"306", "enter", "enter"),
    "stay_extension": ("ctrl+u", *"2025-05-04 12:00", "enter"),
    "visit": ("ctrl+u", *_visitor(8)["name"], "enter", "enter", "ctrl+u", *_visitor(8)["doc_number"], "enter",
              "ctrl+u", *"2025-05-01 12:10", "enter"),
}


@pytest.mark.parametrize("kind", list(FIXES))
async def test_a_refused_stay_event_is_corrected_by_keys(hotel_registry_at_now, make_app, kind):
    registry = hotel_registry_at_now
    _happen(registry, kind)
    refused = _refuse(registry, kind)
    app = make_app(registry)
    async with app.run_test(size=(80, 24)) as pilot:
        await _question(app, pilot)
        await pilot.press(*FIXES[kind])
        assert app.screen.focused is not None and app.screen.focused.id == "fix-confirm"
        await pilot.press("enter")  # on the focused button
        await settle(app, pilot)
        assert app.screen.id == "rejected"
        assert any("将重新上报" in n.message for n in app._notifications)
    assert registry.corrections.rejections() == []
    events = _events(registry)
    old = next(e for e in events if e[2].get("corrects") is None and e[0] == kind)
    new = next(e for e in events if e[2].get("corrects") == refused)
    assert old[1] == "superseded" and new[0] == kind and new[1] == "pending"
    data = new[2]
    if kind == "visit":
        assert data["visitor"]["name"] == _visitor(8)["name"] and data["arrived_at"].startswith("2025-05-01T12:10")
        assert data["visitor"]["doc_number"] == _visitor(8)["doc_number"]
    elif kind == "visit_end":
        assert data["left_at"].startswith("2025-05-01T13:45")
    elif kind == "unit_change":
        assert data["unit"] == "306" and data["previous_unit"] == "305"
    else:
        assert data["expected_departure"].startswith("2025-05-04T12:00")


async def test_what_is_wrong_is_said_at_its_field_and_nothing_is_written(hotel_registry_at_now, make_app, screen_text):
    registry = hotel_registry_at_now
    _happen(registry, "unit_change")
    for kind in ("unit_change", "stay_extension", "visit_end"):
        if kind == "stay_extension":
            assert registry.extend(registry.registrations()[0].id, "2025-05-03 12:00").ok
        if kind == "visit_end":
            came = registry.visit({"visitor": _visitor(7), "host": registry.registrations()[0].id,
                                   "arrived_at": "2025-05-01 12:00"}).visit_id
            assert came is not None and registry.end_visit(came).ok
        _refuse(registry, kind)
    before = _events(registry)
    app = make_app(registry, lang="en")
    async with app.run_test(size=(80, 24)) as pilot:
        await _question(app, pilot)  # the room change, sent as 305: the same room is no change
        assert app.screen.query_one("#fix-unit").value == "305"
        await pilot.press("enter", "enter", "enter")
        await settle(app, pilot)
        assert app.screen.focused.id == "fix-unit"
        assert "already in 305" in str(app.screen.query_one("#fix-unit-problem").render())
        await pilot.press("escape")  # nothing changed: back at once
        await settle(app, pilot)
        await pilot.press("down", "enter")  # the extension: an end before the arrival
        await settle(app, pilot)
        await pilot.press("ctrl+u", *"2025-04-30 12:00", "enter", "enter")
        await settle(app, pilot)
        assert "not after the arrival" in str(app.screen.query_one("#fix-expected_departure-problem").render())
        await pilot.press("escape")  # something typed: asked first
        await settle(app, pilot)
        assert app.screen.id == "discard"
        await pilot.press("escape")  # keep editing
        assert app.screen.id == "stay-correction" and app.screen.query_one("#fix-expected_departure").value == \
            "2025-04-30 12:00"
        await pilot.press("escape", "y")
        await settle(app, pilot)
        await pilot.press("down", "enter")  # the visitor leaving: a time nobody can read
        await settle(app, pilot)
        await pilot.press("ctrl+u", *"yesterday", "enter")
        assert app.screen.focused.id == "fix-left_at"
        assert sees(screen_text, app, str(app.screen.query_one("#fix-left_at-problem").render()))
        assert str(app.screen.query_one("#fix-left_at-problem").render()).strip()
    assert _events(registry) == before
    assert len(registry.corrections.rejections()) == 3


@pytest.mark.parametrize(("lang", "size"), [("zh", (80, 24)), ("en", (60, 20))])
async def test_the_visit_question_is_drawn_whole(hotel_registry_at_now, make_app, screen_text, lang, size):
    registry = hotel_registry_at_now
    _happen(registry, "visit")
    _refuse(registry, "visit")
    app = make_app(registry, lang=lang)
    async with app.run_test(size=size) as pilot:
        await _question(app, pilot)
        text = screen_text(app)
        words = (["更正访客登记", "被访人：301", "没有在公安机关备案", "姓名", "证件类型", "证件号码", "到访时间",
                  "保存更正", "取消"] if lang == "zh" else
                 ["Correct the visit", "Visiting: 301", "not on file with the police", "Name", "Document",
                  "Number", "Came at", "Save", "Cancel"])
        for word in words + [_visitor(7)["name"], _visitor(7)["doc_number"], "2025-05-01 12:00"]:
            assert sees(screen_text, app, word), (word, text)
