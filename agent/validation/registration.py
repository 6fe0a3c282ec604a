"""Checking one registration as entered (form, JSON, CSV row) and producing its normalised form.

The SAME function runs in the agent before anything is stored and in the platform when an event
arrives, so both sides refuse exactly the same records. It never raises on bad input: every fault is a
`Problem` with a field path (`person.doc_number`), and all of them are reported at once so that a
clerk fixes a form in one pass. When no problem is an ERROR, `data` is the normalised registration:
compact document numbers (15-digit IDs upgraded), birth date and sex filled in from the document,
nationality filled in where the document implies it, text stripped, codes canonical, times as
ISO 8601 with the +08:00 offset. Warnings do not block a registration.

The payload (the CLI's JSON input)::

    {kind: tenancy|stay|employment, unit, arrived_at, expected_departure?, departed_at?,
     position?, lodges_on_site?, reason?,
     person: {doc_type, doc_number, name, sex, ethnicity?, birth_date?, nationality?, address?,
              phone?, residence_permit_number?},
     guardian?: {doc_type, doc_number, name, nationality?}}

`guardian` is required exactly when `person.doc_type` is `none_with_guardian`.

>>> from datetime import datetime
>>> checked = check_registration({
...     "kind": "stay", "unit": "302", "arrived_at": "2024-05-01 14:30",
...     "person": {"doc_type": "resident_id", "doc_number": "11010519491231002x", "name": " 张三 "},
... }, now=datetime(2024, 5, 1, 15, 0))
>>> checked.problems
[]
>>> person = checked.data["person"]
>>> person["doc_number"], person["name"], person["sex"], person["birth_date"], person["nationality"]
('11010519491231002X', '张三', 'F', '1949-12-31', 'CHN')
>>> checked.data["arrived_at"]
'2024-05-01T14:30:00+08:00'
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from agent.domain import CHINA_TIME, DocType, RegistrationKind, Sex, codes
from agent.domain.errors import InvalidDocument
from agent.domain.problems import Problem, Severity
from agent.validation import phone as mobile
from agent.validation.datetimes import parse_date, parse_datetime, to_iso
from agent.validation.documents import (
    DocumentFacts,
    check_document,
    check_nationality,
    parse_doc_type,
)
from agent.validation.normalise import compact_number, forbidden_characters, halfwidth
from agent.validation.words import (
    country_code,
    doc_type_code,
    ethnicity_code,
    reason_code,
    sex_code,
    yes_no,
)

LIMITS = {"name": 100, "unit": 32, "address": 200, "position": 64, "reason": 32,
          "residence_permit_number": 32, "doc_number": 64, "phone": 32}
EARLIEST_ARRIVAL = datetime(2000, 1, 1, tzinfo=CHINA_TIME)
EARLIEST_BIRTH = date(1900, 1, 1)
FUTURE_TOLERANCE = timedelta(days=1)  # a guest may be registered ahead of a same-day arrival
LONGEST_PLANNED_STAY = timedelta(days=366 * 30)

TOP_KEYS = ("kind", "unit", "arrived_at", "expected_departure", "departed_at", "position",
            "lodges_on_site", "reason", "person", "guardian")
PERSON_KEYS = ("doc_type", "doc_number", "name", "sex", "ethnicity", "birth_date", "nationality",
               "address", "phone", "residence_permit_number", "reason")
GUARDIAN_KEYS = ("doc_type", "doc_number", "name", "nationality")

_KEY_SETS = {keys: frozenset(keys) for keys in (TOP_KEYS, PERSON_KEYS, GUARDIAN_KEYS)}

_SEXES = {"M": Sex.MALE, "F": Sex.FEMALE}
_NEEDS_NATIONALITY = (DocType.PASSPORT, DocType.FOREIGN_PERMANENT_ID)
_NUMBER_LIKE = frozenset({"doc_number", "phone", "unit", "residence_permit_number"})
_KINDS = {kind.value: kind for kind in RegistrationKind}
_DOC_TYPES = {doc_type.value: doc_type for doc_type in DocType}
_KINDS_ACCEPTED = "、".join(_KINDS)
_NO_FACTS = DocumentFacts()
_FOREIGN_PHONE = re.compile(r"(?:\+|00)([1-9][0-9]{6,14})")
_PERMIT_NUMBER = re.compile(r"[0-9A-Z]+")
# Line layout a pasted address or a spreadsheet cell brings: it becomes a space in free text, and is
# stripped around a code. Every other character `forbidden_characters` names is refused.
_LAYOUT_CHARACTERS = frozenset({"U+0009", "U+000A", "U+000D"})


_CHECKED_HERE = object()  # what only `check_registration` puts in a CheckedRegistration


@dataclass
class CheckedRegistration:
    """The outcome: the normalised registration (None when any problem is an error) and all problems.

    The register takes one in place of a payload (the TUI's form has just checked it) and does not
    check it again; one that `check_registration` did not make is refused (`genuine`)."""

    data: dict[str, Any] | None
    problems: list[Problem] = field(default_factory=list)
    _made_by: object = field(default=None, repr=False, compare=False)

    @property
    def ok(self) -> bool:
        return self.data is not None

    @property
    def genuine(self) -> bool:
        """Made by `check_registration` itself, not assembled elsewhere."""
        return self._made_by is _CHECKED_HERE

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity is Severity.ERROR]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity is Severity.WARNING]


def check_registration(payload: Mapping[str, Any], *, now: datetime | None = None) -> CheckedRegistration:
    """Every problem of one registration payload, and its normalised form when it has no error."""
    check = _Check(_now(now))
    data = check.registration(payload)
    if check.problems and any(p.severity is Severity.ERROR for p in check.problems):
        return CheckedRegistration(None, check.problems, _CHECKED_HERE)
    return CheckedRegistration(data, check.problems, _CHECKED_HERE)


def check_departure(arrived_at: datetime | str, departed_at: datetime | str,
                    now: datetime | None = None) -> list[Problem]:
    """Problems with a departure time (field `departed_at`): unreadable, before arrival, in the future."""
    check = _Check(_now(now))
    arrived = check.moment(arrived_at, "arrived_at", required=True)
    departed = check.moment(departed_at, "departed_at", required=True)
    if arrived is not None and departed is not None:
        check.departure(arrived, departed)
    return check.problems


def _now(now: datetime | None) -> datetime:
    if now is None:
        return datetime.now(CHINA_TIME)
    return now.replace(tzinfo=CHINA_TIME) if now.tzinfo is None else now.astimezone(CHINA_TIME)


class _Check:
    """Collects the problems of one payload while building its normalised form."""

    def __init__(self, now: datetime) -> None:
        self.now = now
        self.problems: list[Problem] = []

    def error(self, code: str, zh: str, en: str, path: str) -> None:
        self.problems.append(Problem(code, zh, en, path))

    # --- the whole registration -------------------------------------------------------------

    def registration(self, payload: Any) -> dict[str, Any]:
        if not isinstance(payload, Mapping):
            self.error("registration.not_object", "登记内容应为一个对象（JSON 中的 {...}）",
                       "a registration is one object (a {...} in JSON)", "")
            return {}
        self.unknown_keys(payload, TOP_KEYS, "")
        data: dict[str, Any] = {}
        kind = self.kind(payload.get("kind"))
        if kind is not None:
            data["kind"] = kind.value
        self.put(data, "unit", self.text(payload, "unit", "unit", required=True))

        arrived = self.moment(payload.get("arrived_at"), "arrived_at", required=True)
        if arrived is not None:
            self.arrival(arrived)
            data["arrived_at"] = to_iso(arrived)
        expected = self.moment(payload.get("expected_departure"), "expected_departure")
        if expected is not None:
            if arrived is not None:
                self.expected_departure(arrived, expected)
            data["expected_departure"] = to_iso(expected)
        departed = self.moment(payload.get("departed_at"), "departed_at")
        if departed is not None:
            if arrived is not None:
                self.departure(arrived, departed)
            data["departed_at"] = to_iso(departed)

        self.employment_fields(payload, kind, data)
        person_payload = payload.get("person")
        reason = self.reason(payload, person_payload)
        self.put(data, "reason", reason)

        person = self.person(person_payload)
        if person is not None:
            data["person"] = person
        self.guardian(payload, person, data)
        return data

    def kind(self, value: Any) -> RegistrationKind | None:
        accepted = _KINDS_ACCEPTED
        if _absent(value):
            self.error("registration.required", f"缺少登记类型 kind（{accepted}）",
                       f"kind is missing (one of {accepted.replace('、', ', ')})", "kind")
            return None
        kind = _KINDS.get(value) if isinstance(value, str) else None  # only text can name a kind
        if kind is None and not self.hidden_characters(value, "kind"):
            self.error("registration.kind", f"登记类型 kind 应为 {accepted} 之一",
                       f"kind must be one of {accepted.replace('、', ', ')}", "kind")
        return kind

    def employment_fields(self, payload: Mapping[str, Any], kind: RegistrationKind | None,
                          data: dict[str, Any]) -> None:
        if "position" not in payload and "lodges_on_site" not in payload:
            return  # a stay or a tenancy: the common case, with nothing to check
        for key in ("position", "lodges_on_site"):
            if not _absent(payload.get(key)) and kind is not None and kind is not RegistrationKind.EMPLOYMENT:
                self.error("registration.employment_only", f"{key} 只用于用工登记（employment）：请删除该字段",
                           f"{key} belongs to employment registrations only: remove it", key)
        self.put(data, "position", self.text(payload, "position", "position"))
        lodges = payload.get("lodges_on_site")
        if not _absent(lodges) and not self.hidden_characters(lodges, "lodges_on_site"):
            flag = _boolean(lodges)
            if flag is None:
                self.error("registration.type", "lodges_on_site 应为 true 或 false（是/否）",
                           "lodges_on_site must be true or false", "lodges_on_site")
            else:
                data["lodges_on_site"] = flag

    def reason(self, payload: Mapping[str, Any], person: Any) -> str | None:
        # A reason may also come inside `person` (where some callers group it); given twice, it must agree.
        value = self.text(payload, "reason", "reason")
        if isinstance(person, Mapping) and not _absent(person.get("reason")):
            in_person = self.text(person, "reason", "person.reason")
            if value is not None and in_person is not None and value != in_person:
                self.error("registration.reason_twice", "reason 与 person.reason 不一致：只填一处",
                           "reason and person.reason differ: give it once", "reason")
            value = value or in_person
        if value is None:
            return None
        reasons = codes.reasons()
        key = reason_code(value)
        if key is not None:
            return key
        listed = ", ".join(reasons)
        self.error("registration.reason", f"暂住事由应为以下之一：{'、'.join(e.zh for e in reasons.values())}",
                   f"the reason for stay must be one of: {listed}", "reason")
        return None

    # --- people ---------------------------------------------------------------------------------

    def person(self, payload: Any) -> dict[str, Any] | None:
        if _absent(payload):
            self.error("registration.required", "缺少被登记人信息 person", "person is missing", "person")
            return None
        if not isinstance(payload, Mapping):
            self.error("registration.type", "person 应为一个对象", "person must be an object", "person")
            return None
        self.unknown_keys(payload, PERSON_KEYS, "person.")
        person: dict[str, Any] = {}
        doc_type = self.doc_type(payload, "person.doc_type")
        nationality = self.nationality(payload, "person.nationality")
        number, facts = self.document(payload, doc_type, nationality, "person.")
        if doc_type is not None:
            person["doc_type"] = doc_type.value
            if doc_type is not DocType.NONE_WITH_GUARDIAN:
                self.put(person, "doc_number", number)
        self.put(person, "name", self.text(payload, "name", "person.name", required=True))

        # A resident ID or residence permit states the sex; when its number is wrong that is the error.
        sex = self.sex(payload.get("sex"), facts.sex if facts else None,
                       required=doc_type is not None
                       and doc_type not in (DocType.RESIDENT_ID, DocType.HMT_RESIDENCE_PERMIT))
        self.put(person, "sex", sex)
        self.put(person, "ethnicity", self.ethnicity(payload.get("ethnicity")))
        self.put(person, "birth_date", self.birth_date(payload.get("birth_date"),
                                                        facts.birth_date if facts else None))

        if nationality is None and facts is not None and facts.nationality is not None:
            nationality = facts.nationality
        if nationality is None and doc_type in (DocType.HK_MACAU_PERMIT, DocType.TAIWAN_PERMIT,
                                                DocType.HMT_RESIDENCE_PERMIT):
            nationality = "CHN"
        if nationality is None and doc_type in _NEEDS_NATIONALITY and _absent(payload.get("nationality")):
            self.error("registration.required", "护照和外国人永久居留身份证须填写国籍（三位字母代码，如 USA）",
                       "nationality is required for passports and permanent residence IDs "
                       "(a three-letter code such as USA)", "person.nationality")
        self.put(person, "nationality", nationality)

        self.put(person, "address", self.text(payload, "address", "person.address"))
        self.put(person, "phone", self.phone(payload))
        permit = self.text(payload, "residence_permit_number", "person.residence_permit_number")
        if permit is not None:
            permit = compact_number(permit)
            if not _PERMIT_NUMBER.fullmatch(permit):
                self.error("registration.residence_permit_number", "居住证号只含数字和英文字母：请核对",
                           "a residence permit number has only digits and letters: check it",
                           "person.residence_permit_number")
            self.put(person, "residence_permit_number", permit)
        return person

    def guardian(self, payload: Mapping[str, Any], person: dict[str, Any] | None,
                 data: dict[str, Any]) -> None:
        value = payload.get("guardian")
        needs = person is not None and person.get("doc_type") == DocType.NONE_WITH_GUARDIAN
        if _absent(value):
            if needs:
                self.error("registration.guardian_required",
                           "没有证件的儿童须随监护人登记：请填写监护人的证件类型、号码和姓名",
                           "a child without a document is registered under a guardian: give the "
                           "guardian's document type, number and name", "guardian")
            return
        if not isinstance(value, Mapping):
            self.error("registration.type", "guardian 应为一个对象", "guardian must be an object", "guardian")
            return
        if person is not None and not needs:
            self.error("registration.guardian_not_expected",
                       "只有证件类型为“随监护人登记”的儿童才填写监护人：请删除 guardian 或改选证件类型",
                       "a guardian is given only for a child registered under one (doc_type "
                       "none_with_guardian): remove guardian or change the document type", "guardian")
        self.unknown_keys(value, GUARDIAN_KEYS, "guardian.")
        guardian: dict[str, Any] = {}
        doc_type = self.doc_type(value, "guardian.doc_type")
        nationality = self.nationality(value, "guardian.nationality")
        number = None
        if doc_type is DocType.NONE_WITH_GUARDIAN:
            self.error("registration.guardian_document", "监护人必须有自己的证件：请选择监护人的证件类型",
                       "the guardian needs a document of their own: choose the guardian's document type",
                       "guardian.doc_type")
            doc_type = None
        else:
            number, _ = self.document(value, doc_type, nationality, "guardian.")
        if doc_type is not None:
            guardian["doc_type"] = doc_type.value
        self.put(guardian, "doc_number", number)
        self.put(guardian, "name", self.text(value, "name", "guardian.name", required=True))
        if doc_type is DocType.PASSPORT and nationality is None and _absent(value.get("nationality")):
            self.error("registration.required", "监护人使用护照时须填写国籍（三位字母代码）",
                       "a guardian with a passport needs a nationality (a three-letter code)",
                       "guardian.nationality")
        if nationality is None and doc_type is DocType.RESIDENT_ID:
            nationality = "CHN"
        self.put(guardian, "nationality", nationality)
        data["guardian"] = guardian

    def doc_type(self, payload: Mapping[str, Any], path: str) -> DocType | None:
        value = payload.get("doc_type")
        if _absent(value):
            self.error("registration.required", "缺少证件类型 doc_type", "doc_type is missing", path)
            return None
        if not isinstance(value, str):
            self.error("registration.type", "证件类型 doc_type 应为文字", "doc_type must be text", path)
            return None
        known = _DOC_TYPES.get(value)
        if known is not None:
            return known
        if self.hidden_characters(value, path):
            return None
        word = doc_type_code(value)  # 身份证, 111, Passport: the vocabulary's words for a document type
        if word is not None:
            return DocType(word)
        try:
            return parse_doc_type(value.strip())
        except InvalidDocument as invalid:
            self.problems.append(invalid.problem.at(path))
            return None

    def document(self, payload: Mapping[str, Any], doc_type: DocType | None, nationality: str | None,
                 prefix: str) -> tuple[str | None, DocumentFacts | None]:
        """The compact document number and what it says about its holder; (None, None) when the number
        is missing or invalid (a problem is recorded)."""
        path = prefix + "doc_number"
        raw = payload.get("doc_number")
        if doc_type is DocType.NONE_WITH_GUARDIAN:
            if not _absent(raw):
                self.error("document.number_not_expected",
                           "随监护人登记的儿童没有证件号码：请清空号码，或改选儿童本人的证件类型",
                           "a child registered under a guardian has no document number: clear the "
                           "number or choose the child's own document type", path)
            return "", _NO_FACTS
        text = self.text(payload, "doc_number", path, required=True)
        if text is None or doc_type is None:
            return None, None
        try:
            checked = check_document(doc_type, text, nationality if doc_type is DocType.PASSPORT else None,
                                     today=self.now.date())
        except InvalidDocument as invalid:
            self.problems.append(invalid.problem.at(path))
            return None, None
        if checked.warnings:
            self.problems.extend(w.at(path) for w in checked.warnings)
        if nationality is not None:
            try:
                check_nationality(doc_type, checked.number, nationality)
            except InvalidDocument as invalid:
                self.problems.append(invalid.problem.at(prefix + "nationality"))
        return checked.number, checked.facts

    def nationality(self, payload: Mapping[str, Any], path: str) -> str | None:
        countries = codes.countries()
        value = payload.get("nationality")
        if value.__class__ is str and value in countries:
            return value  # a code as stored ("CHN"): what the general way returns for it
        value = self.text(payload, "nationality", path)
        if value is None:
            return None
        code = compact_number(value)
        if code not in countries:
            code = country_code(value) or ""
        if not code:
            self.error("registration.nationality", "国籍应为 ISO 3166-1 三位字母代码（如 USA、JPN、CHN）：请按证件填写",
                       "nationality is an ISO 3166-1 three-letter code (such as USA, JPN, CHN): use the "
                       "code on the document", path)
            return None
        return code

    def sex(self, value: Any, from_document: Sex | None, *, required: bool) -> str | None:
        path = "person.sex"
        if _absent(value):
            if from_document is not None:
                return from_document.value
            if required:
                self.error("registration.required", "缺少性别 sex（M 男 / F 女）", "sex is missing (M or F)", path)
            return None
        entered = _SEXES.get(value) if value.__class__ is str else None  # "M" or "F" as stored
        if entered is None and self.hidden_characters(value, path):
            return None
        if entered is None and isinstance(value, str | int) and not isinstance(value, bool):
            code = sex_code(value)  # 男, 女性, female, 2: the vocabulary's words for a sex
            entered = Sex(code) if code is not None else None
        if entered is None:
            self.error("registration.sex", "性别应为 M（男）或 F（女）", "sex must be M (male) or F (female)", path)
            return None
        if from_document is not None and entered is not from_document:
            shown = {Sex.MALE: ("男", "male"), Sex.FEMALE: ("女", "female")}
            self.error("registration.sex_mismatch",
                       f"性别与证件号码不符：号码显示为{shown[from_document][0]}，填写的是{shown[entered][0]}",
                       f"sex does not match the document number: the number says {shown[from_document][1]}, "
                       f"{shown[entered][1]} was entered", path)
        return entered.value

    def ethnicity(self, value: Any) -> str | None:
        path = "person.ethnicity"
        if _absent(value):
            return None
        if isinstance(value, bool) or not isinstance(value, str | int):
            self.error("registration.type", "民族 ethnicity 应为两位代码或民族名称", "ethnicity must be a two-digit "
                       "code or the group's name", path)
            return None
        groups = codes.ethnic_groups()
        if value.__class__ is str and value in groups:
            return value  # a code as stored ("01"): what the general way returns for it
        if self.hidden_characters(value, path):
            return None
        text = halfwidth(str(value)).strip()
        if text.isascii() and text.isdigit() and len(text) <= 2:
            text = text.zfill(2)
        if text in groups:
            return text
        code = ethnicity_code(text)  # 汉族, 汉, Han: the vocabulary's words for an ethnic group
        if code is not None:
            return code
        self.error("registration.ethnicity", "民族应为 GB/T 3304 的两位代码（01 汉族 至 56 基诺族，97、98）或民族名称",
                   "ethnicity is a GB/T 3304 two-digit code (01 Han to 56 Jino, 97, 98) or the group's name", path)
        return None

    def birth_date(self, value: Any, from_document: date | None) -> str | None:
        path = "person.birth_date"
        if _absent(value):
            return from_document.isoformat() if from_document else None
        if (from_document is not None and value.__class__ is str and value == from_document.isoformat()
                and EARLIEST_BIRTH <= from_document <= self.now.date()):
            return value  # the normalised form, agreeing with a plausible document: nothing to read or say
        if self.hidden_characters(value, path):
            return None
        try:
            entered = parse_date(value)
        except InvalidDocument as invalid:
            self.problems.append(invalid.problem.at(path))
            return None
        if from_document is not None and entered != from_document:
            self.error("registration.birth_date_mismatch",
                       f"出生日期与证件号码不符：号码显示为 {from_document.isoformat()}，填写的是 {entered.isoformat()}",
                       f"the birth date does not match the document number: the number says "
                       f"{from_document.isoformat()}, {entered.isoformat()} was entered", path)
        elif entered > self.now.date():
            self.error("registration.birth_date", "出生日期在今天之后：请核对", "the birth date is in the future: "
                       "check it", path)
        elif entered < EARLIEST_BIRTH:
            self.error("registration.birth_date", "出生日期早于 1900 年：请核对", "the birth date is before 1900: "
                       "check it", path)
        return entered.isoformat()

    def phone(self, payload: Mapping[str, Any]) -> str | None:
        path = "person.phone"
        value = payload.get("phone")
        if value.__class__ is str and mobile.is_plain_mobile(value):
            return value  # the common case, settled at once: the general way returns it unchanged
        if isinstance(value, int) and not isinstance(value, bool):
            value = str(value)
        text = self.text({"phone": value}, "phone", path)
        if text is None:
            return None
        compact = compact_number(text).replace("(", "").replace(")", "")
        foreign = _FOREIGN_PHONE.fullmatch(compact)
        if foreign and not foreign.group(1).startswith("86"):
            return "+" + foreign.group(1)  # a foreign guest's own number, in E.164 form
        try:
            return mobile.validate(text)
        except InvalidDocument as invalid:
            self.problems.append(invalid.problem.at(path))
            return None

    # --- times ----------------------------------------------------------------------------------

    def moment(self, value: Any, path: str, *, required: bool = False) -> datetime | None:
        if _absent(value):
            if required:
                self.error("registration.required", f"缺少时间 {path}", f"{path} is missing", path)
            return None
        if self.hidden_characters(value, path):
            return None
        try:
            return parse_datetime(value)
        except InvalidDocument as invalid:
            self.problems.append(invalid.problem.at(path))
            return None

    def arrival(self, arrived: datetime) -> None:
        if arrived < EARLIEST_ARRIVAL:
            self.error("registration.arrival_too_early", "到达时间早于 2000 年：请核对年份",
                       "the arrival is before 2000: check the year", "arrived_at")
        elif arrived > self.now + FUTURE_TOLERANCE:
            self.error("registration.arrival_in_future", "到达时间晚于明天此时：只登记已经或即将到达的人，请核对日期",
                       "the arrival is more than a day ahead: register people who have arrived or arrive "
                       "today, check the date", "arrived_at")

    def expected_departure(self, arrived: datetime, expected: datetime) -> None:
        if expected < arrived:
            self.error("registration.expected_departure_before_arrival", "预计离开时间早于到达时间：请核对",
                       "the expected departure is before the arrival: check both", "expected_departure")
        elif expected > arrived + LONGEST_PLANNED_STAY:
            self.error("registration.expected_departure_too_far", "预计离开时间在到达 30 年之后：请核对年份",
                       "the expected departure is more than 30 years after the arrival: check the year",
                       "expected_departure")

    def departure(self, arrived: datetime, departed: datetime) -> None:
        if departed < arrived:
            self.error("registration.departure_before_arrival", "离开时间早于到达时间：请核对",
                       "the departure is before the arrival: check both", "departed_at")
        elif departed > self.now + FUTURE_TOLERANCE:
            self.error("registration.departure_in_future", "离开时间在将来：只登记已经离开的人，请核对日期",
                       "the departure is in the future: record a departure once it happened, check the date",
                       "departed_at")

    # --- plain fields ---------------------------------------------------------------------------

    def text(self, payload: Mapping[str, Any], key: str, path: str, *, required: bool = False) -> str | None:
        """A stripped, NFC-normalised text field within its length limit, or None (problem recorded)."""
        value = payload.get(key)
        if value is None and not required:
            return None  # an optional field left out: most fields of most payloads
        limit = LIMITS.get(key, 200)
        if value.__class__ is str and len(value) <= limit and value.isprintable():
            # The common case, settled at once (the general path below was a third of the check's time):
            # printable text holds no control character and no white space but ' ', and NFC makes none
            # (ASCII it leaves as it is). Anything this does not return goes the general way, which
            # returns the same text for what this does return.
            text = value if value.isascii() else unicodedata.normalize("NFC", value)
            if " " in text:
                text = " ".join(text.split())
            if text and len(text) <= limit:
                return text
        if isinstance(value, int) and not isinstance(value, bool) and key in _NUMBER_LIKE:
            value = str(value)  # JSON written from a spreadsheet turns "302" and long numbers into numbers
        if _absent(value) or (isinstance(value, str) and not value.strip()):
            if required:
                self.error("registration.required", f"缺少必填项 {path}", f"{path} is required", path)
            return None
        if not isinstance(value, str):
            self.error("registration.type", f"{path} 应为文字", f"{path} must be text", path)
            return None
        if len(value) > limit * 4:  # too long to be worth normalising; say so without the work
            self.too_long(path, limit, len(value))
            return None
        # Tabs and line breaks (a pasted multi-line address) become single spaces; other controls are refused.
        if self.hidden_characters(value, path):
            return None
        text = " ".join(unicodedata.normalize("NFC", value).split())
        if len(text) > limit:
            self.too_long(path, limit, len(text))
            return None
        return text

    def hidden_characters(self, value: Any, path: str) -> bool:
        """True, with the problem recorded at `path`, when text holds a character that must not be stored
        (`forbidden_characters`: control codes, bidirectional controls) other than tabs and line breaks.

        Every text of a payload passes here before it is read, free text and codes alike: a code with a
        control character in it would otherwise be refused as an unknown code, or read after strip()
        took the character away, and the clerk would not learn what is wrong with what they see.
        Printable text (nearly all of it) costs one C call.
        """
        if value.__class__ is not str or value.isprintable():
            return False
        bad = [name for name in forbidden_characters(value) if name not in _LAYOUT_CHARACTERS]
        if not bad:
            return False
        shown = ", ".join(bad[:3])
        self.error("registration.control_characters",
                   f"{path} 含有不可见的控制字符（{shown}）：请删除后重新输入",
                   f"{path} contains invisible control characters ({shown}): delete them and type the text again",
                   path)
        return True

    def too_long(self, path: str, limit: int, length: int) -> None:
        self.error("registration.too_long", f"{path} 最多 {limit} 个字，现在有 {length} 个：请缩短",
                   f"{path} has at most {limit} characters, this one has {length}: shorten it", path)

    def unknown_keys(self, payload: Mapping[Any, Any], allowed: tuple[str, ...], prefix: str) -> None:
        known = _KEY_SETS.get(allowed)
        if known is not None and payload.keys() <= known:
            return  # every key known: one set comparison instead of a look-up per key
        for key in payload:
            if key not in allowed:
                shown = _show_key(key)
                self.error("registration.unknown_field",
                           f"不认识的字段 {prefix}{shown}：可用的字段有 {', '.join(allowed)}",
                           f"unknown field {prefix}{shown}: the fields are {', '.join(allowed)}",
                           f"{prefix}{shown}")

    @staticmethod
    def put(target: dict[str, Any], key: str, value: Any) -> None:
        if value is not None:
            target[key] = value


def _absent(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _boolean(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    return yes_no(value) if isinstance(value, str) else None


def _show_key(key: Any) -> str:
    """A field name fit for a message: printable, at most 40 characters."""
    text = str(key)
    text = "".join(char if char.isprintable() else "?" for char in text)
    return text if len(text) <= 40 else text[:40] + "..."
