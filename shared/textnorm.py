"""Text normalisation shared by the fetcher (content hash) and dedup (shingles, exact copies)."""

from __future__ import annotations

import hashlib
import unicodedata


class _PunctuationToSpace(dict[int, str]):
    """``str.translate`` table filled on first sight of each character: P*, S*, C* -> space."""

    def __missing__(self, codepoint: int) -> str:
        ch = chr(codepoint)
        value = " " if unicodedata.category(ch)[0] in "PSC" else ch
        self[codepoint] = value
        return value


_TABLE = _PunctuationToSpace()


def normalise(text: str) -> str:
    """NFKC, case-folded, punctuation, symbols and control characters as spaces, whitespace collapsed.

    Works for every script: it never splits words, so CJK and Hangul survive unchanged. The category
    lookup is cached in a translate table (dedup normalises every article, so this is a hot path).
    """
    return " ".join(unicodedata.normalize("NFKC", text).casefold().translate(_TABLE).split())


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
