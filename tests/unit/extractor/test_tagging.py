"""The shipped watchlist: positives per language, hard negatives, entities, facts, bad input."""
# ruff: noqa: E501  (article texts are data)

from __future__ import annotations

import pytest

from services.extractor.tagging import Tagger

from .conftest import NK

POSITIVES = [
    (
        "en",
        "Seoul says North Korean troops moved to Russia's Kursk region",
        "South Korea's spy agency said on Thursday that about 3,000 North Korean soldiers had been moved "
        "to the Kursk region to fight alongside Russian forces against Ukraine.",
    ),
    (
        "id",
        "Korut kirim 1.500 tentara ke Rusia",
        "Badan intelijen Korsel menyebut Korut telah mengirim sekitar 1.500 tentara pasukan khusus ke "
        "Rusia untuk mendukung perang melawan Ukraina.",
    ),
    (
        "ko",
        '국정원 "북한군 1만2천명 러시아 파병"',
        "국가정보원은 북한군이 러시아에 추가 파병됐으며 일부는 쿠르스크 전투에 투입됐다고 밝혔다.",
    ),
    (
        "ru",
        "Военные КНДР замечены в Курской области",
        "По данным разведки, около 10 тысяч военнослужащих из КНДР находятся в Курской области России.",
    ),
    (
        "uk",
        "Війська КНДР воюють на боці Росії",
        "За даними розвідки, близько 10 тис. військових Північної Кореї перебувають у Курській області Росії.",
    ),
    (
        "ja",
        "北朝鮮兵1万人がロシアに派遣",
        "韓国の情報機関によると、北朝鮮は約1万人の兵士をロシアに派遣し、クルスク州で戦闘に参加している。",
    ),
    (
        "zh",
        "朝鲜向俄罗斯派兵约1万人",
        "韩国情报机构称,朝鲜已向俄罗斯派遣约1万名士兵,部分已抵达库尔斯克州参与作战。",
    ),
    (
        "de",
        "Nordkoreanische Soldaten in Russland",
        "Nach Angaben aus Seoul sind rund 10.000 nordkoreanische Soldaten nach Russland verlegt worden, "
        "um im Krieg gegen die Ukraine zu kämpfen.",
    ),
    (
        "fr",
        "Des soldats nord-coréens déployés en Russie",
        "Selon Séoul, quelque 10 000 soldats nord-coréens ont été envoyés en Russie pour combattre l'Ukraine.",
    ),
    (
        "es",
        "Tropas norcoreanas llegan a Rusia",
        "Unos 10.000 soldados norcoreanos han sido enviados a Rusia para combatir contra Ucrania, según Seúl.",
    ),
]

HARD_NEGATIVES = [
    (
        "en",
        "North Korea fires ballistic missile into the sea",
        "North Korea fired a short-range ballistic missile off its east coast on Tuesday, South Korea's "
        "military said, the latest in a series of weapons tests condemned by Seoul and Tokyo.",
    ),
    (
        "en",
        "Ukraine's forces push deeper into Russia's Kursk region",
        "Ukrainian troops advanced further into the Kursk region, Kyiv said, in the largest incursion into "
        "Russian territory since the war began.",
    ),
    (
        "en",
        "Historians mark anniversary of the Battle of Kursk",
        "Veterans gathered to remember the Battle of Kursk in 1943, when Soviet troops stopped the German "
        "offensive in the largest tank battle in history.",
    ),
    (
        "id",
        "Pasukan TNI dikirim ke Papua",
        "Sebanyak 1.500 tentara dan prajurit TNI dikerahkan ke Papua untuk mengamankan pemilu, kata panglima.",
    ),
    (
        "id",
        "Wisatawan Rusia mulai berlibur ke Korut",
        "Rombongan wisatawan asal Rusia tiba di resor Wonsan, Korea Utara, dalam paket wisata baru. Kerja "
        "sama pariwisata kedua negara terus tumbuh.",
    ),
    (
        "ko",
        "북한군 10여명 군사분계선 침범…경고사격에 북상",
        "중부전선 비무장지대에서 작업하던 북한군 10여명이 군사분계선을 넘었다가 우리 군의 경고사격 후 북상했다고 합참이 밝혔다.",
    ),
    (
        "ko",
        "북한강 수위 상승에 주민 대피",
        "집중호우로 북한강 수위가 올라 주민들이 대피했다. 군 장병들도 복구 작업에 투입됐다.",
    ),
    (
        "ru",
        "Курская битва: 80 лет спустя",
        "В Курской области прошли торжества в память о Курской битве, в которой советские войска разгромили вермахт.",
    ),
    (
        "ru",
        "Россия и Китай провели совместные учения",
        "Военные корабли России и Китая провели совместные учения в Японском море, сообщило Минобороны.",
    ),
    (
        "ja",
        "北朝鮮、日本海に弾道ミサイル発射",
        "防衛省によると、北朝鮮は弾道ミサイル1発を発射し、日本の排他的経済水域外に落下した。",
    ),
    (
        "zh",
        "朝鲜与俄罗斯开通新旅游线路",
        "朝鲜与俄罗斯之间新的旅游线路开通,首批俄罗斯游客抵达平壤参观。双方还讨论了贸易和体育交流。",
    ),
    (
        "de",
        "Nordkorea testet neue Rakete",
        "Nordkorea hat nach Angaben aus Seoul erneut eine ballistische Rakete getestet. Japan protestierte.",
    ),
    (
        "fr",
        "Une troupe de danse nord-coréenne à Moscou",
        "Une troupe de danseurs nord-coréens s'est produite à Moscou devant un public russe enthousiaste.",
    ),
    (
        "es",
        "Ucrania recupera territorio en el este",
        "Las tropas ucranianas recuperaron varias aldeas en la región de Járkov tras intensos combates con "
        "las fuerzas rusas.",
    ),
]


