"""Reading the spreadsheet a venue already keeps: CSV or XLSX rows as `{field: cell}` dicts.

Landlords keep their tenants in whatever Excel made of them: GBK CSV from a Chinese Windows, UTF-8
with or without a byte-order mark, tab-separated "Unicode text", or an .xlsx with a title row above the
headers. This module finds the header row, recognises the columns by their common Chinese and English
names, and hands each data row on as raw cell values keyed by our field names; turning values into a
registration is `agent.sheets.importer`'s job. A file that cannot be read at all is a `SheetError`; a bad cell
is left for the row report.

>>> field_of_header("公民身份号码")
'doc_number'
>>> field_of_header("* 房间号（必填）")
'unit'
>>> field_of_header("姓名 name")
'name'
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import stat
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

from agent.domain.errors import SheetError
from agent.validation.normalise import halfwidth

Cell = str | int | float | bool | datetime | date | time

# Bigger files are not a landlord's register; refusing them early keeps memory bounded.
MAX_FILE_BYTES = 50 * 1024 * 1024
# What an .xlsx may unpack to, all its parts together. An .xlsx is a zip: a 1 MB one can hold a sheet of a
# gigabyte; 100,000 rows of a register unpack to about 100 MB. The sizes a zip declares bound what Python's
# zipfile unpacks, so they are checked before anything is opened.
MAX_UNPACKED_BYTES = 256 * 1024 * 1024
MAX_ROWS = 100_000
# A title row or two above the headers is common; the header row is looked for this far down.
_HEADER_SEARCH_ROWS = 10

# Our field names, each with the headers people give that column (compared after `_normalise_header`).
COLUMN_NAMES: dict[str, tuple[str, ...]] = {
    "name": ("姓名", "名字", "租客姓名", "租户姓名", "房客姓名", "承租人", "承租人姓名", "住客姓名", "旅客姓名",
             "客人姓名", "顾客姓名", "员工姓名", "职工姓名", "name", "fullname", "full name"),
    "doc_type": ("证件类型", "证件种类", "证件名称", "doc_type", "doctype", "document type", "id type"),
    "doc_number": ("证件号码", "证件号", "身份证号", "身份证号码", "身份证", "公民身份号码", "公民身份证号码",
                   "护照号", "护照号码", "doc_number", "document number", "id number", "id_number", "id no",
                   "passport number"),
    "sex": ("性别", "sex", "gender"),
    "ethnicity": ("民族", "ethnicity", "ethnic group", "nation"),
    "birth_date": ("出生日期", "出生年月日", "生日", "birth_date", "birthdate", "date of birth", "dob", "birthday"),
    "nationality": ("国籍", "国籍地区", "国家地区", "国家", "nationality", "country"),
    "address": ("户籍地址", "户籍地", "户籍所在地", "户口所在地", "住址", "家庭住址", "身份证地址", "地址",
                "address", "household address", "registered address"),
    "phone": ("联系电话", "电话", "电话号码", "手机", "手机号", "手机号码", "联系方式", "phone", "mobile",
              "telephone", "tel"),
    "residence_permit_number": ("居住证号", "居住证号码", "居住证编号", "居住证", "residence_permit_number",
                                "residence permit", "residence permit number"),
    "unit": ("房号", "房间号", "房间", "房屋", "门牌号", "单元", "单元号", "床位", "床位号", "座位", "座位号", "机号",
             "宿舍", "宿舍号", "unit", "room", "room number", "room no", "bed", "seat"),
    "arrived_at": ("入住时间", "入住日期", "到达时间", "到达日期", "起租日期", "起租时间", "租赁开始日期",
                   "入职日期", "入职时间", "arrived_at", "arrival", "arrived", "check-in", "check in",
                   "move-in date", "move in date", "start date", "hire date"),
    "expected_departure": ("租约到期", "租约到期日", "租期至", "到期日期", "到期时间", "租赁截止日期", "预计离开",
                           "预计离开时间", "预计离开日期", "预计离店时间", "预离时间", "expected_departure",
                           "expected departure", "lease end", "lease end date"),
    "position": ("岗位", "职务", "职位", "工种", "position", "job", "job title"),
    "lodges_on_site": ("是否住宿", "住宿", "是否在单位住宿", "是否住宿舍", "lodges_on_site", "lodges on site",
                       "lodging"),
    "reason": ("事由", "暂住事由", "居住事由", "来由", "reason", "reason for stay", "purpose"),
    # A foreign guest's passport expiry and visa (境外人员临时住宿登记), and a late registration's reason.
    "doc_expiry": ("证件有效期", "证件有效期至", "护照有效期", "护照有效期至", "doc_expiry", "date of expiry",
                   "passport expiry", "expiry date"),
    "visa_type": ("签证种类", "签证类型", "证件种类(签证)", "visa_type", "visa type"),
    "visa_number": ("签证号码", "签证号", "居留许可号码", "visa_number", "visa number"),
    "visa_stay_until": ("停留有效期", "停留有效期至", "签证有效期", "居留有效期", "visa_stay_until", "stay until",
                        "permitted stay"),
    "visa_entry_date": ("入境日期", "入境时间", "visa_entry_date", "entry date", "date of entry"),
    "visa_entry_port": ("入境口岸", "visa_entry_port", "entry port", "port of entry"),
    "late_reason": ("迟报原因", "逾期原因", "late_reason", "late reason"),
}
# Columns that only number the rows: known, carry nothing, and are not worth a mention.
_ROW_NUMBER_HEADERS = frozenset({"序号", "编号", "no", "no.", "#"})

REQUIRED_FIELDS = ("name", "doc_number", "unit", "arrived_at")
DATE_FIELDS = frozenset({"birth_date", "arrived_at", "expected_departure", "doc_expiry", "visa_stay_until",
                         "visa_entry_date"})

# How each field is called in messages when the sheet has no column for it.
FIELD_LABELS: dict[str, tuple[str, str]] = {
    "name": ("姓名", "name"), "doc_type": ("证件类型", "document type"), "doc_number": ("证件号码", "document number"),
    "sex": ("性别", "sex"), "ethnicity": ("民族", "ethnic group"), "birth_date": ("出生日期", "birth date"),
    "nationality": ("国籍", "nationality"), "address": ("户籍地址", "household address"),
    "phone": ("联系电话", "phone"), "residence_permit_number": ("居住证号", "residence permit number"),
    "unit": ("房号/单元", "unit"), "arrived_at": ("入住时间", "arrival"),
    "expected_departure": ("预计离开", "expected departure"), "position": ("岗位", "position"),
    "lodges_on_site": ("是否住宿", "lodges on site"), "reason": ("事由", "reason for stay"),
    "doc_expiry": ("证件有效期至", "document expiry"), "visa_type": ("签证种类", "visa type"),
    "visa_number": ("签证号码", "visa number"), "visa_stay_until": ("停留有效期至", "permitted stay"),
    "visa_entry_date": ("入境日期", "date of entry"), "visa_entry_port": ("入境口岸", "port of entry"),
    "late_reason": ("迟报原因", "reason for the late registration"),
}

_ALIASES: dict[str, str] = {}
for _field, _names in COLUMN_NAMES.items():
    for _name in _names:
        _ALIASES[_name.replace(" ", "").replace("_", "")] = _field

# Magic numbers of files people rename to .csv by mistake, and what to call them.
_BINARY_KINDS = (
    (b"\x89PNG", "PNG 图片", "a PNG image"),
    (b"\xff\xd8\xff", "JPEG 图片", "a JPEG image"),
    (b"GIF8", "GIF 图片", "a GIF image"),
    (b"%PDF", "PDF 文档", "a PDF document"),
    (b"\xd0\xcf\x11\xe0", "旧版 Excel (.xls) 或加密的工作簿", "an old Excel .xls or a password-protected workbook"),
    (b"Rar!", "RAR 压缩包", "a RAR archive"),
    (b"7z\xbc\xaf", "7z 压缩包", "a 7z archive"),
)
_SAVE_AS = "请在 Excel 或 WPS 中“另存为” .xlsx 或 CSV 后再导入"
_SAVE_AS_EN = "open it in Excel or WPS and save it as .xlsx or CSV, then import that"


@dataclass(frozen=True)
class SheetRow:
    """One data row: `number` is the row number a spreadsheet program shows for it.

    `values` holds the non-empty cells of recognised columns (str cells stripped). `extra_cells` counts
    non-empty cells beyond the last header: in a CSV that is a comma inside an unquoted cell, which
    shifts every later column, so the row cannot be trusted.
    """

    number: int
    values: dict[str, Cell]
    extra_cells: int = 0


@dataclass
class Sheet:
    """A file's recognised columns and data rows, and how it was read."""

    file_name: str
    encoding: str | None  # None for XLSX
    sheet_name: str | None  # the worksheet used, when the workbook has several
    headers: dict[str, str]  # field -> the header as written in the file
    ignored: list[str] = field(default_factory=list)  # headers not understood, in file order
    repeated: list[tuple[str, str]] = field(default_factory=list)  # (header, the earlier header it repeats)
    rows: list[SheetRow] = field(default_factory=list)

    def header_of(self, field_name: str, lang: str) -> str:
        """What to call a field in this sheet's report: its own column header, else our label."""
        if field_name in self.headers:
            return self.headers[field_name]
        zh, en = FIELD_LABELS.get(field_name, (field_name, field_name))
        return en if lang == "en" else zh


