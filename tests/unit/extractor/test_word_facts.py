"""Facts whose number is written in words, and the verb-before-number form ("captured two soldiers")."""
# ruff: noqa: E501  (sentences are data)

from __future__ import annotations

import pytest

from services.extractor.tagging import Tagger

from .conftest import NK


def facts_of(tagger: Tagger, text: str, lang: str, title: str = "") -> set[tuple[str, float]]:
    return {(f.type, f.value) for f in tagger.tag(title=title, text=text, lang=lang).facts}


@pytest.mark.parametrize(
    ("lang", "text", "expected"),
    [
        (
            "en",
            "Ukrainian forces captured two North Korean soldiers in Russia's Kursk region.",
            ("captured", 2),
        ),
        (
            "en",
            "Kyiv said its drones killed twelve North Korean soldiers near Kursk, Russia.",
            ("killed", 12),
        ),
        (
            "en",
            "Three North Korean soldiers were wounded in Russia's Kursk region, Ukraine says.",
            ("wounded", 3),
        ),
        ("en", "North Korea sent two thousand troops to Russia, Seoul says.", ("troop_count", 2000)),
        ("id", "Pasukan Ukraina menangkap dua tentara Korea Utara di wilayah Kursk, Rusia.", ("captured", 2)),
        (
            "id",
            "Korea Utara mengirim dua ribu tentara ke Rusia untuk perang di Ukraina.",
            ("troop_count", 2000),
        ),
        (
            "de",
            "Die Ukraine hat bei Kursk in Russland zwei nordkoreanische Soldaten gefangen genommen.",
            ("captured", 2),
        ),
        ("de", "Nordkorea schickt zweitausend Soldaten nach Russland.", ("troop_count", 2000)),
        (
            "fr",
            "L'armée ukrainienne a capturé deux soldats nord-coréens dans la région russe de Koursk.",
            ("captured", 2),
        ),
        ("fr", "La Corée du Nord a envoyé deux mille soldats en Russie.", ("troop_count", 2000)),
        (
            "es",
            "Ucrania ha capturado a dos soldados norcoreanos en la región rusa de Kursk.",
            ("captured", 2),
        ),
        ("es", "Corea del Norte envió dos mil soldados a Rusia.", ("troop_count", 2000)),
        ("pt", "A Ucrânia capturou dois soldados norte-coreanos na região russa de Kursk.", ("captured", 2)),
        (
            "it",
            "L'Ucraina ha catturato due soldati nordcoreani nella regione russa di Kursk.",
            ("captured", 2),
        ),
        (
            "ru",
            "Украинские военные взяли в плен двух северокорейских солдат в Курской области России.",
            ("captured", 2),
        ),
        ("ru", "КНДР направила в Россию две тысячи военных.", ("troop_count", 2000)),
        (
            "uk",
            "Українські військові взяли в полон двох північнокорейських солдатів у Курській області Росії.",
            ("captured", 2),
        ),
        ("uk", "КНДР відправила до Росії дві тисячі військових.", ("troop_count", 2000)),
        ("ko", "우크라이나군이 러시아 쿠르스크에서 북한군 두 명을 생포했다.", ("captured", 2)),
        ("ko", "북한군 이천 명이 러시아에 파병됐다.", ("troop_count", 2000)),
        ("ja", "ウクライナ軍がロシアのクルスク州で北朝鮮兵二人を捕虜にした。", ("captured", 2)),
        ("zh", "乌军在俄罗斯库尔斯克州俘虏了两名朝鲜士兵。", ("captured", 2)),
        ("zh", "朝鲜向俄罗斯派遣了两千名士兵。", ("troop_count", 2000)),
    ],
)
def test_word_number_facts(tagger: Tagger, lang: str, text: str, expected: tuple[str, float]) -> None:
    assert expected in facts_of(tagger, text, lang)


@pytest.mark.parametrize(
    ("lang", "text", "expected"),
    [
        (
            "en",
            "Ukraine captured two North Korean soldiers in Kursk, Russia. Both men were wounded.",
            ("wounded", 2),
        ),
        (
            "es",
            "Ucrania capturó a dos soldados norcoreanos en Kursk, Rusia. Ambos están heridos.",
            ("wounded", 2),
        ),
        ("ru", "ВСУ взяли в плен двух солдат КНДР в Курской области России. Оба ранены.", ("wounded", 2)),
        ("zh", "乌军在俄罗斯库尔斯克州俘虏了两名朝鲜士兵，两人均受伤。", ("wounded", 2)),
    ],
)
def test_both_counts_with_the_fact_noun_right_after(
    tagger: Tagger, lang: str, text: str, expected: tuple[str, float]
) -> None:
    assert expected in facts_of(tagger, text, lang)