@pytest.mark.parametrize(("lang", "title", "text"), POSITIVES, ids=[p[0] for p in POSITIVES])
def test_positives_in_every_language(tagger: Tagger, lang: str, title: str, text: str) -> None:
    result = tagger.tag(title=title, text=text, lang=lang)
    assert result.relevant_to(NK), result.matches
    match = result.matches[0]
    assert 0.5 <= match.score <= 1.0
    assert {e.concept for e in match.evidence} >= {"nk", "military"}


@pytest.mark.parametrize(
    ("lang", "title", "text"), HARD_NEGATIVES, ids=[f"{n[0]}-{i}" for i, n in enumerate(HARD_NEGATIVES)]
)
def test_hard_negatives_stay_negative(tagger: Tagger, lang: str, title: str, text: str) -> None:
    assert not tagger.tag(title=title, text=text, lang=lang).relevant_to(NK)


def test_language_is_detected_when_missing(tagger: Tagger) -> None:
    _, title, text = POSITIVES[2]
    assert tagger.tag(title=title, text=text).lang == "ko"


def test_entities_with_canonical_ids_and_surface_forms(tagger: Tagger) -> None:
    result = tagger.tag(
        title="Rutte: North Korean troops in Kursk",
        text="NATO chief Mark Rutte said Kim Jong Un sent troops; Putin and Shoigu met in Pyongyang. "
        "The Pentagon and the UN Security Council discussed KN-23 missiles and Hwasong-11 launches.",
        lang="en",
    )
    ids = {e.id for e in result.entities}
    assert {
        "country:KP",
        "place:kursk",
        "org:nato",
        "person:rutte",
        "person:kim-jong-un",
        "person:putin",
        "person:shoigu",
        "place:pyongyang",
        "org:pentagon",
        "org:unsc",
        "weapon:kn-23",
        "weapon:hwasong-11",
    } <= ids
    kp = next(e for e in result.entities if e.id == "country:KP")
    assert kp.type == "country" and "North Korean" in kp.surface_forms


def test_facts_with_actor_place_and_span(tagger: Tagger) -> None:
    result = tagger.tag(
        title="",
        text="About 1,500 North Korean troops arrived in Kursk. Some 300 North Korean soldiers were killed "
        "and 2,700 wounded.",
        lang="en",
    )
    facts = {(f.type, f.value): f for f in result.facts}
    troops = facts[("troop_count", 1500)]
    assert troops.actor == "country:KP" and troops.place == "place:kursk" and "1,500" in troops.span
    assert ("killed", 300) in facts and ("wounded", 2700) in facts
    assert ("troop_count", 300) not in facts