def field_of_header(header: str) -> str | None:
    """Our field name for a column header, or None when it is not one we know.

    Tried in turn: the whole header, the header without a bracketed note ("联系电话（手机）"), and each
    word of a bilingual header ("姓名 name", as our own export writes them).
    """
    text = _normalise_header(header)
    if not text:
        return None
    candidates = [text, re.sub(r"[(\[【].*?[)\]】]", "", text)]
    candidates += halfwidth(header).strip().lower().replace("*", "").split()
    for candidate in candidates:
        found = _ALIASES.get(candidate.replace(" ", "").replace("_", ""))
        if found:
            return found
    return None


def _normalise_header(header: str) -> str:
    text = halfwidth(header).strip().lower()
    for mark in ("*", ":", "：", "\u00a0"):
        text = text.replace(mark, "")
    text = text.replace("（", "(").replace("）", ")").replace("/", "").replace("、", "")
    return text.strip()


def read_sheet(path: Path, required: tuple[str, ...] = REQUIRED_FIELDS) -> Sheet:
    """Read a CSV or XLSX file; raise SheetError if it cannot be read or lacks a required column."""
    raw = _read_file(path)
    if not raw.strip():
        raise SheetError(f"文件 {path.name} 是空的", f"{path.name} is empty")
    if raw.startswith(b"PK\x03\x04"):
        grid, sheet_name = _xlsx_rows(raw, path.name)
        encoding = None
    else:
        _refuse_binary(raw, path.name)
        if path.suffix.lower() in (".xlsx", ".xlsm"):
            raise SheetError(f"{path.name} 不是有效的 .xlsx 工作簿。{_SAVE_AS}",
                             f"{path.name} is not a valid .xlsx workbook: {_SAVE_AS_EN}")
        text, encoding = decode_text(raw, path.name)
        grid, sheet_name = _csv_rows(text, path.name), None
    return _sheet_from_grid(grid, path.name, encoding, sheet_name, required)


