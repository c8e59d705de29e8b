"""Watchlist files: validation errors name file, line and field; a new watchlist needs no code."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from services.extractor.tagging import load_tagger
from shared.errors import ConfigError
from shared.watchlists import load_watchlists

from .conftest import NK, WATCHLISTS

IRAN = """\
name: iran-russia-drones
description: Iranian drones and missiles for Russia
languages: [en, ru]
rule:
  title_weight: 2
  threshold: 2
  signals:
    - all: [iran, russia, drones]
      within: 200
concepts:
  iran:
    entities: [country:IR]
  russia:
    terms:
      en: [Russia, Russian, Moscow]
      ru: [росси*, москв*]
  drones:
    terms:
      en: [Shahed*, drone*, Geran*]
      ru: [дрон*, беспилотник*, Шахед*, Герань*]
entities:
  - id: country:IR
    type: country
    terms:
      en: [Iran, Iranian*]
      ru: [иран*]
facts:
  - type: drones
    unit: drones
    after:
      en: [drones, Shahed drones]
      ru: [дрон*, беспилотник*]
developments:
  fact_increase: [{type: drones, min_ratio: 1.5}]
"""


def write(directory: Path, name: str, text: str) -> Path:
    path = directory / f"{name}.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_shipped_watchlist_loads() -> None:
    watchlists = load_watchlists(WATCHLISTS)
    nk = watchlists[NK]
    assert nk.name == NK
    assert {"troop_count", "killed", "casualties"} <= {f.type for f in nk.developments.fact_increase}
    assert "place:kursk" in nk.developments.key_entities
    assert nk.developments.burst is not None
    assert {"en", "id", "ms", "ko", "ru", "uk", "ja", "zh", "de", "fr", "es"} <= set(nk.languages)


def test_second_watchlist_without_code_change(tmp_path: Path) -> None:
    shutil.copy(WATCHLISTS / f"{NK}.yaml", tmp_path)
    write(tmp_path, "iran-russia-drones", IRAN)
    tagger = load_tagger(tmp_path)
    assert tagger.names == ["iran-russia-drones", NK]
    result = tagger.tag(
        title="Iran ships more Shahed drones to Russia",
        text="Iran has delivered about 2,000 Shahed drones to Russia this year, officials said. "
        "Иран передал России беспилотники.",
        lang="en",
    )
    assert result.relevant_to("iran-russia-drones")
    assert not result.relevant_to(NK)
    assert ("drones", 2000) in {(f.type, f.value) for f in result.facts}
    assert "country:IR" in {e.id for e in result.entities}


@pytest.mark.parametrize(
    ("edit", "line", "field"),
    [
        (("    - all: [iran, russia, drones]", "    - all: [iran, russia, drone]"), 8, "rule.signals.0.all"),
        (("      within: 200", "      within: lots"), 9, "rule.signals.0.within"),
        (("    type: country", "    type: planet"), 23, "entities.0.type"),
        (("      en: [drones, Shahed drones]", "      en: [drones, Sha*hed]"), 31, "facts.0.after.en.1"),
        (("  threshold: 2", "  threshold: 2\n  tresh: 3"), 7, "rule.tresh"),
        (("    entities: [country:IR]", "    entities: [country:XX]"), 12, "concepts.iran.entities"),
        (("    unit: drones", "    unit: drones\n    verbs: {en: [shipped]}"), 28, "facts.0"),
    ],
)
def test_errors_name_file_line_and_field(
    tmp_path: Path, edit: tuple[str, str], line: int, field: str
) -> None:
    assert edit[0] in IRAN
    path = write(tmp_path, "iran-russia-drones", IRAN.replace(edit[0], edit[1]))
    with pytest.raises(ConfigError) as info:
        load_watchlists(tmp_path)
    message = str(info.value)
    assert f"{path}:{line}:" in message, message
    assert field in message, message


def test_yaml_syntax_error_names_the_line(tmp_path: Path) -> None:
    path = write(tmp_path, "iran-russia-drones", IRAN.replace("  russia:\n", "  russia: [\n"))
    with pytest.raises(ConfigError, match=rf"{path}:\d+: invalid YAML"):
        load_watchlists(tmp_path)


def test_name_must_match_file(tmp_path: Path) -> None:
    write(tmp_path, "drones", IRAN)
    with pytest.raises(ConfigError, match=r"drones.yaml:1: field name"):
        load_watchlists(tmp_path)


def test_empty_file_and_missing_directory(tmp_path: Path) -> None:
    write(tmp_path, "empty", "")
    with pytest.raises(ConfigError, match="empty watchlist"):
        load_watchlists(tmp_path)
    with pytest.raises(ConfigError, match="does not exist"):
        load_watchlists(tmp_path / "nope")
