"""Text normalisation shared by the fetcher (content hash) and dedup (shingles, exact copies)."""

from __future__ import annotations

import hashlib
import re
import unicodedata

_SPACE = re.compile(r"\s+")
_PUNCT_CATEGORIES = ("P", "S", "C")


def normalise(text: str) -> str:
    """NFKC, case-folded, punctuation and symbols dropped, whitespace collapsed.

    Works for every script: it never splits words, so CJK and Hangul survive unchanged.
    """
    text = unicodedata.normalize("NFKC", text).casefold()
    kept = [" " if unicodedata.category(ch)[0] in _PUNCT_CATEGORIES else ch for ch in text]
    return _SPACE.sub(" ", "".join(kept)).strip()


def content_sha256(text: str) -> str:
    """sha256 hex of the normalised text: equal for exact copies that differ only in layout."""
    return hashlib.sha256(normalise(text).encode("utf-8")).hexdigest()


def clean_control_chars(text: str) -> str:
    """Drop control characters (keep newlines and tabs) and lone surrogates from untrusted text."""
    return "".join(
        ch
        for ch in text
        if ch in "\n\t" or (unicodedata.category(ch) not in ("Cc", "Cs", "Co") and ch != "\ufffe")
    )
