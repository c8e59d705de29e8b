"""Content fingerprints: exact-copy key, MinHash signature over character shingles, LSH bands.

Character shingles of the normalised text need no tokenizer, so CJK and Hangul work like Latin
script. Boilerplate that differs between republished copies ("Read also:" blocks, bylines,
"Next Article" links) is stripped first so it neither hides a copy nor makes two stories look alike.
"""

from __future__ import annotations

import hashlib
import re
import struct
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import rensa

from shared.textnorm import normalise

MINHASH_SEED = 20241021
BAND_HASH_BYTES = 5  # a false band match only costs a signature comparison
_BYTE_COLLISION = 1 / 256  # two unrelated 8-bit MinHash values are equal this often

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


_CJK = re.compile(
    r"[\u1100-\u11ff\u3040-\u30ff\u3130-\u318f\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]"
)


def cjk_share(text: str) -> float:
    """Share of CJK/Hangul/kana characters among the first 2,000 characters."""
    sample = text[:2000]
    return len(_CJK.findall(sample)) / len(sample) if sample else 0.0


_MIX = np.uint64(0x9E3779B97F4A7C15)
_BAND_MIX = np.uint64(0xBF58476D1CE4E5B9)
_PRIME = np.uint64(1099511628211)


def shingle_hashes(norm: str, size: int, cjk_size: int) -> tuple[npt.NDArray[np.uint64], int]:
    """64-bit hashes of the character shingles of normalised text (``shared.textnorm.normalise``; shorter,
    space-free shingles for CJK-heavy text), sorted, duplicates kept; and the number of distinct ones.

    A polynomial rolling hash over code points in numpy: about ten times faster than slicing
    substrings in Python, and the same for every replica (no per-process hash seed).
    """
    if cjk_share(norm) > 0.3:
        k, norm = cjk_size, norm.replace(" ", "")
    else:
        k = size
    if not norm:
        return np.zeros(0, dtype=np.uint64), 0
    points = np.frombuffer(norm.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
    n = max(1, len(points) - k + 1)
    k = min(k, len(points))
    hashes = points[0:n] * _MIX
    for j in range(1, k):
        hashes = hashes * _PRIME + points[j : j + n] * _MIX
    hashes.sort()
    distinct = 1 + int(np.count_nonzero(hashes[1:] != hashes[:-1]))
    return hashes, distinct


@dataclass(frozen=True)
class Fingerprint:
    """What the index stores and compares for one article."""

    content_key: bytes  # 8 bytes of sha256(normalised stripped text): equal for exact copies
    signature: bytes  # 16-bit shingle count, then the low byte of each MinHash value (b-bit MinHash, b=8)
    bands: tuple[bytes, ...]  # one 6-byte key per LSH band: band number + 5 bytes of its hash

    @property
    def empty(self) -> bool:
        """True when the article has no text to compare."""
        return not self.signature


class Fingerprinter:
    """Computes fingerprints with fixed parameters (every replica must use the same ones)."""

    def __init__(self, num_perm: int = 120, band_rows: int = 3, shingle_size: int = 9, cjk_size: int = 4):
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
        norm = normalise(strip_boilerplate(text))
        content_key = hashlib.sha256(norm.encode("utf-8")).digest()[:8]
        hashes, distinct = shingle_hashes(norm, self.shingle_size, self.cjk_size)
        if not distinct:
            return Fingerprint(content_key, b"", ())
        matrix = rensa.RMinHash.digest_matrix_from_flat_token_hashes(
            hashes, [0, len(hashes)], self.num_perm, MINHASH_SEED
        )
        values = np.array(matrix.to_rows()[0], dtype=np.uint64)
        signature = struct.pack(">H", min(distinct, 0xFFFF)) + (values & 0xFF).astype(np.uint8).tobytes()
        # Band hash: a multiply-xorshift mix of the band's rows; 5 of its bytes make the band key.
        rows = values.reshape(self.num_bands, self.band_rows)
        mixed = np.zeros(self.num_bands, dtype=np.uint64)
        for row in range(self.band_rows):
            mixed = (mixed ^ rows[:, row]) * _BAND_MIX
            mixed ^= mixed >> np.uint64(29)
        keys = np.empty((self.num_bands, 1 + BAND_HASH_BYTES), dtype=np.uint8)
        keys[:, 0] = np.arange(self.num_bands, dtype=np.uint8)
        keys[:, 1:] = mixed.astype("<u8").view(np.uint8).reshape(self.num_bands, 8)[:, :BAND_HASH_BYTES]
        blob = keys.tobytes()
        width = 1 + BAND_HASH_BYTES
        bands = tuple(blob[i : i + width] for i in range(0, len(blob), width))
        return Fingerprint(content_key, signature, bands)


@dataclass(frozen=True)
class Similarity:
    """Estimated Jaccard of two shingle sets, and containment of the smaller set in the larger."""

    jaccard: float
    containment: float


def similarity(a: bytes, b: bytes) -> Similarity:
    """Estimate from two signatures. With b-bit MinHash (b=8) values of different shingles still
    agree 1/256 of the time, so the share of equal bytes ``m`` gives J = (m - 1/256) / (1 - 1/256);
    containment follows from Jaccard and the two set sizes."""
    if len(a) < 3 or len(a) != len(b):
        return Similarity(0.0, 0.0)
    mine, theirs = np.frombuffer(a, dtype=np.uint8, offset=2), np.frombuffer(b, dtype=np.uint8, offset=2)
    equal = int(np.count_nonzero(mine == theirs)) / len(mine)
    jaccard = max(0.0, (equal - _BYTE_COLLISION) / (1 - _BYTE_COLLISION))
    size_a, size_b = struct.unpack_from(">H", a)[0], struct.unpack_from(">H", b)[0]
    smaller = min(size_a, size_b)
    if smaller == 0:
        return Similarity(jaccard, 0.0)
    shared = jaccard * (size_a + size_b) / (1 + jaccard)
    return Similarity(jaccard, min(1.0, shared / smaller))
