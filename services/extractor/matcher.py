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
from typing import Any, Generic, NamedTuple, TypeVar

P = TypeVar("P", bound=Hashable)

try:  # C Aho-Corasick automaton: one linear pass over the text finds every term head
    import ahocorasick as _ahocorasick  # type: ignore[import-not-found,unused-ignore]

    HAVE_AUTOMATON = True
except ImportError:  # pragma: no cover - the pure-regex path below is complete on its own
    HAVE_AUTOMATON = False

_WORD = re.compile(r"\w+")
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff66-\uff9f]")
_HANGUL = re.compile(r"[\uac00-\ud7af\u1100-\u11ff\u3130-\u318f]")
_SEPARATOR = r"\W{1,3}"  # between the words of a phrase
_STEM_MAX = 24
_STEM_TAIL = rf"\w{{0,{_STEM_MAX}}}"  # the ending of a stem / a Hangul word with its particles
_TAIL = re.compile(_STEM_TAIL)
_MIN_HEAD = 3
_HEAD_SEPARATORS = (" ", "-", ".", ". ", "·", "\u00a0", "\u2011")
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
    # Hangul words take particles (북한의 병력), but a one-syllable word inside a phrase (북·러)
    # must stay whole or it would match any word starting with that syllable.
    hangul = _HANGUL.search(core[-1:]) is not None and (last or len(core) > 1)
    if stem or hangul:
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


@dataclass
class _Head(Generic[P]):
    """Automaton entry: the literal first word of some terms (or a whole CJK term)."""

    length: int
    exact: list[_Term[P]] = field(default_factory=list)  # one word, whole word
    stems: list[_Term[P]] = field(default_factory=list)  # one word, any ending (stems, Hangul)
    phrases: list[_Term[P]] = field(default_factory=list)  # several words: the regex decides
    cjk: list[P] = field(default_factory=list)  # the head is a whole CJK term (no boundaries)


class TermMatcher(Generic[P]):
    """Finds every occurrence of a set of terms, each carrying one or more payloads.

    With ``pyahocorasick`` installed one automaton pass finds every term head; without it a
    word-prefix prefilter picks the terms to verify with their own regexes. Both give the same hits.
    """

    def __init__(self, entries: Iterable[tuple[str, P]], *, automaton: bool | None = None) -> None:
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
        use = HAVE_AUTOMATON if automaton is None else automaton and HAVE_AUTOMATON
        self._automaton = self._build_automaton(terms, self._cjk_payloads) if use else None

    @staticmethod
    def _build_automaton(terms: dict[str, _Term[P]], cjk: dict[str, list[P]]) -> Any:
        heads: dict[str, _Head[P]] = {}
        for term in terms.values():
            words = [w for w in re.split(r"[^\w*]+", term.text) if w]
            core = words[0].rstrip("*")
            if len(words) > 1 and len(core) < (2 if _HANGUL.search(core) else _MIN_HEAD):
                # "u.s. forces", "в плен", "미 국방부": a one-letter head fires inside every other
                # word; the first two words with the usual separators make a selective head
                second = words[1].rstrip("*")
                for sep in _HEAD_SEPARATORS:
                    heads.setdefault(core + sep + second, _Head(len(core + sep + second))).phrases.append(
                        term
                    )
                continue
            head = heads.setdefault(core, _Head(len(core)))
            if len(words) > 1:
                head.phrases.append(term)
            elif words[0].endswith("*") or _HANGUL.search(core[-1:]):
                head.stems.append(term)
            else:
                head.exact.append(term)
        for text, payloads in cjk.items():
            heads.setdefault(text, _Head(len(text))).cjk.extend(payloads)
        automaton = _ahocorasick.Automaton()
        for text, head in heads.items():
            automaton.add_word(text, head)
        automaton.make_automaton()
        return automaton

    def _candidates(self, doc: Document) -> list[_KeyGroup[P]]:
        out = [self._by_word[key] for key in doc.words & self._by_word.keys()]
        for length, table in self._by_prefix.items():
            out.extend(table[key] for key in doc.prefixes(length) & table.keys())
        return out

    def find(self, doc: Document) -> dict[P, list[Hit[P]]]:
        """Every hit in ``doc`` grouped by payload, each group in start order (overlapping hits of
        different terms are all kept)."""
        if self._automaton is not None:
            return self._find_with_automaton(self._automaton, doc.low)
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

    @staticmethod
    def _find_with_automaton(automaton: Any, low: str) -> dict[P, list[Hit[P]]]:
        out: dict[P, list[Hit[P]]] = {}
        size = len(low)
        for last, head in automaton.iter(low):
            start = last - head.length + 1
            end = last + 1
            for payload in head.cjk:
                out.setdefault(payload, []).append(Hit(start, end, low[start:end], payload))
            if start > 0 and _is_word_char(low[start - 1]):
                continue
            if head.exact and (end >= size or not _is_word_char(low[end])):
                for term in head.exact:
                    for payload in term.payloads:
                        out.setdefault(payload, []).append(Hit(start, end, term.text, payload))
            if head.stems:
                tail = _TAIL.match(low, end)
                stop = tail.end() if tail is not None else end
                for term in head.stems:
                    for payload in term.payloads:
                        out.setdefault(payload, []).append(Hit(start, stop, term.text, payload))
            for term in head.phrases:
                m = term.pattern.match(low, start)
                if m is not None:
                    for payload in term.payloads:
                        out.setdefault(payload, []).append(Hit(start, m.end(), term.text, payload))
        for hits in out.values():
            hits.sort()
        return out
