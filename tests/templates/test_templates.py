"""The shipped registration forms load, say what each venue kind needs, and broken forms are refused
with a message that names the file, the field and the problem in Chinese and English."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from agent.domain import DocType, RegistrationKind, VenueKind
from agent.domain.errors import TemplateError
from agent.forms import templates
from agent.forms.templates import FieldType, load_template_file

SHIPPED = Path(templates.__file__).resolve().parents[2] / "templates"


# --- the shipped templates ---------------------------------------------------------------------


def test_every_venue_kind_has_a_template_that_passes_the_start_check() -> None:
    loaded = templates.check_templates()
    assert set(loaded) == set(VenueKind)
    assert {kind: t.registration for kind, t in loaded.items()} == {
        VenueKind.RENTAL: RegistrationKind.TENANCY,
        VenueKind.HOTEL: RegistrationKind.STAY,
        VenueKind.OVERNIGHT: RegistrationKind.STAY,
        VenueKind.EMPLOYER: RegistrationKind.EMPLOYMENT,
    }


@pytest.mark.parametrize("kind", list(VenueKind))
def test_shipped_template_declares_the_keys_every_registration_needs(kind: VenueKind) -> None:
    template = templates.load_template(kind)
    for key in templates.REQUIRED_KEYS:
        assert template.field(key).required, key
    assert all(f.label.zh and f.label.en for f in template.fields)
    assert template.title.zh and template.title.en


@pytest.mark.parametrize("kind", list(VenueKind))
def test_shipped_template_file_loads_the_same_from_its_path(kind: VenueKind) -> None:
    from_path = load_template_file(SHIPPED / f"{kind.value}.toml")
    assert from_path.fields == templates.load_template(kind.value).fields


def test_each_kind_asks_what_its_venue_knows() -> None:
    hotel = templates.load_template("hotel")
    assert hotel.field("unit").label.zh == "房号"
    assert hotel.field("expected_departure").type is FieldType.DATETIME
    assert not hotel.field("expected_departure").required  # a guest may not know; the reminder needs it only if given

    rental = templates.load_template(VenueKind.RENTAL)
    assert rental.field("expected_departure").label.zh == "租约到期日"
    assert rental.field("reason").choices == "reasons"
    assert rental.field("expected_departure").required and rental.field("person.phone").required
    assert not rental.field("reason").required  # asked, not demanded: landlords' sheets rarely have it

    overnight = templates.load_template("overnight")
    assert "座位" in overnight.field("unit").label.zh

    employer = templates.load_template("employer")
    assert employer.field("position").required
    assert employer.field("lodges_on_site").type is FieldType.BOOL
    assert employer.field("arrived_at").label.en == "Hire date"
    with pytest.raises(KeyError):
        employer.field("guardian.name")
    assert DocType.NONE_WITH_GUARDIAN.value not in employer.field("person.doc_type").options()


def test_nationality_is_asked_only_for_foreign_documents() -> None:
    hotel = templates.load_template("hotel")
    shown = {doc.value: "person.nationality" in [f.key for f in hotel.shown_fields(
        {"person": {"doc_type": doc.value}})] for doc in DocType}
    assert {doc for doc, asked in shown.items() if asked} == {"passport", "foreign_permanent_id"}


def test_a_child_without_a_document_asks_for_the_guardian_instead_of_a_number() -> None:
    hotel = templates.load_template("hotel")
    child = {"person": {"doc_type": "none_with_guardian", "name": "x", "sex": "F"}, "unit": "302",
             "arrived_at": "2024-05-01T20:00", "expected_departure": "2024-05-02T12:00"}
    assert [p.field for p in hotel.missing(child)] == [
        "guardian.doc_type", "guardian.doc_number", "guardian.name"]
    adult = {"person": {"doc_type": "resident_id"}}
    keys = [f.key for f in hotel.shown_fields(adult)]
    assert "person.doc_number" in keys
    assert not any(key.startswith("guardian.") for key in keys)
    assert DocType.NONE_WITH_GUARDIAN.value not in hotel.field("guardian.doc_type").options()


def test_missing_names_each_empty_required_field_in_both_languages() -> None:
    rental = templates.load_template("rental")
    problems = rental.missing({"person": {"doc_type": "resident_id", "name": ""}})
    by_field = {p.field: p for p in problems}
    assert "person.name" in by_field and "person.doc_number" in by_field
    assert "person.nationality" not in by_field  # not asked for a resident ID
    assert by_field["unit"].zh == "请填写房号"
    assert by_field["unit"].en == "Flat or room is required"


def test_choice_options_carry_labels_from_the_code_tables() -> None:
    hotel = templates.load_template("hotel")
    ethnicity = hotel.field("person.ethnicity").options()
    assert ethnicity["01"].zh == "汉族" and len(ethnicity) == 58
    assert hotel.field("unit").options() == {}


# --- broken templates --------------------------------------------------------------------------

GOOD = """
kind = "hotel"
registration = "stay"
title = { zh = "旅客入住登记", en = "Guest check-in" }

