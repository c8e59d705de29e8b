"""Numbers written as words in alphabetic scripts: "two", "dua ribu", "zweitausend",
"quatre-vingt-dix", "doscientos", "двух", "дві тисячі", "both".

Only the article's language is used: the same spelling is a number in one language and a common
word in another ("dos" is 2 in Spanish, "of the" in Portuguese; "due", "sei", "elf", "cent").

What counts:
- cardinals and their compounds, with a multiplier ("two thousand", "dua ratus ribu", "dos mil");
- "a dozen" = 12; "one and a half thousand" forms of Russian/Ukrainian (полторы тысячи = 1500);
- "both" and its translations = 2, flagged ``anaphoric``: it points back to people named before,
  so the fact extractor only takes the fact noun right after it ("Both men were wounded").
What does not: vague quantities ("hundreds of", "thousands", "dozens", "ratusan", "сотни", "тысячи"
without a multiplier, "several thousand") get no value rather than a lower bound, because a story's
fact values are compared across articles ("troop estimate 1,000 -> 3,000") and a guessed floor would
read as a change. They are still returned, flagged ``vague``, so that the fact extractor sees a new
count start there ("two killed, dozens injured": the injured are not the two).
Articles that are also the word "one" ("un", "une", "ein", "uno", "um") count only inside a
compound ("vingt et un"); "one of the prisoners", "one-year", "two days", "the two countries" are
not counts, and "no one" is a count without a value.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import Any, Literal

from services.extractor.matcher import HAVE_AUTOMATON, build_automaton

Kind = Literal["add", "teen", "mul", "hundred", "scale", "and", "und"]
# add: a value added to the pending group ("twenty" "five"); teen: Indonesian "belas" (+10 to a
# unit); mul: multiplies the pending group ("puluh", "dozen"); hundred: closes a group of hundreds
# ("hundred", "ratus", "cents"); scale: closes everything so far ("thousand", "ribu", "тысяч");
# and: a connector between number words ("and", "et", "y", "e"); und: German unit-und-tens.


@dataclass(frozen=True)
class Word:
    """One number word: how it combines, its value, and whether it may stand alone."""

    kind: Kind
    value: float = 0.0
    alone: bool = True
    """False for words that are numbers only after another number word ("belas", "тысячи",
    "un" in "vingt et un") and for plural scales that alone mean "thousands of"."""


@dataclass(frozen=True)
class WordNumber:
    """A number written in words, with its character offsets."""

    value: float
    start: int
    end: int
    anaphoric: bool = False
    vague: bool = False
    """"dozens", "сотни", "several thousand": a count without a value."""


def _words(kind: Kind, spec: str, *, alone: bool = True) -> dict[str, Word]:
    """``"two=2 three=3"`` -> {word: Word}."""
    out: dict[str, Word] = {}
    for item in spec.split():
        word, _, value = item.partition("=")
        out[word] = Word(kind, float(value or 0), alone)
    return out


def _ru_oblique(spec: str) -> str:
    """Russian/Ukrainian 5-30: add the oblique form (пять -> пяти, двадцять -> двадцяти)."""
    extra = []
    for item in spec.split():
        word, _, value = item.partition("=")
        if word.endswith("ь"):
            extra.append(f"{word[:-1]}и={value}")
    return " ".join([spec, *extra])


_EN = {
    **_words(
        "add",
        "one=1 two=2 three=3 four=4 five=5 six=6 seven=7 eight=8 nine=9 ten=10 eleven=11 twelve=12 "
        "thirteen=13 fourteen=14 fifteen=15 sixteen=16 seventeen=17 eighteen=18 nineteen=19 twenty=20 "
        "thirty=30 forty=40 fifty=50 sixty=60 seventy=70 eighty=80 ninety=90",
    ),
    **_words("mul", "dozen=12"),
    **_words("hundred", "hundred=100"),
    **_words("scale", "thousand=1000 million=1000000 billion=1000000000"),
    **_words("and", "and"),
}
_ID = {  # Indonesian and Malay
    **_words(
        "add",
        "satu=1 dua=2 tiga=3 empat=4 lima=5 enam=6 tujuh=7 delapan=8 lapan=8 sembilan=9 sepuluh=10 "
        "sebelas=11",
    ),
    **_words("teen", "belas=10", alone=False),
    **_words("mul", "puluh=10", alone=False),
    **_words("hundred", "seratus=100"),
    **_words("hundred", "ratus=100", alone=False),
    **_words("scale", "seribu=1000 sejuta=1000000"),
    **_words("scale", "ribu=1000 juta=1000000 miliar=1000000000", alone=False),
}
_DE_PARTS = {
    **_words(
        "add",
        "ein=1 eins=1 zwei=2 drei=3 vier=4 fünf=5 sechs=6 sieben=7 acht=8 neun=9 zehn=10 elf=11 "
        "zwölf=12 dreizehn=13 vierzehn=14 fünfzehn=15 sechzehn=16 siebzehn=17 achtzehn=18 neunzehn=19 "
        "zwanzig=20 dreißig=30 dreissig=30 vierzig=40 fünfzig=50 sechzig=60 siebzig=70 achtzig=80 "
        "neunzig=90",
    ),
    **_words("hundred", "hundert=100"),
    **_words("scale", "tausend=1000"),
    **_words("und", "und"),
}
_DE = {
    **{w: v for w, v in _DE_PARTS.items() if w not in {"ein", "und"}},
    **_words("mul", "dutzend=12"),
    **_words("scale", "million=1000000 milliarde=1000000000"),
    **_words("scale", "millionen=1000000 milliarden=1000000000", alone=False),
}
_FR = {
    **_words(
        "add",
        "deux=2 trois=3 quatre=4 cinq=5 six=6 sept=7 huit=8 neuf=9 dix=10 onze=11 douze=12 treize=13 "
        "quatorze=14 quinze=15 seize=16 vingt=20 vingts=20 trente=30 quarante=40 cinquante=50 "
        "soixante=60 quatre-vingts=80 cent=100",
    ),
    **_words("add", "un=1 une=1", alone=False),
    **_words("mul", "douzaine=12"),
    **_words("hundred", "cents=100", alone=False),
    **_words("scale", "mille=1000 million=1000000 milliard=1000000000"),
    **_words("scale", "millions=1000000 milliards=1000000000", alone=False),
    **_words("and", "et"),
}
_ES = {
    **_words(
        "add",
        "dos=2 tres=3 cuatro=4 cinco=5 seis=6 siete=7 ocho=8 nueve=9 diez=10 once=11 doce=12 trece=13 "
        "catorce=14 quince=15 dieciséis=16 diecisiete=17 dieciocho=18 diecinueve=19 veinte=20 "
        "veintiuno=21 veintiún=21 veintiuna=21 veintidós=22 veintitrés=23 veinticuatro=24 "
        "veinticinco=25 veintiséis=26 veintisiete=27 veintiocho=28 veintinueve=29 treinta=30 "
        "cuarenta=40 cincuenta=50 sesenta=60 setenta=70 ochenta=80 noventa=90 cien=100 ciento=100 "
        "doscientos=200 doscientas=200 trescientos=300 trescientas=300 cuatrocientos=400 "
        "cuatrocientas=400 quinientos=500 quinientas=500 seiscientos=600 seiscientas=600 "
        "setecientos=700 setecientas=700 ochocientos=800 ochocientas=800 novecientos=900 "
        "novecientas=900",
    ),
    **_words("add", "un=1 uno=1 una=1", alone=False),
    **_words("mul", "docena=12"),
    **_words("scale", "mil=1000 millón=1000000"),
    **_words("scale", "millones=1000000", alone=False),
    **_words("and", "y"),
}
_PT = {
    **_words(
        "add",
        "dois=2 duas=2 três=3 quatro=4 cinco=5 seis=6 sete=7 oito=8 nove=9 dez=10 onze=11 doze=12 "
        "treze=13 catorze=14 quatorze=14 quinze=15 dezesseis=16 dezasseis=16 dezessete=17 "
        "dezassete=17 dezoito=18 dezenove=19 dezanove=19 vinte=20 trinta=30 quarenta=40 "
        "cinquenta=50 sessenta=60 setenta=70 oitenta=80 noventa=90 cem=100 cento=100 duzentos=200 "
        "duzentas=200 trezentos=300 trezentas=300 quatrocentos=400 quatrocentas=400 quinhentos=500 "
        "quinhentas=500 seiscentos=600 seiscentas=600 setecentos=700 setecentas=700 oitocentos=800 "
        "oitocentas=800 novecentos=900 novecentas=900",
    ),
    **_words("add", "um=1 uma=1", alone=False),
    **_words("mul", "dúzia=12"),
    **_words("scale", "mil=1000 milhão=1000000"),
    **_words("scale", "milhões=1000000", alone=False),
    **_words("and", "e"),
}
_IT_PARTS = {
    **_words(
        "add",
        "un=1 uno=1 due=2 tre=3 tré=3 quattro=4 cinque=5 sei=6 sette=7 otto=8 nove=9 dieci=10 undici=11 "
        "dodici=12 tredici=13 quattordici=14 quindici=15 sedici=16 diciassette=17 diciotto=18 "
        "diciannove=19 venti=20 vent=20 trenta=30 trent=30 quaranta=40 quarant=40 cinquanta=50 "
        "cinquant=50 sessanta=60 sessant=60 settanta=70 settant=70 ottanta=80 ottant=80 novanta=90 "
        "novant=90",
    ),
    **_words("hundred", "cento=100 cent=100"),
    **_words("scale", "mille=1000"),
    **_words("scale", "mila=1000", alone=False),
}
_IT = {
    # alone: not the article "un(o)", not the elided compound forms ("vent", "trent", "cent")
    **{w: v for w, v in _IT_PARTS.items() if w not in {"un", "uno", "tré", "mila"} and not w.endswith("t")},
    **_words("mul", "dozzina=12"),
    **_words("scale", "milione=1000000 miliardo=1000000000"),
    **_words("scale", "milioni=1000000 miliardi=1000000000", alone=False),
}
_RU = {
    **_words(
        "add",
        "один=1 одна=1 одно=1 одного=1 одной=1 одному=1 одним=1 одном=1 "
        "два=2 две=2 двух=2 двум=2 двумя=2 двое=2 двоих=2 три=3 трёх=3 трех=3 трём=3 трем=3 тремя=3 "
        "трое=3 троих=3 четыре=4 четырёх=4 четырех=4 четверо=4 четверых=4 пятеро=5 пятерых=5 "
        "шестеро=6 шестерых=6 семеро=7 семерых=7 "
        "сорок=40 сорока=40 девяносто=90 девяноста=90 сто=100 ста=100 двести=200 двухсот=200 "
        "триста=300 трёхсот=300 трехсот=300 четыреста=400 четырёхсот=400 четырехсот=400 "
        "пятьсот=500 пятисот=500 шестьсот=600 шестисот=600 семьсот=700 семисот=700 восемьсот=800 "
        "восьмисот=800 девятьсот=900 девятисот=900 пятьдесят=50 пятидесяти=50 шестьдесят=60 "
        "шестидесяти=60 семьдесят=70 семидесяти=70 восемьдесят=80 восьмидесяти=80 "
        "полтора=1.5 полторы=1.5 полутора=1.5 восьми=8 "
        + _ru_oblique(
            "пять=5 шесть=6 семь=7 восемь=8 девять=9 десять=10 одиннадцать=11 двенадцать=12 "
            "тринадцать=13 четырнадцать=14 пятнадцать=15 шестнадцать=16 семнадцать=17 "
            "восемнадцать=18 девятнадцать=19 двадцать=20 тридцать=30"
        ),
    ),
    **_words("scale", "тысяча=1000 тысячу=1000 миллион=1000000"),
    **_words(
        "scale",
        "тысячи=1000 тысяч=1000 тысячами=1000 миллиона=1000000 миллионов=1000000",
        alone=False,
    ),
}
_UK = {
    **_words(
        "add",
        "один=1 одна=1 одне=1 одного=1 одної=1 одному=1 одним=1 "
        "два=2 дві=2 двох=2 двом=2 двома=2 двоє=2 двоих=2 три=3 трьох=3 трьом=3 трьома=3 троє=3 "
        "чотири=4 чотирьох=4 четверо=4 п'ятеро=5 шестеро=6 семеро=7 шість=6 шести=6 сім=7 семи=7 "
        "вісім=8 восьми=8 сорок=40 сорока=40 дев'яносто=90 дев'яноста=90 сто=100 ста=100 "
        "двісті=200 двохсот=200 триста=300 трьохсот=300 чотириста=400 чотирьохсот=400 "
        "п'ятсот=500 п'ятисот=500 шістсот=600 шестисот=600 сімсот=700 семисот=700 вісімсот=800 "
        "восьмисот=800 дев'ятсот=900 дев'ятисот=900 п'ятдесят=50 п'ятдесяти=50 шістдесят=60 "
        "шістдесяти=60 сімдесят=70 сімдесяти=70 вісімдесят=80 вісімдесяти=80 "
        "півтора=1.5 півтори=1.5 "
        + _ru_oblique(
            "п'ять=5 дев'ять=9 десять=10 одинадцять=11 дванадцять=12 тринадцять=13 чотирнадцять=14 "
            "п'ятнадцять=15 шістнадцять=16 сімнадцять=17 вісімнадцять=18 дев'ятнадцять=19 "
            "двадцять=20 тридцять=30"
        ),
    ),
    **_words("scale", "тисяча=1000 тисячу=1000 мільйон=1000000"),
    **_words("scale", "тисячі=1000 тисяч=1000 мільйони=1000000 мільйонів=1000000", alone=False),
}

WORDS: dict[str, dict[str, Word]] = {
    "en": _EN,
    "id": _ID,
    "ms": _ID,
    "de": _DE,
    "fr": _FR,
    "es": _ES,
    "pt": _PT,
    "it": _IT,
    "ru": _RU,
    "uk": _UK,
}
# Languages whose number words are written as one token ("zweihundertfünfzig", "duemilacinquecento").
_COMPOUND_PARTS: dict[str, dict[str, Word]] = {"de": _DE_PARTS, "it": _IT_PARTS}

BOTH: dict[str, frozenset[str]] = {
    "en": frozenset({"both"}),
    "id": frozenset({"keduanya"}),
    "ms": frozenset({"keduanya", "kedua-duanya"}),
    "de": frozenset({"beide", "beiden"}),
    "es": frozenset({"ambos", "ambas"}),
    "pt": frozenset({"ambos", "ambas"}),
    "it": frozenset({"entrambi", "entrambe", "ambedue"}),
    "ru": frozenset({"оба", "обе", "обоих", "обеих"}),
    "uk": frozenset({"обидва", "обидві", "обох"}),
}

# A word right before the number that makes it vague ("several thousand", "einige hundert") or
# not a count at all ("no one", "ни один").
_VAGUE_BEFORE: dict[str, str] = {
    "en": "several few many hundreds thousands dozens tens no any every",
    "id": "beberapa puluhan ratusan ribuan salah",
    "de": "mehrere einige paar viele hunderte tausende",
    "fr": "plusieurs quelques",
    "es": "varios varias algunos algunas muchos cientos miles ni",
    "pt": "vários várias alguns algumas muitos centenas milhares nem",
    "it": "diversi diverse alcuni alcune molti centinaia migliaia",
    "ru": "несколько нескольких много многих десятки десятков сотни сотен ни",
    "uk": "кілька декілька кількох багато десятки десятків сотні сотень жоден ні",
}
# Vague quantities: a count without a value.
_VAGUE_WORDS: dict[str, str] = {
    "en": "dozens hundreds thousands millions scores",
    "id": "belasan puluhan ratusan ribuan jutaan",
    "de": "dutzende hunderte tausende zehntausende hunderttausende",
    "fr": "dizaines centaines milliers",
    "es": "decenas centenares cientos miles",
    "pt": "dezenas centenas milhares",
    "it": "decine centinaia migliaia",
    "ru": "десятки десятков сотни сотен тысячи тысяч",
    "uk": "десятки десятків сотні сотень тисячі тисяч",
}
# "one of the prisoners": a member of a group, not a count of one.
_PARTITIVE: dict[str, str] = {
    "en": "of",
    "id": "dari",
    "de": "der von",
    "fr": "des d",
    "es": "de",
    "pt": "de dos das",
    "it": "di dei degli delle",
    "ru": "из",
    "uk": "із з",
}
# A word right after the number that says it counts time, sides or shares, not people or things.
_NOT_COUNT_AFTER: dict[str, str] = {
    "en": "year years month months week weeks day days hour hours minute minutes time times decade "
    "decades side sides country countries nation nations koreas leader leaders government governments "
    "state states party parties army armies percent per another",
    "id": "tahun bulan minggu pekan hari jam menit kali dekade abad negara pihak pemimpin persen pun",
    "de": "jahr jahre jahren monat monate monaten woche wochen tag tage tagen stunde stunden minuten mal "
    "jahrzehnte länder ländern staaten seiten prozent armeen",
    "fr": "an ans année années mois semaine semaines jour jours heure heures minutes fois pays côtés "
    "camps dirigeants pour armées",
    "es": "año años mes meses semana semanas día días hora horas minutos veces países lados bandos "
    "partes líderes por ejércitos",
    "pt": "ano anos mês meses semana semanas dia dias hora horas minutos vezes países lados partes "
    "líderes por exércitos",
    "it": "anno anni mese mesi settimana settimane giorno giorni ora ore minuti volte paesi parti "
    "leader per eserciti",
    "ru": "год года годы лет месяц месяца месяцев неделю недели недель день дня дней суток час часа "
    "часов минут раз раза стран страны сторон стороны лидеров процента процентов армии",
    "uk": "рік року роки років місяць місяці місяців тиждень тижні тижнів день дні днів доби години "
    "годин хвилин рази разів країни країн сторони сторін лідерів відсотки відсотків армії",
}


def _sets(specs: dict[str, str]) -> dict[str, frozenset[str]]:
    sets = {lang: frozenset(spec.split()) for lang, spec in specs.items()}
    sets["ms"] = sets["id"]
    return sets


_VAGUE, _NOT_COUNT = _sets(_VAGUE_BEFORE), _sets(_NOT_COUNT_AFTER)
_VAGUE_WORD, _PARTITIVE_WORD = _sets(_VAGUE_WORDS), _sets(_PARTITIVE)

Token = tuple[str, int, int]  # (lowered word, start, end)
_LETTERS = r"[^\W\d_]+"
_TOKEN = re.compile(rf"{_LETTERS}(?:'{_LETTERS})*")  # on lowered text, apostrophes unified
_GAP = re.compile(r"[\s\-\u2011]{1,3}")  # between the words of one number ("twenty-five", "dua ribu")
_PREVIOUS = re.compile(rf"({_LETTERS})[\s\-\u2011]{{1,3}}$")
# _PREVIOUS on the reversed text ("$" also matches before a final newline)
_PREVIOUS_REVERSED = re.compile(rf"\n?[\s\-\u2011]{{1,3}}({_LETTERS})")
_WORDS_FAST = re.compile(r"\w+")  # special-cased by the regex engine: 3x faster than a letter class
_MAX_COMPOUND = 48


@lru_cache(maxsize=4096)
def _split_compound(token: str, lang: str) -> tuple[str, ...] | None:
    """A one-token German/Italian number as its parts ("zweihundertfünfzig" -> zwei, hundert,
    fünfzig), or None when the token is not made of number parts only."""
    parts = _COMPOUND_PARTS[lang]
    longest = max(map(len, parts))

    def split(at: int) -> tuple[str, ...] | None:
        if at == len(token):
            return ()
        for end in range(min(len(token), at + longest), at, -1):
            piece = token[at:end]
            if piece in parts:
                rest = split(end)
                if rest is not None:
                    return (piece, *rest)
        return None

    if len(token) > _MAX_COMPOUND:
        return None
    found = split(0)
    return found if found and len(found) > 1 else None


def _lookup(token: str, lang: str) -> list[Word] | None:
    table = WORDS[lang]
    word = table.get(token)
    if word is not None:
        return [word]
    if lang in _COMPOUND_PARTS:
        parts = _split_compound(token, lang)
        if parts is not None:
            words = [_COMPOUND_PARTS[lang][p] for p in parts]
            if words[0].kind in ("add", "hundred", "scale") and words[-1].kind != "und":
                return [Word(w.kind, w.value, True) for w in words]
    return None


@dataclass
class _Group:
    """Words of one number being read: total = closed scales, current = closed hundreds,
    pending = the group of units being built."""

    total: float = 0.0
    current: float = 0.0
    pending: float = 0.0
    words: int = 0
    after_und: bool = False

    @property
    def value(self) -> float:
        return self.total + self.current + self.pending

    def take(self, word: Word) -> bool:
        """Add ``word``; False when it cannot continue this number (it starts a new one)."""
        if word.kind in ("and", "und"):
            if not self.words:
                return False
            self.after_und = word.kind == "und"
            return True
        if not word.alone and not self.words:
            return False
        if word.kind == "add":
            if self.after_und and self.pending < 10 and word.value % 10 == 0 and word.value >= 20:
                self.pending += word.value  # German "fünfundzwanzig"
            elif self.pending and not (word.value < self.pending and self.pending % 10 == 0):
                return False  # "two three", "dos y tres": two numbers, not one
            else:
                self.pending += word.value
        elif word.kind == "teen":
            if not 0 < self.pending < 10:
                return False
            self.pending += word.value
        elif word.kind == "mul":
            if self.pending >= 10:
                return False
            self.pending = (self.pending or 1) * word.value
        elif word.kind == "hundred":
            if self.pending >= 100:
                return False
            self.current += (self.pending or 1) * word.value
            self.pending = 0
        else:
            self.total += (self.current + self.pending or 1) * word.value
            self.current = self.pending = 0
        self.words += 1
        self.after_und = False
        return True


def _lowered(text: str) -> str:
    """``text`` lower-cased with one apostrophe, offsets unchanged."""
    low = text.lower()
    if len(low) != len(text):  # "İ" lowers to two characters: keep such characters as they are
        low = "".join(c.lower() if len(c.lower()) == 1 else c for c in text)
    return low.replace("’", "'").replace("ʼ", "'") if "’" in low or "ʼ" in low else low


@cache
def _heads(lang: str) -> frozenset[str]:
    """Words that can start a number, plus "both" and the vague quantities."""
    heads = {w for w, v in WORDS[lang].items() if v.alone and v.kind not in ("and", "und")}
    return frozenset(heads | BOTH.get(lang, frozenset()) | _VAGUE_WORD[lang])


@cache
def _apostrophe_heads(lang: str) -> dict[str, frozenset[str]]:
    """Heads with an apostrophe (Ukrainian п'ять) by their first part (п), which ``\\w+`` finds."""
    out: dict[str, set[str]] = {}
    for word in _heads(lang):
        if "'" in word:
            out.setdefault(word.split("'")[0], set()).add(word)
    return {k: frozenset(v) for k, v in out.items()}


def _is_head(word: str, lang: str) -> bool:
    return word in _heads(lang) or (lang in _COMPOUND_PARTS and _split_compound(word, lang) is not None)


def _head_positions(low: str, lang: str) -> list[int]:
    """Where the words that can start a number begin.

    A head counts when it occurs somewhere as a whole ``\\w+`` token (or, for Ukrainian п'ять,
    its first part does); then every occurrence of it between non-letters is a start. An
    Aho-Corasick automaton of the language's heads finds both in one pass; the compound languages
    (any token may be a number) and installs without the automaton tokenise the text instead.
    """
    automaton = _head_automaton(lang)
    if automaton is None:
        return _head_positions_by_token(low, lang)
    finder, patterns, tokens = automaton
    matches = finder.find_matches_as_indexes(low, overlapping=True)
    if not matches:
        return []
    size = len(low)
    present: set[str] = set()
    for index, start, end in matches:
        word = patterns[index]
        if word in tokens:
            before = low[start - 1] if start else " "
            after = low[end] if end < size else " "
            if not (before.isalnum() or before == "_" or after.isalnum() or after == "_"):
                present.add(word)
    if not present:
        return []
    words = present & _heads(lang)
    for first, full in _apostrophe_heads(lang).items():
        if first in present:
            words |= full
    starts = [
        start
        for index, start, end in matches
        if patterns[index] in words
        and (start == 0 or not _is_word_char(low[start - 1]))
        and (end == size or not _is_word_char(low[end]))
    ]
    starts.sort()
    return starts


_TOKEN_WORD = re.compile(r"\w+")


@cache
def _head_automaton(lang: str) -> tuple[Any, list[str], frozenset[str]] | None:
    """(automaton, its patterns, the patterns that are ``\\w+`` tokens) for ``_head_positions``.

    Heads are letters with inner apostrophes, so an occurrence overlapping another occurrence of
    the same head never lies between non-letters: all occurrences give what ``str.find`` from the
    end of the previous one gives.
    """
    if not HAVE_AUTOMATON or lang in _COMPOUND_PARTS:
        return None
    heads = _heads(lang)
    apostrophes = _apostrophe_heads(lang)
    # a head with a hyphen (kedua-duanya) is never one token: the tokeniser never finds it either
    tokens = {w for w in heads if _TOKEN_WORD.fullmatch(w)} | set(apostrophes)
    patterns = sorted(tokens | {w for full in apostrophes.values() for w in full})
    return build_automaton(patterns), patterns, frozenset(tokens)


def _head_positions_by_token(low: str, lang: str) -> list[int]:
    """``_head_positions`` by tokenising: any token may be a compound number (zweihundert)."""
    tokens = set(_WORDS_FAST.findall(low))
    words = {w for w in tokens if _is_head(w, lang)}
    for first, full in _apostrophe_heads(lang).items():
        if first in tokens:
            words |= full
    starts: list[int] = []
    for word in words:
        at = low.find(word)
        while at >= 0:
            end = at + len(word)
            if (at == 0 or not _is_word_char(low[at - 1])) and (
                end == len(low) or not _is_word_char(low[end])
            ):
                starts.append(at)
            at = low.find(word, end)
    return sorted(starts)


def _is_word_char(ch: str) -> bool:
    return ch.isalpha() or ch == "'"


def _token_at(low: str, pos: int, lang: str) -> Token | None:
    """The word starting at ``pos``; French "quatre-vingt(s)" is one word worth 80."""
    m = _TOKEN.match(low, pos)
    if m is None:
        return None
    if lang == "fr" and m.group(0) == "quatre":
        nxt = _next_token(low, m.end())
        if nxt and nxt[0] in ("vingt", "vingts"):
            return "quatre-vingts", m.start(), nxt[2]
    return m.group(0), m.start(), m.end()


def _next_token(low: str, end: int) -> Token | None:
    """The next word when only spaces or a hyphen separate it from ``end``."""
    gap = _GAP.match(low, end)
    if gap is None:
        return None
    m = _TOKEN.match(low, gap.end())
    return (m.group(0), m.start(), m.end()) if m else None


def _previous_word(low: str, start: int) -> str | None:
    """The word right before ``start`` (1-3 spaces or hyphens between), within 40 characters.

    What ``_PREVIOUS.search(low, start - 40, start)`` finds, read backwards with one anchored
    match: a search would try the pattern at each of the 40 positions.
    """
    m = _PREVIOUS_REVERSED.match(low[max(0, start - 40) : start][::-1])
    return m.group(1)[::-1] if m else None


def find_word_numbers(text: str, lang: str) -> list[WordNumber]:
    """Every number written in words in ``text`` (language ``lang``), in order of position."""
    if lang not in WORDS:
        return []
    both, vague = BOTH.get(lang, frozenset()), _VAGUE_WORD[lang]
    low = _lowered(text)
    out: list[WordNumber] = []
    pos = 0
    for start in _head_positions(low, lang):
        token = _token_at(low, start, lang) if start >= pos else None
        if token is None:
            continue
        word = token[0]
        if word in both:
            if not _excluded(low, token, token, lang):
                out.append(WordNumber(2.0, start, token[2], anaphoric=True))
            continue
        words = _lookup(word, lang)
        if words is None or not words[0].alone:
            if word in vague:
                out.append(WordNumber(0.0, start, token[2], vague=True))
            continue
        group, last, current = _Group(), token, token
        while True:
            mark = (group.total, group.current, group.pending, group.words, group.after_und)
            if not all(group.take(w) for w in words):
                group.total, group.current, group.pending, group.words, group.after_und = mark
                break
            if words[-1].kind not in ("and", "und"):
                last = current
            nxt = _next_token(low, current[2])
            if nxt is not None and nxt[0] == "quatre":  # may be quatre-vingts
                nxt = _token_at(low, nxt[1], lang)
            found = _lookup(nxt[0], lang) if nxt else None
            if nxt is None or found is None:
                break
            current, words = nxt, found
        value, end = group.value, last[2]
        pos = end
        if _previous_word(low, start) in _VAGUE[lang]:  # "several thousand"
            out.append(WordNumber(0.0, start, end, vague=True))
        elif (
            value >= 1
            and value.is_integer()
            and not _excluded(low, token, last, lang, vague_before=False)
            and (value > 1 or not _followed_by(low, last, _PARTITIVE_WORD[lang]))
        ):
            out.append(WordNumber(value, start, end))
    return out


def _followed_by(low: str, last: Token, words: frozenset[str]) -> bool:
    after = _next_token(low, last[2])
    return bool(after and after[0] in words)


def _excluded(low: str, first: Token, last: Token, lang: str, *, vague_before: bool | None = None) -> bool:
    """Not a count: "no one", a time/side word after ("two days"), part of a hyphen compound
    (``vague_before``: whether the word before is "no", "several"..., when already known)."""
    start, end = first[1], last[2]
    if vague_before is None:
        vague_before = _previous_word(low, start) in _VAGUE[lang]
    if vague_before or _followed_by(low, last, _NOT_COUNT[lang]):
        return True
    # "one-year", "two-day", "Covid-nineteen": a hyphen joins it to a word that is not a number
    if low[end : end + 1] in "-\u2011" and end + 1 < len(low) and low[end + 1].isalpha():
        return True
    return start > 1 and low[start - 1] in "-\u2011" and low[start - 2].isalnum()
