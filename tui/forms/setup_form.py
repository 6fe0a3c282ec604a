"""The setup wizard's answers, kept outside its widgets: venue kind and details, platform, PIN.

The venue's details are checked by the agent's own `check_venue`, the same check `dengji init` runs,
so the wizard refuses exactly what the command line refuses.
"""

from __future__ import annotations

from dataclasses import dataclass

from agent.domain import VenueKind
from agent.validation import Problem
from agent.validation.venue import VenueDetails, check_venue

KINDS = (
    (VenueKind.RENTAL, "出租房屋（房东、中介）", "Rental housing (landlord, agent)"),
    (VenueKind.HOTEL, "旅馆（宾馆、民宿）", "Hotel, guesthouse"),
    (VenueKind.OVERNIGHT, "网吧、洗浴、商务会所", "Internet café, bathhouse, club"),
    (VenueKind.EMPLOYER, "用工单位（企业、商铺、工地、学校）", "Employer (firm, shop, work crew, school)"),
)

_COMMON = (
    ("name", "场所名称", "Venue name", True),
    ("address", "地址", "Address", False),
    ("police_station", "所属派出所", "Police station", False),
    ("agreement_no", "治安责任书编号", "Security pledge no.", False),
)
_RENTAL = (("rental_filing_no", "租赁备案证明编号", "Rental filing no.", False),)
_BUSINESS = (("credit_code", "统一社会信用代码", "Social credit code", False),)


@dataclass
class SetupForm:
    step: int = 0
    kind: str = VenueKind.RENTAL.value
    name: str = ""
    address: str = ""
    police_station: str = ""
    agreement_no: str = ""
    rental_filing_no: str = ""
    credit_code: str = ""

    def venue_fields(self) -> tuple[tuple[str, str, str, bool], ...]:
        """(attribute, zh label, en label, required) of the details this kind of venue gives."""
        return _COMMON + (_RENTAL if self.kind == VenueKind.RENTAL else _BUSINESS)

    def details(self) -> VenueDetails:
        asked = {name for name, *_ in self.venue_fields()}
        values = {name: (getattr(self, name) or None) if name in asked else None
                  for name in ("address", "police_station", "agreement_no", "rental_filing_no", "credit_code")}
        return VenueDetails(VenueKind(self.kind), self.name, **values)

    def problems(self) -> tuple[VenueDetails, dict[str, Problem]]:
        """The cleaned details and the first problem per attribute (`name`, `credit_code`, ...)."""
        cleaned, problems = check_venue(self.details())
        by_field: dict[str, Problem] = {}
        for problem in problems:
            by_field.setdefault((problem.field or "").removeprefix("venue."), problem)
        return cleaned, by_field
