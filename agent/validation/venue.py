"""The venue's own details, checked before they are stored (by `dengji init` and the TUI's setup wizard)."""

from __future__ import annotations

from dataclasses import dataclass

from agent.domain import VenueKind, VenueSubtype
from agent.domain.policies import jurisdiction_of_address, jurisdiction_of_region, jurisdictions
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
    subtype: str | None = None  # an overnight venue: internet_cafe, bathhouse or club
    jurisdiction: str | None = None  # its policy file; None: from the address's region (else national)
    region: str | None = None  # the address's city (`agent.validation.regions.city_of_address`); filled in


def venue_rules_of(subtype: str | None, jurisdiction: str | None) -> tuple[str | None, str]:
    """A venue's subtype and jurisdiction as the rules read them (an unknown jurisdiction: national)."""
    return subtype, jurisdiction if jurisdiction in jurisdictions() else "national"


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
    kind = VenueKind(details.kind)
    subtype = details.subtype.strip() if details.subtype else None
    known_subtypes = [s.value for s in VenueSubtype]
    if subtype and kind is not VenueKind.OVERNIGHT:
        problems.append(Problem("venue.subtype.not_overnight", "只有留宿场所（overnight）才有细分类型（--subtype）",
                                "only an overnight venue has a subtype (--subtype)", "venue.subtype"))
    elif subtype and subtype not in known_subtypes:
        problems.append(Problem("venue.subtype.unknown", f"场所细分类型应为 {'、'.join(known_subtypes)} 之一",
                                f"the subtype is one of {', '.join(known_subtypes)}", "venue.subtype"))
    from agent.validation.regions import city_of_address

    region = city_of_address(cleaned.get("address"))
    jurisdiction = details.jurisdiction.strip() if details.jurisdiction else None
    if jurisdiction and jurisdiction not in jurisdictions():
        problems.append(Problem("venue.jurisdiction.unknown",
                                f"没有管辖地 {jurisdiction} 的规则文件：可选 {'、'.join(jurisdictions())}",
                                f"no policy file for the jurisdiction {jurisdiction}: choose one of "
                                f"{', '.join(jurisdictions())}", "venue.jurisdiction"))
    if not jurisdiction:
        jurisdiction = jurisdiction_of_region(region)
        if jurisdiction == "national":
            jurisdiction = jurisdiction_of_address(cleaned.get("address"))
    return VenueDetails(kind=kind, credit_code=code, subtype=subtype, jurisdiction=jurisdiction, region=region,
                        **cleaned), problems  # type: ignore[arg-type]
