"""Content fingerprints: exact-copy key, MinHash signature over character shingles, LSH bands.

Character shingles of the normalised text need no tokenizer, so CJK and Hangul work like Latin
script. Boilerplate that differs between republished copies ("Read also:" blocks, bylines,
"Next Article" links) is stripped first so it neither hides a copy nor makes two stories look alike.
"""

from __future__ import annotations

import hashlib
import re
import struct
import unicodedata
from dataclasses import dataclass

import rensa

from shared.textnorm import normalise

MINHASH_SEED = 20241021

# A line that starts a trailing "read also" / related-links block, or is a byline/credit line.
_BLOCK_MARKERS = re.compile(
    r"^\W*(read also|read more|also read|see also|related|baca juga|simak juga|lihat juga|"
    r"saksikan video|next article|artikel terkait|berita terkait|baca selengkapnya|"
    r"читайте также|см\. также|함께 보기|관련 기사|관련기사|같이 보기|相关阅读|相關閱讀|延伸阅读|関連記事|"
    r"advertisement|iklan)\b",
    re.IGNORECASE,
)
_CREDIT_LINE = re.compile(
    r"^\W*(editor|penulis|reporter|writer|copyright|©|\(c\)|foto|photo|sumber|source|pewarta|"
    r"editing by|reporting by|기자|编辑|記者)\b.{0,80}$",
    re.IGNORECASE,
)
# Short rights/credit lines anywhere ("<저작권자 ⓒ 2024 ...>", "All rights reserved.").
_RIGHTS_LINE = re.compile(
    r"(all rights reserved|hak cipta|저작권자|무단전재|版权所有|無断転載|все права защищены|"
    r"tous droits réservés|todos los derechos reservados|alle rechte vorbehalten)",
    re.IGNORECASE,
)
_BLOCK_TAIL_LINES = 6
_BLOCK_TAIL_LINE_CHARS = 160


def strip_boilerplate(text: str) -> str:
    """Drop "Read also"-style blocks (the marker line and the short link lines after it) and
    byline/credit lines; keep everything else in order."""
    kept: list[str] = []
    skip_short = 0
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped:
            continue
        if _BLOCK_MARKERS.match(stripped):
            # A bare marker heads a list of links; a marker with a headline is one link line.
            skip_short = _BLOCK_TAIL_LINES if len(stripped) < 40 else 0
            continue
        if skip_short and len(stripped) <= _BLOCK_TAIL_LINE_CHARS and not stripped.endswith((".", "。")):
            skip_short -= 1
            continue
        skip_short = 0
        if _CREDIT_LINE.match(stripped) or (len(stripped) < 300 and _RIGHTS_LINE.search(stripped)):
            continue
        kept.append(stripped)
    return "\n".join(kept)


def _is_cjk(ch: str) -> bool:
    name = unicodedata.name(ch, "")
    return name.startswith(("CJK", "HANGUL", "HIRAGANA", "KATAKANA"))


def cjk_share(text: str) -> float:
    """Share of CJK/Hangul/kana characters among the non-space characters."""
    letters = [ch for ch in text if not ch.isspace()]
    if not letters:
        return 0.0
    sample = letters[:2000]
    return sum(1 for ch in sample if _is_cjk(ch)) / len(sample)


def shingles(text: str, size: int, cjk_size: int) -> list[str]:
    """Distinct character shingles of normalised text (shorter shingles for CJK-heavy text)."""
    norm = normalise(text)
    k = cjk_size if cjk_share(norm) > 0.3 else size
    if cjk_share(norm) > 0.3:
        norm = norm.replace(" ", "")
    if len(norm) <= k:
        return [norm] if norm else []
    return list(dict.fromkeys(norm[i : i + k] for i in range(len(norm) - k + 1)))


@dataclass(frozen=True)
class Fingerprint:
    """What the index stores and compares for one article."""

    content_key: bytes  # 8 bytes of sha256(normalised stripped text): equal for exact copies
    signature: bytes  # 16-bit shingle count, then num_perm x 16-bit MinHash values (b-bit MinHash, b=16)
    bands: tuple[bytes, ...]  # one 8-byte key per LSH band: band number + 7 bytes of its hash

    @property
    def empty(self) -> bool:
        """True when the article has no text to compare."""
        return not self.signature


class Fingerprinter:
    """Computes fingerprints with fixed parameters (every replica must use the same ones)."""

    def __init__(self, num_perm: int = 120, band_rows: int = 3, shingle_size: int = 5, cjk_size: int = 3):
        if num_perm % band_rows:
            raise ValueError("num_perm must be a multiple of band_rows")
        self.num_perm, self.band_rows = num_perm, band_rows
        self.shingle_size, self.cjk_size = shingle_size, cjk_size

    @property
    def num_bands(self) -> int:
        """LSH bands per signature."""
        return self.num_perm // self.band_rows

    def fingerprint(self, text: str) -> Fingerprint:
        """Fingerprint of an article's main text (the title is left out: copies often retitle)."""
        body = strip_boilerplate(text)
        content_key = hashlib.sha256(normalise(body).encode("utf-8")).digest()[:8]
        grams = shingles(body, self.shingle_size, self.cjk_size)
        if not grams:
            return Fingerprint(content_key, b"", ())
        mh = rensa.RMinHash(self.num_perm, MINHASH_SEED)
        mh.update(grams)
        values: list[int] = mh.digest()
        signature = struct.pack(f">H{len(values)}H", min(len(grams), 0xFFFF), *(v & 0xFFFF for v in values))
        bands = []
        for band in range(self.num_bands):
            chunk = values[band * self.band_rows : (band + 1) * self.band_rows]
            digest = hashlib.blake2b(struct.pack(f">{len(chunk)}I", *chunk), digest_size=7).digest()
            bands.append(bytes((band,)) + digest)
        return Fingerprint(content_key, signature, tuple(bands))


@dataclass(frozen=True)
class Similarity:
    """Estimated Jaccard of two shingle sets, and containment of the smaller set in the larger."""

    jaccard: float
    containment: float


def similarity(a: bytes, b: bytes) -> Similarity:
    """Estimate from two signatures: the share of equal 16-bit MinHash values is the Jaccard
    (unrelated values collide with p = 1/65536); containment follows from Jaccard and set sizes."""
    if len(a) < 4 or len(a) != len(b):
        return Similarity(0.0, 0.0)
    equal = sum(1 for i in range(2, len(a), 2) if a[i : i + 2] == b[i : i + 2])
    jaccard = equal / ((len(a) - 2) // 2)
    size_a, size_b = struct.unpack_from(">H", a)[0], struct.unpack_from(">H", b)[0]
    smaller = min(size_a, size_b)
    if smaller == 0:
        return Similarity(jaccard, 0.0)
    shared = jaccard * (size_a + size_b) / (1 + jaccard)
    return Similarity(jaccard, min(1.0, shared / smaller))
