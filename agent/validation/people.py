"""Checking the people of a registration: the person registered and a child's guardian.

Document numbers go through the document validators (`agent.validation.documents`); what a number
states about its holder (sex, birth date, nationality) fills the fields left empty and is compared with
those given, so a clerk learns of a mistyped digit or a swapped field where it was made.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from typing import Any

from agent.domain import DocType, Sex, codes
from agent.domain.errors import InvalidDocument
from agent.validation import phone as mobile
from agent.validation.datetimes import parse_date
from agent.validation.documents import (
    DocumentFacts,
    check_document,
    check_nationality,
    parse_doc_type,
)
from agent.validation.fields import FieldChecks, absent
from agent.validation.normalise import compact_number, halfwidth
from agent.validation.words import country_code, doc_type_code, ethnicity_code, sex_code, visa_type_code

PERSON_KEYS = ("doc_type", "doc_number", "name", "sex", "ethnicity", "birth_date", "nationality",
               "address", "phone", "residence_permit_number", "reason", "doc_expiry", "visa")
VISA_KEYS = ("type", "number", "stay_until", "entry_date", "entry_port")
# Holders of these nationalities never enter on a visa: a Chinese citizen, whichever passport they show.
CHINESE_NATIONALITIES = frozenset({"CHN", "HKG", "MAC", "TWN"})
GUARDIAN_KEYS = ("doc_type", "doc_number", "name", "nationality")
EARLIEST_BIRTH = date(1900, 1, 1)

_SEXES = {"M": Sex.MALE, "F": Sex.FEMALE}
_NEEDS_NATIONALITY = (DocType.PASSPORT, DocType.FOREIGN_PERMANENT_ID)
_DOC_TYPES = {doc_type.value: doc_type for doc_type in DocType}
_NO_FACTS = DocumentFacts()
_FOREIGN_PHONE = re.compile(r"(?:\+|00)([1-9][0-9]{6,14})")
_PERMIT_NUMBER = re.compile(r"[0-9A-Z]+")


class PersonChecks(FieldChecks):
    """The checks of a person and a guardian, on top of the plain fields."""

    def person(self, payload: Any) -> dict[str, Any] | None:
        if absent(payload):
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
        if nationality is None and doc_type in _NEEDS_NATIONALITY and absent(payload.get("nationality")):
            self.error("registration.required", "护照和外国人永久居留身份证须填写国籍（三位字母代码，如 USA）",
                       "nationality is required for passports and permanent residence IDs "
                       "(a three-letter code such as USA)", "person.nationality")
        self.put(person, "nationality", nationality)

        self.put(person, "address", self.text(payload, "address", "person.address"))
        self.put(person, "phone", self.phone(payload))
        self.put(person, "doc_expiry", self.plain_date(payload, "doc_expiry", "person.doc_expiry"))
        if not absent(payload.get("visa")):
            self.put(person, "visa", self.visa(payload["visa"]))
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
        if absent(value):
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
        if doc_type is DocType.PASSPORT and nationality is None and absent(value.get("nationality")):
            self.error("registration.required", "监护人使用护照时须填写国籍（三位字母代码）",
                       "a guardian with a passport needs a nationality (a three-letter code)",
                       "guardian.nationality")
        if nationality is None and doc_type is DocType.RESIDENT_ID:
            nationality = "CHN"
        self.put(guardian, "nationality", nationality)
        data["guardian"] = guardian

    def doc_type(self, payload: Mapping[str, Any], path: str) -> DocType | None:
        value = payload.get("doc_type")
        if absent(value):
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
            if not absent(raw):
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
        if absent(value):
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
        if absent(value):
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
        if absent(value):
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

    def plain_date(self, payload: Mapping[str, Any], key: str, path: str, *, required: bool = False) -> str | None:
        """A calendar date field as ISO text (2030-01-31), or None (a problem recorded when unreadable)."""
        value = payload.get(key)
        if absent(value):
            if required:
                self.error("registration.required", f"缺少日期 {path}", f"{path} is missing", path)
            return None
        self.failed.add(path)  # until it is read
        if self.hidden_characters(value, path):
            return None
        if not isinstance(value, str | date):
            self.error("registration.type", f"{path} 应为日期（如 2030-01-31）", f"{path} must be a date (as 2030-01-31)",
                       path)
            return None
        try:
            day = parse_date(value).isoformat()
        except InvalidDocument as invalid:
            self.problems.append(invalid.problem.at(path))
            return None
        self.failed.discard(path)
        return day

    def visa(self, value: Any) -> dict[str, Any] | None:
        """A foreign guest's visa or permit: its type (a code of `visa_types`), number (none for visa-free
        entry), permitted stay, date and port of entry. Whether one is required is the registration's rule."""
        path = "person.visa"
        if not isinstance(value, Mapping):
            self.failed.add(path)
            self.error("registration.type", "person.visa 应为一个对象 {type, number, stay_until, entry_date, entry_port}",
                       "person.visa must be an object {type, number, stay_until, entry_date, entry_port}", path)
            return None
        self.unknown_keys(value, VISA_KEYS, "person.visa.")
        visa: dict[str, Any] = {}
        kind = value.get("type")
        if absent(kind):
            self.error("registration.required", "缺少签证(证件)种类 person.visa.type", "person.visa.type is missing",
                       f"{path}.type")
        elif not self.hidden_characters(kind, f"{path}.type"):
            code = visa_type_code(kind) if isinstance(kind, str) else None
            if code is None:
                listed = ", ".join(codes.visa_types())
                self.error("registration.visa_type", f"签证种类应为以下之一：{listed}",
                           f"the visa type must be one of: {listed}", f"{path}.type")
            self.put(visa, "type", code)
        number = self.text(value, "number", f"{path}.number")
        if number is not None:
            number = compact_number(number)
            if not _PERMIT_NUMBER.fullmatch(number):
                self.error("registration.visa_number", "签证(证件)号码只含数字和英文字母：请核对",
                           "a visa or permit number has only digits and letters: check it", f"{path}.number")
        if visa.get("type") == codes.VISA_FREE and number:
            self.error("registration.visa_number_not_expected", "免签入境没有签证号码：请清空号码或改选签证种类",
                       "visa-free entry has no visa number: clear the number or choose the visa type",
                       f"{path}.number")
        elif visa.get("type") not in (None, codes.VISA_FREE) and number is None:
            self.error("registration.required", "缺少签证(证件)号码：只有免签入境没有号码",
                       "the visa or permit number is missing: only visa-free entry has none", f"{path}.number")
        self.put(visa, "number", number)
        entry = self.plain_date(value, "entry_date", f"{path}.entry_date", required=True)
        until = self.plain_date(value, "stay_until", f"{path}.stay_until", required=True)
        if entry is not None and entry > self.now.date().isoformat():
            self.error("registration.entry_date", "入境日期在今天之后：请核对", "the date of entry is in the future: "
                       "check it", f"{path}.entry_date")
        if entry is not None and until is not None and until < entry:
            self.failed.add(f"{path}.stay_until")
            self.error("registration.stay_until", "停留有效期早于入境日期：请核对",
                       "the permitted stay ends before the date of entry: check both", f"{path}.stay_until")
        self.put(visa, "stay_until", until)
        self.put(visa, "entry_date", entry)
        self.put(visa, "entry_port", self.text(value, "entry_port", f"{path}.entry_port", required=True))
        return visa

    def phone(self, payload: Mapping[str, Any], path: str = "person.phone") -> str | None:
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
