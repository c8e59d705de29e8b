"""Multilingual term matching without a stemmer and without catastrophic backtracking.

Term syntax (``shared.watchlists``): ``word`` is a whole word, ``stem*`` a word start with any
ending (Russian/Ukrainian inflection), words of a phrase match across 1-3 non-word characters
(space, hyphen, middle dot), Hangul words also take any ending (particles attach: 북한군이), and
terms in Han or kana script match as plain substrings (no spaces in CJK text).

How it stays fast: a document is tokenised once (``Document``); every non-CJK term has a key (the
first 1-4 characters of its first word) and only terms whose key occurs among the document's word
prefixes are verified with their own small regex. CJK terms share one trie-shaped regex whose
branches start with distinct literal characters, so the regex engine skips ahead on a character
set. Every generated pattern is a chain of literals, bounded character classes and bounded
repeats: no nested quantifiers, hence linear time on any input.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Hashable, Iterable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Generic, NamedTuple, TypeVar

P = TypeVar("P", bound=Hashable)

_WORD = re.compile(r"\w+")
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff66-\uff9f]")
_HANGUL = re.compile(r"[\uac00-\ud7af\u1100-\u11ff\u3130-\u318f]")
_SEPARATOR = r"\W{1,3}"  # between the words of a phrase
_STEM_TAIL = r"\w{0,24}"  # the ending of a stem / a Hangul word with its particles
KEY_LENGTH = 4


def is_cjk_term(term: str) -> bool:
    """Terms with Han or kana characters match as substrings (CJK text has no spaces)."""
    return _CJK.search(term) is not None


def _is_word_char(ch: str) -> bool:
    return ch.isalnum() or ch == "_"


class Hit(NamedTuple, Generic[P]):
    """One match: offsets in the document's lowered text and the payload of the term.

    A named tuple, not a dataclass: an article yields hundreds and creation time counts.
    """

    start: int
    end: int
    term: str
    payload: P


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


@dataclass
class _Term(Generic[P]):
    text: str
    pattern: re.Pattern[str]
    payloads: list[P] = field(default_factory=list)


@dataclass
class _KeyGroup(Generic[P]):
    """Terms whose first word starts with the same key, and a finder for that key."""

    finder: re.Pattern[str]
    terms: list[_Term[P]] = field(default_factory=list)


def _word_pattern(word: str, *, last: bool) -> str:
    stem = word.endswith("*")
    core = word.rstrip("*")
    pattern = re.escape(core)
    if stem or _HANGUL.search(core[-1:]):
        return pattern + _STEM_TAIL
    return pattern + (r"(?!\w)" if last else "")


def term_pattern(term: str) -> str:
    """The regex of one non-CJK term (start boundary is checked by the caller)."""
    words = [w for w in re.split(r"[^\w*]+", term.lower()) if w]
    return _SEPARATOR.join(_word_pattern(w, last=i == len(words) - 1) for i, w in enumerate(words))


def _term_key(term: str) -> tuple[int, str, bool]:
    """(prefix length, key, exact) used to skip terms whose first word cannot occur."""
    first = next(w for w in re.split(r"[^\w*]+", term.lower()) if w)
    stem = first.endswith("*") or _HANGUL.search(first.rstrip("*")[-1:]) is not None
    core = first.rstrip("*")
    if len(core) >= KEY_LENGTH:
        return KEY_LENGTH, core[:KEY_LENGTH], False
    return len(core), core, not stem


_TrieNode = dict[str, "_TrieNode"]


def _trie_regex(terms: Iterable[str]) -> str:
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


class TermMatcher(Generic[P]):
    """Finds every occurrence of a set of terms, each carrying one or more payloads."""

    def __init__(self, entries: Iterable[tuple[str, P]]) -> None:
        terms: dict[str, _Term[P]] = {}
        cjk: dict[str, list[P]] = defaultdict(list)
        for raw, payload in entries:
            text = " ".join(raw.strip().split())
            if is_cjk_term(text):
                low = re.sub(r"\s+", "", text.lower())
                if payload not in cjk[low]:
                    cjk[low].append(payload)
                continue
            low = text.lower()
            if low not in terms:
                terms[low] = _Term(low, re.compile(term_pattern(low)))
            if payload not in terms[low].payloads:
                terms[low].payloads.append(payload)
        # key -> terms, split by how the key is looked up in a document
        self._by_prefix: dict[int, dict[str, _KeyGroup[P]]] = defaultdict(dict)
        self._by_word: dict[str, _KeyGroup[P]] = {}
        for term in terms.values():
            length, key, exact = _term_key(term.text)
            table = self._by_word if exact else self._by_prefix[length]
            if key not in table:
                table[key] = _KeyGroup(re.compile(re.escape(key)))
            table[key].terms.append(term)
        self._cjk_payloads = dict(cjk)
        self._cjk = re.compile(_trie_regex(sorted(cjk, key=len, reverse=True))) if cjk else None
        self.term_count = len(terms) + len(cjk)

    def _candidates(self, doc: Document) -> list[_KeyGroup[P]]:
        out = [self._by_word[key] for key in doc.words & self._by_word.keys()]
        for length, table in self._by_prefix.items():
            out.extend(table[key] for key in doc.prefixes(length) & table.keys())
        return out

    def find(self, doc: Document) -> dict[P, list[Hit[P]]]:
        """Every hit in ``doc`` grouped by payload, each group in start order (overlapping hits of
        different terms are all kept)."""
        out: dict[P, list[Hit[P]]] = {}
        low = doc.low
        for group in self._candidates(doc):
            # one scan per key; the terms sharing it are tried only where a word starts with it
            starts = [m.start() for m in group.finder.finditer(low)]
            starts = [a for a in starts if a == 0 or not _is_word_char(low[a - 1])]
            for term in group.terms:
                for a in starts:
                    m = term.pattern.match(low, a)
                    if m is not None:
                        for payload in term.payloads:
                            out.setdefault(payload, []).append(Hit(a, m.end(), term.text, payload))
        if self._cjk is not None and doc.has_cjk:
            pos = 0
            while True:
                match = self._cjk.search(low, pos)
                if match is None:
                    break
                # The trie regex is greedy, so it returns the longest term at a position; shorter
                # terms at the same start are reported too (北朝鮮軍 gives 北朝鮮軍 and 北朝鮮).
                start = match.start()
                for stop in range(match.end(), start, -1):
                    for payload in self._cjk_payloads.get(low[start:stop], ()):
                        out.setdefault(payload, []).append(Hit(start, stop, low[start:stop], payload))
                pos = start + 1
        for hits in out.values():
            hits.sort()
        return out
