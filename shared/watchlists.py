"""Watchlist configuration (``config/watchlists/*.yaml``), shared by the extractor and dedup.

The extractor uses the concepts, rule, entities and facts to tag articles; dedup uses the
``story`` and ``developments`` sections to decide what joins a story and what is a development.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Literal

import yaml
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, model_validator

from shared.errors import ConfigError


class StrictModel(BaseModel):
    """Config models reject unknown keys so a typo is an error, not a silent default."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class FactIncrease(StrictModel):
    """A fact of this type whose value grows past ``min_ratio`` x the story's maximum is a development."""

    type: str
    min_ratio: float = Field(default=1.3, gt=1.0)


class BurstRule(StrictModel):
    """``sources`` independent outlets within ``minutes`` is a development (once per story)."""

    sources: int = Field(default=4, ge=2)
    minutes: int = Field(default=60, ge=1)


class DevelopmentRules(StrictModel):
    """What counts as new in a story of this watchlist (used by dedup)."""

    fact_increase: list[FactIncrease] = Field(default_factory=list)
    first_fact_types: list[str] = Field(
        default_factory=list, description="first appearance of one of these fact types is a development"
    )
    key_entities: list[str] = Field(
        default_factory=list, description="canonical ids whose first appearance is a development"
    )
    burst: BurstRule | None = None


class StoryRules(StrictModel):
    """When an article joins an existing story of this watchlist (used by dedup)."""

    window_hours: float = Field(default=72, gt=0)
    min_shared_entities: int = Field(default=2, ge=1)


# --- the extractor's sections ------------------------------------------------------------------


def _check_term(term: str) -> str:
    stripped = term.strip()
    if not stripped or stripped == "*":
        raise ValueError("empty term")
    if any("*" in word[:-1] for word in stripped.split()):
        raise ValueError(f"term {term!r}: '*' is allowed only at the end of a word (stem)")
    return term


def _check_lang(lang: str) -> str:
    if not re.fullmatch(r"[a-z]{2,3}", lang):
        raise ValueError(f"language key {lang!r} is not an ISO 639-1 code")
    return lang


Term = Annotated[str, AfterValidator(_check_term)]
LanguageCode = Annotated[str, AfterValidator(_check_lang)]
TermsByLanguage = dict[LanguageCode, list[Term]]
"""Terms per language code. Term syntax: ``word`` (whole word), ``stem*`` (word start, any ending;
in a phrase each word may be a stem), multi-word phrases match across spaces/hyphens; Hangul terms
match word prefixes (particles attach); CJK and kana terms match as substrings."""

_ID_PATTERN = r"^(country|place|org|person|weapon|other):[A-Za-z0-9][A-Za-z0-9._-]*$"


class Concept(StrictModel):
    """A named idea (``nk``, ``russia``, ``military``) with its terms per language.

    ``entities`` pulls in the surface forms of entity definitions; ``exclude`` lists phrases whose
    matches cancel an overlapping term match (``Battle of Kursk`` is not about the region).
    """

    description: str = ""
    entities: list[str] = Field(default_factory=list)
    terms: TermsByLanguage = Field(default_factory=dict)
    exclude: TermsByLanguage = Field(default_factory=dict)


class Signal(StrictModel):
    """All ``concepts`` within ``within`` characters of the first one: one piece of relevance."""

    all: list[str] = Field(min_length=1)
    within: int = Field(default=250, ge=1, le=5000)
    weight: float = Field(default=1.0, gt=0)


class RelevanceRule(StrictModel):
    """Relevance = sum of signal weights (title hits x ``title_weight``) >= ``threshold``.

    Body hits of one signal closer than ``within/2`` characters count once, so one sentence that
    repeats a name is one piece of evidence, not three.
    """

    signals: list[Signal] = Field(min_length=1)
    title_weight: float = Field(default=2.0, ge=0)
    threshold: float = Field(default=2.0, gt=0)
    max_body_hits: int = Field(default=10, ge=1)
    short_text_chars: int = Field(default=0, ge=0, description="bodies shorter than this (feed summaries)...")
    short_text_threshold: float = Field(default=1.0, gt=0, description="...need only this score")


class EntityDef(StrictModel):
    """A canonical entity (``country:KP``, ``place:kursk``) and its surface forms per language."""

    id: str = Field(pattern=_ID_PATTERN)
    type: Literal["country", "place", "org", "person", "weapon", "other"]
    name: str = ""
    terms: TermsByLanguage
    exclude: TermsByLanguage = Field(default_factory=dict)

    @model_validator(mode="after")
    def _type_matches_id(self) -> EntityDef:
        if self.id.split(":", 1)[0] != self.type:
            raise ValueError(f"id {self.id!r} does not start with its type {self.type!r}")
        return self


class FactPattern(StrictModel):
    """A typed number: ``after`` nouns follow the number ("1,500 troops"), ``before`` nouns come
    first ("병력 1만 명", "士兵1万人") and then need a counter word after the number, ``verbs``
    come right before it and need one of the ``objects`` after it ("captured two soldiers")."""

    type: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    unit: str
    after: TermsByLanguage = Field(default_factory=dict)
    before: TermsByLanguage = Field(default_factory=dict)
    counters: TermsByLanguage = Field(default_factory=dict)
    verbs: TermsByLanguage = Field(default_factory=dict)
    objects: TermsByLanguage = Field(default_factory=dict)
    window: int = Field(default=30, ge=1, le=200)
    min_value: float = Field(default=1, ge=0)
    max_value: float = Field(default=10_000_000, gt=0)
    actors: list[str] = Field(default_factory=list, description="entity ids that may be the actor")
    priority: int = Field(default=0, description="when one number fits several types, the highest wins")


