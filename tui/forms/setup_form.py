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
    ("rental", "出租房屋（房东、中介）", "Rental housing (landlord, agent)"),
    ("hotel", "旅馆（宾馆、民宿）", "Hotel, guesthouse"),
    ("overnight:internet_cafe", "网吧", "Internet café"),
    ("overnight:bathhouse", "洗浴", "Bathhouse"),
    ("overnight:club", "商务会所", "Club"),
    ("employer", "用工单位（企业、商铺、工地、学校）", "Employer (firm, shop, work crew, school)"),
)
"""The wizard's first question: a venue kind, an overnight venue's with its subtype (`kind:subtype`)."""

_COMMON = (
    ("name", "场所名称", "Venue name", True),
    ("address", "地址", "Address", False),
    ("police_station", "所属派出所", "Police station", False),
    ("agreement_no", "治安责任书编号", "Security agreement no.", False),
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
        kind, _, subtype = self.kind.partition(":")
        return VenueDetails(VenueKind(kind), self.name, **values, subtype=subtype or None)

    def problems(self) -> tuple[VenueDetails, dict[str, Problem]]:
        """The cleaned details and the first problem per attribute (`name`, `credit_code`, ...)."""
        cleaned, problems = check_venue(self.details())
        by_field: dict[str, Problem] = {}
        for problem in problems:
            by_field.setdefault((problem.field or "").removeprefix("venue."), problem)
        return cleaned, by_field
