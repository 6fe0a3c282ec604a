"""The domain's vocabulary: venue kinds, registrations, documents, events.

Plain enums and value types with no storage or UI concerns, so that the validators, the store, the
receiver and the TUI all speak the same words.
"""

from __future__ import annotations

from datetime import timedelta, timezone
from enum import StrEnum


class VenueKind(StrEnum):
    """What kind of place reports: each kind owes a different registration."""

    RENTAL = "rental"  # 出租房屋: landlord, rental agent
    HOTEL = "hotel"  # 旅馆: small hotel, guesthouse
    OVERNIGHT = "overnight"  # 网吧/洗浴/商务会所: internet café, bathhouse, club
    EMPLOYER = "employer"  # 用工单位: enterprise, shop, work crew, school


class VenueSubtype(StrEnum):
    """What an overnight venue is (`dengji init --kind overnight --subtype ...`): the rules differ."""

    INTERNET_CAFE = "internet_cafe"  # 营业性网吧: may not admit minors at all
    BATHHOUSE = "bathhouse"  # 洗浴
    CLUB = "club"  # 商务会所


class RegistrationKind(StrEnum):
    """A person's presence at a venue: a tenancy, a stay or an employment."""

    TENANCY = "tenancy"
    STAY = "stay"
    EMPLOYMENT = "employment"


REGISTRATION_KIND_OF_VENUE: dict[VenueKind, RegistrationKind] = {
    VenueKind.RENTAL: RegistrationKind.TENANCY,
    VenueKind.HOTEL: RegistrationKind.STAY,
    VenueKind.OVERNIGHT: RegistrationKind.STAY,
    VenueKind.EMPLOYER: RegistrationKind.EMPLOYMENT,
}


class DocType(StrEnum):
    """Identity documents a venue may register a person with (GA/T 517 codes in `templates/codes`)."""

    RESIDENT_ID = "resident_id"  # 居民身份证
    HK_MACAU_PERMIT = "hk_macau_permit"  # 港澳居民来往内地通行证
    TAIWAN_PERMIT = "taiwan_permit"  # 台湾居民来往大陆通行证
    HMT_RESIDENCE_PERMIT = "hmt_residence_permit"  # 港澳台居民居住证
    PASSPORT = "passport"  # 护照
    FOREIGN_PERMANENT_ID = "foreign_permanent_id"  # 外国人永久居留身份证
    NONE_WITH_GUARDIAN = "none_with_guardian"  # a child with no document, registered under a guardian


class Sex(StrEnum):
    MALE = "M"
    FEMALE = "F"


class EventType(StrEnum):
    """What happened to a registration; each is one event in the log and one outbox entry."""

    REGISTERED = "registration"
    UPDATED = "update"
    DEPARTED = "departure"
    CORRECTED = "correction"
    CANCELLED = "cancellation"  # entered by mistake
    NO_ARRIVALS = "no_arrivals_report"  # 无入住上报: the daily report that nobody new arrived
    VISIT = "visit"  # 访客: someone came to see a registered guest
    VISIT_END = "visit_end"  # the visitor left
    UNIT_CHANGED = "unit_change"  # 换房: the stay moved to another room or unit
    STAY_EXTENDED = "stay_extension"  # 续住 / 续租: a new expected departure (for a tenancy: the lease renewed)
    DEPARTURE_CANCELLED = "departure_cancelled"  # a check-out recorded by mistake, undone within 15 minutes


class OutboxState(StrEnum):
    """Where an event stands on its way to the platform."""

    PENDING = "pending"
    IN_FLIGHT = "in_flight"
    SENT = "sent"
    REJECTED = "rejected"
    QUARANTINED = "quarantined"
    SUPERSEDED = "superseded"  # a rejected event whose correction (or resend) is a new event: never sent again


# China has kept one time zone without daylight saving since 1991; a fixed offset needs no tz database
# (which Windows machines and frozen binaries may lack).
CHINA_TIME = timezone(timedelta(hours=8), "CST")
