"""protocol.json_text reads and writes what the standard library reads and writes, whatever the value."""

from __future__ import annotations

import json
import math

from hypothesis import given, settings
from hypothesis import strategies as st

from protocol import json_text

# Everything JSON can carry, and what the standard library lets through besides: NaN and the
# infinities, integers of any size, lone surrogates.
scalars = (st.none() | st.booleans() | st.integers() | st.integers(min_value=-(2**64), max_value=2**64)
           | st.floats() | st.text() | st.text(st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF)))
values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner,
                                                                                           max_size=4),
                      max_leaves=20)


def std_compact(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def has_float(value: object) -> bool:
    if isinstance(value, float):
        return True
    if isinstance(value, list):
        return any(has_float(v) for v in value)
    if isinstance(value, dict):
        return any(has_float(v) for v in value.values())
    return False


def same(a: object, b: object) -> bool:
    """Equal values, NaN equal to NaN, and of the same types (True is not 1, 1.0 is not 1)."""
    if isinstance(a, float) and isinstance(b, float):
        return (math.isnan(a) and math.isnan(b)) or a == b
    if type(a) is not type(b) and not (isinstance(a, float) and isinstance(b, float)):
        return False
    if isinstance(a, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))  # type: ignore[arg-type]
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)  # type: ignore[union-attr]
    return a == b


@settings(max_examples=400)
@given(values, st.booleans())
def test_read_gives_what_the_standard_library_gives(value: object, ascii_only: bool) -> None:
    raw = json.dumps(value, ensure_ascii=ascii_only).encode("utf-8", "surrogatepass")
    try:
        expected = json.loads(raw)
    except ValueError:  # a lone surrogate written raw is not UTF-8: both must refuse it
        try:
            json_text.read(raw)
        except ValueError:
            return
        raise AssertionError("read took a body the standard library refuses")
    assert same(json_text.read(raw), expected)


@settings(max_examples=400)
@given(values)
def test_compact_and_canonical_write_the_same_value(value: object) -> None:
    value = json_text.read(json.dumps(value).encode())  # what the platform writes is what it read
    expected = std_compact(value)
    written = json_text.compact(value)
    assert same(json.loads(written), json.loads(expected))
    if not has_float(value):  # floats may differ in form only (1e-7 / 1e-07)
        assert written == expected
        canonical = json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
        try:
            expected_bytes = canonical.encode("utf-8")
        except UnicodeEncodeError:  # a lone surrogate cannot be signed, before as now
            try:
                json_text.canonical(value)
            except UnicodeEncodeError:
                return
            raise AssertionError("canonical wrote a lone surrogate") from None
        assert json_text.canonical(value) == expected_bytes


def test_non_finite_numbers_come_back_as_they_were_sent() -> None:
    value = json_text.read(b'{"a": NaN, "b": Infinity, "c": -1e400, "d": 1e-7}')
    assert json_text.compact(value) == '{"a":NaN,"b":Infinity,"c":-Infinity,"d":1e-07}'


def test_long_integers_are_not_rounded() -> None:
    assert json_text.read(b"[12345678901234567890, -9223372036854775809]") == [12345678901234567890,
                                                                               -9223372036854775809]


def test_what_is_not_json_is_refused() -> None:
    for raw in (b"", b"{", b"[1,]", b"\xff", b"{'a': 1}"):
        try:
            json_text.read(raw)
        except ValueError:
            continue
        raise AssertionError(f"{raw!r} was read")
