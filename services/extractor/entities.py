"""Entities: canonical ids with the surface forms found in the article."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Literal, cast

from services.extractor.compiled import HitsByName
from services.extractor.matcher import Document
from shared.messages import Entity

EntityType = Literal["country", "place", "org", "person", "weapon", "other"]
MAX_SURFACE_FORMS = 8


def collect_entities(hits: HitsByName, types: Mapping[str, str], doc: Document) -> list[Entity]:
    """One ``Entity`` per id found, most mentioned first."""
    out = []
    text = doc.text
    for entity_id, found in hits.items():
        forms: list[str] = []
        for raw in dict.fromkeys([text[start:end] for start, end, _ in found]):  # distinct, in order
            form = " ".join(raw.split()) if not raw.isalnum() else raw
            if form not in forms:
                forms.append(form)
                if len(forms) >= MAX_SURFACE_FORMS:
                    break
        out.append(
            Entity(
                id=entity_id,
                type=cast(EntityType, types.get(entity_id, "other")),
                surface_forms=forms,
                count=len(found),
            )
        )
    out.sort(key=lambda e: (-e.count, e.id))
    return out


def merge_entities(groups: Iterable[list[Entity]]) -> list[Entity]:
    """Entities of several watchlists as one list (an id found by two counts once)."""
    groups = list(groups)
    if len(groups) == 1:
        return groups[0]
    merged: dict[str, Entity] = {}
    for group in groups:
        for entity in group:
            cur = merged.get(entity.id)
            if cur is None:
                merged[entity.id] = entity.model_copy()
                continue
            forms = cur.surface_forms + [f for f in entity.surface_forms if f not in cur.surface_forms]
            merged[entity.id] = cur.model_copy(
                update={"surface_forms": forms[:MAX_SURFACE_FORMS], "count": max(cur.count, entity.count)}
            )
    return sorted(merged.values(), key=lambda e: (-e.count, e.id))
