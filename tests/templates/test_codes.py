"""The code tables, checked against the standards they come from.

The ethnic-group data file is in numeric order; the lists below were transcribed separately from the
other two tables of GB 3304-91 (Table 1 in stroke order of the Chinese names, as published on
zh.wikisource.org "中国各民族名称的罗马字母拼写法和代码"; Table 2's letter codes in alphabetical order of
the romanised names), so an error in one transcription shows up as a mismatch.
"""

from __future__ import annotations

from types import MappingProxyType

import pytest

from agent.domain import DocType, Sex, codes

# GB 3304-91 Table 1: name, romanised spelling, letter code, numeric code, in the table's order.
TABLE_1_STROKE_ORDER = [
    ("土家族", "Tujia", "TJ", "15"), ("土族", "Tu", "TU", "30"), ("门巴族", "Monba", "MB", "54"),
    ("水族", "Sui", "SU", "25"), ("毛南族", "Maonan", "MN", "36"), ("乌孜别克族", "Uzbek", "UZ", "43"),
    ("布依族", "Buyei", "BY", "09"), ("布朗族", "Blang", "BL", "34"), ("东乡族", "Dongxiang", "DX", "26"),
    ("仡佬族", "Gelao", "GL", "37"), ("仫佬族", "Mulao", "ML", "32"), ("白族", "Bai", "BA", "14"),
    ("汉族", "Han", "HA", "01"), ("达斡尔族", "Daur", "DU", "31"), ("回族", "Hui", "HU", "03"),
    ("佤族", "Va", "VA", "21"), ("壮族", "Zhuang", "ZH", "08"), ("羌族", "Qiang", "QI", "33"),
    ("阿昌族", "Achang", "AC", "39"), ("纳西族", "Naxi", "NX", "27"), ("拉祜族", "Lahu", "LH", "24"),
    ("苗族", "Miao", "MH", "06"), ("侗族", "Dong", "DO", "12"), ("京族", "Gin", "GI", "49"),
    ("柯尔克孜族", "Kirgiz", "KG", "29"), ("哈尼族", "Hani", "HN", "16"), ("哈萨克族", "Kazak", "KZ", "17"),
    ("保安族", "Bonan", "BN", "47"), ("俄罗斯族", "Russ", "RS", "44"), ("独龙族", "Derung", "DR", "51"),
    ("怒族", "Nu", "NU", "42"), ("珞巴族", "Lhoba", "LB", "55"), ("高山族", "Gaoshan", "GS", "23"),
    ("基诺族", "Jino", "JN", "56"), ("鄂伦春族", "Oroqen", "OR", "52"), ("鄂温克族", "Ewenki", "EW", "45"),
    ("维吾尔族", "Uygur", "UG", "05"), ("塔吉克族", "Tajik", "TA", "41"), ("塔塔尔族", "Tatar", "TT", "50"),
    ("朝鲜族", "Chosen", "CS", "10"), ("景颇族", "Jingpo", "JP", "28"), ("傣族", "Dai", "DA", "18"),
    ("傈僳族", "Lisu", "LS", "20"), ("畲族", "She", "SH", "22"), ("普米族", "Pumi", "PM", "40"),
    ("裕固族", "Yugur", "YG", "48"), ("蒙古族", "Mongol", "MG", "02"), ("锡伯族", "Xibe", "XB", "38"),
    ("满族", "Man", "MA", "11"), ("瑶族", "Yao", "YA", "13"), ("赫哲族", "Hezhen", "HZ", "53"),
    ("撒拉族", "Salar", "SL", "35"), ("德昂族", "Deang", "DE", "46"), ("黎族", "Li", "LI", "19"),
    ("藏族", "Zang", "ZA", "04"), ("彝族", "Yi", "YI", "07"),
]

# GB 3304-91 Table 2: the letter codes, in alphabetical order of the romanised names.
TABLE_2_LETTERS = (
    "AC BA BL BN BY CS DA DU DE DR DO DX EW GS GL GI HA HN HZ HU JP JN KZ KG LH LB LI LS "
    "MA MN MH MB MG ML NX NU OR PM QI RS SL SH SU TA TT TU TJ UG UZ VA XB YA YI YG ZA ZH"
).split()

# The 56 names in numeric-code order, as the brief and every ID card reader list them.
NAMES_IN_CODE_ORDER = (
    "汉族 蒙古族 回族 藏族 维吾尔族 苗族 彝族 壮族 布依族 朝鲜族 满族 侗族 瑶族 白族 土家族 哈尼族 哈萨克族 "
    "傣族 黎族 傈僳族 佤族 畲族 高山族 拉祜族 水族 东乡族 纳西族 景颇族 柯尔克孜族 土族 达斡尔族 仫佬族 羌族 "
    "布朗族 撒拉族 毛南族 仡佬族 锡伯族 阿昌族 普米族 塔吉克族 怒族 乌孜别克族 俄罗斯族 鄂温克族 德昂族 保安族 "
    "裕固族 京族 塔塔尔族 独龙族 鄂伦春族 赫哲族 门巴族 珞巴族 基诺族"
).split()


