"""Registration forms, one declarative TOML file per venue kind, loaded and checked.

A template says which fields a venue's clerk fills in, in what order, with which labels, hints and
choices, and which fields appear only for some documents (a passport asks the nationality; a child
with no document asks the guardian). The TUI renders forms from it and the CLI checks records with
it, so a broken template must stop the agent at start with a message that names the file, the field
and the problem, in Chinese and English: `check_templates()` does that.

>>> hotel = load_template("hotel")
>>> hotel.registration.value, hotel.title.text("en")
('stay', 'Guest check-in')
>>> hotel.field("person.nationality").is_shown({"person": {"doc_type": "passport"}})
True
>>> [p.field for p in hotel.missing({"unit": "302", "person": {"doc_type": "passport"}})][:3]
['person.doc_number', 'person.name', 'person.sex']
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from functools import cache
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

from agent.domain import (
    CHINA_TIME,
    REGISTRATION_KIND_OF_VENUE,
    RegistrationKind,
    VenueKind,
)
from agent.domain.codes import TABLES, Labelled
from agent.domain.errors import InvalidDocument, TemplateError
from agent.domain.problems import Problem
from agent.validation.arrival_rules import ADULT_AGE, age_on
from agent.validation.datetimes import parse_date, parse_datetime


class FieldType(StrEnum):
    """How a field is entered and checked."""

    TEXT = "text"
    DATETIME = "datetime"
    DATE = "date"
    CHOICE = "choice"  # one value of a code table
    BOOL = "bool"
    DOC_NUMBER = "doc_number"  # checked by the validator of the chosen document type
    PHONE = "phone"


@dataclass(frozen=True)
class KeyRule:
    """What a payload key may be declared as: its field types and, for a choice, its code table."""

    types: frozenset[FieldType]
    choices: str | None = None


def _rule(*types: FieldType, choices: str | None = None) -> KeyRule:
    return KeyRule(frozenset(types), choices)


FIELD_KEYS: Mapping[str, KeyRule] = {
    "unit": _rule(FieldType.TEXT),
    "arrived_at": _rule(FieldType.DATETIME, FieldType.DATE),
    "expected_departure": _rule(FieldType.DATETIME, FieldType.DATE),
    "position": _rule(FieldType.TEXT),
    "lodges_on_site": _rule(FieldType.BOOL),
    "reason": _rule(FieldType.CHOICE, choices="reasons"),
    "person.doc_type": _rule(FieldType.CHOICE, choices="doc_types"),
    "person.doc_number": _rule(FieldType.DOC_NUMBER),
    "person.name": _rule(FieldType.TEXT),
    "person.sex": _rule(FieldType.CHOICE, choices="sex"),
    "person.ethnicity": _rule(FieldType.CHOICE, choices="ethnicity"),
    "person.birth_date": _rule(FieldType.DATE),
    "person.nationality": _rule(FieldType.CHOICE, choices="countries"),
    "person.address": _rule(FieldType.TEXT),
    "person.phone": _rule(FieldType.PHONE),
    "person.residence_permit_number": _rule(FieldType.DOC_NUMBER, FieldType.TEXT),
    "guardian.doc_type": _rule(FieldType.CHOICE, choices="doc_types"),
    "guardian.doc_number": _rule(FieldType.DOC_NUMBER),
    "guardian.name": _rule(FieldType.TEXT),
    # Issue 18: a passport's expiry and a foreign guest's visa; a minor's guardian; a late registration.
    "person.doc_expiry": _rule(FieldType.DATE),
    "person.visa.type": _rule(FieldType.CHOICE, choices="visa_types"),
    "person.visa.number": _rule(FieldType.TEXT, FieldType.DOC_NUMBER),
    "person.visa.stay_until": _rule(FieldType.DATE),
    "person.visa.entry_date": _rule(FieldType.DATE),
    "person.visa.entry_port": _rule(FieldType.TEXT),
    "guardian_contact.name": _rule(FieldType.TEXT),
    "guardian_contact.phone": _rule(FieldType.PHONE),
    "guardian_contacted": _rule(FieldType.BOOL),
    "late_reason": _rule(FieldType.TEXT),
}
"""The registration payload's keys (dotted paths) a template may declare, and how."""

REQUIRED_KEYS = ("unit", "arrived_at", "person.doc_type", "person.doc_number", "person.name",
                 "person.sex")
"""Keys every template must declare as required: without them no registration can be reported."""

