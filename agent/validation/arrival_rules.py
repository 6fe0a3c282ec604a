"""The law's rules on who arrives, beyond each field being right: a minor's guardian and companions, a
foreigner's passport and visa, and a registration made after the jurisdiction's deadline.

Judged with the venue's `VenueRules` (codes in docs/protocol.md):

- a minor (under 18 on the arrival day) staying at a hotel or overnight venue: `guardian_contact`
  {name, phone} is required; `companions` [{doc_number, relation}] names the adults sharing the room
  (the register and the platform check that each is present there and an adult); with none, the stay is
  accepted only with `guardian_contacted: true` and is flagged `minor_unaccompanied`. An internet café
  admits no minor. A child registered under a guardian (`none_with_guardian`) has that guardian with it.
- a foreigner (a passport of another nationality) at a hotel, overnight venue or rental: `person.visa`
  {type, number, stay_until, entry_date, entry_port} is required; a passport needs `person.doc_expiry`
  and is refused when expired on the arrival day; a stay past `stay_until` is flagged `visa_overstay`.
- with `registered_at` (a new arrival), a registration later than the jurisdiction's registration
  deadline (`register_within`: 3 days for a tenancy or an employment) needs `late_reason` and is
  flagged `late`. A hotel registers at check-in: its deadline is the report's (the backlog reminder).

`ArrivalRules` adds these to the person's checks; `agent.validation.registration` runs them on the whole
registration, once its fields are read.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from agent.domain import DocType, RegistrationKind, VenueSubtype, codes
from agent.domain.policies import NATIONAL, policy
from agent.domain.problems import Problem, Severity
from agent.validation.fields import absent, boolean
from agent.validation.normalise import compact_number
from agent.validation.people import CHINESE_NATIONALITIES, PersonChecks
from agent.validation.words import relation_code

ADULT_AGE = 18
MAX_COMPANIONS = 20
CONTACT_KEYS = ("name", "phone")
COMPANION_KEYS = ("doc_number", "relation")
# What a registration is flagged with for the platform (and the operator's duties).
FLAG_MINOR_UNACCOMPANIED = "minor_unaccompanied"
FLAG_VISA_OVERSTAY = "visa_overstay"
FLAG_LATE = "late"

_FOREIGN_KINDS = frozenset({RegistrationKind.STAY.value, RegistrationKind.TENANCY.value})


@dataclass(frozen=True)
class VenueRules:
    """What the rules need to know of the venue: its kind's subtype (an internet café admits no minor)
    and its jurisdiction (whose deadlines apply). The agent takes it from its venue row, the platform
    from what the device told it at enrollment; the default is an unknown subtype under national rules."""

    subtype: str | None = None
    jurisdiction: str = NATIONAL


NO_VENUE = VenueRules()


def _is_minor(person: Mapping[str, Any] | None, arrived: datetime | None) -> bool | None:
    """Whether the person is under 18 on the arrival day; None when that cannot be told. A child
    registered under a guardian is a minor whatever its birth date says."""
    if not person or arrived is None:
        return None
    if person.get("doc_type") == DocType.NONE_WITH_GUARDIAN:
        return True
    born = person.get("birth_date")
    if born is None:
        return None
    return _age_on(date.fromisoformat(born), arrived.date()) < ADULT_AGE


def _age_on(born: date, day: date) -> int:
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def age_on(birth_date: str | date, day: date) -> int:
    """Whole years of age on `day` (a birthday on 29 February counts on 1 March in other years)."""
    born = birth_date if isinstance(birth_date, date) else date.fromisoformat(birth_date)
    return _age_on(born, day)


class ArrivalRules(PersonChecks):
    """The people rules, on the normalised registration built so far (`data`) and the payload."""

    def __init__(self, now: datetime, venue: VenueRules = NO_VENUE, registered_at: datetime | None = None) -> None:
        super().__init__(now)
        self.venue = venue
        self.registered_at = registered_at
        self.flags: set[str] = set()

    def warn(self, code: str, zh: str, en: str, path: str) -> None:
        self.problems.append(Problem(code, zh, en, path, Severity.WARNING))

    def minor_rules(self, payload: Mapping[str, Any], data: dict[str, Any], kind: RegistrationKind | None,
                    arrived: datetime | None) -> None:
        person = data.get("person")
        minor = _is_minor(person, arrived)
        given = [key for key in ("guardian_contact", "companions", "guardian_contacted") if not absent(payload.get(key))]
        if minor is False or (kind is not None and kind is not RegistrationKind.STAY):
            for key in given:
                self.error("registration.minor_only", f"{key} 只用于在旅馆、住宿场所登记的未成年人：请删除",
                           f"{key} is for a minor staying at a hotel or overnight venue only: remove it", key)
            return
        if kind is None:
            return  # no kind (already a problem): nothing to judge by
        # Unknown age (no birth date, or no arrival): what was given is read and kept, nothing required.
        if minor and self.venue.subtype == VenueSubtype.INTERNET_CAFE:
            self.error("registration.minor_internet_cafe",
                       "营业性网吧不得接纳未成年人（未满18周岁）：不能登记，请劝其离开",
                       "an internet café may not admit a minor (under 18): this person cannot be registered",
                       "person.birth_date")
            return
        with_guardian = person is not None and person.get("doc_type") == DocType.NONE_WITH_GUARDIAN
        contact = self.guardian_contact(payload.get("guardian_contact"))
        if contact is not None:
            data["guardian_contact"] = contact
        elif minor and not with_guardian and absent(payload.get("guardian_contact")):
            self.error("registration.guardian_contact_required",
                       "未成年人入住须登记其监护人的姓名和联系电话（guardian_contact）",
                       "a minor's stay records a guardian's name and phone (guardian_contact)", "guardian_contact.name")
        companions = self.companions(payload.get("companions"), person)
        if companions:
            data["companions"] = companions
        contacted = payload.get("guardian_contacted")
        flag = None
        if not absent(contacted) and not self.hidden_characters(contacted, "guardian_contacted"):
            flag = boolean(contacted)
            if flag is None:
                self.error("registration.type", "guardian_contacted 应为 true 或 false（是/否）",
                           "guardian_contacted must be true or false", "guardian_contacted")
            else:
                data["guardian_contacted"] = flag
        if not minor or companions or with_guardian or "companions" in self.failed:
            return
        if flag:
            self.flags.add(FLAG_MINOR_UNACCOMPANIED)
            self.warn("registration.minor_unaccompanied",
                      "未成年人无成年人同住：已联系监护人，本次入住将标记并报告平台，请留意其安全",
                      "a minor with no adult in the room: the guardian was contacted; the stay is flagged to "
                      "the platform, look after them", "guardian_contacted")
        else:
            self.error("registration.minor_alone",
                       "未成年人无成年人同住：须先联系其监护人（guardian_contacted 为 true），或登记同住的成年人（companions）",
                       "a minor with no adult in the room: contact the guardian first (guardian_contacted: true) "
                       "or name the adults sharing the room (companions)", "guardian_contacted")

    def guardian_contact(self, value: Any) -> dict[str, Any] | None:
        if absent(value):
            return None
        if not isinstance(value, Mapping):
            self.error("registration.type", "guardian_contact 应为一个对象 {name, phone}",
                       "guardian_contact must be an object {name, phone}", "guardian_contact")
            return None
        self.unknown_keys(value, CONTACT_KEYS, "guardian_contact.")
        contact: dict[str, Any] = {}
        self.put(contact, "name", self.text(value, "name", "guardian_contact.name", required=True))
        if absent(value.get("phone")):
            self.error("registration.required", "缺少监护人联系电话 guardian_contact.phone",
                       "the guardian's phone is missing (guardian_contact.phone)", "guardian_contact.phone")
        else:
            self.put(contact, "phone", self.phone(value, "guardian_contact.phone"))
        return contact

    def companions(self, value: Any, person: Mapping[str, Any] | None) -> list[dict[str, str]]:
        if absent(value):
            return []
        if not isinstance(value, list) or len(value) > MAX_COMPANIONS:
            self.error("registration.type", f"companions 应为同住成年人的列表（最多 {MAX_COMPANIONS} 人）[{{doc_number, relation}}]",
                       f"companions must be a list of the adults sharing the room (at most {MAX_COMPANIONS}) "
                       "[{doc_number, relation}]", "companions")
            self.failed.add("companions")
            return []
        found: list[dict[str, str]] = []
        own = person.get("doc_number") if person else None
        before = len(self.problems)
        for index, item in enumerate(value):
            path = f"companions.{index}"
            if not isinstance(item, Mapping):
                self.error("registration.type", f"{path} 应为一个对象 {{doc_number, relation}}",
                           f"{path} must be an object {{doc_number, relation}}", path)
                continue
            self.unknown_keys(item, COMPANION_KEYS, f"{path}.")
            number = self.text(item, "doc_number", f"{path}.doc_number", required=True)
            relation_word = self.text(item, "relation", f"{path}.relation", required=True)
            relation = relation_code(relation_word) if relation_word is not None else None
            if relation_word is not None and relation is None:
                listed = "、".join(entry.zh for entry in codes.relations().values())
                self.error("registration.companion_relation", f"与未成年人的关系应为：{listed}（或 父亲、母亲 等）",
                           "the relation to the minor is one of: " + ", ".join(codes.relations()), f"{path}.relation")
            if number is None:
                continue
            number = compact_number(number)
            if number == own:
                self.error("registration.companion_is_self", "同住人员不能是未成年人本人：请填写同住成年人的证件号码",
                           "a companion cannot be the minor: give the adult's document number", f"{path}.doc_number")
            elif any(number == other["doc_number"] for other in found):
                self.error("registration.companion_twice", "同一位同住人员填写了两次",
                           "the same companion is named twice", f"{path}.doc_number")
            elif relation is not None:
                found.append({"doc_number": number, "relation": relation})
        if len(self.problems) > before:
            self.failed.add("companions")
        return found

    def foreigner_rules(self, data: dict[str, Any], kind: RegistrationKind | None, arrived: datetime | None,
                        expected: datetime | None) -> None:
        person = data.get("person")
        if not person:
            return
        doc_type = person.get("doc_type")
        arrival_day = arrived.date() if arrived is not None else None
        if doc_type == DocType.PASSPORT:
            expiry = person.get("doc_expiry")
            if expiry is None and kind is not None and kind.value in _FOREIGN_KINDS \
                    and "person.doc_expiry" not in self.failed:
                self.error("registration.required", "护照须填写有效期至（person.doc_expiry）：扫描护照会自动填写",
                           "a passport needs its expiry date (person.doc_expiry): scanning it fills it in",
                           "person.doc_expiry")
            elif expiry is not None and arrival_day is not None and expiry < arrival_day.isoformat():
                self.error("registration.passport_expired", f"护照已于 {expiry} 过期：不能凭过期护照登记",
                           f"the passport expired on {expiry}: an expired passport cannot be registered",
                           "person.doc_expiry")
        visa = person.get("visa")
        foreigner = doc_type == DocType.PASSPORT and person.get("nationality") not in CHINESE_NATIONALITIES
        if not foreigner:
            if visa is not None:
                self.error("registration.visa_not_expected", "只有持外国护照的人员才填写签证：请删除 person.visa",
                           "a visa is recorded for a foreign passport holder only: remove person.visa", "person.visa")
            return
        if kind is None or kind.value not in _FOREIGN_KINDS:
            return
        if visa is None:
            if "nationality" in person and "person.visa" not in self.failed:
                self.error("registration.visa_required",
                           "境外人员住宿须登记签证或居留证件：种类、号码、停留有效期、入境日期和口岸（person.visa）",
                           "a foreign guest's visa or permit is required: type, number, permitted stay, date and "
                           "port of entry (person.visa)", "person.visa.type")
            return
        until = visa.get("stay_until")
        entry = visa.get("entry_date")
        if entry is not None and arrival_day is not None and entry > arrival_day.isoformat():
            self.error("registration.entry_date", "入境日期晚于入住日期：请核对",
                       "the date of entry is after the arrival: check both", "person.visa.entry_date")
        last_day = (expected or arrived).date().isoformat() if (expected or arrived) is not None else None
        if until is not None and last_day is not None and until < last_day \
                and "person.visa.stay_until" not in self.failed:
            self.flags.add(FLAG_VISA_OVERSTAY)
            self.warn("registration.visa_overstay",
                      f"停留有效期至 {until}，住宿超过了有效期：已登记，场所须向公安机关报告",
                      f"the permitted stay ends on {until}, before the stay does: registered, and the venue must "
                      "tell the police", "person.visa.stay_until")

    def lateness(self, payload: Mapping[str, Any], data: dict[str, Any], kind: RegistrationKind | None,
                 arrived: datetime | None) -> None:
        reason = self.text(payload, "late_reason", "late_reason")
        self.put(data, "late_reason", reason)
        if self.registered_at is None or arrived is None or kind is None:
            return
        try:
            rules = policy(self.venue.jurisdiction)
        except KeyError:
            rules = policy(NATIONAL)
        limit = rules.duration("register_within", arrived.date(), kind.value)
        if limit is None or self.registered_at <= arrived + limit:
            return
        shown_zh = f"{limit.days} 天" if limit.days and not limit.seconds else f"{int(limit.total_seconds() // 3600)} 小时"
        shown_en = f"{limit.days} days" if limit.days and not limit.seconds else f"{int(limit.total_seconds() // 3600)} hours"
        if reason is None:
            self.error("registration.late_without_reason",
                       f"到达后须在 {shown_zh}内登记，这次登记晚了：请写明迟报原因（late_reason）",
                       f"an arrival is registered within {shown_en}; this one is late: give the reason (late_reason)",
                       "late_reason")
            return
        self.flags.add(FLAG_LATE)
        self.warn("registration.late", f"逾期登记（期限 {shown_zh}）：迟报原因将报告平台",
                  f"registered after the deadline ({shown_en}): the reason goes to the platform", "late_reason")
