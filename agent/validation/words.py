"""How the words people type become our codes: one vocabulary for JSON, spreadsheets and forms.

A clerk writes 男, a spreadsheet says 女性, a script sends "F"; a landlord types 香港 or 中国香港, an
import says HKG; 身份证, 二代证 and GA/T 517's 111 are one document type. Every entry point reads such words
here, so the same word gives the same code wherever it was typed (the validators, the importer and the
register form all call these). A word is compared half-width, case-folded and without spaces.

>>> sex_code("女性"), sex_code("M"), sex_code(" 2 "), country_code("香港"), country_code("chn")
('F', 'M', 'F', 'HKG', 'CHN')
>>> ethnicity_code("汉"), ethnicity_code("1"), doc_type_code("二代证"), reason_code("打工"), yes_no("否")
('01', '01', 'resident_id', 'work', False)
>>> relation_code("母亲"), relation_code("外婆"), visa_type_code("L字签证"), visa_type_code("免签")
('parent', 'grandparent', 'L', 'visa_free')
>>> sex_code("X") is None
True
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache

from agent.domain import codes
from agent.validation.normalise import halfwidth

_SEX_WORDS = {"男": "M", "男性": "M", "m": "M", "male": "M", "1": "M",
              "女": "F", "女性": "F", "f": "F", "female": "F", "2": "F"}
_YES_NO_WORDS = {"是": True, "住": True, "住宿": True, "y": True, "yes": True, "true": True, "1": True, "√": True,
                 "否": False, "不": False, "不住": False, "不住宿": False, "n": False, "no": False, "false": False,
                 "0": False, "×": False}
# Names people write for documents beyond the tables' own labels.
_DOC_TYPE_WORDS = {
    "身份证": "resident_id", "二代身份证": "resident_id", "二代证": "resident_id", "护照": "passport",
    "港澳通行证": "hk_macau_permit", "回乡证": "hk_macau_permit", "港澳居民来往内地通行证": "hk_macau_permit",
    "台胞证": "taiwan_permit", "台湾居民来往大陆通行证": "taiwan_permit", "港澳台居民居住证": "hmt_residence_permit",
    "港澳台居住证": "hmt_residence_permit", "永居证": "foreign_permanent_id", "外国人永久居留证": "foreign_permanent_id",
    "外国人永久居留身份证": "foreign_permanent_id",
}
# Words for a relation to a minor: who the person sharing the room is to the child.
_RELATION_WORDS = {
    "父亲": "parent", "母亲": "parent", "爸爸": "parent", "妈妈": "parent", "父": "parent", "母": "parent",
    "父母": "parent", "家长": "parent", "继父": "parent", "继母": "parent", "养父": "parent", "养母": "parent",
    "father": "parent", "mother": "parent",
    "爷爷": "grandparent", "奶奶": "grandparent", "外公": "grandparent", "外婆": "grandparent",
    "姥爷": "grandparent", "姥姥": "grandparent", "祖父": "grandparent", "祖母": "grandparent",
    "外祖父": "grandparent", "外祖母": "grandparent", "祖父母": "grandparent", "外祖父母": "grandparent",
    "grandfather": "grandparent", "grandmother": "grandparent",
    "亲属": "other_relative", "亲戚": "other_relative", "叔叔": "other_relative", "阿姨": "other_relative",
    "舅舅": "other_relative", "姑姑": "other_relative", "姨妈": "other_relative", "哥哥": "other_relative",
    "姐姐": "other_relative", "兄": "other_relative", "姐": "other_relative", "relative": "other_relative",
    "教师": "teacher", "老师": "teacher", "班主任": "teacher", "带队老师": "teacher", "教练": "teacher",
}
# Words for a visa or permit type beyond the table's own labels (L字签证 is L, 旅游签证 is L).
_VISA_WORDS = {
    "免签": "visa_free", "免签证": "visa_free", "过境免签": "visa_free", "visafree": "visa_free",
    "居留许可": "residence_permit", "居留证": "residence_permit", "工作居留许可": "residence_permit",
    "停留证件": "stay_permit", "停留证": "stay_permit",
    "旅游签证": "L", "商务签证": "M", "工作签证": "Z", "学习签证": "X1", "记者签证": "J1",
    "过境签证": "G", "乘务签证": "C", "人才签证": "R", "访问签证": "F", "探亲签证": "Q2", "团聚签证": "Q1",
}
_REASON_WORDS = {"打工": "work", "上班": "work", "工作": "work", "做生意": "business", "上学": "study",
                 "读书": "study", "学习": "study", "探亲": "visiting_family", "访友": "visiting_family",
                 "看病": "medical", "出差": "official"}


def word_key(word: object) -> str:
    """A typed word as the vocabulary compares it: half-width, lower-case, no spaces (a whole number
    written by a spreadsheet as 1.0 is 1)."""
    if isinstance(word, float) and word.is_integer():
        word = int(word)
    return halfwidth(str(word)).strip().lower().replace(" ", "")


def sex_code(word: object) -> str | None:
    """M or F for 男/女, 男性/女性, M/F, male/female, GB/T 2261.1's 1/2; None for anything else."""
    return _SEX_WORDS.get(word_key(word))


