"""Wire JSON from Python values. Step outputs are user data of any type: what JSON cannot carry
is sent in the nearest form it can (a datetime as ISO text, a set as a list, a Pydantic model or a
dataclass as its fields, NaN as null, anything else as its ``str``), never refused: losing the
whole event over one odd field would hide the step from the audit trail."""

from __future__ import annotations

import base64
import dataclasses
import datetime as _dt
import decimal
import enum
import json
import math
import uuid
from typing import Any

__all__ = ["to_json"]

_dumps = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False, allow_nan=False, default=lambda o: _default(o)).encode


def to_json(value: Any) -> str:
    """Compact JSON for a wire event. Raises only when a value's own conversion raises."""
    try:
        return _dumps(value)
    except (ValueError, TypeError, RecursionError):
        # NaN or infinity (JSON has neither; the TypeScript SDK sends null), keys that are not
        # strings, or a cycle: rebuild the value in a form JSON can carry.
        return _dumps(_sanitize(value, 0))


def _default(o: Any) -> Any:
    if isinstance(o, (_dt.datetime, _dt.date, _dt.time)):
        return o.isoformat()
    if isinstance(o, (set, frozenset, tuple)):
        return list(o)
    if isinstance(o, decimal.Decimal):
        return float(o) if o.is_finite() else None
    if isinstance(o, enum.Enum):
        return o.value
    if isinstance(o, uuid.UUID):
        return str(o)
    if isinstance(o, (bytes, bytearray, memoryview)):
        try:
            return bytes(o).decode("utf-8")
        except UnicodeDecodeError:
            return base64.b64encode(bytes(o)).decode("ascii")
    if dataclasses.is_dataclass(o) and not isinstance(o, type):
        return {f.name: getattr(o, f.name) for f in dataclasses.fields(o)}
    for name in ("model_dump", "dict", "to_dict"):  # pydantic 2, pydantic 1, ours and others
        method = getattr(o, name, None)
        if callable(method) and not isinstance(o, type):
            try:
                return method()
            except Exception:
                break
    return str(o)


def _sanitize(value: Any, depth: int) -> Any:
    if depth > 64:
        return str(value)
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, (str, int, bool)) or value is None:
        return value
    if isinstance(value, dict):
        return {k if isinstance(k, str) else _key(k): _sanitize(v, depth + 1) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [_sanitize(v, depth + 1) for v in value]
    converted = _default(value)
    if isinstance(converted, str) and not isinstance(value, str):
        return converted
    return _sanitize(converted, depth + 1)


def _key(k: Any) -> str:
    if isinstance(k, bool):
        return "true" if k else "false"
    if k is None:
        return "null"
    if isinstance(k, float) and not math.isfinite(k):
        return "null"
    return str(k)
