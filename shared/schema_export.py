"""Export the JSON Schemas of the message models to ``shared/schemas/`` (checked in).

python -m shared.schema_export          # rewrite the files
python -m shared.schema_export --check  # exit 1 if a file differs from the models
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from shared.messages import MESSAGE_MODELS

SCHEMA_DIR = Path(__file__).parent / "schemas"


def schema_file(schema: str) -> Path:
    """``article.raw/1`` -> ``shared/schemas/article.raw.v1.json``."""
    name, version = schema.split("/")
    return SCHEMA_DIR / f"{name}.v{version}.json"


def render(schema: str) -> str:
    """The JSON Schema of one message type, as checked-in text."""
    model = MESSAGE_MODELS[schema]
    body = model.model_json_schema(by_alias=True, mode="serialization")
    body["$id"] = f"https://wirewatch.dev/schemas/{schema_file(schema).name}"
    return json.dumps(body, indent=2, ensure_ascii=False, sort_keys=True) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Write or check every schema file."""
    parser = argparse.ArgumentParser(prog="python -m shared.schema_export")
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args(argv)
    stale = []
    for schema in MESSAGE_MODELS:
        path, text = schema_file(schema), render(schema)
        if args.check:
            if not path.is_file() or path.read_text(encoding="utf-8") != text:
                stale.append(path.name)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
    if stale:
        print(f"stale schemas (run python -m shared.schema_export): {', '.join(stale)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