_TEMPLATE_ATTRIBUTES = frozenset({"kind", "registration", "title", "field"})
_FIELD_ATTRIBUTES = frozenset({"key", "type", "label", "required", "choices", "allowed", "hint",
                               "max_length", "show_when", "minor_only"})


@dataclass(frozen=True)
class Label:
    """A text in Chinese and English."""

    zh: str
    en: str

    def text(self, lang: str) -> str:
        return self.en if lang == "en" else self.zh


@dataclass(frozen=True)
class FormField:
    """One field of a form.

    `choices` names a code table (`agent.domain.codes.TABLES`) and `allowed`, when set, narrows it.
    `show_when` maps an earlier field's key to the values for which this field is shown; a field
    that is not shown is neither asked nor required. `minor_only` shows it only for a person under 18
    on the arrival day (by `person.birth_date` and `arrived_at`, or a child registered under a guardian).
    """

    key: str
    type: FieldType
    label: Label
    required: bool = False
    choices: str | None = None
    allowed: tuple[str, ...] | None = None
    hint: Label | None = None
    max_length: int | None = None
    show_when: tuple[tuple[str, tuple[str | bool, ...]], ...] = ()
    minor_only: bool = False

    def options(self) -> dict[str, Labelled]:
        """The values a choice field offers, in table order, with their labels ({} for others)."""
        if self.choices is None:
            return {}
        table = TABLES[self.choices]()
        return {value: entry for value, entry in table.items()
                if self.allowed is None or value in self.allowed}

    def is_shown(self, payload: Mapping[str, Any]) -> bool:
        """Whether the field applies, given what has been entered so far (a nested payload)."""
        if self.minor_only and not is_minor(payload):
            return False
        return all(value_at(payload, key) in values for key, values in self.show_when)


@dataclass(frozen=True)
class Template:
    """The registration form of one venue kind."""

    kind: VenueKind
    registration: RegistrationKind
    title: Label
    fields: tuple[FormField, ...]
    source: str  # the file it came from, for messages

    def field(self, key: str) -> FormField:
        """The field with this key; KeyError if the form does not ask it."""
        for form_field in self.fields:
            if form_field.key == key:
                return form_field
        raise KeyError(key)

    def shown_fields(self, payload: Mapping[str, Any]) -> list[FormField]:
        """The fields that apply to this payload, in form order."""
        return [form_field for form_field in self.fields if form_field.is_shown(payload)]

    def missing(self, payload: Mapping[str, Any]) -> list[Problem]:
        """One problem per required field that applies to the payload and is empty."""
        return [Problem("form.required", f"请填写{f.label.zh}", f"{f.label.en} is required", f.key)
                for f in self.shown_fields(payload)
                if f.required and value_at(payload, f.key) in (None, "")]


def is_minor(payload: Mapping[str, Any]) -> bool:
    """Whether the payload's person is under 18 on the arrival day, as far as what is entered tells.

    >>> is_minor({"person": {"birth_date": "2010-05-02"}, "arrived_at": "2028-05-01 10:00"})
    True
    >>> is_minor({"person": {"birth_date": "2010-05-01"}, "arrived_at": "2028-05-01"})
    False
    """
    if value_at(payload, "person.doc_type") == "none_with_guardian":
        return True
    born, arrived = value_at(payload, "person.birth_date"), value_at(payload, "arrived_at")
    if not born or not isinstance(born, str):
        return False
    try:
        day = parse_datetime(arrived).date() if arrived else datetime.now(CHINA_TIME).date()
        return age_on(parse_date(born), day) < ADULT_AGE
    except (InvalidDocument, ValueError, TypeError):
        return False


def value_at(payload: Mapping[str, Any], key: str) -> Any:
    """The value at a dotted key of a registration payload (nested, as the agent's API takes it), or None.

    >>> value_at({"person": {"name": "x"}}, "person.name")
    'x'
    >>> value_at({}, "person.name") is None
    True
    """
    value: Any = payload
    for part in key.split("."):
        if not isinstance(value, Mapping):
            return None
        value = value.get(part)
    return value


