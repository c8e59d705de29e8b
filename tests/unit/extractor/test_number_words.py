"""Numbers written in words, per language: values, compounds, and what is not a count."""

from __future__ import annotations

import pytest

from services.extractor import number_words
from services.extractor.number_words import find_word_numbers
from services.extractor.numbers import find_numbers


def counts(text: str, lang: str) -> list[float]:
    """Values of the definite counts in ``text`` (digits and words), in order."""
    return [n.value for n in find_numbers(text, lang) if not n.year_like and not n.vague]


@pytest.mark.parametrize(
    ("lang", "text", "expected"),
    [
        # English
        ("en", "two soldiers", [2]),
        ("en", "eleven soldiers", [11]),
        ("en", "twenty-five soldiers", [25]),
        ("en", "a dozen soldiers", [12]),
        ("en", "one hundred and fifty soldiers", [150]),
        ("en", "two thousand five hundred soldiers", [2500]),
        ("en", "a thousand soldiers", [1000]),
        ("en", "1.5 million shells and two million rounds", [1_500_000, 2_000_000]),
        # Indonesian / Malay
        ("id", "dua tentara", [2]),
        ("id", "dua belas tentara", [12]),
        ("id", "dua puluh lima tentara", [25]),
        ("id", "dua ribu tentara", [2000]),
        ("id", "seribu lima ratus tentara", [1500]),
        ("id", "dua ratus ribu peluru", [200_000]),
        ("id", "12 ribu tentara", [12000]),
        ("ms", "tiga askar", [3]),
        # German
        ("de", "zwei Soldaten", [2]),
        ("de", "zwölf Soldaten", [12]),
        ("de", "zweitausend Soldaten", [2000]),
        ("de", "zwei tausend Soldaten", [2000]),
        ("de", "dreihundertfünfzig Soldaten", [350]),
        ("de", "fünfundzwanzig Soldaten", [25]),
        ("de", "zwei Millionen Granaten", [2_000_000]),
        # French
        ("fr", "deux soldats", [2]),
        ("fr", "dix-sept soldats", [17]),
        ("fr", "vingt et un soldats", [21]),
        ("fr", "soixante-dix soldats", [70]),
        ("fr", "quatre-vingt-dix soldats", [90]),
        ("fr", "deux cents soldats", [200]),
        ("fr", "deux mille soldats", [2000]),
        # Spanish
        ("es", "dos soldados", [2]),
        ("es", "treinta y dos soldados", [32]),
        ("es", "doscientos cincuenta soldados", [250]),
        ("es", "dos mil soldados", [2000]),
        ("es", "cien mil proyectiles", [100_000]),
        ("es", "11 mil soldados", [11000]),
        # Portuguese: "dos" is "of the" here, not two
        ("pt", "dois soldados", [2]),
        ("pt", "cento e vinte e cinco soldados", [125]),
        ("pt", "dois mil soldados", [2000]),
        ("pt", "a maioria dos soldados", []),
        # Italian
        ("it", "due soldati", [2]),
        ("it", "venticinque soldati", [25]),
        ("it", "duemila soldati", [2000]),
        ("it", "mille soldati", [1000]),
        ("it", "a settembre, al centro del paese", []),
        # Russian: inflected forms
        ("ru", "два солдата", [2]),
        ("ru", "двух военных", [2]),
        ("ru", "двое военных", [2]),
        ("ru", "трёх солдат", [3]),
        ("ru", "пяти солдат", [5]),
        ("ru", "двадцать пять солдат", [25]),
        ("ru", "две тысячи солдат", [2000]),
        ("ru", "полторы тысячи солдат", [1500]),
        ("ru", "триста тысяч снарядов", [300_000]),
        ("ru", "10 тысяч солдат", [10000]),
        # Ukrainian
        ("uk", "два солдати", [2]),
        ("uk", "двох військових", [2]),
        ("uk", "двоє військових", [2]),
        ("uk", "п'ятеро військових", [5]),
        ("uk", "дві тисячі військових", [2000]),
        ("uk", "п’ятнадцять військових", [15]),
        ("uk", "сім'я військового", []),
        # Korean: native and Sino-Korean numbers before a counter
        ("ko", "북한군 두 명", [2]),
        ("ko", "북한군 세 명", [3]),
        ("ko", "북한군 열두 명", [12]),
        ("ko", "병사 스무 명", [20]),
        ("ko", "북한군 이천 명", [2000]),
        ("ko", "병력 만 명", [10000]),
        ("ko", "북한군 1만2천명", [12000]),
        ("ko", "한국과 네 차례 회담", []),
        # Japanese / Chinese: small numerals need a counter
        ("ja", "北朝鮮兵二人", [2]),
        ("ja", "北朝鮮兵三人", [3]),
        ("ja", "北朝鮮兵三千人", [3000]),
        ("ja", "北朝鮮兵1万人", [10000]),
        ("zh", "两名朝鲜士兵", [2]),
        ("zh", "两人均受伤", [2]),
        ("zh", "两千名士兵", [2000]),
        ("zh", "两国关系", []),
        ("zh", "第二名", []),
    ],
)
def test_numbers_in_words(lang: str, text: str, expected: list[float]) -> None:
    assert counts(text, lang) == expected


