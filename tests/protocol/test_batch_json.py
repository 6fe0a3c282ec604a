"""A batch's JSON is what `json.dumps` makes of it, byte for byte, for any content; data the agent
stored already encoded goes in as it stands."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from protocol.messages import Batch, EncodedData, Event

values = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
                      lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner, max_size=3),
                      max_leaves=8)
events = st.builds(Event, values, values, values, values)


def reference(batch: Batch) -> bytes:
    value: dict[str, Any] = {"device_id": batch.device_id, "batch_id": batch.batch_id,
                             "events": [event.as_dict() for event in batch.events]}
    if batch.dry_run:
        value["dry_run"] = True
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


@settings(max_examples=300)
@given(values, values, st.lists(events, min_size=1, max_size=4), st.booleans())
def test_a_batch_is_written_as_json_dumps_writes_it(device_id: Any, batch_id: Any, items: list[Event],
                                                    dry_run: bool) -> None:
    batch = Batch(device_id, batch_id, tuple(items), dry_run)
    assert batch.to_json() == reference(batch)
    stored = tuple(Event(e.event_id, e.type, e.occurred_at, EncodedData(json.dumps(e.data, ensure_ascii=False)))
                   for e in items)
    assert json.loads(Batch(device_id, batch_id, stored, dry_run).to_json()) == json.loads(reference(batch))