def load_template_file(path: str | Path) -> Template:
    """Read and check one template file; raises TemplateError naming the file, field and problem."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise TemplateError(str(path), [_problem(
            "template.unreadable", f"无法读取模板文件：{error}", f"cannot read the template: {error}",
        )]) from error
    return _parse(text, str(path))


def load_template(kind: VenueKind | str) -> Template:
    """The shipped template of a venue kind (`rental`, `hotel`, `overnight`, `employer`)."""
    return _shipped(VenueKind(kind))


@cache
def _shipped(kind: VenueKind) -> Template:
    return _load_kind(resources.files("templates"), kind)


def _load_kind(folder: Traversable, kind: VenueKind) -> Template:
    name = f"{kind.value}.toml"
    try:
        text = folder.joinpath(name).read_text(encoding="utf-8")
    except FileNotFoundError as error:
        raise TemplateError(name, [_problem(
            "template.missing_file", f"缺少场所类型 {kind.value} 的模板文件",
            f"no template file for venue kind {kind.value}",
        )]) from error
    template = _parse(text, name)
    if template.kind is not kind:
        raise TemplateError(name, [_problem(
            "template.kind_mismatch", f"文件名是 {name}，但 kind 写的是 {template.kind.value}",
            f"the file is {name} but its kind says {template.kind.value}",
        )])
    return template


def load_all() -> dict[VenueKind, Template]:
    """Every venue kind's shipped template."""
    return {kind: load_template(kind) for kind in VenueKind}


def check_templates(folder: Traversable | None = None) -> dict[VenueKind, Template]:
    """Check every template file at agent start; raise TemplateError on the first bad file.

    `folder` defaults to the shipped templates. Besides each venue kind's form, a stray `.toml`
    beside them (a misspelt `hotle.toml`) is an error: it would otherwise be silently ignored while
    whoever edited it wonders why the form did not change.
    """
    known = {f"{kind.value}.toml" for kind in VenueKind}
    root = folder if folder is not None else resources.files("templates")
    for entry in sorted(root.iterdir(), key=lambda entry: entry.name):
        if entry.name.endswith(".toml") and entry.name not in known:
            raise TemplateError(entry.name, [_problem(
                "template.unknown_file",
                f"不认识的模板文件；模板文件名应为 {'、'.join(sorted(known))} 之一",
                f"unknown template file; template files are named {', '.join(sorted(known))}",
            )])
    if folder is None:
        return load_all()
    return {kind: _load_kind(folder, kind) for kind in VenueKind}


# --- parsing and checking ---------------------------------------------------------------------


def _problem(code: str, zh: str, en: str, field: str | None = None) -> Problem:
    return Problem(code, zh, en, field)


def _parse(text: str, source: str) -> Template:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise TemplateError(source, [_problem(
            "template.syntax", f"TOML 语法错误：{error}", f"TOML syntax error: {error}")]) from error
    problems: list[Problem] = []
    header = _parse_header(data, problems)
    rows = data.get("field") if isinstance(data.get("field"), list) else []
    fields = _parse_fields(rows, problems)
    declared = {row.get("key") for row in rows if isinstance(row, dict)}
    problems += _check_form(fields, declared)
    if problems or header is None:
        raise TemplateError(source, problems)
    kind, registration, title = header
    return Template(kind, registration, title, tuple(fields), source)


def _parse_header(data: dict[str, Any],
                  problems: list[Problem]) -> tuple[VenueKind, RegistrationKind, Label] | None:
    for name in sorted(set(data) - _TEMPLATE_ATTRIBUTES):
        problems.append(_problem(
            "template.unknown_attribute", f"模板中有不认识的项 {name!r}",
            f"unknown top-level entry {name!r}"))
    kind = _enum(VenueKind, data.get("kind"), "kind", None, problems)
    registration = _enum(RegistrationKind, data.get("registration"), "registration", None, problems)
    title = _label(data.get("title"), "title", None, problems)
    if kind is not None and registration is not None \
            and REGISTRATION_KIND_OF_VENUE[kind] is not registration:
        expected = REGISTRATION_KIND_OF_VENUE[kind].value
        problems.append(_problem(
            "template.wrong_registration",
            f"场所类型 {kind.value} 登记的是 {expected}，不是 {registration.value}",
            f"a {kind.value} venue registers a {expected}, not a {registration.value}"))
    if kind is None or registration is None or title is None:
        return None
    return kind, registration, title


def _enum(enum: type[StrEnum], value: Any, name: str, field: str | None,
          problems: list[Problem]) -> Any:
    allowed = ", ".join(member.value for member in enum)
    try:
        return enum(value)
    except ValueError:
        problems.append(_problem(
            f"template.bad_{name}", f"{name} 应为 {allowed} 之一，而不是 {value!r}",
            f"{name} must be one of {allowed}, not {value!r}", field))
        return None


