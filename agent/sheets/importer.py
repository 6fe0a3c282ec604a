"""Bulk registration from a spreadsheet: each row becomes one registration payload and is registered.

Rows are independent: a refused row writes nothing and the others go on, exactly as if the clerk had
typed them one by one, so a landlord can fix the few bad rows and import those again. The whole file
is read and checked as a file before the first row is registered, so a file that turns out to be
unreadable half-way (an unclosed quote) never leaves half its rows in the register.

Cells arrive as Excel and WPS leave them: dates as date cells or in several written forms, numbers
as numbers, ethnic groups and countries by name. They are turned into the codes of the payload here;
whether the person's data is right is then for `check_registration`, the same check every
registration passes.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

from agent.domain import (
    CHINA_TIME,
    REGISTRATION_KIND_OF_VENUE,
    RegistrationKind,
    VenueKind,
)
from agent.domain.codes import doc_types, reasons
from agent.domain.errors import SheetError
from agent.register.registry import Registry
from agent.sheets.spreadsheet import Cell, Sheet, SheetRow, read_sheet
from agent.validation import Problem
from agent.validation.datetimes import COMPACT_DATE, WRITTEN_DATE
from agent.validation.normalise import compact_number, halfwidth
from agent.validation.words import (
    country_code,
    doc_type_code,
    ethnicity_code,
    reason_code,
    sex_code,
    yes_no,
)

__all__ = ["ImportReport", "RowResult", "SheetError", "import_file", "payload_of_row"]

_PERSON_FIELDS = ("name", "doc_type", "doc_number", "sex", "ethnicity", "birth_date", "nationality", "address",
                  "phone", "residence_permit_number", "doc_expiry")
# Columns of a foreign guest's visa: `visa_type` is `person.visa.type`, and so on.
_VISA_FIELDS = ("visa_type", "visa_number", "visa_stay_until", "visa_entry_date", "visa_entry_port")
# Fields of the registration itself that each kind carries (person fields and unit/arrival always).
_KIND_FIELDS: dict[RegistrationKind, tuple[str, ...]] = {
    RegistrationKind.TENANCY: ("expected_departure", "reason", "late_reason", *_VISA_FIELDS),
    RegistrationKind.STAY: ("expected_departure", "reason", "late_reason", *_VISA_FIELDS),
    RegistrationKind.EMPLOYMENT: ("position", "lodges_on_site", "reason", "late_reason"),
}
_VENUE_LABELS = {VenueKind.RENTAL: ("出租房屋", "a rental"), VenueKind.HOTEL: ("旅馆", "a hotel"),
                 VenueKind.OVERNIGHT: ("留宿场所", "an overnight venue"), VenueKind.EMPLOYER: ("用工单位", "an employer")}

IMPORT_LATE_REASON = "从场所已有登记簿导入(imported from the venue's existing register)"
"""The `late_reason` of an imported row registered after the deadline, when its sheet gives none."""

_SCIENTIFIC = re.compile(r"\d(\.\d+)?e\+?\d+", re.IGNORECASE)

@dataclass
class RowResult:
    """What became of one row: its registration id, or why it was refused."""

    row: int
    registration_id: int | None
    problems: list[Problem] = field(default_factory=list)
    duplicate_of: int | None = None

    @property
    def ok(self) -> bool:
        return self.registration_id is not None


@dataclass
class ImportReport:
    """The outcome of importing one file: a result per data row, and how the file was read."""

    sheet: Sheet
    venue_kind: VenueKind
    dry_run: bool
    unused: list[str] = field(default_factory=list)  # headers this venue kind has no use for
    rows: list[RowResult] = field(default_factory=list)

    @property
    def registered(self) -> int:
        return sum(1 for r in self.rows if r.ok)

    @property
    def refused(self) -> int:
        return sum(1 for r in self.rows if not r.ok)

    def lines(self, lang: str) -> list[str]:
        """The report as the operator reads it: how the file was read, one line per row, a summary."""
        en = lang == "en"
        sheet = self.sheet
        lines = [self._read_line(en)]
        if sheet.ignored:
            lines.append(("columns ignored: " + ", ".join(sheet.ignored)) if en
                         else "忽略的列（不认识）: " + "、".join(sheet.ignored))
        for header, first in sheet.repeated:
            lines.append(f"column {header} repeats {first}: only {first} is used" if en
                         else f"列 {header} 与 {first} 重复，只使用 {first}")
        if self.unused:
            zh_kind, en_kind = _VENUE_LABELS[self.venue_kind]
            lines.append(f"columns {en_kind} does not report, ignored: " + ", ".join(self.unused) if en
                         else f"{zh_kind}不需要上报的列，已忽略: " + "、".join(self.unused))
        lines += [self._row_line(result, en) for result in self.rows]
        lines.append(self._summary(en))
        return lines

    def _read_line(self, en: bool) -> str:
        sheet = self.sheet
        parts_en = [f"read {sheet.file_name}:"]
        parts_zh = [f"读取 {sheet.file_name}:"]
        if sheet.encoding:
            parts_en.append(f"CSV in {sheet.encoding},")
            parts_zh.append(f"CSV，{sheet.encoding} 编码，")
        if sheet.sheet_name:
            parts_en.append(f"worksheet {sheet.sheet_name},")
            parts_zh.append(f"工作表 {sheet.sheet_name}，")
        parts_en.append(f"{len(sheet.rows)} data rows")
        parts_zh.append(f"{len(sheet.rows)} 行数据")
        return " ".join(parts_en) if en else "".join(parts_zh).replace(":", ": ", 1)

    def _row_line(self, result: RowResult, en: bool) -> str:
        if result.ok:
            warnings = "; ".join(self._problem_text(p, en) for p in result.problems)
            if self.dry_run:
                line = f"row {result.row}: can be registered" if en else f"第 {result.row} 行: 可以登记"
            else:
                line = (f"row {result.row}: registered as {result.registration_id}" if en
                        else f"第 {result.row} 行: 已登记，登记号 {result.registration_id}")
            if warnings:
                line += f" (note: {warnings})" if en else f"（提醒: {warnings}）"
            return line
        if result.duplicate_of is not None:
            return (f"row {result.row}: refused - duplicate of row {result.duplicate_of}" if en
                    else f"第 {result.row} 行: 未登记 — 与第 {result.duplicate_of} 行重复")
        reasons_text = "; ".join(self._problem_text(p, en) for p in result.problems)
        return f"row {result.row}: refused - {reasons_text}" if en else f"第 {result.row} 行: 未登记 — {reasons_text}"

    def _problem_text(self, problem: Problem, en: bool) -> str:
        """The problem with its field named by the sheet's own column header ("身份证号", not
        "person.doc_number"): in place where the validator's message names the field path, else in front."""
        lang = "en" if en else "zh"
        text = problem.text(lang)
        if not problem.field:
            return text
        header = self.sheet.header_of(problem.field.rsplit(".", 1)[-1], lang)
        if not problem.code.startswith("sheet.") and problem.field in text:
            return text.replace(problem.field, header)
        return f"{header}: {text}"

    def _summary(self, en: bool) -> str:
        total, ok, refused = len(self.rows), self.registered, self.refused
        rows = "row" if total == 1 else "rows"
        if self.dry_run:
            return (f"dry run, nothing written: {total} {rows}, {ok} can be registered, {refused} refused" if en
                    else f"试运行，没有写入任何登记: 共 {total} 行，可以登记 {ok} 行，未通过 {refused} 行")
        return (f"{total} {rows}: {ok} registered, {refused} refused" if en
                else f"共 {total} 行: 已登记 {ok} 行，未登记 {refused} 行")


