"""How long the transport waits before resending a batch, kept apart from the transport so the
arithmetic can be tested with a fixed clock and a fixed random source."""

from __future__ import annotations

import email.utils
import math
import re
from typing import Callable, Optional

__all__ = ["is_retryable_status", "parse_retry_after", "backoff_delay", "retry_delay", "MAX_RETRY_AFTER"]

# Rate limited, or a gateway that may recover. Any other answer would come back the same, so
# retrying only adds load to a server that already said no.
_RETRYABLE = frozenset((429, 502, 503, 504))

#: The longest ``Retry-After`` honoured (seconds): a misconfigured or hostile server must not park
#: the SDK for hours while its bounded buffer overflows.
MAX_RETRY_AFTER = 600.0

_SECONDS = re.compile(r"^\d+(\.\d+)?$")


def is_retryable_status(status: int) -> bool:
    """True when a batch answered with ``status`` should be sent again later."""
    return status in _RETRYABLE


def parse_retry_after(value: Optional[str], now: float) -> Optional[float]:
    """Seconds to wait according to a ``Retry-After`` header (RFC 9110 section 10.2.3):
    delta-seconds or an HTTP-date. None when absent or unreadable; 0 for a date already past."""
    if value is None:
        return None
    text = value.strip()
    if not text:
        return None
    if _SECONDS.match(text):
        # Fractions are not in the RFC, but some proxies send them.
        return float(text)
    if not re.search(r"[a-z]", text, re.I):
        return None  # "-1" or "1e3" is not a date
    try:
        at = float(email.utils.parsedate_to_datetime(text).timestamp())
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    return float(max(0.0, at - now))


def backoff_delay(attempt: int, min_s: float, max_s: float, random: Callable[[], float]) -> float:
    """Exponential backoff with full jitter above a floor: uniform in
    ``[min_s, min(max_s, min_s * 2**(attempt+1))]``. The jitter spreads clients that failed
    together; the floor keeps a draw of 0 from becoming a hot loop against a server that is down."""
    ceiling = min(max_s, min_s * 2.0 ** min(attempt + 1, 40))
    r: float
    try:
        r = random()
    except Exception:
        r = 0.5
    if not (isinstance(r, float) and math.isfinite(r) and 0 <= r < 1):
        r = 0.5  # a broken random source must not produce NaN or negative waits
    return min_s + r * max(0.0, ceiling - min_s)


def retry_delay(attempt: int, retry_after: Optional[float], min_s: float, max_s: float, random: Callable[[], float]) -> float:
    """The wait before retry number ``attempt + 1``. A ``Retry-After`` is honoured in full (the
    server says when it can take the load), up to ``MAX_RETRY_AFTER``; it never shortens the backoff."""
    backoff = backoff_delay(attempt, min_s, max_s, random)
    if retry_after is None:
        return backoff
    return min(max(backoff, retry_after), MAX_RETRY_AFTER)