def _label(value: Any, name: str, field: str | None, problems: list[Problem]) -> Label | None:
    if not isinstance(value, dict):
        problems.append(_problem(
            "template.missing_label", f"缺少 {name}（需要 zh 和 en 两种文字）",
            f"{name} is missing (it needs zh and en texts)", field))
        return None
    texts = {lang: value.get(lang) for lang in ("zh", "en")}
    absent = [lang for lang, text in texts.items() if not isinstance(text, str) or not text.strip()]
    extra = sorted(set(value) - {"zh", "en"})
    if absent:
        problems.append(_problem(
            "template.missing_label", f"{name} 缺少 {'、'.join(absent)} 文字",
            f"{name} has no {' or '.join(absent)} text", field))
    if extra:
        problems.append(_problem(
            "template.unknown_attribute", f"{name} 只能有 zh 和 en，不认识 {extra}",
            f"{name} may only have zh and en, not {extra}", field))
    if absent or extra:
        return None
    return Label(texts["zh"], texts["en"])


def _parse_fields(rows: Any, problems: list[Problem]) -> list[FormField]:
    if not isinstance(rows, list) or not rows:
        problems.append(_problem(
            "template.no_fields", "模板没有任何字段（[[field]]）",
            "the template declares no fields ([[field]])"))
        return []
    fields = []
    for index, row in enumerate(rows, start=1):
        form_field = _parse_field(row, index, problems)
        if form_field is not None:
            fields.append(form_field)
    return fields


def _parse_field(row: Any, index: int, problems: list[Problem]) -> FormField | None:
    if not isinstance(row, dict):
        problems.append(_problem(
            "template.bad_value", f"第 {index} 个字段应是一个表（[[field]]）",
            f"field #{index} must be a table ([[field]])", f"#{index}"))
        return None
    key = row.get("key")
    if not isinstance(key, str) or key not in FIELD_KEYS:
        where = key if isinstance(key, str) else f"#{index}"
        problems.append(_problem(
            "template.unknown_key",
            f"第 {index} 个字段的 key {key!r} 不是登记数据中的项；可用：{', '.join(FIELD_KEYS)}",
            f"field #{index} has key {key!r}, which is not a registration key; "
            f"known keys: {', '.join(FIELD_KEYS)}", where))
        return None
    before = len(problems)
    for name in sorted(set(row) - _FIELD_ATTRIBUTES):
        problems.append(_problem(
            "template.unknown_attribute", f"字段中有不认识的项 {name!r}",
            f"unknown field attribute {name!r}", key))
    rule = FIELD_KEYS[key]
    field_type = _field_type(row.get("type"), rule, key, problems)
    label = _label(row.get("label"), "label", key, problems)
    hint = _label(row["hint"], "hint", key, problems) if "hint" in row else None
    required = row.get("required", False)
    if not isinstance(required, bool):
        problems.append(_problem(
            "template.bad_value", "required 应为 true 或 false", "required must be true or false",
            key))
    choices, allowed = _choices(row, field_type, rule, key, problems)
    max_length = _max_length(row.get("max_length"), field_type, key, problems)
    show_when = _show_when(row.get("show_when", {}), key, problems)
    minor_only = row.get("minor_only", False)
    if not isinstance(minor_only, bool):
        problems.append(_problem(
            "template.bad_value", "minor_only 应为 true 或 false", "minor_only must be true or false", key))
    if len(problems) > before or field_type is None or label is None:
        return None
    return FormField(key, field_type, label, required, choices, allowed, hint, max_length,
                     show_when, minor_only)


def _field_type(value: Any, rule: KeyRule, key: str, problems: list[Problem]) -> FieldType | None:
    field_type = _enum(FieldType, value, "type", key, problems)
    if field_type is not None and field_type not in rule.types:
        allowed = ", ".join(sorted(rule.types))
        problems.append(_problem(
            "template.wrong_type", f"{key} 的类型应为 {allowed}，而不是 {field_type.value}",
            f"{key} must have type {allowed}, not {field_type.value}", key))
        return None
    return field_type