def import_file(registry: Registry, path: Path, *, dry_run: bool = False,
                progress: Callable[[int, int], None] | None = None) -> ImportReport:
    """Register every data row of a CSV or XLSX file, each on its own; return the row-by-row report.

    Raises SheetError when the file cannot be used at all (nothing is registered then). With `dry_run`
    every row passes every check, the store's included, and nothing is written.
    """
    venue = registry.venue()
    if venue is None:
        raise SheetError("还没有设置场所，请先运行 dengji init", "no venue is set up yet: run `dengji init` first")
    venue_kind = VenueKind(venue.kind)
    kind = REGISTRATION_KIND_OF_VENUE[venue_kind]
    sheet = read_sheet(path)
    used = _fields_of(kind)
    report = ImportReport(sheet, venue_kind, dry_run,
                          unused=[header for name, header in sheet.headers.items() if name not in used])
    seen: dict[tuple[str, str], int] = {}
    total = len(sheet.rows)
    if progress:
        progress(0, total)
    for done, row in enumerate(sheet.rows, start=1):
        report.rows.append(_import_row(registry, row, kind, dry_run, seen))
        if progress:
            progress(done, total)
    return report


def _import_row(registry: Registry, row: SheetRow, kind: RegistrationKind, dry_run: bool,
                seen: dict[tuple[str, str], int]) -> RowResult:
    payload, problems = payload_of_row(row, kind)
    if payload is None:
        return RowResult(row.number, None, problems)
    person = payload["person"]
    key = (person["doc_type"], compact_number(person["doc_number"]))
    if key in seen:
        return RowResult(row.number, None, [], duplicate_of=seen[key])
    seen[key] = row.number
    outcome = registry.register(payload, dry_run=dry_run)
    if not outcome.ok and "late_reason" not in payload \
            and [p.code for p in outcome.problems] == ["registration.late_without_reason"]:
        # A row of the venue's existing register, registered there before: that is the reason it is
        # late, and the platform is told so.
        outcome = registry.register({**payload, "late_reason": IMPORT_LATE_REASON}, dry_run=dry_run)
    return RowResult(row.number, outcome.registration_id, outcome.problems)


