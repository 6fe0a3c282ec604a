"""The domain's words: what a venue, a registration, a document and an event are, and their codes.

Holds: the kinds (`kinds`: venue kinds, registration kinds, document types, sex, event types, outbox
states, China time), the code tables (`codes`), what is wrong with an input (`problems`), the one error
tree (`errors`), event ids, and the two languages every message is written in (`language`).
May import: nothing else of the agent (the bottom layer): every other layer, the TUI, the uploader and the
receiver speak these words.
"""

from agent.domain.kinds import (
    CHINA_TIME,
    REGISTRATION_KIND_OF_VENUE,
    DocType,
    EventType,
    OutboxState,
    RegistrationKind,
    Sex,
    VenueKind,
    VenueSubtype,
)

__all__ = ["CHINA_TIME", "REGISTRATION_KIND_OF_VENUE", "DocType", "EventType", "OutboxState", "RegistrationKind",
           "Sex", "VenueKind", "VenueSubtype"]
