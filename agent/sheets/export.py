"""The register as a file: the book a police inspector asks to see, in CSV or XLSX.

One row per registration, newest first, with the document numbers and phones masked as every list
shows them: the export leaves the machine on a USB stick or in a chat, and the full numbers stay in the
encrypted store. Headers are Chinese with English ("姓名 name") so both the inspector and a foreign
manager can read it, and they are ones `dengji import` recognises.

Text that begins with = + - @ is what Excel and WPS would run as a formula (a guest named
`=HYPERLINK(...)` is CSV injection), so such a cell is written with a leading apostrophe. The file is
written beside the target and renamed over it, so a crash or a full disk never leaves half a register.
Before the rename, the export is entered in the audit trail with the file's SHA-256 and the number of
rows (no personal data): no register leaves the machine without the trail saying who exported it.

>>> inert("=1+1"), inert("-1层"), inert("张三")
("'=1+1", "'-1层", '张三')
"""

from __future__ import annotations

import csv
import os
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import Any, Literal

from agent.domain import CHINA_TIME
from agent.domain.codes import doc_types
from agent.domain.errors import ExportError
from agent.home.private import private_file
from agent.register.records import RegistrationView
from agent.register.registry import Registry
from agent.store import audit

COLUMNS = ("登记号 id", "类型 kind", "房号/单元 unit", "姓名 name", "性别 sex", "证件类型 document type",
           "证件号码 document number", "联系电话 phone", "到达时间 arrived", "预计离开 expected departure",
           "离开时间 departed", "状态 status")
_KINDS = {"tenancy": "租住", "stay": "住宿", "employment": "用工"}
_SEXES = {"M": "男", "F": "女"}
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_TIME_FORMAT = "%Y-%m-%d %H:%M"


def inert(text: str) -> str:
    """The text as a spreadsheet shows it, never as a formula it would run."""
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


def write_register(registry: Registry, path: Path, fmt: Literal["csv", "xlsx"] | str,
                   date_from: date | None = None, date_to: date | None = None) -> int:
    """Write the registrations that arrived between `date_from` and `date_to` (inclusive, China time)
    to `path`, replacing it whole; return how many rows were written. Raises ExportError."""
    if fmt not in ("csv", "xlsx"):
        raise ExportError(f"导出格式只能是 csv 或 xlsx，不能是 {fmt}", f"the format must be csv or xlsx, not {fmt}",
                          code="export.format")
    views = registry.registrations(arrived_from=date_from, arrived_to=date_to)

    def enter(temp: Path) -> None:
        registry.record_action(audit.EXPORT, digest=audit.digest_of(temp.read_bytes()), detail={
            "format": fmt, "rows": len(views), "from": date_from.isoformat() if date_from else None,
            "to": date_to.isoformat() if date_to else None})

    if fmt == "csv":
        _write_atomically(path, lambda temp: _write_csv(temp, views), enter)
    else:
        venue = registry.venue()
        title = _title(venue.name if venue else "", date_from, date_to, len(views))
        _write_atomically(path, lambda temp: _write_xlsx(temp, views, title), enter)
    return len(views)


def _row(view: RegistrationView) -> list[Any]:
    """The cells of one registration; times as naive China time (what the inspector's clock says)."""
    entry = doc_types().get(view.doc_type)
    return [
        view.id, _KINDS.get(view.kind, view.kind), inert(view.unit), inert(view.name),
        _SEXES.get(view.sex or "", ""), entry.zh if entry else view.doc_type, inert(view.doc_masked),
        inert(view.phone_masked or ""), _local(view.arrived_at), _local(view.expected_departure),
        _local(view.departed_at), "在住 present" if view.present else "已离开 departed",
    ]


def _local(when: datetime | None) -> datetime | None:
    return when.astimezone(CHINA_TIME).replace(tzinfo=None) if when else None


def _title(venue_name: str, date_from: date | None, date_to: date | None, count: int) -> list[str]:
    exported = datetime.now(CHINA_TIME).strftime(_TIME_FORMAT)
    span = ""
    if date_from or date_to:
        first = date_from.isoformat() if date_from else "…"
        last = date_to.isoformat() if date_to else "…"
        span = f"；到达日期 arrivals {first} 至 to {last}"
    return [inert(f"{venue_name} 登记簿 register"),
            f"导出时间 exported {exported}{span}；共 {count} 条 registrations"]


def _write_csv(temp: Path, views: list[RegistrationView]) -> None:
    # UTF-8 with a byte-order mark: without it Excel on a Chinese Windows reads the file as GBK.
    with temp.open("w", encoding="utf-8-sig", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(COLUMNS)
        for view in views:
            writer.writerow([cell.strftime(_TIME_FORMAT) if isinstance(cell, datetime) else
                             "" if cell is None else cell for cell in _row(view)])
        out.flush()
        os.fsync(out.fileno())


def _write_xlsx(temp: Path, views: list[RegistrationView], title: list[str]) -> None:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    book = Workbook(write_only=True)
    sheet = book.create_sheet("登记簿 register")
    for letter, width in zip("ABCDEFGHIJKL", (10, 10, 14, 14, 8, 20, 24, 16, 18, 18, 18, 14), strict=True):
        sheet.column_dimensions[letter].width = width
    sheet.freeze_panes = "A4"  # title, export line and headers stay in view while scrolling

    def bold(value: str) -> WriteOnlyCell:
        cell = WriteOnlyCell(sheet, value=value)
        cell.font = Font(bold=True)
        return cell

    sheet.append([bold(title[0])])
    sheet.append([title[1]])
    sheet.append([bold(header) for header in COLUMNS])
    for view in views:
        cells = []
        for value in _row(view):
            cell = WriteOnlyCell(sheet, value=value)
            if isinstance(value, datetime):
                cell.number_format = "yyyy-mm-dd hh:mm"
            cells.append(cell)
        sheet.append(cells)
    book.save(temp)
    with temp.open("rb+") as written:
        os.fsync(written.fileno())


def _write_atomically(path: Path, write: Callable[[Path], None], before_rename: Callable[[Path], None]) -> None:
    """Write through a temporary file in the same directory, then rename it over `path`; `before_rename`
    sees the finished file first, and if it raises, nothing is published."""
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise ExportError(f"目录不存在: {folder}", f"no such directory: {folder}", code="export.no_directory")
    temp = folder / f".{path.name}.{os.getpid()}.tmp"
    try:
        private_file(temp)  # the register in the clear: this user's only (the folder may be shared)
        write(temp)
        before_rename(temp)
        os.replace(temp, path)
    except OSError as exc:
        raise ExportError(f"无法写入 {path}: {exc.strerror}", f"cannot write {path}: {exc.strerror}",
                          code="export.write_failed") from None
    finally:
        temp.unlink(missing_ok=True)