def payload_of_row(row: SheetRow, kind: RegistrationKind) -> tuple[dict[str, Any] | None, list[Problem]]:
    """The registration payload a sheet row stands for, or None with the problems that stop it.

    Only what a spreadsheet gets wrong is judged here (a date that is no date, a number Excel rounded,
    an ethnic group we cannot name); the person's data is judged by `check_registration`.
    """
    problems: list[Problem] = []
    if row.extra_cells:
        problems.append(Problem(
            "sheet.extra_cells",
            f"这一行比表头多 {row.extra_cells} 个单元格，可能某个单元格里有逗号却没加引号，后面的列都错位了",
            f"this row has {row.extra_cells} more cells than the header: probably a comma in a cell without "
            "quotes, which shifts every later column"))
        return None, problems
    values = row.values
    person: dict[str, Any] = {"doc_type": "resident_id"}
    payload: dict[str, Any] = {"kind": kind.value}
    wanted = _fields_of(kind)
    for name, cell in values.items():
        if name not in wanted:
            continue
        try:
            value = _READERS[name](cell)
        except _CellProblem as bad:
            problems.append(Problem(f"sheet.{bad.code}", bad.zh, bad.en, name))
            continue
        if name in _VISA_FIELDS:
            person.setdefault("visa", {})[name.removeprefix("visa_")] = value
        else:
            (person if name in _PERSON_FIELDS else payload)[name] = value
    for name in ("name", "doc_number", "unit", "arrived_at"):
        if name not in values:
            problems.append(Problem("sheet.empty", "不能为空", "must not be empty", name))
    if problems:
        return None, problems
    payload["person"] = person
    return payload, []


def _fields_of(kind: RegistrationKind) -> set[str]:
    return {"unit", "arrived_at", *_PERSON_FIELDS, *_KIND_FIELDS[kind]}


class _CellProblem(Exception):
    """A cell a spreadsheet got wrong; becomes a `Problem` at the cell's column."""

    def __init__(self, code: str, zh: str, en: str) -> None:
        self.code, self.zh, self.en = code, zh, en


def _text(cell: Cell) -> str:
    if isinstance(cell, datetime | date | time):
        raise _CellProblem("date_cell", "这个单元格被 Excel 变成了日期（如 3-1 变成 3月1日），请把该列设为文本后重新输入",
                           "Excel turned this cell into a date (3-1 becomes 1 March): format the column as text "
                           "and retype it")
    if isinstance(cell, bool):
        raise _CellProblem("not_text", "应为文字，不是 TRUE/FALSE", "should be text, not TRUE/FALSE")
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    return str(cell)


def _number_text(cell: Cell) -> str:
    """A document or phone number; numbers Excel has already rounded are refused, not guessed at.

    Excel keeps 15 significant digits and saves bigger numbers in scientific notation, which reads
    back as a float; an int cell is an exact literal (written by a program), so it is kept.
    """
    rounded = _CellProblem(
        "rounded_number",
        "这个号码被 Excel 存成了数字（科学计数法），超过 15 位的部分已丢失：请把该列设为文本后重新输入号码",
        "Excel stored this number as a number (scientific notation) and lost the digits past the 15th: "
        "format the column as text and retype the number")
    if isinstance(cell, float) and (not cell.is_integer() or abs(cell) >= 1e15):
        raise rounded
    text = _text(cell)
    if _SCIENTIFIC.fullmatch(halfwidth(text).strip()):
        raise rounded
    return text


def _doc_type(cell: Cell) -> str:
    found = doc_type_code(cell)
    if found is None:
        labels = "、".join(entry.zh for entry in doc_types().values() if entry.code)
        raise _CellProblem("doc_type", f"不认识的证件类型，可填: {labels}（或 GA/T 517 代码如 111）",
                           "unknown document type: use one of the document names or a GA/T 517 code such as 111")
    return found