def standard_groups() -> dict[str, codes.CodeEntry]:
    return {code: entry for code, entry in codes.ethnic_groups().items() if int(code) <= 56}


def test_ethnic_groups_are_56_contiguous_codes_then_97_and_98() -> None:
    assert list(codes.ethnic_groups()) == [f"{n:02d}" for n in range(1, 57)] + ["97", "98"]


def test_ethnic_group_names_are_unique_and_end_with_zu() -> None:
    names = [entry.zh for entry in standard_groups().values()]
    assert len(set(names)) == 56
    assert all(name.endswith("族") for name in names)
    assert len({entry.en for entry in codes.ethnic_groups().values()}) == 58


def test_ethnic_groups_in_code_order_match_the_full_list() -> None:
    assert [entry.zh for entry in standard_groups().values()] == NAMES_IN_CODE_ORDER


def test_every_ethnic_group_matches_table_1_of_the_standard() -> None:
    assert len(TABLE_1_STROKE_ORDER) == 56
    spellings = codes.ethnic_romanisations()
    for zh, roman, letter, code in TABLE_1_STROKE_ORDER:
        assert codes.ethnic_groups()[code].zh == zh, code
        assert spellings[code] == (roman, letter), code


def test_letter_codes_match_table_2_of_the_standard() -> None:
    by_spelling = sorted(codes.ethnic_romanisations().values(), key=lambda pair: pair[0].lower())
    assert [letter for _, letter in by_spelling] == TABLE_2_LETTERS


def test_english_names_follow_the_standards_note_for_use_abroad() -> None:
    groups = codes.ethnic_groups()
    assert (groups["04"].en, groups["10"].en) == ("Tibetan", "Korean")
    spellings = codes.ethnic_romanisations()
    others = [code for code in standard_groups() if code not in ("04", "10")]
    assert all(groups[code].en == spellings[code][0] for code in others)


def test_the_two_codes_beyond_the_standard() -> None:
    groups = codes.ethnic_groups()
    assert groups["97"].zh == "其他未识别民族"
    assert groups["98"].zh == "外国血统中国籍人士"
    assert "97" not in codes.ethnic_romanisations()


def test_countries_hold_the_iso_3166_alpha_3_codes() -> None:
    countries = codes.countries()
    assert len(countries) == 249
    assert all(len(code) == 3 and code.isascii() and code.isupper() for code in countries)
    assert {code: countries[code].zh for code in ("CHN", "HKG", "MAC", "TWN")} == {
        "CHN": "中国", "HKG": "中国香港", "MAC": "中国澳门", "TWN": "中国台湾"}
    assert countries["TWN"].en == "Taiwan, Province of China"
    assert (countries["USA"].zh, countries["DEU"].en) == ("美国", "Germany")
    assert all(entry.zh and entry.en for entry in countries.values())


def test_every_document_type_has_its_ga_t_517_code() -> None:
    table = codes.doc_types()
    assert set(table) == {doc_type.value for doc_type in DocType}
    assert {key: entry.code for key, entry in table.items()} == {
        "resident_id": "111",
        "passport": "414",
        "hk_macau_permit": "516",
        "taiwan_permit": "511",
        "foreign_permanent_id": "553",
        "hmt_residence_permit": "990",
        "none_with_guardian": None,
    }
    assert all(entry.doc_type.value == key for key, entry in table.items())


def test_reasons_have_stable_keys() -> None:
    table = codes.reasons()
    assert list(table) == ["work", "business", "study", "visiting_family", "tourism", "medical",
                           "official", "other"]
    assert [entry.zh for entry in table.values()] == [
        "务工", "经商", "就学", "探亲访友", "旅游", "就医", "公务", "其他"]
    assert all(entry.code == key for key, entry in table.items())


def test_sexes_are_the_domain_values_with_gb_t_2261_codes() -> None:
    table = codes.sexes()
    assert set(table) == {sex.value for sex in Sex}
    assert (table["M"].code, table["F"].code) == ("1", "2")


@pytest.mark.parametrize("name", sorted(codes.TABLES))
def test_every_table_is_read_only_and_labelled(name: str) -> None:
    table = codes.table(name)
    assert isinstance(table, MappingProxyType)
    with pytest.raises(TypeError):
        table["new"] = codes.CodeEntry("x", "x", "x")  # type: ignore[index]
    assert all(codes.label(entry, "zh") and codes.label(entry, "en") for entry in table.values())


def test_unknown_table_name_is_a_key_error() -> None:
    with pytest.raises(KeyError):
        codes.table("religions")
