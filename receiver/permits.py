"""The platform's residence-permit register (居住证), loaded from CSV, and the answer to a permit check.

The CSV file (UTF-8, a BOM is fine) has a header row:

    permit_number,document_number,valid_from,valid_until,status

`status` is `valid` or `revoked` (empty means valid); dates are YYYY-MM-DD. Numbers are compacted the
way the agent compacts them (full-width digits, spaces and dashes do not matter). A row that cannot be
read stops the load with its line number, and nothing is loaded.
"""

from __future__ import annotations

import csv
import io
from datetime import date, datetime
from pathlib import Path

from agent.domain import CHINA_TIME
from agent.validation.normalise import compact_number
from protocol.messages import parse_date
from receiver.storage import Storage

COLUMNS = ("permit_number", "document_number", "valid_from", "valid_until")


class BadPermitFile(ValueError):
    pass


def read_permit_csv(text: str) -> list[dict[str, str]]:
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    missing = [name for name in COLUMNS if name not in (reader.fieldnames or [])]
    if missing:
        raise BadPermitFile(f"the header lacks {', '.join(missing)}")
    rows = []
    for line, row in enumerate(reader, start=2):
        permit, document = compact_number(row["permit_number"] or ""), compact_number(row["document_number"] or "")
        start, end = parse_date((row["valid_from"] or "").strip()), parse_date((row["valid_until"] or "").strip())
        status = (row.get("status") or "valid").strip().lower()
        if not permit or not document or len(permit) > 64 or len(document) > 64:
            raise BadPermitFile(f"line {line}: permit_number and document_number are needed")
        if start is None or end is None or end < start:
            raise BadPermitFile(f"line {line}: valid_from and valid_until must be dates, in order")
        if status not in ("valid", "revoked"):
            raise BadPermitFile(f"line {line}: status must be valid or revoked")
        rows.append({"permit_number": permit, "document_number": document, "valid_from": start.isoformat(),
                     "valid_until": end.isoformat(), "status": status})
    return rows


def load_permit_file(storage: Storage, path: Path) -> int:
    return storage.load_permits(read_permit_csv(path.read_text(encoding="utf-8")))


def permit_status(storage: Storage, permit_number: str, document_number: str,
                  now: datetime) -> tuple[str, str | None]:
    """(`valid` | `expired` | `revoked` | `not_found`, valid_until) for a permit and its holder's document."""
    row = storage.permit(compact_number(permit_number), compact_number(document_number))
    if row is None:
        return "not_found", None
    if row.status == "revoked":
        return "revoked", row.valid_until
    today: date = now.astimezone(CHINA_TIME).date()
    if date.fromisoformat(row.valid_until) < today:
        return "expired", row.valid_until
    return "valid", row.valid_until
