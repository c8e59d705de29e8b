"""Near-duplicate fingerprints: edited copies match in several scripts, different stories do not."""

from __future__ import annotations

import hashlib

import pytest

from services.dedup.fingerprint import (
    _RIGHTS_LINE,
    Fingerprinter,
    _rights_line,
    similarity,
    strip_boilerplate,
)
from tests.unit.dedup import texts

FP = Fingerprinter()
THRESHOLD = 0.4


def sim(a: str, b: str) -> float:
    return similarity(FP.fingerprint(a).signature, FP.fingerprint(b).signature).jaccard


@pytest.mark.parametrize("text", [texts.EN_NIS, texts.ID_NIS, texts.KO_NIS, texts.ZH_NIS, texts.JA_NIS])
def test_copy_with_dateline_and_read_also_block_is_a_near_duplicate(text: str) -> None:
    copy = texts.retitle_and_tail(text, "SEOUL (Harbor Wire)", "Baca juga:")
    assert sim(text, copy) >= 0.8


@pytest.mark.parametrize(
    ("text", "old", "new"),
    [
        (texts.EN_NIS, "called an emergency", "convened an urgent"),
        (texts.KO_NIS, "아무런 입장도 내놓지 않았다", "공식 논평을 거부했다"),
        (texts.ZH_NIS, "韩国政府随即召开国家安全保障会议紧急讨论应对措施", "韩国总统府表示将与盟国密切协调"),
        (texts.JA_NIS, "同盟国と対応を協議した", "米国と緊密に連携すると述べた"),
    ],
)
def test_copy_with_an_edited_sentence_is_a_near_duplicate(text: str, old: str, new: str) -> None:
    assert sim(text, texts.edit_sentence(text, old, new)) >= THRESHOLD + 0.2


def test_copy_cut_short_is_a_near_duplicate() -> None:
    assert sim(texts.EN_NIS, texts.drop_last_paragraph(texts.EN_NIS)) >= THRESHOLD + 0.2


def test_different_stories_on_the_same_topic_are_not() -> None:
    assert sim(texts.EN_NIS, texts.EN_NATO) < 0.2
    assert sim(texts.EN_NIS, texts.EN_FLOODS) < 0.1


def test_translations_are_not_near_duplicates() -> None:
    assert sim(texts.EN_NIS, texts.ID_NIS) < 0.2
    assert sim(texts.ZH_NIS, texts.JA_NIS) < 0.3


def test_exact_copy_with_other_layout_has_the_same_content_key() -> None:
    relaid = texts.EN_NIS.replace("\n", "\n\n").upper()
    assert FP.fingerprint(relaid).content_key == FP.fingerprint(texts.EN_NIS).content_key


def test_boilerplate_lines_are_stripped() -> None:
    body = (
        "First paragraph of the story.\nRead also:\nSome other headline\nAnother headline\nEditor: Jane Doe"
    )
    assert strip_boilerplate(body) == "First paragraph of the story."
    kept = "Baca juga laporan sebelumnya, kata pejabat itu, yang diterbitkan pekan lalu."
    assert strip_boilerplate("A story.\n" + kept) == "A story."  # a marker line with its headline goes


def test_empty_text_has_no_signature() -> None:
    assert FP.fingerprint("  \n ").empty


@pytest.mark.parametrize(
    "line",
    [
        "© 2024 Harbor Wire. All Rights Reserved.",
        "ALL RIGHTS RESERVED",
        "all  rights reserved",
        "Hak Cipta 2024 Kompas",
        "Todos los derechos reservados.",
        "Alle Rechte vorbehalten",
        "Tous droits réservés",
        "TOUS DROITS RÉSERVÉS",
        "<저작권자 ⓒ 2024 연합뉴스, 무단전재-재배포 금지>",
        "Все права защищены",
        "版权所有 © 2024",
        "無断転載を禁じます",
        "A normal sentence with no notice in it.",
        "Rights were reserved for all of them.",
        # characters that regex IGNORECASE folds onto ASCII letters (long s, Kelvin sign, dotted and
        # dotless i): such a line is not ASCII, so the regex decides
        "All rightſ reserved",
        "All rİghts reserved",
        "All rıghts reserved",
        "Hak \u212aipta",
        "",
    ],
)
def test_rights_line_equals_the_regex(line: str) -> None:
    assert _rights_line(line) == (_RIGHTS_LINE.search(line) is not None)


def test_rights_line_equals_the_regex_on_ascii_case_variants() -> None:
    phrases = ["all rights reserved", "hak cipta", "todos los derechos reservados", "alle rechte vorbehalten"]
    for phrase in phrases:
        for variant in (phrase, phrase.upper(), phrase.title(), phrase.swapcase()[::-1], phrase[:-1]):
            for line in (variant, f"(c) 2024 {variant}.", f"x{variant}y"):
                assert _rights_line(line) == (_RIGHTS_LINE.search(line) is not None), line


def test_unrelated_texts_estimate_near_zero_despite_8_bit_collisions() -> None:
    assert sim(texts.EN_FLOODS, texts.KO_NIS) < 0.05


@pytest.mark.parametrize(
    ("name", "digest"),
    [
        ("EN_NIS", "9088075c5458e25032fff6bf62869a59"),
        ("KO_NIS", "0a8f7c0c1bf686f8a4a2224b2dece182"),
        ("ZH_NIS", "a7ab01ea96a2248213efa2aea134bd0b"),
    ],
)
def test_fingerprints_stay_the_same(name: str, digest: str) -> None:
    # Stored indexes and other replicas compare against these bytes: a faster implementation must
    # produce exactly the same content key, signature and band keys.
    f = Fingerprinter().fingerprint(getattr(texts, name))
    assert hashlib.sha256(f.content_key + f.signature + f.band_blob).hexdigest()[:32] == digest
    assert f.band_blob == b"".join(f.bands) and len(f.bands) == 40