def _too_large(size_mb: str) -> SheetError:
    return SheetError(f"文件太大（{size_mb} MB），请拆分成几个文件再导入",
                      f"the file is too large ({size_mb} MB): split it and import the parts", code="sheet.too_large")


def _read_file(path: Path) -> bytes:
    """The bytes of a regular file of at most MAX_FILE_BYTES. A device (`/dev/zero`), a pipe or a folder is
    refused before it is opened; a file that grows while it is read is read no further than the cap."""
    try:
        info = path.stat()
        if not stat.S_ISREG(info.st_mode):
            raise SheetError(f"{path.name} 不是普通文件，无法导入：请选择一个 .xlsx 或 CSV 文件",
                             f"{path.name} is not a regular file: choose an .xlsx or CSV file",
                             code="sheet.not_a_file")
        if info.st_size > MAX_FILE_BYTES:
            raise _too_large(str(info.st_size // 1024 // 1024))
        with path.open("rb") as file:
            raw = file.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise SheetError(f"无法读取文件 {path.name}: {exc.strerror}", f"cannot read {path.name}: {exc.strerror}")
    if len(raw) > MAX_FILE_BYTES:
        raise _too_large(f"> {MAX_FILE_BYTES // 1024 // 1024}")
    return raw


def _refuse_zip_bomb(raw: bytes, file_name: str) -> None:
    """Refuse a workbook whose parts would unpack to more than MAX_UNPACKED_BYTES (read from the zip's
    directory, before anything is unpacked)."""
    try:
        with zipfile.ZipFile(io.BytesIO(raw)) as archive:
            unpacked = sum(member.file_size for member in archive.infolist())
    except (zipfile.BadZipFile, ValueError, OSError):
        return  # not a readable zip: openpyxl says so below
    if unpacked > MAX_UNPACKED_BYTES:
        limit = MAX_UNPACKED_BYTES // 1024 // 1024
        raise SheetError(f"{file_name} 解压后超过 {limit} MB，不像一份登记表，没有打开。请拆分后再导入",
                         f"{file_name} would unpack to more than {limit} MB, which is no register: it was not "
                         "opened; split it and import the parts", code="sheet.too_large")


def _refuse_binary(raw: bytes, file_name: str) -> None:
    for magic, zh, en in _BINARY_KINDS:
        if raw.startswith(magic):
            raise SheetError(f"{file_name} 是{zh}，不是表格文件。{_SAVE_AS}",
                             f"{file_name} is {en}, not a spreadsheet: {_SAVE_AS_EN}")


def decode_text(raw: bytes, file_name: str) -> tuple[str, str]:
    """The text of a CSV file and the name of the encoding it was in.

    A byte-order mark decides; otherwise UTF-8 is tried first (it fails loudly on anything else),
    then GB18030, the superset of GBK and GB2312 that Chinese Excel writes.
    """
    if raw.startswith(codecs.BOM_UTF8):
        attempts = [("utf-8-sig", "UTF-8 (BOM)")]
    elif raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        attempts = [("utf-16", "UTF-16")]
    else:
        if b"\x00" in raw:
            raise SheetError(f"{file_name} 含有二进制数据，不是文本表格。{_SAVE_AS}",
                             f"{file_name} holds binary data, not text: {_SAVE_AS_EN}")
        attempts = [("utf-8", "UTF-8"), ("gb18030", "GBK/GB18030")]
    for codec, name in attempts:
        try:
            text = raw.decode(codec)
        except UnicodeDecodeError:
            continue
        controls = sum(1 for char in text if ord(char) < 32 and char not in "\t\r\n")
        if controls > max(2, len(text) // 100):
            break
        return text, name
    raise SheetError(
        f"{file_name} 既不是 UTF-8 也不是 GBK 编码的文本，可能不是表格文件。{_SAVE_AS}",
        f"{file_name} is neither UTF-8 nor GBK text and may not be a spreadsheet: {_SAVE_AS_EN}")


def _csv_rows(text: str, file_name: str) -> list[tuple[int, list[Cell]]]:
    """CSV records with their row numbers (a quoted cell may span lines; Excel still counts one row)."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text), strict=True)
    grid: list[tuple[int, list[Cell]]] = []
    number = 0
    while True:
        starts_on_line = reader.line_num + 1
        try:
            record = next(reader)
        except StopIteration:
            return grid
        except csv.Error as exc:
            if "end of data" in str(exc):
                raise SheetError(
                    f"{file_name} 第 {starts_on_line} 行开始的引号没有配对，之后的内容无法分行。请检查该行的双引号",
                    f"{file_name}: a quote opened on line {starts_on_line} is never closed, so the rows after it "
                    f"cannot be told apart; check the double quotes on that line") from None
            raise SheetError(
                f"{file_name} 第 {reader.line_num} 行格式错误（引号用法不对），请检查该行的双引号",
                f"{file_name}: line {reader.line_num} is malformed (misplaced quote); check its double quotes",
            ) from None
        number += 1
        if number > MAX_ROWS:
            raise SheetError(f"{file_name} 超过 {MAX_ROWS} 行，请拆分成几个文件",
                             f"{file_name} has more than {MAX_ROWS} rows: split it")
        grid.append((number, list(record)))


def _delimiter(text: str) -> str:
    """Comma, or the tab of Excel's "Unicode text" or the semicolon of some locales, whichever the
    first lines use most."""
    head = "\n".join(text.splitlines()[:20])
    counts = {sep: head.count(sep) for sep in (",", "\t", ";")}
    best = max(counts, key=lambda sep: counts[sep])
    return best if counts[best] > counts[","] else ","


def _xlsx_rows(raw: bytes, file_name: str) -> tuple[list[tuple[int, list[Cell]]], str | None]:
    """The rows of the first worksheet that has a header row we recognise (else of the first one).

    Numbers in date columns are Excel serial dates converted with the workbook's epoch here, the one
    place that knows it.
    """
    import openpyxl
    from openpyxl.utils.datetime import from_excel
    from openpyxl.utils.exceptions import InvalidFileException

    _refuse_zip_bomb(raw, file_name)
    try:
        book = openpyxl.load_workbook(io.BytesIO(raw), read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, ValueError, OSError):
        raise SheetError(f"{file_name} 是压缩包，但不是有效的 .xlsx 工作簿。{_SAVE_AS}",
                         f"{file_name} is a zip archive but not a valid .xlsx workbook: {_SAVE_AS_EN}") from None
    try:
        chosen: tuple[list[tuple[int, list[Cell]]], str] | None = None
        for sheet in book.worksheets:
            grid: list[tuple[int, list[Cell]]] = []
            for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
                if number > MAX_ROWS:
                    raise SheetError(f"{file_name} 超过 {MAX_ROWS} 行，请拆分成几个文件",
                                     f"{file_name} has more than {MAX_ROWS} rows: split it")
                grid.append((number, ["" if v is None else v for v in values]))
            if chosen is None:
                chosen = (grid, sheet.title)
            if _find_header(grid) is not None:
                chosen = (grid, sheet.title)
                break
        epoch = book.epoch
        several = len(book.worksheets) > 1
    finally:
        book.close()
    if chosen is None:
        raise SheetError(f"{file_name} 里没有工作表", f"{file_name} has no worksheet")
    grid, title = chosen
    header = _find_header(grid)
    if header is not None:
        fields = [field_of_header(str(h)) for h in grid[header][1]]
        for _, values in grid[header + 1:]:
            for i, value in enumerate(values):
                if i < len(fields) and fields[i] in DATE_FIELDS and _is_number(value):
                    try:
                        values[i] = from_excel(value, epoch)
                    except (ValueError, OverflowError):
                        pass  # left as a number: the importer says it is not a date
    return grid, (title if several else None)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _find_header(grid: list[tuple[int, list[Cell]]], known: int = 2) -> int | None:
    """Index of the first row (among the first non-empty ones) naming `known` or more known columns."""
    seen = 0
    for index, (_, values) in enumerate(grid):
        if not any(_cell_text(v) for v in values):
            continue
        if sum(1 for v in values if isinstance(v, str) and field_of_header(v)) >= known:
            return index
        seen += 1
        if seen >= _HEADER_SEARCH_ROWS:
            return None
    return None


def _cell_text(value: Cell) -> str:
    return value.strip() if isinstance(value, str) else str(value)


def _sheet_from_grid(grid: list[tuple[int, list[Cell]]], file_name: str, encoding: str | None,
                     sheet_name: str | None, required: tuple[str, ...]) -> Sheet:
    header_at = _find_header(grid)
    if header_at is None:
        if not any(_cell_text(v) for _, values in grid for v in values):
            raise SheetError(f"文件 {file_name} 是空的", f"{file_name} is empty")
        # A row naming one known column is the header row and safe to quote; otherwise the first row
        # may well be a person's data, which must not end up in a message.
        likely = _find_header(grid, known=1)
        found = "、".join(_cell_text(v) for v in grid[likely][1] if _cell_text(v))[:200] if likely is not None else ""
        raise _missing_columns(file_name, list(required), found)
    header_cells = [_cell_text(v) for v in grid[header_at][1]]
    sheet = Sheet(file_name, encoding, sheet_name, {})
    fields: list[str | None] = []
    for header in header_cells:
        found_field = field_of_header(header)
        if found_field is not None and found_field in sheet.headers:
            sheet.repeated.append((header, sheet.headers[found_field]))
            found_field = None
        elif found_field is not None:
            sheet.headers[found_field] = header
        elif header and _normalise_header(header) not in _ROW_NUMBER_HEADERS:
            sheet.ignored.append(header)
        fields.append(found_field)
    missing = [f for f in required if f not in sheet.headers]
    if missing:
        raise _missing_columns(file_name, missing, "、".join(h for h in header_cells if h)[:200])
    for number, values in grid[header_at + 1:]:
        cells: dict[str, Cell] = {}
        for i, value in enumerate(values[:len(fields)]):
            name = fields[i]
            if name is None:
                continue
            if isinstance(value, str):
                value = value.strip()
                if not value:
                    continue
            cells[name] = value
        extra = sum(1 for v in values[len(fields):] if _cell_text(v))
        if cells or extra:
            sheet.rows.append(SheetRow(number, cells, extra))
    if not sheet.rows:
        raise SheetError(f"{file_name} 表头下面没有数据行", f"{file_name} has no data rows below its header")
    return sheet


def _missing_columns(file_name: str, missing: list[str], found: str) -> SheetError:
    zh_missing = "、".join(FIELD_LABELS[f][0] for f in missing)
    en_missing = ", ".join(FIELD_LABELS[f][1] for f in missing)
    zh_examples = "；".join(f"{FIELD_LABELS[f][0]} 可写作 " + "/".join(COLUMN_NAMES[f][:3]) for f in missing)
    en_examples = "; ".join(f"{FIELD_LABELS[f][1]}: " + "/".join(COLUMN_NAMES[f][:2]) for f in missing)
    return SheetError(
        f"{file_name} 缺少必需的列: {zh_missing}（{zh_examples}）。"
        + (f"找到的列: {found}" if found else f"前 {_HEADER_SEARCH_ROWS} 行里没有认得的表头"),
        f"{file_name} lacks required columns: {en_missing} (e.g. {en_examples}); "
        + (f"columns found: {found}" if found else f"no known header in the first {_HEADER_SEARCH_ROWS} rows"))