def _choices(row: dict[str, Any], field_type: FieldType | None, rule: KeyRule, key: str,
             problems: list[Problem]) -> tuple[str | None, tuple[str, ...] | None]:
    choices = row.get("choices")
    allowed = row.get("allowed")
    if field_type is not FieldType.CHOICE:
        if choices is not None or allowed is not None:
            problems.append(_problem(
                "template.bad_value", "只有 choice 类型的字段才能有 choices 或 allowed",
                "only a choice field may have choices or allowed", key))
        return None, None
    if choices not in TABLES:
        problems.append(_problem(
            "template.unknown_choices",
            f"choices {choices!r} 不是已知的代码表；可用：{', '.join(sorted(TABLES))}",
            f"choices {choices!r} is not a known code table; known: {', '.join(sorted(TABLES))}",
            key))
        return None, None
    if choices != rule.choices:
        problems.append(_problem(
            "template.wrong_choices", f"{key} 的 choices 应为 {rule.choices}，而不是 {choices}",
            f"{key} must draw its choices from {rule.choices}, not {choices}", key))
        return None, None
    if allowed is None:
        return choices, None
    table = TABLES[choices]()
    if not isinstance(allowed, list) or not allowed \
            or not all(isinstance(value, str) for value in allowed):
        problems.append(_problem(
            "template.bad_value", "allowed 应为代码表中取值的非空列表",
            "allowed must be a non-empty list of values of the code table", key))
        return None, None
    unknown = [value for value in allowed if value not in table]
    if unknown:
        problems.append(_problem(
            "template.unknown_choice_value", f"allowed 中的 {unknown} 不在代码表 {choices} 中",
            f"allowed values {unknown} are not in the code table {choices}", key))
        return None, None
    return choices, tuple(allowed)


def _max_length(value: Any, field_type: FieldType | None, key: str,
                problems: list[Problem]) -> int | None:
    if value is None:
        return None
    if field_type not in (FieldType.TEXT, FieldType.DOC_NUMBER, FieldType.PHONE):
        problems.append(_problem(
            "template.bad_value", "只有文字、证件号码和电话字段才能有 max_length",
            "only text, doc_number and phone fields may have max_length", key))
        return None
    if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= 10_000:
        problems.append(_problem(
            "template.bad_value", "max_length 应为 1 到 10000 之间的整数",
            "max_length must be a whole number from 1 to 10000", key))
        return None
    return value


def _show_when(value: Any, key: str,
               problems: list[Problem]) -> tuple[tuple[str, tuple[str | bool, ...]], ...]:
    bad = _problem(
        "template.bad_show_when",
        'show_when 应写成 { "另一字段" = [取值, ...] }',
        'show_when must look like { "other.field" = [value, ...] }', key)
    if not isinstance(value, dict):
        problems.append(bad)
        return ()
    conditions = []
    for other, values in value.items():
        if not isinstance(values, list) or not values \
                or not all(isinstance(v, (str, bool)) for v in values):
            problems.append(bad)
            return ()
        conditions.append((other, tuple(values)))
    return tuple(conditions)


def _check_form(fields: list[FormField], declared: set[Any]) -> list[Problem]:
    """Checks across fields: duplicates, the keys every form needs, and what show_when refers to.

    `declared` holds every key the file names, valid or not, so that a field already reported as
    broken is not reported a second time as missing.
    """
    problems = []
    seen: dict[str, FormField] = {}
    for form_field in fields:
        if form_field.key in seen:
            problems.append(_problem(
                "template.duplicate_field", f"字段 {form_field.key} 出现了不止一次",
                f"field {form_field.key} is declared more than once", form_field.key))
            continue
        problems += _check_show_when(form_field, seen)
        seen[form_field.key] = form_field
    for key in REQUIRED_KEYS:
        if key not in declared:
            problems.append(_problem(
                "template.missing_required_field", f"每个模板都必须有字段 {key}",
                f"every template must declare the field {key}", key))
        elif key in seen and not seen[key].required:
            problems.append(_problem(
                "template.must_be_required", f"字段 {key} 必须是必填（required = true）",
                f"field {key} must be required (required = true)", key))
    return problems


def _check_show_when(form_field: FormField, earlier: Mapping[str, FormField]) -> list[Problem]:
    problems = []
    for other, values in form_field.show_when:
        condition = earlier.get(other)
        if condition is None or condition.type not in (FieldType.CHOICE, FieldType.BOOL):
            problems.append(_problem(
                "template.bad_show_when",
                f"show_when 引用的 {other} 应是排在前面的选择或是否字段",
                f"show_when refers to {other}, which must be an earlier choice or bool field",
                form_field.key))
            continue
        if condition.type is FieldType.BOOL:
            possible: set[str | bool] = {True, False}
        else:
            possible = set(condition.options())
        unknown = [v for v in values if v not in possible or isinstance(v, bool) != (
            condition.type is FieldType.BOOL)]
        if unknown:
            problems.append(_problem(
                "template.bad_show_when", f"show_when 中 {other} 不可能取值 {unknown}",
                f"show_when lists values {unknown} that {other} cannot take", form_field.key))
    return problems
