"""One vocabulary: the same typed word becomes the same code through JSON, a spreadsheet and the TUI's form.

Each spelling below goes into a hotel guest's registration three ways - a JSON payload as `dengji
register --json` takes it, a CSV row as `dengji import` reads it, the register form's field as a clerk
types it - and every way must store the same code (or refuse the word alike).
"""

from __future__ import annotations

import csv
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from agent.cli.demo_people import resident_id_for
from agent.domain import CHINA_TIME, RegistrationKind, VenueKind
from agent.forms.templates import load_template
from agent.sheets.importer import payload_of_row
from agent.sheets.spreadsheet import read_sheet
from agent.validation.registration import check_registration
from tui.forms.registration_form import RegistrationForm

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=CHINA_TIME)
FOREIGN_GUEST = {"doc_type": "passport", "doc_number": "E12345678", "name": "SMITH JOHN", "sex": "M",
                 "birth_date": "1980-01-01", "nationality": "USA", "doc_expiry": "2030-01-01"}
# The visa a foreign guest stays on, as the form's fields and a spreadsheet's columns give it.
VISA = {"type": "L", "number": "01234567", "stay_until": "2026-12-01", "entry_date": "2026-11-19",
        "entry_port": "首都机场"}
RESIDENT_GUEST = {"doc_type": "resident_id", "doc_number": resident_id_for(3)[0], "name": "张三"}  # the form asks a
# resident's ethnic group; a passport holder's it does not
# field, what was typed, the code stored (None: refused by every way alike)
SPELLINGS = [
    ("sex", "男", "M"), ("sex", "女性", "F"), ("sex", "Female", "F"), ("sex", "m", "M"), ("sex", "2", "F"),
    ("sex", "Ｆ", "F"), ("sex", "X", None),
    ("nationality", "香港", "HKG"), ("nationality", "中国香港", "HKG"), ("nationality", "usa", "USA"),
    ("nationality", "日本", "JPN"), ("nationality", "日本籍", "JPN"), ("nationality", "Japan", "JPN"),
    ("nationality", "火星", None),
    ("ethnicity", "汉族", "01"), ("ethnicity", "汉", "01"), ("ethnicity", "1", "01"), ("ethnicity", "Han", "01"),
    ("ethnicity", "蒙古族", "02"), ("ethnicity", "精灵族", None),
    ("doc_type", "护照", "passport"), ("doc_type", "passport", "passport"), ("doc_type", "414", "passport"),
    ("doc_type", "驾照", None),
]


def _guest(field: str, word: str) -> dict[str, str]:
    return {**(RESIDENT_GUEST if field == "ethnicity" else FOREIGN_GUEST), field: word}


def _visa(guest: dict[str, str]) -> dict[str, str]:
    """The visa, for a guest with a foreign passport."""
    return VISA if guest.get("doc_type") in ("passport", "护照", "414") and guest.get("nationality") != "香港" \
        and guest.get("nationality") != "中国香港" else {}


def _stored(payload: dict[str, Any], field: str) -> str | None:
    checked = check_registration(payload, now=NOW)
    if not checked.ok:
        assert any(p.field and p.field.endswith(field) for p in checked.problems), checked.problems
        return None
    assert checked.data is not None
    return checked.data["person"].get(field)


def by_json(field: str, word: str) -> str | None:
    guest: dict[str, Any] = _guest(field, word)
    if _visa(guest):
        guest["visa"] = _visa(guest)
    payload = {"kind": "stay", "unit": "301", "arrived_at": "2026-11-20 10:00", "person": guest}
    return _stored(payload, field)


def by_sheet(field: str, word: str, folder: Path) -> str | None:
    guest = _guest(field, word)
    row = {**guest, **{f"visa_{key}": value for key, value in _visa(guest).items()},
           "unit": "301", "arrived_at": "2026-11-20 10:00"}
    path = folder / "guests.csv"
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(list(row))
        writer.writerow(list(row.values()))
    sheet = read_sheet(path)
    payload, problems = payload_of_row(sheet.rows[0], RegistrationKind.STAY)
    if payload is None:
        assert [p.field for p in problems] == [field]
        return None
    return _stored(payload, field)


def by_form(field: str, word: str) -> str | None:
    form = RegistrationForm(load_template(VenueKind.HOTEL), NOW)
    guest = _guest(field, word)
    for key, value in guest.items():
        form.set(f"person.{key}", value)
    for key, value in _visa(guest).items():
        form.set(f"person.visa.{key}", value)
    form.set("unit", "301")
    form.set("arrived_at", "2026-11-20 10:00")
    return _stored(form.payload(), field)


@pytest.mark.parametrize(("field", "word", "code"), SPELLINGS)
def test_a_word_means_the_same_code_in_json_a_spreadsheet_and_the_form(field: str, word: str, code: str | None,
                                                                        tmp_path: Path) -> None:
    assert (by_json(field, word), by_sheet(field, word, tmp_path), by_form(field, word)) == (code, code, code)
