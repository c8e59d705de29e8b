"""Signatures of wirewatch webhooks (docs/webhooks.md).

Header ``X-Wirewatch-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>``.
Senders call ``sign``; receivers call ``verify``, which compares in constant time and rejects
timestamps older (or newer) than ``tolerance_seconds`` so a captured request cannot be replayed.
Several ``v1=`` values may appear (secret rotation); any one matching is enough.
"""

from __future__ import annotations

import hashlib
import hmac
import time

SIGNATURE_HEADER = "X-Wirewatch-Signature"
IDEMPOTENCY_HEADER = "X-Wirewatch-Idempotency-Key"
DEFAULT_TOLERANCE_SECONDS = 300


class SignatureError(ValueError):
    """The signature header is missing, malformed, stale or does not match."""


def _digest(secret: str | bytes, body: bytes, timestamp: int) -> str:
    key = secret.encode("utf-8") if isinstance(secret, str) else secret
    return hmac.new(key, str(timestamp).encode("ascii") + b"." + body, hashlib.sha256).hexdigest()


def sign(secret: str | bytes, body: bytes, timestamp: int | None = None) -> str:
    """The ``X-Wirewatch-Signature`` value for ``body`` sent at ``timestamp`` (default: now)."""
    ts = int(time.time()) if timestamp is None else int(timestamp)
    return f"t={ts},v1={_digest(secret, body, ts)}"


def parse(header: str) -> tuple[int, list[str]]:
    """``t=..,v1=..`` -> (timestamp, [signatures]). Raises ``SignatureError`` when malformed."""
    timestamp: int | None = None
    signatures: list[str] = []
    for part in header.split(","):
        key, sep, value = part.strip().partition("=")
        if not sep:
            raise SignatureError("malformed signature header")
        if key == "t":
            if not value.isdigit():
                raise SignatureError("malformed timestamp")
            timestamp = int(value)
        elif key == "v1":
            signatures.append(value.lower())
    if timestamp is None or not signatures:
        raise SignatureError("signature header needs t= and v1=")
    return timestamp, signatures


def verify(
    secret: str | bytes,
    body: bytes,
    header: str,
    tolerance_seconds: float = DEFAULT_TOLERANCE_SECONDS,
    now: float | None = None,
) -> int:
    """Check a signature header against the raw request body. Returns the signed timestamp.

    Raises ``SignatureError`` when the header is malformed, the timestamp is more than
    ``tolerance_seconds`` away from ``now`` (default: the current time), or no signature matches.
    """
    timestamp, signatures = parse(header)
    current = time.time() if now is None else now
    if abs(current - timestamp) > tolerance_seconds:
        raise SignatureError("timestamp outside the tolerance (stale or replayed request)")
    expected = _digest(secret, body, timestamp)
    # compare every candidate in constant time; do not stop at the first mismatch
    matched = False
    for candidate in signatures:
        matched |= hmac.compare_digest(expected, candidate)
    if not matched:
        raise SignatureError("signature does not match")
    return timestamp