@pytest.mark.parametrize(
    ("lang", "text", "expected"),
    [
        ("id", "Korut mengirim 1.500 tentara ke Rusia.", ("troop_count", 1500)),
        ("id", "Sebanyak 12 ribu tentara Korut tiba di Rusia.", ("troop_count", 12000)),
        ("ko", "북한군 1만2천명이 러시아에 파병됐다.", ("troop_count", 12000)),
        ("ja", "北朝鮮兵1万人がロシアに派遣された。", ("troop_count", 10000)),
        ("zh", "朝鲜向俄罗斯派遣了1万名士兵。", ("troop_count", 10000)),
        ("ru", "В Курской области находятся 10 тысяч военных КНДР.", ("troop_count", 10000)),
        ("uk", "У Курській області перебувають 10 тис. військових КНДР.", ("troop_count", 10000)),
        ("en", "North Korea sent 13,000 containers of munitions to Russia.", ("containers", 13000)),
        ("en", "North Korea shipped 9 million artillery shells to Russia.", ("shells", 9_000_000)),
        (
            "de",
            "Nordkorea schickt 6.000 Arbeiter und Militärbauer nach Kursk in Russland.",
            ("worker_count", 6000),
        ),
        ("ko", "우크라이나군이 북한군 포로 2명을 생포했다.", ("captured", 2)),
    ],
)
def test_fact_numbers_per_locale(tagger: Tagger, lang: str, text: str, expected: tuple[str, float]) -> None:
    result = tagger.tag(title="", text=text, lang=lang)
    assert expected in {(f.type, f.value) for f in result.facts}, result.facts


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   \n\t  ",
        "\x00\x01\x02\xff" * 1000,
        bytes(range(256)).decode("latin-1") * 100,
        b"\xff\xfe\xfa North Korean troops \xc3\x28".decode("utf-8", errors="replace"),
        "\ud800 lone surrogate",
        "สวัสดีครับ วันนี้อากาศดีมาก ผมไปตลาดซื้อผลไม้",
        "x" * 10_000_000,
    ],
    ids=["empty", "blank", "control", "binary", "invalid-utf8", "surrogate", "thai", "10MB"],
)
def test_bad_input_gives_a_valid_not_relevant_result(tagger: Tagger, text: str) -> None:
    result = tagger.tag(title="", text=text)
    assert [m.watchlist for m in result.matches] == [NK]
    assert not result.relevant_to(NK)
    assert isinstance(result.lang, str) and result.lang


def test_huge_text_is_capped(tagger: Tagger) -> None:
    import time

    text = ("North Korean troops in Russia. " * 400_000)[:10_000_000]
    started = time.perf_counter()
    result = tagger.tag(title="", text=text, lang="en")
    assert time.perf_counter() - started < 5
    assert result.relevant_to(NK)


def test_feed_summary_needs_one_full_signal(tagger: Tagger) -> None:
    """A short body (feed summary) with one sentence naming all three concepts is enough; the
    title's concepts count for the lead sentence."""
    title = "Kim Jong Un hosts Russia's Shoigu in Pyongyang"
    summary = "The two discussed military cooperation and the deployment of troops, KCNA said."
    assert tagger.tag(title=title, text=summary, lang="en").relevant_to(NK)
    long_body = (
        summary + " " + "The weather in the capital was mild and the delegation toured a museum. " * 12
    )
    assert not tagger.tag(title=title, text=long_body, lang="en").relevant_to(NK)
    tourism = "Tourists from Vladivostok arrived at the Wonsan resort for the summer season."
    assert not tagger.tag(
        title="Russian tourists return to North Korea", text=tourism, lang="en"
    ).relevant_to(NK)


def test_control_character_check_agrees_with_the_regex() -> None:
    """The Latin-1 byte check finds unwanted characters exactly where the regex does."""
    import random

    from services.extractor.tagging import _SUSPECT, _suspect, prepare_text

    rnd = random.Random(3)
    pool = [chr(i) for i in range(0x180)] + ["\ud800", "\ue000", "\uffff", "\U0001f600", "\U000f0001", "ж"]
    for _ in range(20_000):
        text = "".join(rnd.choice(pool) for _ in range(rnd.randint(0, 8)))
        assert _suspect(text) == (_SUSPECT.search(text) is not None), repr(text)
    assert prepare_text("a\x00b\x85c\td\n\x7f", 100) == "abc\td\n"


def test_piecewise_nfkc_equals_unicodedata() -> None:
    """Normalising only the unstable runs gives exactly ``unicodedata.normalize("NFKC", ...)``."""
    import random
    import unicodedata

    from services.extractor.tagging import _nfkc

    rnd = random.Random(1)
    pool = [chr(c) for c in (*range(0x20, 0x250), *range(0x300, 0x370), *range(0x3040, 0x3100))]
    pool += [chr(c) for c in (*range(0xFF00, 0xFF70), *range(0x1E00, 0x1E20), *range(0x590, 0x670))]
    pool += list(
        "가각나ᄀᄁᄂ\u1161\u1162\u11a8\u11a9ㄱㅏ北朝鮮，。！（）＝～％\u3000\u00a0\u202f\u2126\u212b\u2024\u2026\ufb01"
    )
    pool += list(
        "\u0958\u093c\u09be\u09c7\u0b3e\u0b47\u0bbe\u0bc6\u1b35\u1b05\u0f73\u0f71\u0f72\u1100\u1175\U0001d15e"
    )
    pool += list("\U0001d157\U0001d165\U0002f800\U0001109a\U00011099\U000110ba\U0001f600\U00030001\ud800")
    for _ in range(20_000):
        text = "".join(rnd.choice(pool) for _ in range(rnd.randint(0, 12)))
        assert _nfkc(text) == unicodedata.normalize("NFKC", text), repr(text)
