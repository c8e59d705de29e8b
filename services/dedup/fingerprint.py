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
# The ASCII alternatives of ``_RIGHTS_LINE``: on an ASCII line nothing else can match, and a
# case-insensitive match is a substring of the lowercased line (no regex scan; see ``_rights_line``).
_ASCII_RIGHTS = (
    "all rights reserved",
    "hak cipta",
    "todos los derechos reservados",
    "alle rechte vorbehalten",
)
_BLOCK_TAIL_LINES = 6
_BLOCK_TAIL_LINE_CHARS = 160


def _rights_line(line: str) -> bool:
    """``_RIGHTS_LINE.search(line)``, without the regex for ASCII lines (most lines: the scan of a
    case-insensitive alternation costs ~70 ns a character)."""
    if line.isascii():
        lowered = line.lower()
        return any(phrase in lowered for phrase in _ASCII_RIGHTS)
    return _RIGHTS_LINE.search(line) is not None


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
        if _CREDIT_LINE.match(stripped) or (len(stripped) < 300 and _rights_line(stripped)):
            continue
        kept.append(stripped)
    return "\n".join(kept)


_CJK = re.compile(
    r"[\u1100-\u11ff\u3040-\u30ff\u3130-\u318f\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]"
)


def cjk_share(text: str) -> float:
    """Share of CJK/Hangul/kana characters among the first 2,000 characters."""
    sample = text[:2000]
    if sample.isascii():  # most text: no regex scan needed
        return 0.0
    return len(_CJK.findall(sample)) / len(sample) if sample else 0.0


_MIX = np.uint64(0x9E3779B97F4A7C15)
_BAND_MIX = np.uint64(0xBF58476D1CE4E5B9)
_PRIME = np.uint64(1099511628211)
_SHIFT = np.uint64(29)


class _Powers:
    """``MIX * P^-t`` and ``P^t`` mod 2^64 for t = 0, 1, ..., grown on demand (shared, read-only)."""

    def __init__(self) -> None:
        self.mixed_inverse = np.zeros(0, dtype=np.uint64)
        self.power = np.zeros(0, dtype=np.uint64)

    def upto(self, length: int) -> tuple[npt.NDArray[np.uint64], npt.NDArray[np.uint64]]:
        if len(self.power) < length:
            size = max(length, 2 * len(self.power), 4096)
            inverse = np.full(size, _PRIME_INVERSE, dtype=np.uint64)
            inverse[0] = _MIX
            power = np.full(size, _PRIME, dtype=np.uint64)
            power[0] = 1
            # cumulative products wrap mod 2^64, like every other step of the hash
            self.mixed_inverse, self.power = np.cumprod(inverse), np.cumprod(power)
        return self.mixed_inverse, self.power


_PRIME_INVERSE = np.uint64(pow(int(_PRIME), -1, 2**64))
_POWERS = _Powers()


def shingle_hashes(norm: str, size: int, cjk_size: int) -> tuple[npt.NDArray[np.uint64], int]:
    """64-bit hashes of the character shingles of normalised text (``shared.textnorm.normalise``; shorter,
    space-free shingles for CJK-heavy text), sorted, duplicates kept; and the number of distinct ones.

    A polynomial hash over code points in numpy, the same for every replica (no per-process hash
    seed): shingle x_i..x_{i+k-1} hashes to sum_j x_{i+j} M P^(k-1-j) mod 2^64. P is odd, so it
    has an inverse Q mod 2^64 and the hash is P^(i+k-1) (S_{i+k} - S_i) with S the prefix sums of
    x_t M Q^t: a few whole-array operations whatever the shingle size.
    """
    if cjk_share(norm) > 0.3:
        k, norm = cjk_size, norm.replace(" ", "")
    else:
        k = size
    if not norm:
        return np.zeros(0, dtype=np.uint64), 0
    points = np.frombuffer(norm.encode("utf-32-le"), dtype=np.uint32)
    length = len(points)
    n = max(1, length - k + 1)
    k = min(k, length)
    mixed_inverse, power = _POWERS.upto(length)
    sums = np.cumsum(points * mixed_inverse[:length], dtype=np.uint64)
    hashes = sums[k - 1 :].copy()
    hashes[1:] -= sums[: n - 1]
    hashes *= power[k - 1 : k - 1 + n]
    hashes.sort()
    distinct = 1 + int(np.count_nonzero(hashes[1:] != hashes[:-1]))
    return hashes, distinct