[[field]]
key = "person.doc_type"
type = "choice"
choices = "doc_types"
required = true
label = { zh = "证件类型", en = "Document type" }

[[field]]
key = "person.doc_number"
type = "doc_number"
required = true
label = { zh = "证件号码", en = "Document number" }

[[field]]
key = "person.name"
type = "text"
required = true
max_length = 64
label = { zh = "姓名", en = "Name" }

[[field]]
key = "person.sex"
type = "choice"
choices = "sex"
required = true
label = { zh = "性别", en = "Sex" }

[[field]]
key = "unit"
type = "text"
required = true
label = { zh = "房号", en = "Room" }

[[field]]
key = "arrived_at"
type = "datetime"
required = true
label = { zh = "入住时间", en = "Check-in time" }
"""

NATIONALITY = """
[[field]]
key = "person.nationality"
type = "choice"
choices = "countries"
required = true
label = { zh = "国籍", en = "Nationality" }
"""


def write(tmp_path: Path, text: str, name: str = "hotel.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def refused(tmp_path: Path, text: str) -> TemplateError:
    path = write(tmp_path, text)
    with pytest.raises(TemplateError) as caught:
        load_template_file(path)
    error = caught.value
    assert error.file == str(path)
    assert str(path) in str(error)
    return error


def test_the_minimal_template_used_below_is_valid(tmp_path: Path) -> None:
    template = load_template_file(write(tmp_path, GOOD + NATIONALITY))
    assert template.kind is VenueKind.HOTEL
    assert [f.key for f in template.fields][-1] == "person.nationality"


@pytest.mark.parametrize(("broken", "field", "code", "zh_part", "en_part"), [
    pytest.param(GOOD.replace('key = "unit"', 'key = "room"'), "room", "template.unknown_key",
                 "不是登记数据中的项", "not a registration key", id="unknown key"),
    pytest.param(GOOD.replace('type = "datetime"', 'type = "timestamp"'), "arrived_at",
                 "template.bad_type", "type 应为", "type must be one of", id="unknown field type"),
    pytest.param(GOOD + NATIONALITY.replace('"countries"', '"nations"'), "person.nationality",
                 "template.unknown_choices", "不是已知的代码表", "not a known code table",
                 id="unknown code table"),
    pytest.param(GOOD.replace('label = { zh = "姓名", en = "Name" }', 'label = { zh = "姓名" }'),
                 "person.name", "template.missing_label", "缺少 en", "no en text", id="missing en"),
    pytest.param(GOOD.replace('label = { zh = "房号", en = "Room" }', 'label = { en = "Room" }'),
                 "unit", "template.missing_label", "缺少 zh", "no zh text", id="missing zh"),
    pytest.param(GOOD.replace('label = { zh = "房号", en = "Room" }\n', ''), "unit",
                 "template.missing_label", "缺少 label", "label is missing", id="missing label"),
    pytest.param(GOOD + NATIONALITY + NATIONALITY, "person.nationality",
                 "template.duplicate_field", "不止一次", "more than once", id="duplicate field"),
    pytest.param(GOOD.replace('key = "person.sex"', 'key = "person.phone"')
                 .replace('type = "choice"\nchoices = "sex"', 'type = "phone"'),
                 "person.sex", "template.missing_required_field", "必须有字段", "must declare",
                 id="required field missing"),
    pytest.param(GOOD.replace('required = true\nlabel = { zh = "房号"',
                              'required = false\nlabel = { zh = "房号"'),
                 "unit", "template.must_be_required", "必须是必填", "must be required",
                 id="required field optional"),
    pytest.param(GOOD.replace('max_length = 64', 'max_length = 64\nplaceholder = "张三"'),
                 "person.name", "template.unknown_attribute", "不认识的项", "unknown field attribute",
                 id="unknown attribute"),
    pytest.param(GOOD.replace('type = "datetime"', 'type = "bool"'), "arrived_at",
                 "template.wrong_type", "类型应为", "must have type", id="type wrong for key"),
    pytest.param(GOOD + NATIONALITY.replace('"countries"', '"ethnicity"'), "person.nationality",
                 "template.wrong_choices", "choices 应为 countries", "must draw its choices from",
                 id="wrong code table for key"),
    pytest.param(GOOD + NATIONALITY + 'allowed = ["CHN", "XXX"]\n', "person.nationality",
                 "template.unknown_choice_value", "不在代码表", "not in the code table",
                 id="allowed value not in table"),
    pytest.param(GOOD + NATIONALITY + 'show_when = { "person.doc_type" = ["visa"] }\n',
                 "person.nationality", "template.bad_show_when", "不可能取值", "cannot take",
                 id="show_when value impossible"),
    pytest.param(GOOD + NATIONALITY + 'show_when = { "person.ethnicity" = ["01"] }\n',
                 "person.nationality", "template.bad_show_when", "排在前面", "earlier choice",
                 id="show_when refers to absent field"),
    pytest.param(GOOD + NATIONALITY + 'show_when = "passport"\n', "person.nationality",
                 "template.bad_show_when", "show_when 应写成", "show_when must look like",
                 id="show_when malformed"),
    pytest.param(GOOD.replace('max_length = 64', 'max_length = 0'), "person.name",
                 "template.bad_value", "max_length", "max_length", id="max_length zero"),
    pytest.param(GOOD.replace('type = "doc_number"', 'type = "doc_number"\nchoices = "doc_types"'),
                 "person.doc_number", "template.bad_value", "choice 类型", "only a choice field",
                 id="choices on a text field"),
])
def test_each_breakage_names_file_field_and_problem(tmp_path: Path, broken: str, field: str,
                                                     code: str, zh_part: str, en_part: str) -> None:
    error = refused(tmp_path, broken)
    matching = [p for p in error.problems if p.field == field and p.code == code]
    assert matching, [(p.field, p.code) for p in error.problems]
    problem = matching[0]
    assert zh_part in problem.zh and en_part in problem.en
    assert f"[{field}]" in error.text("zh") and problem.zh in error.text("zh") and problem.en in error.text("en")


def test_several_problems_are_reported_together(tmp_path: Path) -> None:
    broken = GOOD.replace('type = "datetime"', 'type = "timestamp"').replace(
        'label = { zh = "姓名", en = "Name" }', 'label = { zh = "姓名" }')
    error = refused(tmp_path, broken)
    assert {p.field for p in error.problems} == {"arrived_at", "person.name"}
    assert len(error.problems) == 2  # a broken field is not reported again as missing
    assert error.field == error.problems[0].field


@pytest.mark.parametrize(("broken", "code"), [
    (GOOD.replace('registration = "stay"', 'registration = "tenancy"'),
     "template.wrong_registration"),
    (GOOD.replace('kind = "hotel"', 'kind = "motel"'), "template.bad_kind"),
    (GOOD.replace('title = { zh = "旅客入住登记", en = "Guest check-in" }', ''),
     "template.missing_label"),
    (GOOD + '\nversion = 2\n', "template.unknown_attribute"),
    (GOOD.replace('[[field]]', '[[fields]]'), "template.no_fields"),
    (GOOD.replace('key = "unit"', 'key = unit'), "template.syntax"),
])
def test_file_level_problems_name_the_file(tmp_path: Path, broken: str, code: str) -> None:
    error = refused(tmp_path, broken)
    assert code in [p.code for p in error.problems]


def test_unreadable_file_is_a_template_error(tmp_path: Path) -> None:
    path = tmp_path / "hotel.toml"
    path.write_bytes("title = '旅客'".encode("gbk"))
    with pytest.raises(TemplateError) as caught:
        load_template_file(path)
    assert caught.value.problems[0].code == "template.unreadable"
    with pytest.raises(TemplateError):
        load_template_file(tmp_path / "absent.toml")


def test_templates_load_without_the_terminal_ui_toolkit() -> None:
    code = ("import sys, agent.forms.templates, agent.domain.codes; agent.forms.templates.check_templates(); "
            "print(sorted(m for m in sys.modules "
            "if m.split('.')[0] in ('textual', 'rich', 'tui')))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True, cwd=Path(__file__).resolve().parents[2])
    assert result.stdout.strip() == "[]"


# --- the start check over a folder ------------------------------------------------------------


def copy_of_shipped(tmp_path: Path) -> Path:
    folder = tmp_path / "templates"
    folder.mkdir()
    for kind in VenueKind:
        name = f"{kind.value}.toml"
        (folder / name).write_text((SHIPPED / name).read_text(encoding="utf-8"), encoding="utf-8")
    return folder


def test_start_check_accepts_a_copy_of_the_shipped_folder(tmp_path: Path) -> None:
    loaded = templates.check_templates(copy_of_shipped(tmp_path))
    assert {kind: t.fields for kind, t in loaded.items()} == {
        kind: t.fields for kind, t in templates.load_all().items()}


def test_start_check_refuses_a_stray_template_file(tmp_path: Path) -> None:
    folder = copy_of_shipped(tmp_path)
    (folder / "hotle.toml").write_text(GOOD, encoding="utf-8")
    with pytest.raises(TemplateError) as caught:
        templates.check_templates(folder)
    assert caught.value.file == "hotle.toml"
    assert caught.value.problems[0].code == "template.unknown_file"


def test_start_check_refuses_a_missing_venue_kind(tmp_path: Path) -> None:
    folder = copy_of_shipped(tmp_path)
    (folder / "employer.toml").unlink()
    with pytest.raises(TemplateError) as caught:
        templates.check_templates(folder)
    assert caught.value.file == "employer.toml"
    assert caught.value.problems[0].code == "template.missing_file"


def test_start_check_refuses_a_file_whose_kind_is_not_its_name(tmp_path: Path) -> None:
    folder = copy_of_shipped(tmp_path)
    (folder / "overnight.toml").write_text(GOOD, encoding="utf-8")  # says kind = "hotel"
    with pytest.raises(TemplateError) as caught:
        templates.check_templates(folder)
    assert caught.value.file == "overnight.toml"
    assert caught.value.problems[0].code == "template.kind_mismatch"


def test_start_check_names_the_broken_shipped_file_and_field(tmp_path: Path) -> None:
    folder = copy_of_shipped(tmp_path)
    rental = folder / "rental.toml"
    rental.write_text(rental.read_text(encoding="utf-8").replace('choices = "reasons"',
                                                                 'choices = "motives"'),
                      encoding="utf-8")
    with pytest.raises(TemplateError) as caught:
        templates.check_templates(folder)
    assert str(caught.value).startswith("rental.toml [reason]: ")
    assert "motives" in str(caught.value)
