"""Sample cards of fictional people, one or more of each of the four layouts, for the simulated reader,
the tests and `dengji demo`.

The people are made up (韩梅梅 and 李雷 are the textbook pair, 陈大文 the Hong Kong form-filling
placeholder); their numbers are built from a made-up body and the check character our own validators
compute, so every number passes `validate_document` and no real person's number is ever used.
"""

from __future__ import annotations

from datetime import date

from agent.cardreader.card import CardLayout, IdentityCard
from agent.cardreader.layouts import encode_card_text
from agent.domain import Sex
from agent.validation import mrz, resident_id


def _gb11643(body: str) -> str:
    """A 17-digit body and its ISO 7064 MOD 11-2 check character (resident IDs, residence permits and
    the 2023 foreigner's card share the rule)."""
    return body + resident_id.calc_check_digit(body)


def _icao(body: str) -> str:
    """A 14-character 2017 foreigner's card number and the 7-3-1 check digit public implementations use."""
    return body + mrz.check_digit(body)


SAMPLE_CARDS: dict[str, IdentityCard] = {
    "resident_id": IdentityCard(
        layout=CardLayout.RESIDENT_ID, doc_number=_gb11643("11010519900307002"), name="韩梅梅", name_en=None,
        sex=Sex.FEMALE, ethnicity="01", nationality="CHN", birth_date=date(1990, 3, 7),
        address="北京市朝阳区示例路1号院2号楼301室", issuer="北京市公安局朝阳分局",
        valid_from=date(2020, 3, 7), valid_until=date(2040, 3, 7)),
    # 韩梅梅's family, for a room checked in card after card and out at once (all adults: no minor's rules).
    "resident_id_father": IdentityCard(
        layout=CardLayout.RESIDENT_ID, doc_number=_gb11643("11010519620518001"), name="韩建国", name_en=None,
        sex=Sex.MALE, ethnicity="01", nationality="CHN", birth_date=date(1962, 5, 18),
        address="北京市朝阳区示例路1号院2号楼301室", issuer="北京市公安局朝阳分局",
        valid_from=date(2012, 5, 18), valid_until=None),
    "resident_id_mother": IdentityCard(
        layout=CardLayout.RESIDENT_ID, doc_number=_gb11643("11010519640921004"), name="林秀珍", name_en=None,
        sex=Sex.FEMALE, ethnicity="01", nationality="CHN", birth_date=date(1964, 9, 21),
        address="北京市朝阳区示例路1号院2号楼301室", issuer="北京市公安局朝阳分局",
        valid_from=date(2014, 9, 21), valid_until=None),
    "resident_id_sister": IdentityCard(
        layout=CardLayout.RESIDENT_ID, doc_number=_gb11643("11010520010612006"), name="韩雪", name_en=None,
        sex=Sex.FEMALE, ethnicity="01", nationality="CHN", birth_date=date(2001, 6, 12),
        address="北京市朝阳区示例路1号院2号楼301室", issuer="北京市公安局朝阳分局",
        valid_from=date(2021, 6, 12), valid_until=date(2041, 6, 12)),
    "resident_id_expired": IdentityCard(
        layout=CardLayout.RESIDENT_ID, doc_number=_gb11643("32010619780815001"), name="李雷", name_en=None,
        sex=Sex.MALE, ethnicity="01", nationality="CHN", birth_date=date(1978, 8, 15),
        address="江苏省南京市鼓楼区示例街8号", issuer="南京市公安局鼓楼分局",
        valid_from=date(2005, 8, 15), valid_until=date(2015, 8, 15)),
    "resident_id_long_term": IdentityCard(
        layout=CardLayout.RESIDENT_ID, doc_number=_gb11643("44030419480101003"), name="欧阳修远", name_en=None,
        sex=Sex.MALE, ethnicity="02", nationality="CHN", birth_date=date(1948, 1, 1),
        address="广东省深圳市罗湖区示例巷3号", issuer="深圳市公安局罗湖分局",
        valid_from=date(2010, 1, 1), valid_until=None),
    "hmt_residence_permit": IdentityCard(
        layout=CardLayout.HMT_RESIDENCE_PERMIT, doc_number=_gb11643("81000019850412001"), name="陈大文",
        name_en=None, sex=Sex.MALE, ethnicity=None, nationality="HKG", birth_date=date(1985, 4, 12),
        address="广东省深圳市福田区示例路2号", issuer="深圳市公安局",
        valid_from=date(2023, 5, 1), valid_until=date(2028, 5, 1)),
    "foreign_permanent_2017": IdentityCard(
        layout=CardLayout.FOREIGN_PERMANENT_2017, doc_number=_icao("GBR31008506152"), name="DOE, JANE",
        name_en="DOE, JANE", sex=Sex.FEMALE, ethnicity=None, nationality="GBR", birth_date=date(1985, 6, 15),
        address=None, issuer="3100", valid_from=date(2018, 6, 1), valid_until=date(2028, 6, 1)),
    "foreign_permanent_2023": IdentityCard(
        layout=CardLayout.FOREIGN_PERMANENT_2023, doc_number=_gb11643("93125019880920003"), name="马丁",
        name_en="DUPONT-LEFEBVRE, JEAN-BAPTISTE MARC ANTOINE", sex=Sex.MALE, ethnicity=None,
        nationality="FRA", birth_date=date(1988, 9, 20), address=None, issuer=None,
        valid_from=date(2023, 12, 1), valid_until=date(2033, 12, 1)),
}

# Fields of the layouts that an IdentityCard does not carry.
SAMPLE_EXTRAS: dict[str, dict[str, str]] = {
    "hmt_residence_permit": {"travel_permit_number": "H00000001", "times_issued": "01"},
    "foreign_permanent_2017": {"card_version": "01"},
    "foreign_permanent_2023": {"times_renewed": "00"},
}


def sample_text(key: str) -> bytes:
    """The 256-byte text of a sample card, as a reader reads it."""
    return encode_card_text(SAMPLE_CARDS[key], SAMPLE_EXTRAS.get(key))