class Watchlist(StrictModel):
    """One ``config/watchlists/<name>.yaml``."""

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    description: str = ""
    languages: list[str] = Field(default_factory=list)
    concepts: dict[str, Concept] = Field(min_length=1)
    rule: RelevanceRule
    entities: list[EntityDef] = Field(default_factory=list)
    facts: list[FactPattern] = Field(default_factory=list)
    story: StoryRules = Field(default_factory=StoryRules)
    developments: DevelopmentRules = Field(default_factory=DevelopmentRules)

    @model_validator(mode="after")
    def _references_resolve(self) -> Watchlist:
        ids = [e.id for e in self.entities]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            raise ValueError(f"entity ids defined twice: {dupes}")
        known = set(ids)
        for name, concept in self.concepts.items():
            missing = [e for e in concept.entities if e not in known]
            if missing:
                raise ValueError(f"concepts.{name}.entities: unknown entity ids {missing}")
            if not concept.terms and not concept.entities:
                raise ValueError(f"concepts.{name}: needs terms or entities")
        for i, signal in enumerate(self.rule.signals):
            missing = [c for c in signal.all if c not in self.concepts]
            if missing:
                raise ValueError(f"rule.signals.{i}.all: unknown concepts {missing}")
        for i, fact in enumerate(self.facts):
            if not fact.after and not fact.before:
                raise ValueError(f"facts.{i}: needs 'after' or 'before' nouns")
            if bool(fact.verbs) != bool(fact.objects):
                raise ValueError(f"facts.{i}: 'verbs' and 'objects' go together")
            missing = [a for a in fact.actors if a not in known]
            if missing:
                raise ValueError(f"facts.{i}.actors: unknown entity ids {missing}")
        return self


# --- loading with line numbers -------------------------------------------------------------------

Path_ = tuple[str | int, ...]


def _record_lines(node: yaml.Node, path: Path_, lines: dict[Path_, int]) -> None:
    """Record the 1-based line of every mapping key and sequence item under ``node``."""
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            child = (*path, str(key_node.value))
            lines[child] = key_node.start_mark.line + 1
            _record_lines(value_node, child, lines)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            lines[(*path, i)] = item.start_mark.line + 1
            _record_lines(item, (*path, i), lines)


def _line_of(loc: Path_, lines: dict[Path_, int]) -> int:
    """The line of the deepest known prefix of a pydantic error location."""
    for end in range(len(loc), -1, -1):
        prefix = tuple(loc[:end])
        if prefix in lines:
            return lines[prefix]
    return 1


def _message_line(message: str, lines: dict[Path_, int]) -> tuple[str, int] | None:
    """Cross-field errors name their field as ``a.b.0.c:``; find its line."""
    match = re.search(r"\b([a-z_]+(?:\.[\w-]+)+):", message)
    if not match:
        return None
    parts: list[str | int] = [int(p) if p.isdigit() else p for p in match.group(1).split(".")]
    return match.group(1), _line_of(tuple(parts), lines)


def load_watchlist(path: Path) -> Watchlist:
    """Parse and validate one watchlist file; ``ConfigError`` names file, line and field."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read: {exc}") from exc
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else 1
        raise ConfigError(f"{path}:{line}: invalid YAML: {exc}") from exc
    if node is None:
        raise ConfigError(f"{path}:1: empty watchlist file")
    lines: dict[Path_, int] = {(): 1}
    _record_lines(node, (), lines)
    data = yaml.SafeLoader("").construct_document(node)
    if not isinstance(data, dict):
        raise ConfigError(f"{path}:1: a watchlist must be a mapping")
    try:
        watchlist = Watchlist.model_validate(data)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            loc = tuple(err["loc"])
            field = ".".join(str(p) for p in loc) or "(file)"
            line = _line_of(loc, lines)
            msg = err["msg"]
            named = _message_line(msg, lines) if not loc else None
            if named:
                field, line = named
            problems.append(f"{path}:{line}: field {field}: {msg}")
        raise ConfigError("; ".join(problems)) from exc
    if watchlist.name != path.stem:
        raise ConfigError(
            f"{path}:{lines.get(('name',), 1)}: field name: {watchlist.name!r} must equal the file name "
            f"{path.stem!r}"
        )
    return watchlist


def watchlist_files(directory: Path) -> list[Path]:
    """The watchlist files of a directory (``*.yaml`` and ``*.yml``, sorted)."""
    if not directory.is_dir():
        return []
    return sorted([*directory.glob("*.yaml"), *directory.glob("*.yml")])


def load_watchlists(directory: Path) -> dict[str, Watchlist]:
    """Every watchlist in ``directory`` by name; any invalid file raises ``ConfigError``."""
    if not directory.is_dir():
        raise ConfigError(f"{directory}: watchlist directory does not exist")
    out: dict[str, Watchlist] = {}
    for path in watchlist_files(directory):
        watchlist = load_watchlist(path)
        out[watchlist.name] = watchlist
    return out
