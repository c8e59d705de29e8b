"""Term matching: Korean particles, Slavic inflection, CJK substrings, exclusions, adversarial input."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from services.extractor.matcher import HAVE_AUTOMATON, Document, TermMatcher, term_pattern


@pytest.fixture(params=[True, False], ids=["automaton", "regex"], autouse=True)
def backend(request: pytest.FixtureRequest) -> Iterator[None]:
    """Every test runs with the Aho-Corasick backend (when installed) and the pure-regex one."""
    if request.param and not HAVE_AUTOMATON:
        pytest.skip("pyahocorasick not installed")
    BACKEND["automaton"] = request.param
    yield


BACKEND = {"automaton": True}


def found(terms: list[str], text: str) -> list[str]:
    matcher = TermMatcher([(t, t) for t in terms], automaton=BACKEND["automaton"])
    return sorted(matcher.find(Document(text)))


def test_backends_agree_on_the_shipped_watchlist() -> None:
    from services.extractor.compiled import CompiledWatchlist
    from shared.watchlists import load_watchlists

    from .conftest import NK, WATCHLISTS
    from .test_tagging import HARD_NEGATIVES, POSITIVES

    compiled = CompiledWatchlist(load_watchlists(WATCHLISTS)[NK])
    entries = compiled.entries
    regex, automaton = TermMatcher(entries, automaton=False), TermMatcher(entries, automaton=True)
    for _, title, text in POSITIVES + HARD_NEGATIVES:
        doc = Document(f"{title}\n\n{text}")
        assert regex.find(doc) == automaton.find(doc)


def test_whole_words_only() -> None:
    assert found(["arms"], "the arms deal") == ["arms"]
    assert found(["arms"], "he farms; disarmsament") == []
    assert found(["nato"], "NATO's summit") == ["nato"]


def test_phrases_match_across_spaces_hyphens_and_case() -> None:
    terms = ["north korea", "kim jong un"]
    assert found(terms, "NORTH-KOREA and Kim Jong-un met") == ["kim jong un", "north korea"]
    assert found(["u.s."], "us and them") == []


def test_korean_particles_attach() -> None:
    text = "북한군이 러시아에 파병됐다. 북한의 병력은"
    assert found(["북한", "러시아", "파병", "병력"], text) == sorted(["병력", "북한", "러시아", "파병"])
    assert found(["북한 병력"], "북한의 병력은 늘었다") == ["북한 병력"]


def test_russian_and_ukrainian_inflection_with_stems() -> None:
    assert found(["курск*"], "в Курской области") == ["курск*"]
    assert found(["северн* коре*"], "из Северной Кореи") == ["северн* коре*"]
    assert found(["північн* коре*"], "військові Північної Кореї") == ["північн* коре*"]
    assert found(["росі*"], "до Росії") == ["росі*"]
    assert found(["курск*"], "подкурский") == []  # a stem starts a word


def test_cjk_substrings_without_spaces() -> None:
    assert found(["北朝鮮", "ロシア"], "北朝鮮兵がロシア西部に") == ["ロシア", "北朝鮮"]
    assert found(["朝鲜", "朝鲜士兵"], "约1万名朝鲜士兵") == ["朝鲜", "朝鲜士兵"]


def test_indonesian_is_not_stemmed() -> None:
    assert found(["pasukan"], "pasukan Korut") == ["pasukan"]
    assert found(["pasukan"], "kepasukanan") == []


@pytest.mark.parametrize(
    "text",
    [
        "a" * 200_000,
        "северн" + "ой" * 100_000,
        ("north " * 50_000) + "korea",
        "-" * 100_000 + "north" + " -" * 50_000,
        "북한" + "의" * 100_000,
        "朝" * 200_000,
        "1" * 100_000,
        "1.000" * 40_000,
        "1만" * 50_000,
    ],
)
def test_adversarial_input_is_linear(text: str) -> None:
    matcher = TermMatcher(
        [
            (t, t)
            for t in [
                "north korea",
                "northern* korea*",
                "северн* коре*",
                "북한 병력",
                "朝鲜",
                "朝鲜士兵",
                "a*",
            ]
        ]
    )
    from services.extractor.numbers import find_numbers

    started = time.perf_counter()
    matcher.find(Document(text))
    find_numbers(text, "en")
    assert time.perf_counter() - started < 2.0


def test_generated_patterns_have_no_nested_quantifiers() -> None:
    import re

    for term in ["north korea", "северн* коре*", "북한 병력", "kn-23", "u.s. forces"]:
        pattern = term_pattern(term)
        assert not re.search(r"\)[*+]|\}[*+]|\*\)|\+\)", pattern), pattern
