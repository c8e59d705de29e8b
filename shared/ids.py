"""Stable identifiers and canonical URLs shared by every service."""

from __future__ import annotations

import hashlib
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

_TRACKING_PREFIXES = ("utm_", "mc_", "pk_", "hsa_", "_hs")
_TRACKING_PARAMS = frozenset(
    {
        "fbclid", "gclid", "dclid", "gbraid", "wbraid", "msclkid", "yclid", "igshid", "mkt_tok",
        "ref", "ref_src", "cmpid", "ocid", "spm", "_ga", "guccounter", "ito", "at_medium", "at_campaign",
    }
)  # fmt: skip


def canonical_url(url: str) -> str:
    """The URL without tracking parameters, fragment, default port or upper-case host.

    Used when a page has no ``rel=canonical``; two links to one article give one canonical URL.
    """
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower() or "https"
    host = (parts.hostname or "").lower()
    port = parts.port
    if port and not ((scheme == "http" and port == 80) or (scheme == "https" and port == 443)):
        host = f"{host}:{port}"
    query = [
        (k, v)
        for k, v in parse_qsl(parts.query, keep_blank_values=True)
        if k.lower() not in _TRACKING_PARAMS and not k.lower().startswith(_TRACKING_PREFIXES)
    ]
    path = parts.path or "/"
    return urlunsplit((scheme, host, path, urlencode(sorted(query)), ""))


def article_id(canonical: str) -> str:
    """sha256 of the canonical URL, hex, first 32 characters (the Kafka key of article messages)."""
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:32]


def short_hash(*parts: str, length: int = 24) -> str:
    """A stable hex digest of several strings, for idempotency keys and ids."""
    digest = hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()
    return digest[:length]