def _sex(cell: Cell) -> str:
    found = sex_code(cell)
    if found is None:
        raise _CellProblem("sex", "性别应填 男 或 女", "sex must be 男/M or 女/F")
    return found


def _ethnicity(cell: Cell) -> str:
    found = ethnicity_code(cell)
    if found is None:
        raise _CellProblem("ethnicity", "不认识的民族，请填民族名称（如 汉族）或两位代码（如 01）",
                           "unknown ethnic group: give its Chinese name (汉族) or two-digit code (01)")
    return found


def _nationality(cell: Cell) -> str:
    found = country_code(cell)
    if found is None:
        raise _CellProblem("nationality", "不认识的国籍，请填国家名称（如 中国）或三位字母代码（如 CHN）",
                           "unknown nationality: give the country's name or its three-letter code (CHN)")
    return found


def _reason(cell: Cell) -> str:
    found = reason_code(cell)
    if found is None:
        labels = "、".join(entry.zh for entry in reasons().values())
        raise _CellProblem("reason", f"不认识的事由，可填: {labels}",
                           "unknown reason for stay: use one of " + ", ".join(e.en for e in reasons().values()))
    return found


def _yes_no(cell: Cell) -> bool:
    found = yes_no(cell)
    if found is None:
        raise _CellProblem("yes_no", "应填 是 或 否", "must be 是/yes or 否/no")
    return found


def _birth_date(cell: Cell) -> str:
    return _when(cell).date().isoformat()


def _arrival(cell: Cell) -> str:
    return _when(cell).isoformat()


def _departure(cell: Cell) -> str:
    """A lease that ends on a day runs to the end of that day: a date alone means 23:59 of it, so the
    reminder for an overdue move-out does not fire on the last day of the lease."""
    when = _when(cell)
    if _has_no_time(cell) and when.time() == time(0, 0):
        when = when.replace(hour=23, minute=59)
    return when.isoformat()


def _has_no_time(cell: Cell) -> bool:
    if isinstance(cell, datetime):
        return cell.time() == time(0, 0)
    return isinstance(cell, date) or not re.search(r"\d[:：时]\d", str(cell))


def _when(cell: Cell) -> datetime:
    """A date cell or a written date, with or without a time, as an aware datetime in China time."""
    not_a_date = _CellProblem("date", "应为日期，如 2026-11-25、2026/11/25 或 2026年11月25日（可带时间 14:30）",
                              "should be a date such as 2026-11-25, 2026/11/25 or 2026年11月25日 (time optional)")
    if isinstance(cell, datetime):
        when = cell
    elif isinstance(cell, date):
        when = datetime.combine(cell, time(0, 0))
    elif isinstance(cell, str | int) and not isinstance(cell, bool):
        when = _written_date(halfwidth(str(cell)).strip(), not_a_date)  # an int may be 20261125
    else:
        raise not_a_date
    if not 1900 <= when.year <= 2100:
        raise _CellProblem("date_range", "日期不合理（年份应在 1900 至 2100 之间）",
                           "implausible date (the year should be between 1900 and 2100)")
    return when if when.tzinfo else when.replace(tzinfo=CHINA_TIME)


def _written_date(text: str, not_a_date: _CellProblem) -> datetime:
    match = WRITTEN_DATE.fullmatch(text) or COMPACT_DATE.fullmatch(text)
    if match is None:
        try:
            return datetime.fromisoformat(text)
        except ValueError:
            raise not_a_date from None
    year, month, day, hour, minute, second = (int(part) if part else 0 for part in match.groups())
    try:
        return datetime(year, month, day, hour, minute, second)
    except ValueError:
        raise _CellProblem("date", "不是有效的日期或时间（如 2 月 30 日、25 点）",
                           "not a real date or time (such as 30 February or hour 25)") from None


_READERS: Mapping[str, Callable[[Cell], Any]] = {
    "name": _text, "address": _text, "unit": _text, "position": _text,
    "doc_number": _number_text, "phone": _number_text, "residence_permit_number": _number_text,
    "doc_type": _doc_type, "sex": _sex, "ethnicity": _ethnicity, "nationality": _nationality,
    "reason": _reason, "lodges_on_site": _yes_no, "birth_date": _birth_date,
    "arrived_at": _arrival, "expected_departure": _departure,
    "doc_expiry": _birth_date, "visa_stay_until": _birth_date, "visa_entry_date": _birth_date,
    "visa_type": _text, "visa_number": _number_text, "visa_entry_port": _text, "late_reason": _text,
}
"""How each column's cell becomes its payload value."""


# -- the code tables by the names people write ---------------------------------------------------------