@pytest.mark.parametrize(
    ("lang", "text"),
    [
        # "two" that counts something else, or has no fact noun next to it
        ("en", "Two years after North Korea sent troops to Russia, Ukraine still fights in Kursk."),
        ("en", "The two countries agreed that North Korean troops would stay in Russia's Kursk region."),
        ("en", "Russia captured two villages in Ukraine with the help of North Korean artillery shells."),
        ("en", "North Korea and Russia signed two agreements; Pyongyang has troops in Kursk."),
        (
            "en",
            "Both sides reported heavy casualties as North Korean troops fought in Russia's Kursk region.",
        ),
        ("en", "Hundreds of North Korean soldiers were killed in Russia's Kursk region, Ukraine said."),
        ("id", "Ratusan tentara Korea Utara tewas di Kursk, Rusia, kata Ukraina."),
        ("de", "Tausende nordkoreanische Soldaten kämpfen in Russland gegen die Ukraine."),
        ("ru", "Сотни северокорейских военных погибли в Курской области России, заявил Киев."),
        ("ko", "북한군 수천 명이 러시아 쿠르스크에서 사상했다."),
        ("zh", "数千名朝鲜士兵在俄罗斯库尔斯克州伤亡。"),
    ],
)
def test_no_fact_from_unrelated_or_vague_numbers(tagger: Tagger, lang: str, text: str) -> None:
    result = tagger.tag(title="", text=text, lang=lang)
    assert any(m.score > 0 for m in result.matches if m.watchlist == NK)  # facts were looked for
    assert result.facts == []


def test_a_vague_count_ends_the_previous_number_window(tagger: Tagger) -> None:
    text = "A North Korean missile hit Kharkiv, Ukraine: two people died, dozens were injured, Russia's army said."
    assert ("wounded", 2) not in facts_of(tagger, text, "en")


def test_same_event_in_english_and_japanese_gives_the_same_facts(tagger: Tagger) -> None:
    english = facts_of(
        tagger,
        "Ukrainian forces have captured two North Korean soldiers in Russia's Kursk region, Zelensky said. "
        "Both men were wounded and were taken to Kyiv.",
        "en",
        title="Ukraine captures two North Korean soldiers in Kursk",
    )
    japanese = facts_of(
        tagger,
        "ウクライナ軍がロシア西部クルスク州で北朝鮮兵2人を捕虜にした。2人はいずれも負傷している。",
        "ja",
    )
    assert {("captured", 2), ("wounded", 2)} <= english
    assert {("captured", 2), ("wounded", 2)} <= japanese


def test_a_handful_is_not_a_troop_estimate(tagger: Tagger) -> None:
    text = "Two North Korean soldiers told reporters in Russia that their unit was sent to Kursk."
    assert not any(t == "troop_count" for t, _ in facts_of(tagger, text, "en"))


def test_sentence_ends_match_the_plain_alternation() -> None:
    """The character-class-first sentence-end regex finds what the plain alternation finds."""
    import random
    import re

    from services.extractor.facts import _SENTENCE_END

    plain = re.compile(r"[.!?;](?=\s)|[。！？；\n]")
    rnd = random.Random(7)
    alphabet = ".!?;。！？；\n \t\u3000\u00a0ab1"
    for _ in range(5000):
        text = "".join(rnd.choice(alphabet) for _ in range(rnd.randint(0, 24)))
        assert [m.span() for m in _SENTENCE_END.finditer(text)] == [m.span() for m in plain.finditer(text)]


def test_destination_check_agrees_with_the_plain_patterns() -> None:
    """The one-character pre-checks and the word trie decide destinations like the plain regexes."""
    import random
    import re

    from services.extractor import facts

    words = re.compile(
        r"(?:\b(?:to|into|in|inside|ke|di|dari|в|во|на|до|у|à|au|en|vers|a|hacia|nach|in|im|para|per)\s+|"
        r"[向到赴在往抵]|(?:\bthe\s+))$",
        re.IGNORECASE,
    )
    rnd = random.Random(4)
    tokens = [*facts._TO_WORD_LIST, "ſ", "THE", "To", "ab", "向", "에", "으로", "파병", "의 극동", "の極東"]
    tokens += [" ", "  ", "\n", "\t", "-", ".", "russia", "러시아"]
    for _ in range(20_000):
        text = "".join(rnd.choice(tokens) for _ in range(rnd.randint(0, 8)))
        start = rnd.randint(0, len(text))
        end = rnd.randint(start, len(text))
        before, after = text[max(0, start - 10) : start], text[end : end + 5]
        expected = bool(words.search(before) or facts._TO_PARTICLES.match(after))
        assert facts._is_destination(text, (start, end, "x")) == expected, (text, start, end)
