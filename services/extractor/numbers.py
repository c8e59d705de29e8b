"""Locale-aware numbers in news text: "1.500 tentara", "1,500 troops", "10 000", "12 ribu",
"1만2천명", "1万人", "两千名", "10 тысяч", "10 тис.", "2,5 Millionen"; and numbers in words: "two
thousand", "dua ribu", "двух" (``number_words``), "二人", "两名", "두 명", "이천 명" (here).

Grouping rule: a separator followed by exactly three digits groups thousands whatever the
language ("1.500" id = "1,500" en = 1500), because news never counts troops in thousandths. The
locale decides only the truly ambiguous case: one three-digit group before a scale word
("2,125 Millionen" is 2.125 million in German, "2,125 million" 2.125 billion in English).
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterator
from operator import attrgetter
from typing import NamedTuple

from services.extractor.matcher import trie_regex
from services.extractor.number_words import find_word_numbers

DECIMAL_COMMA_LANGS = frozenset({"id", "ms", "de", "fr", "es", "ru", "uk", "it", "pt", "nl", "tr", "pl"})

_SCALE_WORDS: dict[str, float] = {
    # thousand
    "thousand": 1e3,
    "k": 1e3,
    "ribu": 1e3,
    "rb": 1e3,
    "tausend": 1e3,
    "tsd": 1e3,
    "mille": 1e3,
    "mil": 1e3,
    "тыс": 1e3,
    "тысяч": 1e3,
    "тысячи": 1e3,
    "тысяча": 1e3,
    "тис": 1e3,
    "тисяч": 1e3,
    "тисячі": 1e3,
    "тисяча": 1e3,
    # million
    "million": 1e6,
    "millions": 1e6,
    "juta": 1e6,
    "millionen": 1e6,
    "mio": 1e6,
    "millón": 1e6,
    "millones": 1e6,
    "млн": 1e6,
    "milioni": 1e6,
    "milione": 1e6,
    "milhões": 1e6,
    "milhão": 1e6,
    "миллион": 1e6,
    "миллиона": 1e6,
    "миллионов": 1e6,
    "мільйон": 1e6,
    "мільйони": 1e6,
    "мільйонів": 1e6,
    "mn": 1e6,
    "m": 1e6,
    # billion
    "billion": 1e9,
    "miliar": 1e9,
    "milliarde": 1e9,
    "milliarden": 1e9,
    "milliard": 1e9,
    "milliards": 1e9,
    "млрд": 1e9,
    "миллиард": 1e9,
    "миллиарда": 1e9,
    "мільярд": 1e9,
    "bn": 1e9,
}
_CJK_UNITS: dict[str, float] = {
    "百": 1e2,
    "백": 1e2,
    "千": 1e3,
    "천": 1e3,
    "万": 1e4,
    "萬": 1e4,
    "만": 1e4,
    "亿": 1e8,
    "億": 1e8,
    "억": 1e8,
}
_HAN_DIGITS: dict[str, int] = {
    "零": 0,
    "〇": 0,
    "一": 1,
    "二": 2,
    "两": 2,
    "兩": 2,
    "両": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}
_HAN_SMALL_UNITS: dict[str, int] = {"十": 10, "百": 100, "千": 1000}
_HAN_BIG_UNITS: dict[str, int] = {"万": 10_000, "萬": 10_000, "亿": 100_000_000, "億": 100_000_000}

_MONTHS = (
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
    "jan",
    "feb",
    "mar",
    "apr",
    "jun",
    "jul",
    "aug",
    "sep",
    "sept",
    "oct",
    "nov",
    "dec",
    "januari",
    "februari",
    "maret",
    "mei",
    "juni",
    "juli",
    "agustus",
    "oktober",
    "desember",
    "januar",
    "februar",
    "märz",
    "oktober",
    "dezember",
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
    "enero",
    "febrero",
    "marzo",
    "abril",
    "mayo",
    "junio",
    "julio",
    "agosto",
    "septiembre",
    "octubre",
    "noviembre",
    "diciembre",
    "января",
    "февраля",
    "марта",
    "апреля",
    "мая",
    "июня",
    "июля",
    "августа",
    "сентября",
    "октября",
    "ноября",
    "декабря",
    "січня",
    "лютого",
    "березня",
    "квітня",
    "травня",
    "червня",
    "липня",
    "серпня",
    "вересня",
    "жовтня",
    "листопада",
    "грудня",
)
# The month names as a trie-shaped alternation (one branch per first letter): the same words as
# "|".join(_MONTHS), but the engine no longer tries ~100 alternatives at every position.
_MONTH_ALT = trie_regex(_MONTHS)
_DATE_AFTER = re.compile(r"\s?(?:(?:" + _MONTH_ALT + r")(?!\w)|[年月日년월일시時])", re.IGNORECASE)
_DATE_BEFORE = re.compile(r"(?:(?<!\w)(?:" + _MONTH_ALT + r")\.?\s?|[年月]\s?)$", re.IGNORECASE)

# Measurements are not counts: "152 mm", "30 km", "152ミリ", "152毫米".
_MEASURE_AFTER = re.compile(
    r"\s?(?:mm|cm|km|kg|kt|m²|ミリ|キロ|밀리|킬로|мм|км|кг|毫米|公里|公斤)(?![A-Za-z])"
)

# Trie-shaped like the months: with "(?!\w)" after it at most one scale word can match anyway.
_SCALE_ALT = trie_regex(_SCALE_WORDS)
_UNIT_CHARS = "".join(_CJK_UNITS)
_GROUP_SEP = "[.,\u00a0\u202f\u2009 ]"

# Every part is a literal, a character class or a bounded repeat; the CJK form repeats a group
# that must end in a unit character, so no substring can be split two ways (no backtracking blow-up).
_NUMBER = re.compile(
    r"(?:"
    rf"(?P<cjk>(?:\d{{1,6}}(?:[.,]\d{{1,3}})?\s?[{_UNIT_CHARS}]\s?){{1,4}}\d{{0,4}})"
    rf"|(?P<grouped>\d{{1,3}}(?:{_GROUP_SEP}\d{{3}}){{1,4}}(?:[.,]\d{{1,2}})?)"
    r"|(?P<plain>\d{1,12}(?:[.,]\d{1,3})?)"
    r")"
    rf"(?:\s?(?P<scale>{_SCALE_ALT})\.?(?!\w))?"
    r"(?![0-9A-Za-z/:%]|[.,]\d)",
    re.IGNORECASE,
)
_HAN = re.compile(r"[\u4e00-\u9fff]")
_HANGUL_SYLLABLE = re.compile(r"[\uac00-\ud7a3]")
_HAN_OR_HANGUL = re.compile(r"[\u4e00-\u9fff\uac00-\ud7a3]")
_DIGIT = re.compile(r"\d")
_DIGIT_RUN = re.compile(r"[\d.,]+")
_NOT_AFTER = frozenset("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz.,/:-")


def _number_matches(text: str) -> Iterator[re.Match[str]]:
    """``_NUMBER`` matches at digits that start a number ("KN-23", "x1.5", "/10" do not).

    Searching for a digit first lets the regex engine skip non-digit text at C speed; a lookbehind
    at the start of ``_NUMBER`` would make it try the whole pattern at every position.
    """
    pos = 0
    while True:
        digit = _DIGIT.search(text, pos)
        if digit is None:
            return
        start = digit.start()
        if start == 0 or text[start - 1] not in _NOT_AFTER:
            m = _NUMBER.match(text, start)
            if m is not None:
                yield m
                pos = m.end()
                continue
        run = _DIGIT_RUN.match(text, start)
        pos = run.end() if run is not None else start + 1


# "(?<![数數几幾多余第另])[一二两兩両三四五六七八九十][...]{0,8}", written to start with its
# character class (the "not right after" lookbehind comes after the first character): the regex
# engine then jumps to candidate characters at C speed instead of trying the pattern at every
# position. _VAGUE_CJK and _KO_SINO below are written the same way (tests: test_numbers.py).
_HAN_NUMBER = re.compile(
    r"[一二两兩両三四五六七八九十](?<![数數几幾多余第另].)[零〇一二两兩三四五六七八九十百千万萬亿億]{0,8}"
)
# Counter words after a count of people or things: "二人", "两名", "三発", "두 명", "세 발".
_HAN_COUNTER = re.compile(r"[人名発發发枚基个個只架艘辆輛]")
_HANGUL_COUNTER = r"\s?(?:여\s?)?(?:명|발|개|기|대|척)"
# Native Korean numbers (열두 명, 스무 명, 두 명) and Sino-Korean ones with a unit (이천 명, 만 명),
# taken only before a counter: alone these syllables are everyday words (한 = one/Korea, 네 = yes).
_KO_NATIVE = re.compile(
    r"(?<![가-힣0-9])(?:(?P<tens>열|스물|스무|서른|마흔|쉰|예순|일흔|여든|아흔)\s?)?"
    r"(?P<unit>한|하나|두|둘|세|셋|석|네|넷|넉|다섯|여섯|일곱|여덟|아홉)?"
    rf"(?={_HANGUL_COUNTER})"
)
# "[数數几幾]+[十百千万萬]+|(?<![가-힣])수[십백천만]+"
_VAGUE_CJK = re.compile(
    r"[数數几幾수](?:(?<=[数數几幾])[数數几幾]*[十百千万萬]+|(?<=수)(?<![가-힣]수)[십백천만]+)"
)
# "(?<![가-힣0-9])[일이삼사오육칠팔구십백천만억]{1,8}(?=counter)"
_KO_SINO = re.compile(
    rf"[일이삼사오육칠팔구십백천만억](?<![가-힣0-9].)[일이삼사오육칠팔구십백천만억]{{0,7}}(?={_HANGUL_COUNTER})"
)
_KO_NATIVE_TENS = {
    "열": 10,
    "스물": 20,
    "스무": 20,
    "서른": 30,
    "마흔": 40,
    "쉰": 50,
    "예순": 60,
    "일흔": 70,
    "여든": 80,
    "아흔": 90,
}
_KO_NATIVE_UNITS = {
    "한": 1,
    "하나": 1,
    "두": 2,
    "둘": 2,
    "세": 3,
    "셋": 3,
    "석": 3,
    "네": 4,
    "넷": 4,
    "넉": 4,
    "다섯": 5,
    "여섯": 6,
    "일곱": 7,
    "여덟": 8,
    "아홉": 9,
}
_KO_SINO_TO_HAN = str.maketrans("일이삼사오육칠팔구십백천만억", "一二三四五六七八九十百千万亿")


class NumberMatch(NamedTuple):
    """A number found in text: its value and where it is.

    Immutable like a frozen dataclass, but a named tuple: a relevant article has dozens and a
    frozen dataclass takes five times as long to create.
    """

    value: float
    start: int
    end: int
    text: str
    year_like: bool = False
    """A year or part of a date ("2024", "13 Oktober", "10월", "March 3"): not a count."""
    anaphoric: bool = False
    """"both", "ambos", "оба": 2 people named before; facts take only a noun right after it."""
    vague: bool = False
    """"dozens", "数千", "수백": a count without a value (value 0), where another count starts."""


def _plain(digits: str, lang: str, has_scale: bool) -> float:
    """Digits with at most one separator: decimal unless it is a thousands group."""
    sep = next((c for c in digits if c in ".,"), None)
    if sep is None:
        return float(digits)
    whole, frac = digits.split(sep)
    if len(frac) == 3:
        locale_decimal = "," if lang in DECIMAL_COMMA_LANGS else "."
        if not (has_scale and sep == locale_decimal):
            return float(whole + frac)
    return float(f"{whole}.{frac}")


def _grouped(digits: str, lang: str, has_scale: bool) -> float:
    separators = [c for c in digits if not c.isdigit()]
    if len(separators) == 1 and separators[0] in ".,":
        return _plain(digits, lang, has_scale)
    # the last separator is decimal when followed by 1-2 digits ("1.234,5"), else all group
    tail = re.search(r"[.,](\d{1,2})$", digits)
    if tail:
        head = re.sub(r"\D", "", digits[: tail.start()])
        return float(f"{head}.{tail.group(1)}")
    return float(re.sub(r"\D", "", digits))


def _cjk(text: str) -> float:
    total = 0.0
    for amount, unit in re.findall(rf"(\d+(?:[.,]\d+)?)\s?([{_UNIT_CHARS}])", text):
        total += (
            float(amount.replace(",", ".") if len(amount.split(",")[-1]) != 3 else amount.replace(",", ""))
            * (_CJK_UNITS[unit])
        )
    trailing = re.search(rf"[{_UNIT_CHARS}]\s?(\d+)$", text.strip())
    if trailing:
        total += float(trailing.group(1))
    return total


def parse_han_number(text: str) -> int:
    """Chinese numerals: 一万 = 10000, 两千 = 2000, 一万二千 = 12000, 三十 = 30."""
    total, section, digit = 0, 0, 0
    for ch in text:
        if ch in _HAN_DIGITS:
            digit = _HAN_DIGITS[ch]
        elif ch in _HAN_SMALL_UNITS:
            section += (digit or 1) * _HAN_SMALL_UNITS[ch]
            digit = 0
        elif ch in _HAN_BIG_UNITS:
            total += (section + digit or 1) * _HAN_BIG_UNITS[ch]  # 万 alone is 10000
            section, digit = 0, 0
    return total + section + digit


def find_numbers(text: str, lang: str = "en") -> list[NumberMatch]:
    """Every number in ``text`` with its value, in order of position."""
    out: list[NumberMatch] = []
    for m in _number_matches(text):
        cjk, grouped, plain, scale_word = m.group("cjk", "grouped", "plain", "scale")
        scale = _SCALE_WORDS.get(scale_word.lower(), 1.0) if scale_word else 1.0
        if scale_word and scale_word.lower() in {"m", "k", "mil"} and lang not in {"en", "es"}:
            scale = 1.0 if scale_word.lower() != "mil" or lang not in {"es", "pt"} else 1e3
        if cjk:
            value = _cjk(cjk)
        elif grouped:
            value = _grouped(grouped, lang, bool(scale_word))
        else:
            value = _plain(plain, lang, bool(scale_word))
        year_like = bool(
            plain and not scale_word and len(plain) == 4 and plain.isdigit() and 1900 <= value <= 2100
        )
        raw = m.group(0).rstrip()
        start = m.start()
        end = start + len(raw)
        if not scale_word and _MEASURE_AFTER.match(text, end):
            continue
        day_like = bool(plain and value <= 31 and "." not in plain and "," not in plain)
        if (
            not scale_word
            and (day_like or year_like)
            and (_DATE_AFTER.match(text, end) or _DATE_BEFORE.search(text[max(0, start - 12) : start]))
        ):
            year_like = True
        out.append(NumberMatch(value * scale, start, end, raw, year_like))
    han, hangul = _scripts(text)
    words = list(_word_numbers(text, lang))
    if hangul:
        words += _korean_numbers(text)
    if han or hangul:
        words += [
            NumberMatch(0.0, m.start(), m.end(), m.group(0), vague=True) for m in _VAGUE_CJK.finditer(text)
        ]
    if han:
        for m in _HAN_NUMBER.finditer(text):
            value = parse_han_number(m.group(0))
            # 一 alone is mostly a word part (一些, 一直): small numbers only before a counter (二人)
            if value >= 10 or _HAN_COUNTER.match(text, m.end()):
                words.append(NumberMatch(float(value), m.start(), m.end(), m.group(0)))
    if words:
        starts = [n.start for n in out]
        out += [n for n in words if not _overlaps(out, starts, n)]
        out.sort(key=_number_start)
    return out


_number_start = attrgetter("start")


def _scripts(text: str) -> tuple[bool, bool]:
    """Whether ``text`` has Han characters, Hangul syllables: one scan when it has neither."""
    if text.isascii():
        return False, False
    try:
        text.encode("latin-1")  # below U+0100: no need to scan (a regex scan of 3 KB is ~10 us)
        return False, False
    except UnicodeEncodeError:
        pass
    first = _HAN_OR_HANGUL.search(text)
    if first is None:
        return False, False
    if _HAN.match(text, first.start()):
        return True, _HANGUL_SYLLABLE.search(text, first.start()) is not None
    return _HAN.search(text, first.start()) is not None, True


def _overlaps(numbers: list[NumberMatch], starts: list[int], number: NumberMatch) -> bool:
    """Whether ``number`` overlaps one of ``numbers`` (sorted by start, not overlapping each other;
    ``starts``: their starts)."""
    i = bisect_right(starts, number.start)
    return (i > 0 and numbers[i - 1].end > number.start) or (
        i < len(numbers) and numbers[i].start < number.end
    )


def _word_numbers(text: str, lang: str) -> Iterator[NumberMatch]:
    for w in find_word_numbers(text, lang):
        yield NumberMatch(
            w.value, w.start, w.end, text[w.start : w.end], anaphoric=w.anaphoric, vague=w.vague
        )


def _korean_numbers(text: str) -> Iterator[NumberMatch]:
    """Korean numbers in words before a counter: "두 명" = 2, "열두 명" = 12, "이천 명" = 2000
    (``text`` has Hangul syllables)."""
    for m in _KO_NATIVE.finditer(text):
        if m.group(0).strip():
            value = _KO_NATIVE_TENS.get(m.group("tens") or "", 0) + _KO_NATIVE_UNITS.get(
                m.group("unit") or "", 0
            )
            yield NumberMatch(
                float(value), m.start(), m.start() + len(m.group(0).rstrip()), m.group(0).rstrip()
            )
    for m in _KO_SINO.finditer(text):
        sino = m.group(0)
        if any(u in sino for u in "십백천만억") and not (len(sino) == 1 and sino in "십백"):
            value = parse_han_number(sino.translate(_KO_SINO_TO_HAN))
            yield NumberMatch(float(value), m.start(), m.end(), sino)