@dataclass(frozen=True)
class Fingerprint:
    """What the index stores and compares for one article."""

    content_key: bytes  # 8 bytes of sha256(normalised stripped text): equal for exact copies
    signature: bytes  # 16-bit shingle count, then the low byte of each MinHash value (b-bit MinHash, b=8)
    band_blob: bytes  # one 6-byte key per LSH band, concatenated: band number + 5 bytes of its hash

    @property
    def empty(self) -> bool:
        """True when the article has no text to compare."""
        return not self.signature

    @property
    def bands(self) -> tuple[bytes, ...]:
        """The band keys one by one."""
        width = 1 + BAND_HASH_BYTES
        return tuple(self.band_blob[i : i + width] for i in range(0, len(self.band_blob), width))


class Fingerprinter:
    """Computes fingerprints with fixed parameters (every replica must use the same ones)."""

    def __init__(self, num_perm: int = 120, band_rows: int = 3, shingle_size: int = 9, cjk_size: int = 4):
        if num_perm % band_rows:
            raise ValueError("num_perm must be a multiple of band_rows")
        self.num_perm, self.band_rows = num_perm, band_rows
        self.shingle_size, self.cjk_size = shingle_size, cjk_size
        self._keys = np.zeros((self.num_bands, 1 + BAND_HASH_BYTES), dtype=np.uint8)
        self._keys[:, 0] = np.arange(self.num_bands, dtype=np.uint8)

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
            return Fingerprint(content_key, b"", b"")
        matrix = rensa.RMinHash.digest_matrix_from_flat_token_hashes(
            hashes, [0, len(hashes)], self.num_perm, MINHASH_SEED
        )
        values = np.array(matrix.to_rows()[0], dtype=np.uint64)
        # b-bit MinHash: the cast to uint8 keeps the low byte
        signature = struct.pack(">H", min(distinct, 0xFFFF)) + values.astype(np.uint8).tobytes()
        # Band hash: a multiply-xorshift mix of the band's rows (h = ((h ^ row) * MIX) ^ (.. >> 29),
        # from h = 0); 5 of its bytes make the band key.
        rows = values.reshape(self.num_bands, self.band_rows)
        mixed = rows[:, 0] * _BAND_MIX
        mixed ^= mixed >> _SHIFT
        for row in range(1, self.band_rows):
            mixed ^= rows[:, row]
            mixed *= _BAND_MIX
            mixed ^= mixed >> _SHIFT
        keys = self._keys.copy()
        keys[:, 1:] = mixed.astype("<u8", copy=False).view(np.uint8).reshape(-1, 8)[:, :BAND_HASH_BYTES]
        return Fingerprint(content_key, signature, keys.tobytes())


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
    # equal bytes = zero bytes of a XOR b (big integers: a few C-level steps, no numpy call overhead)
    width = len(a) - 2
    xor = int.from_bytes(a[2:], "big") ^ int.from_bytes(b[2:], "big")
    equal = xor.to_bytes(width, "big").count(0) / width
    jaccard = max(0.0, (equal - _BYTE_COLLISION) / (1 - _BYTE_COLLISION))
    size_a, size_b = (a[0] << 8) | a[1], (b[0] << 8) | b[1]
    smaller = min(size_a, size_b)
    if smaller == 0:
        return Similarity(jaccard, 0.0)
    shared = jaccard * (size_a + size_b) / (1 + jaccard)
    return Similarity(jaccard, min(1.0, shared / smaller))