@pytest.mark.parametrize(
    ("lang", "text"),
    [
        ("en", "hundreds of soldiers"),
        ("en", "thousands of troops"),
        ("en", "several thousand troops"),
        ("en", "dozens of soldiers"),
        ("id", "ratusan tentara"),
        ("id", "ribuan tentara"),
        ("de", "Tausende Soldaten"),
        ("de", "einige hundert Soldaten"),
        ("fr", "des milliers de soldats"),
        ("es", "miles de soldados"),
        ("pt", "milhares de soldados"),
        ("it", "centinaia di soldati"),
        ("ru", "сотни солдат"),
        ("ru", "тысячи солдат"),
        ("ru", "несколько тысяч солдат"),
        ("uk", "сотні військових"),
        ("ko", "북한군 수천 명"),
        ("ja", "北朝鮮兵数千人"),
        ("zh", "数千名士兵"),
    ],
)
def test_vague_quantities_have_no_value(lang: str, text: str) -> None:
    found = find_numbers(text, lang)
    assert counts(text, lang) == []
    assert any(n.vague for n in found), found  # still marks where a count starts


@pytest.mark.parametrize(
    ("lang", "text"),
    [
        ("en", "no one was hurt"),
        ("en", "a one-year deal"),
        ("en", "two days later"),
        ("en", "the two countries signed"),
        ("en", "one of the prisoners said"),
        ("id", "salah satu tawanan"),
        ("fr", "un soldat"),
        ("es", "un soldado"),
        ("de", "ein Soldat"),
        ("de", "der Einsatz, Achtung"),
        ("es", "dos años después"),
        ("ru", "два года назад"),
        ("ru", "один из пленных"),
        ("uk", "один із полонених"),
    ],
)
def test_words_that_are_not_counts(lang: str, text: str) -> None:
    assert counts(text, lang) == []


def test_both_is_two_and_anaphoric() -> None:
    for lang, text in [
        ("en", "Both men"),
        ("es", "Ambos están"),
        ("ru", "оба ранены"),
        ("de", "beide Soldaten"),
    ]:
        (both,) = find_numbers(text, lang)
        assert both.value == 2 and both.anaphoric


def test_only_the_article_language_is_read() -> None:
    assert find_word_numbers("dos soldados", "pt") == []
    assert [w.value for w in find_word_numbers("dos soldados", "es")] == [2]
    assert find_word_numbers("two soldiers", "ko") == []


def test_offsets_cover_the_whole_number() -> None:
    text = "Ukraine captured two thousand five hundred soldiers"
    (n,) = find_numbers(text, "en")
    assert n.text == "two thousand five hundred" and text[n.start : n.end] == n.text


def _mixed_texts() -> list[str]:
    """The labelled corpus in every language, plus edge cases of word boundaries."""
    import json

    from .conftest import REPO

    rows = (REPO / "tests" / "data" / "tagging_eval.jsonl").read_text(encoding="utf-8").splitlines()
    texts = [json.loads(r)["text"] for r in rows if r.strip()]
    return [
        *texts,
        "2two soldiers, two'three, _two two_ two, (two) x-two-y TWO",
        "п'ять військових, п’ять бійців, п єдина, дев'яносто сапер, дев ять",
        "keduanya kedua-duanya dua, duapuluh dua puluh",
        "quatre-vingts soldats, quatre vingt, quatre",
    ]


@pytest.mark.skipif(not number_words.HAVE_AUTOMATON, reason="ahocorasick_rs not installed")
@pytest.mark.parametrize("lang", sorted(number_words.WORDS))
def test_head_automaton_finds_what_tokenising_finds(lang: str) -> None:
    """The automaton's head positions equal the tokenising scan's, in every language."""
    for text in _mixed_texts():
        low = number_words._lowered(text)
        assert number_words._head_positions(low, lang) == number_words._head_positions_by_token(low, lang)


def test_previous_word_reads_backwards_like_the_search() -> None:
    """``_previous_word`` gives what the plain ``_PREVIOUS`` search over 40 characters gives."""
    import random

    rnd = random.Random(5)
    alphabet = ["a", "é", "ж", "1", "_", "²", "½", " ", "\n", "-", "\u2011", "\t", "'", ".", "\u00a0"]
    for _ in range(20_000):
        text = "".join(rnd.choice(alphabet) for _ in range(rnd.randint(0, 60)))
        start = rnd.randint(0, len(text))
        m = number_words._PREVIOUS.search(text, max(0, start - 40), start)
        assert number_words._previous_word(text, start) == (m.group(1) if m else None), (text, start)
