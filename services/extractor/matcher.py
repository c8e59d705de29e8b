"""Multilingual term matching without a stemmer and without catastrophic backtracking.

Term syntax (``shared.watchlists``): ``word`` is a whole word, ``stem*`` a word start with any
ending (Russian/Ukrainian inflection), words of a phrase match across 1-3 non-word characters
(space, hyphen, middle dot), Hangul words also take any ending (particles attach: 북한군이), and
terms in Han or kana script match as plain substrings (no spaces in CJK text).

Two backends give the same hits:
- automaton (``ahocorasick_rs`` installed): one linear pass of an Aho-Corasick automaton over the
  lowered text finds every term "head" (the literal first word, or a whole CJK term); Python then
  checks word boundaries and runs a phrase's own regex anchored at the head;
- regex (fallback): the document is tokenised once; a term is verified with its regex only when
  the first 1-4 characters of its first word occur among the document's word prefixes.
Every generated pattern is a chain of literals, bounded character classes and bounded repeats: no
nested quantifiers, hence linear time on any input.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Generic, TypeVar

P = TypeVar("P", bound=Hashable)

try:
    import ahocorasick_rs as _ahocorasick  # type: ignore[import-not-found,unused-ignore]

    HAVE_AUTOMATON = True
except ImportError:  # pragma: no cover - the regex backend is complete on its own
    HAVE_AUTOMATON = False

_WORD = re.compile(r"\w+")
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff66-\uff9f]")
_HANGUL = re.compile(r"[\uac00-\ud7af\u1100-\u11ff\u3130-\u318f]")
_SEPARATOR = r"\W{1,3}"  # between the words of a phrase
_STEM_MAX = 24
_STEM_TAIL = rf"\w{{0,{_STEM_MAX}}}"  # the ending of a stem / a Hangul word with its particles
_TAIL = re.compile(_STEM_TAIL)
KEY_LENGTH = 4
_MIN_HEAD = 3
_HEAD_SEPARATORS = (" ", "-", ".", ". ", "·", "\u00a0", "\u2011")


def build_automaton(patterns: list[str]) -> Any:
    """An Aho-Corasick automaton of ``patterns`` (needs ``HAVE_AUTOMATON``);
    ``find_matches_as_indexes(text, overlapping=True)`` gives (pattern index, start, end).

    A DFA: for the shipped watchlist's ~1,200 heads it scans 3 KB in ~28 us instead of ~40 us
    (the default contiguous NFA) for ~3.5 MB more memory and ~10 ms more to build.
    """
    return _ahocorasick.AhoCorasick(patterns, implementation=_ahocorasick.Implementation.DFA)


def is_cjk_term(term: str) -> bool:
    """Terms with Han or kana characters match as substrings (CJK text has no spaces)."""
    return _CJK.search(term) is not None


def _is_word_char(ch: str) -> bool:
    return ch.isalnum() or ch == "_"


Hit = tuple[int, int, str]
"""One match: (start, end, term), offsets in the document's lowered text and the (lowered) term
that matched. A plain tuple, not a named tuple or a dataclass: an article yields hundreds, and a
named tuple takes three times as long to create (``hit[0]`` is the start, ``hit[1]`` the end).
"""


class Document:
    """An article prepared once for every matcher: lowered text, word set and prefix sets."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.low = text.lower()
        if len(self.low) != len(self.text):  # a few characters lower to two: keep offsets aligned
            self.low = "".join(ch.lower()[0] for ch in text)
        self._prefixes: dict[int, frozenset[str]] = {}

    @cached_property
    def words(self) -> frozenset[str]:
        """Every distinct word of the lowered text."""
        return frozenset(_WORD.findall(self.low))

    @cached_property
    def has_cjk(self) -> bool:
        """Whether any Han or kana character occurs."""
        return _CJK.search(self.low) is not None

    def prefixes(self, length: int) -> frozenset[str]:
        """The first ``length`` characters of every word (whole word when shorter)."""
        cached = self._prefixes.get(length)
        if cached is None:
            # shorter prefixes come from the (smaller, deduplicated) set of longer ones
            source = self.prefixes(length + 1) if length < KEY_LENGTH else self.words
            cached = frozenset(w[:length] for w in source)
            self._prefixes[length] = cached
        return cached


def _words(term: str) -> list[str]:
    return [w for w in re.split(r"[^\w*]+", term) if w]


@dataclass(eq=False)
class _Term(Generic[P]):
    text: str
    pattern: re.Pattern[str]
    payloads: list[P] = field(default_factory=list)
    key: int = -1  # index in ``TermMatcher.terms``: what ``scan`` groups hits by


def _word_pattern(word: str, *, last: bool) -> str:
    stem = word.endswith("*")
    core = word.rstrip("*")
    pattern = re.escape(core)
    # Hangul words take particles (북한의 병력), but a one-syllable word inside a phrase (북·러)
    # must stay whole or it would match any word starting with that syllable.
    hangul = _HANGUL.search(core[-1:]) is not None and (last or len(core) > 1)
    if stem or hangul:
        return pattern + _STEM_TAIL
    return pattern + (r"(?!\w)" if last else "")


