"""The protocol's JSON, read and written on the platform's hot path: orjson, with the standard library
for the few values orjson treats differently.

The platform parses every batch, stores every event's data as JSON and writes a canonical statement of
500 to 2000 receipts for each answer. With the standard library that was about a tenth of its CPU per
event; orjson reads a batch in 2.0 µs an event instead of 3.4 (the guard below included) and writes a
registration's data in 0.5 µs instead of 3.5. The values are the standard library's:

- Reading: a body holding a run of 19 or more digits (an integer orjson would turn into a float), a lone
  surrogate escape, NaN or Infinity (not JSON, but the standard library reads them and the platform
  answers such events one by one) or a byte order mark is read by the standard library.
- Writing: what orjson refuses (a lone surrogate, an integer beyond 64 bits, a key that is not a
  string, NaN and Infinity as `read` gives them) is written by the standard library. orjson writes a
  float with a negative exponent as `1e-7` where the standard library writes `1e-07`: the same number.

>>> read('{"name": "张三", "n": 12345678901234567890123}'.encode())
{'name': '张三', 'n': 12345678901234567890123}
>>> compact({"name": "张三", "n": 1})
'{"name":"张三","n":1}'
>>> compact(read(b'[NaN, 1e400, 0.5]'))
'[NaN,Infinity,0.5]'
>>> canonical({"b": 1, "a": [True, None]})
b'{"a":[true,null],"b":1}'
"""

from __future__ import annotations

import json
import math
from typing import Any

import orjson

# Every digit as "0", every other byte as " ": a run of 19 digits is then a plain substring search, two C
# passes over the body (a regular expression took longer than parsing it). -9223372036854775808 has
# 19 digits; any integer with fewer fits in 64 bits.
_DIGITS_AS_ZEROS = bytes(0x30 if 0x30 <= byte <= 0x39 else 0x20 for byte in range(256))
_LONG_DIGIT_RUN = b"0" * 19
_compact = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
_canonical = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode


class NonFinite(float):
    """NaN or an infinity as `read` gives it: a float that orjson refuses to write (it would write
    null), so that `compact` hands it to the standard library, which writes NaN or Infinity again."""


def _non_finite_constant(name: str) -> float:
    return NonFinite(name)


def _float(text: str) -> float:
    value = float(text)
    return NonFinite(value) if math.isinf(value) else value


def read(raw: bytes) -> Any:
    """The value of a JSON document; `ValueError` when it is not JSON (`RecursionError` when nested too
    deep for the standard library)."""
    if _LONG_DIGIT_RUN not in raw.translate(_DIGITS_AS_ZEROS):
        try:
            return orjson.loads(raw)
        except orjson.JSONDecodeError:
            pass  # not JSON, or a surrogate escape or byte order mark only the standard library reads
    return json.loads(raw, parse_constant=_non_finite_constant, parse_float=_float)


def compact(value: Any) -> str:
    """JSON without insignificant white space, non-ASCII characters as they are."""
    try:
        return orjson.dumps(value).decode("utf-8")
    except TypeError:  # orjson.JSONEncodeError: see the module's docstring
        return _compact(value)


def canonical(value: Any) -> bytes:
    """`compact` with every object's keys sorted, as UTF-8: the bytes a statement's signature covers."""
    try:
        return orjson.dumps(value, option=orjson.OPT_SORT_KEYS)
    except TypeError:
        return _canonical(value).encode("utf-8")
