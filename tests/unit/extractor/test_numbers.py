"""Locale-aware number parsing."""

from __future__ import annotations

import pytest

from services.extractor.numbers import find_numbers, parse_han_number


def values(text: str, lang: str) -> list[float]:
    return [n.value for n in find_numbers(text, lang) if not n.year_like and not n.vague]


@pytest.mark.parametrize(
    ("text", "lang", "expected"),
    [
        ("1.500 tentara", "id", [1500]),
        ("1,500 troops", "en", [1500]),
        ("10 000 военных", "ru", [10000]),
        ("10\u00a0000 soldats", "fr", [10000]),
        ("12 ribu tentara", "id", [12000]),
        ("1,5 juta peluru", "id", [1_500_000]),
        ("1.5 million shells", "en", [1_500_000]),
        ("2,5 Millionen Granaten", "de", [2_500_000]),
        ("12.000 Soldaten", "de", [12000]),
        ("1.234.567,5", "de", [1234567.5]),
        ("11 mil soldados", "es", [11000]),
        ("11 mil soldados", "pt", [11000]),
        ("10 тысяч солдат", "ru", [10000]),
        ("10 тис. військових", "uk", [10000]),
        ("1,5 млн снарядов", "ru", [1_500_000]),
        ("1만2천명", "ko", [12000]),
        ("1만 2000명", "ko", [12000]),
        ("3천명", "ko", [3000]),
        ("1万人", "zh", [10000]),
        ("1万1千人", "ja", [11000]),
        ("两千名士兵", "zh", [2000]),
    ],
)
def test_locale_numbers(text: str, lang: str, expected: list[float]) -> None:
    assert values(text, lang) == expected


def test_locale_decides_only_the_ambiguous_scale_case() -> None:
    assert values("2,125 Millionen", "de") == [2_125_000]
    assert values("2,125 million", "en") == [2_125_000_000]


@pytest.mark.parametrize(
    "text",
    [
        "on 18/10 at 09:35",
        "KN-23 missiles",
        "a 5% rise",
        "13 Oktober",
        "October 13",
        "2024년 10월 18일",
        "152 mm",
        "数十発",
    ],
)
def test_dates_codes_percentages_and_measures_are_not_counts(text: str) -> None:
    assert values(text, "en") == []


def test_years_are_flagged() -> None:
    (year,) = find_numbers("in 2024 the", "en")
    assert year.year_like


def test_han_numerals() -> None:
    assert parse_han_number("一万二千") == 12000
    assert parse_han_number("三十") == 30
    assert parse_han_number("两千") == 2000


def test_trie_alternations_match_like_the_plain_ones() -> None:
    """Months and scale words as tries match exactly where the plain alternations do."""
    import random
    import re

    from services.extractor import numbers

    months = "|".join(numbers._MONTHS)
    after = re.compile(r"\s?(?:(?:" + months + r")(?!\w)|[年月日년월일시時])", re.IGNORECASE)
    before = re.compile(r"(?:(?<!\w)(?:" + months + r")\.?\s?|[年月]\s?)$", re.IGNORECASE)
    scales = "|".join(sorted((re.escape(w) for w in numbers._SCALE_WORDS), key=len, reverse=True))
    number = re.compile(numbers._NUMBER.pattern.replace(numbers._SCALE_ALT, scales), re.IGNORECASE)
    rnd = random.Random(9)
    words = [*numbers._MONTHS, *numbers._SCALE_WORDS, "MARCH", "Sept.", "1", "12", "1,500", "2.5", "年", "만"]
    for _ in range(20_000):
        text = "".join(rnd.choice(words) + rnd.choice(["", " ", ".", "  "]) for _ in range(rnd.randint(0, 5)))
        at = rnd.randint(0, len(text))
        assert bool(after.match(text, at)) == bool(numbers._DATE_AFTER.match(text, at))
        window = text[max(0, at - 12) : at]
        assert bool(before.search(window)) == bool(numbers._DATE_BEFORE.search(window))
        a, b = number.match(text, at), numbers._NUMBER.match(text, at)
        assert (a and (a.span(), a.groupdict())) == (b and (b.span(), b.groupdict())), (text, at)


def test_class_first_cjk_patterns_match_like_the_lookbehind_first_ones() -> None:
    """The CJK number patterns rewritten to start with a character class find the same spans."""
    import random
    import re

    from services.extractor import numbers

    counter = numbers._HANGUL_COUNTER
    han = "[一二两兩両三四五六七八九十][零〇一二两兩三四五六七八九十百千万萬亿億]{0,8}"
    plain = [
        ("(?<![数數几幾多余第另])" + han, numbers._HAN_NUMBER),
        ("[数數几幾]+[十百千万萬]+|(?<![가-힣])수[십백천만]+", numbers._VAGUE_CJK),
        (rf"(?<![가-힣0-9])[일이삼사오육칠팔구십백천만억]{{1,8}}(?={counter})", numbers._KO_SINO),
    ]
    rnd = random.Random(2)
    alphabet = (
        "数數几幾多余第另一二两兩両三四五六七八九十零〇百千万萬亿億"
        + "수십백천만일이삼사오육칠팔구억가힣명발개여 0\n人"
    )
    for _ in range(20_000):
        text = "".join(rnd.choice(alphabet) for _ in range(rnd.randint(0, 14)))
        for pattern, rewritten in plain:
            expected = [m.span() for m in re.finditer(pattern, text)]
            assert [m.span() for m in rewritten.finditer(text)] == expected, (pattern, text)