def yes_no(word: object) -> bool | None:
    """True for 是/住/yes/y/true/1/√, False for 否/不住/no/n/false/0/×; None for anything else."""
    if isinstance(word, bool):
        return word
    return _YES_NO_WORDS.get(word_key(word))


def ethnicity_code(word: object) -> str | None:
    """GB 3304's two-digit code for a code (1 or 01), a name (汉族 or 汉) or its English name."""
    return _ethnicity_words().get(word_key(word))


def country_code(word: object) -> str | None:
    """ISO 3166-1 alpha-3 for a code (chn), a Chinese name (中国, 中国香港 or 香港, 日本籍) or an English one."""
    return _country_words().get(word_key(word))


def doc_type_code(word: object) -> str | None:
    """Our document type for its key, its GA/T 517 code (111), its label or a common name (身份证)."""
    return _doc_type_words().get(word_key(word))


def reason_code(word: object) -> str | None:
    """The reason for stay's key for its key, label or a common word (打工, 上学)."""
    return _reason_words().get(word_key(word))


@cache
def _ethnicity_words() -> Mapping[str, str]:
    words: dict[str, str] = {}
    for code, entry in codes.ethnic_groups().items():
        words[code] = code
        words[str(int(code))] = code
        words[entry.zh] = code
        words[entry.zh.removesuffix("族")] = code
        words[word_key(entry.en)] = code
    return words


@cache
def _country_words() -> Mapping[str, str]:
    words: dict[str, str] = {}
    for code, entry in codes.countries().items():
        words[code.lower()] = code
        words[entry.zh] = code
        words[entry.zh + "籍"] = code
        words[word_key(entry.en)] = code
        if entry.zh.startswith("中国") and len(entry.zh) > 2:
            words[entry.zh.removeprefix("中国")] = code  # 中国香港 is often written 香港
    words["中华人民共和国"] = "CHN"
    return words


@cache
def _doc_type_words() -> Mapping[str, str]:
    words: dict[str, str] = {}
    for key, entry in codes.doc_types().items():
        if entry.code is None:
            continue  # a child without a document is registered with a guardian, never by a word for it
        words[key] = key
        words[entry.code] = key
        words[entry.zh] = key
        words[word_key(entry.en)] = key
    words.update(_DOC_TYPE_WORDS)
    return words


@cache
def _reason_words() -> Mapping[str, str]:
    words = dict(_REASON_WORDS)
    for key, entry in codes.reasons().items():
        words[key] = key
        words[entry.zh] = key
        words[word_key(entry.en)] = key
    return words


def relation_code(word: object) -> str | None:
    """The relation's key (parent, grandparent, other_relative, teacher, other) for its key, label or a
    word such as 父亲, 妈妈, 外婆, 班主任."""
    return _relation_words().get(word_key(word))


def visa_type_code(word: object) -> str | None:
    """The visa type's key (C ... Z, visa_free, residence_permit, stay_permit) for its key, label or a
    word such as L字签证, 免签, 居留许可."""
    return _visa_words().get(word_key(word))


@cache
def _relation_words() -> Mapping[str, str]:
    words = dict(_RELATION_WORDS)
    for key, entry in codes.relations().items():
        words[key] = key
        words[word_key(entry.zh)] = key
        words[word_key(entry.en)] = key
    words["祖父母"] = words["外祖父母"] = "grandparent"
    return words


@cache
def _visa_words() -> Mapping[str, str]:
    words = {word_key(word): key for word, key in _VISA_WORDS.items()}
    for key, entry in codes.visa_types().items():
        words[word_key(key)] = key
        words[word_key(entry.zh)] = key
        words[word_key(entry.en)] = key
        if len(key) <= 2:  # a visa category: L, L字, L字签证, L签证, L visa
            letter = word_key(key)
            for spelling in ("字", "字签证", "签证", "visa"):
                words[letter + spelling] = key
    return words


_BY_TABLE = {"sex": sex_code, "ethnicity": ethnicity_code, "countries": country_code, "doc_types": doc_type_code,
             "reasons": reason_code, "relations": relation_code, "visa_types": visa_type_code}


def code_in_table(table: str, word: object) -> str | None:
    """The code a word stands for in the code table a form's choice names (`agent.domain.codes.TABLES`)."""
    return _BY_TABLE[table](word)