def term_pattern(term: str) -> str:
    """The regex of one non-CJK term (start boundary is checked by the caller)."""
    words = _words(term.lower())
    return _SEPARATOR.join(_word_pattern(w, last=i == len(words) - 1) for i, w in enumerate(words))


def _term_key(term: str) -> tuple[int, str, bool]:
    """(prefix length, key, exact) used to skip terms whose first word cannot occur."""
    first = _words(term.lower())[0]
    stem = first.endswith("*") or _HANGUL.search(first.rstrip("*")[-1:]) is not None
    core = first.rstrip("*")
    if len(core) >= KEY_LENGTH:
        return KEY_LENGTH, core[:KEY_LENGTH], False
    return len(core), core, not stem


_TrieNode = dict[str, "_TrieNode"]


def trie_regex(terms: Iterable[str]) -> str:
    """A regex alternation shaped like a trie: every branch starts with its own literal character."""
    root: _TrieNode = {}
    for term in terms:
        node = root
        for ch in term:
            node = node.setdefault(ch, {})
        node[""] = {}

    def emit(node: _TrieNode) -> str:
        branches = [re.escape(ch) + emit(child) for ch, child in sorted(node.items()) if ch]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        return f"(?:{body})?" if "" in node else body

    return emit(root)


@dataclass
class _KeyGroup(Generic[P]):
    """Regex backend: terms whose first word starts with the same key, and a finder for the key."""

    finder: re.Pattern[str]
    terms: list[_Term[P]] = field(default_factory=list)


@dataclass
class _Head(Generic[P]):
    """Automaton backend: the literal first word of some terms."""

    length: int
    exact: list[_Term[P]] = field(default_factory=list)  # one word, whole word
    stems: list[_Term[P]] = field(default_factory=list)  # one word, any ending (stems, Hangul)
    phrases: list[_Term[P]] = field(default_factory=list)  # several words: the regex decides


Found = dict[int, list[Hit]]  # term key -> its hits, in the order found

# One automaton head prepared for the scan loop (plain tuples: attribute access costs per hit):
# (exact terms, stem terms, phrase terms with their anchored matcher, whether a word character
# right after the head rules out every phrase of the head).
_TermRef = tuple[int, str]
_PhraseRef = tuple[int, str, Callable[[str, int], "re.Match[str] | None"]]
_HeadRow = tuple[tuple[_TermRef, ...], tuple[_TermRef, ...], tuple[_PhraseRef, ...], bool]


