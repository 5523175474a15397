"""UUIDv7 event and step ids, and the wire's ISO 8601 times.

UUIDv7 (RFC 9562 section 5.7) puts the Unix milliseconds first, so the collector inserts rows at
the right-hand edge of its B-tree. Ids made in the same millisecond stay ordered: the 12-bit
``rand_a`` field is a counter seeded randomly each millisecond (RFC 9562 section 6.2, method 1).
"""

from __future__ import annotations

import os
import threading
import time

__all__ = ["uuidv7", "iso_time", "is_uuid"]

_POOL_SIZE = 4096
_lock = threading.Lock()
_pool = b""
_pos = _POOL_SIZE
_last_ms = -1
_counter = 0


def _random_bytes(n: int) -> bytes:
    # One os.urandom call per id costs more than the rest of the id; a pool amortises it.
    global _pool, _pos
    if _pos + n > len(_pool):
        _pool = os.urandom(_POOL_SIZE)
        _pos = 0
    out = _pool[_pos : _pos + n]
    _pos += n
    return out


def uuidv7() -> str:
    """A new UUIDv7 string, ordered after every id this process made before.

    Example::

        uuidv7()  # '019a6d2e-4f1c-7a3b-9c2d-5e6f7a8b9c0d'
    """
    global _last_ms, _counter
    with _lock:
        ms = time.time_ns() // 1_000_000
        if ms > _last_ms:
            _last_ms = ms
            # Headroom so the counter rarely overflows within one millisecond.
            _counter = int.from_bytes(_random_bytes(2), "big") & 0x7FF
        else:
            ms = _last_ms
            _counter += 1
            if _counter > 0xFFF:
                # 4,096 ids in one millisecond: borrow the next one rather than repeat an id.
                _last_ms = ms = ms + 1
                _counter = 0
        counter = _counter
        tail = int.from_bytes(_random_bytes(8), "big")
    value = (ms << 80) | (0x7 << 76) | (counter << 64) | (0b10 << 62) | (tail & ((1 << 62) - 1))
    h = "%032x" % value
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def is_uuid(value: object) -> bool:
    """True for any RFC 9562 UUID string (any version), in either case."""
    if not isinstance(value, str) or len(value) != 36:
        return False
    parts = value.split("-")
    if [len(p) for p in parts] != [8, 4, 4, 4, 12]:
        return False
    try:
        int("".join(parts), 16)
    except ValueError:
        return False
    return True


def iso_time(seconds: float) -> str:
    """Epoch seconds as the wire's ISO 8601 UTC time with milliseconds (``...T12:00:00.000Z``)."""
    ms = int(round(seconds * 1000))
    s, rem = divmod(ms, 1000)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(s)) + ".%03dZ" % rem


def _after_fork_in_child() -> None:
    # The child must not hand out the random bytes its parent still holds: ids would repeat.
    global _pool, _pos, _lock
    _lock = threading.Lock()
    _pool = b""
    _pos = _POOL_SIZE


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)
