"""Synthetic relevant articles for the pipeline benchmark (our own templates, several languages).

Every article is relevant to ``nk-russia-military`` (a lead sentence about North Korean troops in
Russia) and names only the two countries, so the same-event rule (at least 2 shared features,
countries count half) never joins two of them. The rest of the text is filler made of invented
words, different in every article, so no two articles are near-duplicates either: each article
starts its own story and yields exactly one ``new_story`` alert.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

LEADS: dict[str, list[str]] = {
    "en": [
        "North Korean troops have been deployed to Russia to support its war effort, officials said.",
        "Officials say soldiers from North Korea are now fighting alongside Russian forces.",
    ],
    "de": [
        "Nordkoreanische Soldaten sind nach Russland verlegt worden, um den Krieg zu unterstützen.",
        "Nach Angaben von Beamten kämpfen Truppen aus Nordkorea an der Seite der russischen Armee.",
    ],
    "fr": [
        "Des soldats nord-coréens ont été déployés en Russie pour soutenir son effort de guerre.",
        "Selon des responsables, des troupes de la Corée du Nord combattent aux côtés de l'armée russe.",
    ],
    "es": [
        "Tropas norcoreanas han sido desplegadas en Rusia para apoyar su esfuerzo bélico.",
        "Según funcionarios, soldados de Corea del Norte combaten junto al ejército ruso.",
    ],
    "id": [
        "Pasukan Korea Utara telah dikirim ke Rusia untuk membantu perang, kata para pejabat.",
        "Menurut pejabat, tentara Korut kini bertempur bersama pasukan Rusia.",
    ],
    "ru": [
        "Северокорейские военные переброшены в Россию для участия в боевых действиях.",
        "По словам чиновников, солдаты КНДР воюют на стороне российской армии.",
    ],
    "ko": [
        "북한군이 러시아에 파병돼 전쟁을 지원하고 있다고 당국자들이 밝혔다.",
        "당국자들에 따르면 북한 병력이 러시아군과 함께 전투에 투입됐다.",
    ],
    "ja": [
        "北朝鮮の兵士がロシアに派遣され、戦争を支援していると当局者が明らかにした。",
        "当局者によると、北朝鮮軍の部隊がロシア軍と共に戦闘に参加している。",
    ],
}

# Filler frames: neutral sentences around invented words ({} = one invented word).
FRAMES: dict[str, list[str]] = {
    "en": ["{} {} of the {} group spoke about {} and {}.", "The {} {} report mentions {}, {} and {}."],
    "de": ["{} {} von der Gruppe {} sprach über {} und {}.", "Der Bericht {} {} nennt {}, {} und {}."],
    "fr": ["{} {} du groupe {} a parlé de {} et de {}.", "Le rapport {} {} cite {}, {} et {}."],
    "es": ["{} {} del grupo {} habló de {} y de {}.", "El informe {} {} menciona {}, {} y {}."],
    "id": ["{} {} dari kelompok {} berbicara tentang {} dan {}.", "Laporan {} {} menyebut {}, {} dan {}."],
    "ru": ["{} {} из группы {} говорил о {} и {}.", "В докладе {} {} упомянуты {}, {} и {}."],
    "ko": ["{} {} 단체의 {} 대표는 {}와 {}에 대해 말했다.", "{} {} 보고서는 {}, {}, {}을 언급했다."],
    "ja": ["{}{}団体の{}代表は{}と{}について話した。", "{}{}の報告書は{}、{}、{}に触れている。"],
}

_LATIN = [
    "ba",
    "be",
    "bi",
    "bo",
    "bu",
    "da",
    "de",
    "di",
    "do",
    "ka",
    "ke",
    "ki",
    "ko",
    "ku",
    "la",
    "le",
    "li",
    "lo",
    "lu",
    "ma",
    "me",
    "mi",
    "mo",
    "mu",
    "na",
    "ne",
    "ni",
    "no",
    "nu",
]
_LATIN += [
    "pa",
    "pe",
    "pi",
    "po",
    "ra",
    "re",
    "ri",
    "ro",
    "ru",
    "sa",
    "se",
    "si",
    "so",
    "su",
    "ta",
    "te",
    "ti",
    "to",
    "tu",
    "va",
    "ve",
    "vi",
    "vo",
    "za",
    "ze",
    "zi",
    "zo",
]
_CYRILLIC = [
    "ба",
    "бе",
    "би",
    "бо",
    "бу",
    "да",
    "де",
    "ди",
    "до",
    "ка",
    "ке",
    "ки",
    "ко",
    "ку",
    "ла",
    "ле",
    "ли",
    "ло",
    "лу",
    "ма",
    "ме",
    "ми",
    "мо",
    "му",
    "на",
    "не",
    "ни",
    "но",
]
_CYRILLIC += [
    "ну",
    "па",
    "пе",
    "пи",
    "по",
    "ра",
    "ре",
    "ри",
    "ро",
    "ру",
    "са",
    "се",
    "си",
    "со",
    "су",
    "та",
    "те",
    "ти",
    "то",
    "ту",
    "ва",
    "ве",
    "ви",
    "во",
    "за",
    "зе",
    "зи",
    "зо",
]
_HANGUL = list(
    "가나다라마바사아자차카타파하고노도로모보소오조초코토포호구누두루무부수우주추쿠투푸후기니디리미비시이지치키티피히"
)
_KATAKANA = list("アイウエオカキクケコサシスセソタチツテトナニヌネノハヒフヘホマミムメモヤユヨラリルレロワ")
SYLLABLES = {"ru": _CYRILLIC, "ko": _HANGUL, "ja": _KATAKANA}
LANGUAGES = tuple(LEADS)


@dataclass(frozen=True)
class SyntheticArticle:
    """One replay line (``title``, ``text``, ``lang``, ``source``)."""

    title: str
    text: str
    lang: str
    source: str

    def as_line(self) -> dict[str, str]:
        """The replay-file form."""
        return {"title": self.title, "text": self.text, "lang": self.lang, "source": self.source}


# invented words that happen to spell a watchlist term would add a shared entity (NATO, Najin)
_AVOID = ("nato", "naji", "kursk", "kim")


def _word(rng: random.Random, lang: str) -> str:
    syllables = SYLLABLES.get(lang, _LATIN)
    while True:
        count = rng.randint(2, 3) if lang in ("ko", "ja") else rng.randint(2, 4)
        word = "".join(rng.choice(syllables) for _ in range(count))
        if not any(bad in word for bad in _AVOID):
            return word.capitalize() if lang not in ("ko", "ja") else word


def article(number: int, rng: random.Random, sentences: int = 8) -> SyntheticArticle:
    """Article ``number`` (the language rotates); text = a lead + ``sentences`` filler sentences."""
    lang = LANGUAGES[number % len(LANGUAGES)]
    lead = rng.choice(LEADS[lang])
    filler = []
    for _ in range(sentences):
        frame = rng.choice(FRAMES[lang])
        filler.append(frame.format(*(_word(rng, lang) for _ in range(frame.count("{}")))))
    title_words = " ".join(_word(rng, lang) for _ in range(3))
    title = f"{lead.rstrip('.。')} ({title_words} #{number})"
    text = lead + "\n\n" + " ".join(filler[: sentences // 2]) + "\n\n" + " ".join(filler[sentences // 2 :])
    return SyntheticArticle(title=title, text=text, lang=lang, source=f"Outlet {number % 17}")


def corpus(count: int, seed: int = 7) -> list[SyntheticArticle]:
    """``count`` articles, reproducible for a seed."""
    rng = random.Random(seed)
    return [article(n, rng) for n in range(count)]