class TermMatcher(Generic[P]):
    """Finds every occurrence of a set of terms, each carrying one or more payloads."""

    def __init__(self, entries: Iterable[tuple[str, P]], *, automaton: bool | None = None) -> None:
        terms: dict[str, _Term[P]] = {}
        cjk: dict[str, _Term[P]] = {}
        for raw, payload in entries:
            text = " ".join(raw.strip().split())
            if is_cjk_term(text):
                low = re.sub(r"\s+", "", text.lower())
                term = cjk.setdefault(low, _Term(low, re.compile(re.escape(low))))
            else:
                low = text.lower()
                term = terms.setdefault(low, _Term(low, re.compile(term_pattern(low))))
            if payload not in term.payloads:
                term.payloads.append(payload)
        self.terms: list[_Term[P]] = [*terms.values(), *cjk.values()]
        for key, term in enumerate(self.terms):
            term.key = key
        self.term_count = len(self.terms)
        use = HAVE_AUTOMATON if automaton is None else automaton and HAVE_AUTOMATON
        if use:
            heads = self._build_heads(terms)
            # word heads first, then the CJK terms (plain substrings, no word boundaries: a CJK
            # term has Han or kana, a word head never has, so no text is both)
            self._rows = [self._head_row(text, head) for text, head in heads.items()]
            self._cjk_rows: list[_TermRef] = [(term.key, term.text) for term in cjk.values()]
            self._automaton = build_automaton([*heads, *cjk])
        else:
            self._automaton = None
            self._build_regex_backend(terms, cjk)

    # --- automaton backend ------------------------------------------------------------------

    @staticmethod
    def _build_heads(terms: dict[str, _Term[P]]) -> dict[str, _Head[P]]:
        heads: dict[str, _Head[P]] = {}
        for term in terms.values():
            words = _words(term.text)
            core = words[0].rstrip("*")
            if len(words) > 1 and len(core) < (2 if _HANGUL.search(core) else _MIN_HEAD):
                # "u.s. forces", "в плен", "미 국방부": a one-letter head fires inside every other
                # word; the first two words with the usual separators make a selective head
                second = words[1].rstrip("*")
                for sep in _HEAD_SEPARATORS:
                    text = core + sep + second
                    heads.setdefault(text, _Head(len(text))).phrases.append(term)
                continue
            head = heads.setdefault(core, _Head(len(core)))
            if len(words) > 1:
                head.phrases.append(term)
            elif words[0].endswith("*") or _HANGUL.search(core[-1:]):
                head.stems.append(term)
            else:
                head.exact.append(term)
        return heads

    @staticmethod
    def _head_row(text: str, head: _Head[P]) -> _HeadRow:
        # phrases whose pattern starts with the head and then a separator (a plain first word,
        # no stem, no Hangul particles) cannot match where a word character follows the head:
        # "north" in "northern" starts no "north korea"
        literal = re.escape(text) + _SEPARATOR
        needs_break = all(t.pattern.pattern.startswith(literal) for t in head.phrases)
        return (
            tuple((t.key, t.text) for t in head.exact),
            tuple((t.key, t.text) for t in head.stems),
            tuple((t.key, t.text, t.pattern.match) for t in head.phrases),
            needs_break,
        )

    def _scan_automaton(self, low: str) -> Found:
        # the hot loop of tagging (~100 automaton matches per 3 KB article): plain tuples,
        # locals and inlined word-character tests on purpose
        found: defaultdict[int, list[Hit]] = defaultdict(list)
        rows = self._rows
        words = len(rows)
        size = len(low)
        tail_match = _TAIL.match
        for index, start, end in self._automaton.find_matches_as_indexes(low, overlapping=True):
            if index >= words:  # a CJK term
                key, text = self._cjk_rows[index - words]
                found[key].append((start, end, text))
                continue
            if start:
                before = low[start - 1]
                if before.isalnum() or before == "_":
                    continue
            exact, stems, phrases, needs_break = rows[index]
            if end < size:
                after = low[end]
                word_after = after.isalnum() or after == "_"
            else:
                word_after = False
            if exact and not word_after:
                for key, text in exact:
                    found[key].append((start, end, text))
            if stems:
                stop = tail_match(low, end).end() if word_after else end  # type: ignore[union-attr]
                for key, text in stems:
                    found[key].append((start, stop, text))
            if phrases and not (word_after and needs_break):
                for key, text, match in phrases:
                    m = match(low, start)
                    if m is not None:
                        found[key].append((start, m.end(), text))
        return found

    # --- regex backend ----------------------------------------------------------------------

    def _build_regex_backend(self, terms: dict[str, _Term[P]], cjk: dict[str, _Term[P]]) -> None:
        self._by_prefix: dict[int, dict[str, _KeyGroup[P]]] = defaultdict(dict)
        self._by_word: dict[str, _KeyGroup[P]] = {}
        for term in terms.values():
            length, key, exact = _term_key(term.text)
            table = self._by_word if exact else self._by_prefix[length]
            if key not in table:
                table[key] = _KeyGroup(re.compile(re.escape(key)))
            table[key].terms.append(term)
        self._cjk_terms = cjk
        self._cjk = re.compile(trie_regex(sorted(cjk, key=len, reverse=True))) if cjk else None

    def _scan_regex(self, doc: Document) -> Found:
        found: Found = {}
        low = doc.low
        groups = [self._by_word[key] for key in doc.words & self._by_word.keys()]
        for length, table in self._by_prefix.items():
            groups.extend(table[key] for key in doc.prefixes(length) & table.keys())
        for group in groups:
            # one scan per key; the terms sharing it are tried only where a word starts with it
            starts = [m.start() for m in group.finder.finditer(low)]
            starts = [a for a in starts if a == 0 or not _is_word_char(low[a - 1])]
            for term in group.terms:
                for a in starts:
                    m = term.pattern.match(low, a)
                    if m is not None:
                        found.setdefault(term.key, []).append((a, m.end(), term.text))
        if self._cjk is not None and doc.has_cjk:
            pos = 0
            while True:
                match = self._cjk.search(low, pos)
                if match is None:
                    break
                # the trie regex returns the longest term at a position; shorter terms at the
                # same start are reported too (北朝鮮軍 gives 北朝鮮軍 and 北朝鮮)
                start = match.start()
                for stop in range(match.end(), start, -1):
                    cjk_term = self._cjk_terms.get(low[start:stop])
                    if cjk_term is not None:
                        found.setdefault(cjk_term.key, []).append((start, stop, cjk_term.text))
                pos = start + 1
        return found

    # --- both -------------------------------------------------------------------------------

    def scan(self, doc: Document) -> Found:
        """Every hit in ``doc`` by term key (``self.terms[key]``), each list in order of position."""
        return self._scan_automaton(doc.low) if self._automaton is not None else self._scan_regex(doc)

    def find(self, doc: Document) -> dict[P, list[Hit]]:
        """Every hit in ``doc`` grouped by payload, each group sorted by position (overlapping
        hits of different terms are all kept)."""
        out: dict[P, list[Hit]] = {}
        terms = self.terms
        for key, hits in self.scan(doc).items():
            for payload in terms[key].payloads:
                out.setdefault(payload, []).extend(hits)
        for hits in out.values():
            hits.sort()
        return out
