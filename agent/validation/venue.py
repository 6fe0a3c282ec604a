"""The venue's own details, checked before they are stored (by `dengji init` and the TUI's setup wizard)."""

from __future__ import annotations

from dataclasses import dataclass

from agent.domain import VenueKind
from agent.validation import InvalidDocument, Problem
from agent.validation.normalise import forbidden_characters

_LIMITS = {"name": 200, "address": 200, "police_station": 100, "agreement_no": 64, "rental_filing_no": 64}
_LABELS = {"name": ("名称", "name"), "address": ("地址", "address"), "police_station": ("派出所", "police station"),
           "agreement_no": ("治安管理责任书编号", "agreement number"),
           "rental_filing_no": ("房屋租赁登记备案证明编号", "rental filing number")}


@dataclass(frozen=True)
class VenueDetails:
    kind: VenueKind
    name: str
    address: str | None = None
    police_station: str | None = None
    agreement_no: str | None = None
    rental_filing_no: str | None = None
    credit_code: str | None = None


def check_venue(details: VenueDetails) -> tuple[VenueDetails, list[Problem]]:
    """The details with text stripped and the credit code compacted, and what is wrong with them."""
    from agent.validation import credit_code

    problems: list[Problem] = []
    cleaned: dict[str, str | None] = {}
    for key, limit in _LIMITS.items():
        value = getattr(details, key)
        value = value.strip() if value else None
        zh, en = _LABELS[key]
        if key == "name" and not value:
            problems.append(Problem("venue.name.missing", "请填写场所名称", "the venue's name is required", "venue.name"))
        elif value and len(value) > limit:
            problems.append(Problem(f"venue.{key}.too_long", f"{zh}太长：最多 {limit} 个字，现有 {len(value)} 个",
                                    f"the {en} is too long: at most {limit} characters, got {len(value)}",
                                    f"venue.{key}"))
        elif value and forbidden_characters(value):
            bad = ", ".join(forbidden_characters(value))
            problems.append(Problem(f"venue.{key}.characters", f"{zh}含有不允许的控制字符 ({bad})",
                                    f"the {en} contains control characters ({bad}): retype it", f"venue.{key}"))
        cleaned[key] = value
    code = details.credit_code.strip() if details.credit_code else None
    if code:
        try:
            code = credit_code.validate(code)
        except InvalidDocument as exc:
            problems.append(exc.problem.at("venue.credit_code"))
    return VenueDetails(kind=VenueKind(details.kind), credit_code=code, **cleaned), problems  # type: ignore[arg-type]
