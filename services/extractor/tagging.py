"""The tagging engine: article text -> watchlist matches, entities and facts.

Interface used by the extractor service, the ``wirewatch tag`` CLI and dedup's ``wirewatch cluster``:

    tagger = load_tagger(Path("config/watchlists"))
    result = tagger.tag(title="...", text="...", lang=None)   # TagResult

Bad input never raises: empty, huge (work is capped), binary or unsupported-language text gives a
valid, not relevant result.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from services.extractor.compiled import CompiledWatchlist
from services.extractor.entities import collect_entities, merge_entities
from services.extractor.facts import extract_facts
from services.extractor.matcher import Document
from services.extractor.relevance import judge
from shared.language import detect_language
from shared.messages import Entity, Fact, WatchlistMatch
from shared.watchlists import Watchlist, load_watchlists

MAX_TEXT_CHARS = 200_000
MAX_TITLE_CHARS = 1_000


@dataclass
class TagResult:
    """What the tagger found in one article."""

    lang: str
    matches: list[WatchlistMatch] = field(default_factory=list)
    entities: list[Entity] = field(default_factory=list)
    facts: list[Fact] = field(default_factory=list)

    def relevant_to(self, watchlist: str) -> bool:
        """Whether ``watchlist`` found the article relevant."""
        return any(m.relevant for m in self.matches if m.watchlist == watchlist)


# Control (Cc except tab/newline), surrogate (Cs), private-use (Co) characters and noncharacters.
_UNWANTED = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff\ue000-\uf8ff\ufffe\uffff"
    "\U000f0000-\U000ffffd\U00100000-\U0010fffd]"
)

# Cheap first check: anything outside tab, newline, printable ASCII and the BMP outside surrogates
# and private use (astral characters such as emoji land here too, then the full class decides).
_SUSPECT = re.compile("[^\\t\\n\\x20-\\x7e\\xa0-\\ud7ff\\uf900-\\ufffd]")


# The characters ``_SUSPECT`` lets through below U+0100: text made only of these is clean.
_CLEAN_LATIN1 = bytes([9, 10, *range(0x20, 0x7F), *range(0xA0, 0x100)])


def _suspect(text: str) -> bool:
    """Whether ``text`` may hold unwanted characters (``_SUSPECT``).

    Text below U+0100 (ASCII, most Latin-script articles) is checked as Latin-1 bytes, deleting
    the clean bytes in C: several times faster than the regex scan.
    """
    if text.isascii():
        encoded = text.encode("ascii")
    else:
        try:
            encoded = text.encode("latin-1")
        except UnicodeEncodeError:  # beyond U+00FF: Cyrillic, CJK, ...
            return _SUSPECT.search(text) is not None
    return bool(encoded.translate(None, _CLEAN_LATIN1))


@cache
def _unstable_runs() -> re.Pattern[str]:
    """Runs of characters that NFKC may change or join to the character before them.

    Every other character c (combining class 0, NFKC(c) == c, never the second of a canonical
    composition) is "NFKC_QC=Yes, ccc=0": text can be normalised in pieces split right before
    it (UAX #15; ICU's ``hasBoundaryBefore``). Built from ``unicodedata`` on first use (~50 ms):
    every assigned character with a decomposition or a combining class is below U+30000, and all
    astral characters are counted as unstable anyway.
    """
    seconds = {*range(0x1161, 0x1176), *range(0x11A8, 0x11C3)}  # Hangul vowel and final jamo
    unstable: set[int] = set()
    for code in range(0x30000):
        char = chr(code)
        decomposition = unicodedata.decomposition(char)
        if decomposition:
            parts = decomposition.split()
            if len(parts) == 2 and not decomposition.startswith("<"):
                seconds.add(int(parts[1], 16))
            if unicodedata.normalize("NFKC", char) != char:
                unstable.add(code)
        if unicodedata.combining(char):
            unstable.add(code)
    ranges: list[list[int]] = []
    for code in sorted(c for c in unstable | seconds if c < 0x10000):
        if ranges and ranges[-1][1] == code - 1:
            ranges[-1][1] = code
        else:
            ranges.append([code, code])
    # one range for every astral character: a class of BMP ranges plus one astral range compiles to
    # a bitmap; astral ranges of their own would make the engine walk a list per character
    members = "".join(re.escape(chr(a)) + (f"-{re.escape(chr(b))}" if b > a else "") for a, b in ranges)
    return re.compile(f"[{members}\U00010000-\U0010ffff]+")


def _nfkc(text: str) -> str:
    """``unicodedata.normalize("NFKC", text)``, normalising only the pieces that need it.

    Normalising 1,000 characters of Chinese costs ~130 us, though only the fullwidth commas
    change; each run of unstable characters is normalised with the (stable) character before it
    and the rest is kept as it is.
    """
    pieces: list[str] = []
    pos = 0
    for run in _unstable_runs().finditer(text):
        start = run.start() - 1 if run.start() > pos else run.start()
        pieces.append(text[pos:start])
        pieces.append(unicodedata.normalize("NFKC", text[start : run.end()]))
        pos = run.end()
    pieces.append(text[pos:])
    return "".join(pieces)


def prepare_text(text: str, limit: int) -> str:
    """Untrusted text -> NFKC, no control characters, at most ``limit`` characters.

    Same result as ``shared.textnorm.clean_control_chars`` for these categories, but one pass in C
    instead of a Python loop per character (tagging runs on every article).
    """
    text = text[: limit * 2]
    if not text.isascii() and not unicodedata.is_normalized("NFKC", text):
        text = _nfkc(text)
    if _suspect(text) and _UNWANTED.search(text):
        text = _UNWANTED.sub("", text)
    return text[:limit]


class Tagger:
    """Tags articles against a set of compiled watchlists (immutable; replace it to reload)."""

    def __init__(self, watchlists: Mapping[str, Watchlist]) -> None:
        self.watchlists = dict(watchlists)
        self._compiled = [CompiledWatchlist(w) for _, w in sorted(self.watchlists.items())]
        _unstable_runs()  # once per process: here, not inside the first article that needs it

    @property
    def names(self) -> list[str]:
        """Names of the loaded watchlists."""
        return [c.watchlist.name for c in self._compiled]

    def only(self, names: list[str]) -> Tagger:
        """A tagger with a subset of the watchlists."""
        return Tagger({n: w for n, w in self.watchlists.items() if n in names})

    def tag(self, *, title: str, text: str, lang: str | None = None) -> TagResult:
        """Tag one article; ``lang`` (ISO 639-1) is detected when not given."""
        title = prepare_text(title or "", MAX_TITLE_CHARS)
        body = prepare_text(text or "", MAX_TEXT_CHARS)
        if not lang or lang == "und":
            lang = detect_language(f"{title}\n{body[:4000]}")
        lang = {"ms": "id"}.get(lang, lang)
        combined = f"{title}\n\n{body}" if title else body
        title_end = len(title) + 1 if title else 0
        doc = Document(combined)
        matches: list[WatchlistMatch] = []
        entity_groups: list[list[Entity]] = []
        facts: list[Fact] = []
        for compiled in self._compiled:
            hits = compiled.hits(doc)
            verdict = judge(compiled.watchlist.rule, hits.concepts, doc, title_end)
            matches.append(
                WatchlistMatch(
                    watchlist=compiled.watchlist.name,
                    score=verdict.score,
                    relevant=verdict.relevant,
                    evidence=verdict.evidence,
                )
            )
            entity_groups.append(collect_entities(hits.entities, compiled.entity_types, doc))
            if verdict.score > 0:  # a watchlist's facts mean something only where its signals are
                for fact in extract_facts(compiled, doc, hits, lang):
                    if fact not in facts:
                        facts.append(fact)
        return TagResult(lang=lang, matches=matches, entities=merge_entities(entity_groups), facts=facts)


def load_tagger(watchlist_dir: Path) -> Tagger:
    """A tagger over every watchlist in ``watchlist_dir`` (raises ``ConfigError`` when invalid)."""
    return Tagger(load_watchlists(watchlist_dir))
