"""Message models, checked-in JSON Schemas and example messages stay equal."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import jsonschema
import pytest
from pydantic import ValidationError

from shared import schema_export
from shared.messages import MESSAGE_MODELS, ArticleRaw, encode

EXAMPLES = Path(schema_export.SCHEMA_DIR) / "examples"


@pytest.mark.parametrize("schema", sorted(MESSAGE_MODELS))
def test_checked_in_schema_equals_model(schema: str) -> None:
    path = schema_export.schema_file(schema)
    assert path.read_text(encoding="utf-8") == schema_export.render(schema), (
        f"{path.name} is stale: run python -m shared.schema_export"
    )


@pytest.mark.parametrize("schema", sorted(MESSAGE_MODELS))
def test_example_message_validates_against_model_and_schema(schema: str) -> None:
    example = json.loads((EXAMPLES / schema_export.schema_file(schema).name).read_text(encoding="utf-8"))
    json_schema = json.loads(schema_export.schema_file(schema).read_text(encoding="utf-8"))
    jsonschema.validate(example, json_schema)
    model = MESSAGE_MODELS[schema].model_validate(example)
    assert json.loads(encode(model)) == example  # round trip is lossless


def test_consumers_ignore_unknown_fields() -> None:
    example = json.loads((EXAMPLES / "article.raw.v1.json").read_text(encoding="utf-8"))
    example["added_in_a_later_version"] = {"x": 1}
    assert ArticleRaw.model_validate(example).article_id == example["article_id"]


def test_naive_datetimes_are_rejected() -> None:
    example = json.loads((EXAMPLES / "article.raw.v1.json").read_text(encoding="utf-8"))
    example["fetched_at"] = "2024-10-18T09:30:00"
    with pytest.raises(ValidationError, match="timezone-aware"):
        ArticleRaw.model_validate(example)


def test_datetimes_are_normalised_to_utc() -> None:
    example = json.loads((EXAMPLES / "article.raw.v1.json").read_text(encoding="utf-8"))
    example["published_at"] = "2024-10-18T18:30:00+09:00"
    published = ArticleRaw.model_validate(example).published_at
    assert published is not None and published.utcoffset() is not None
    assert published == datetime.fromisoformat("2024-10-18T09:30:00+00:00")
    assert published.utcoffset().total_seconds() == 0  # type: ignore[union-attr]


def test_wrong_schema_name_is_rejected() -> None:
    example = json.loads((EXAMPLES / "article.raw.v1.json").read_text(encoding="utf-8"))
    example["schema"] = "article.tagged/1"
    with pytest.raises(ValidationError):
        ArticleRaw.model_validate(example)
