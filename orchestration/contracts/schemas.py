"""JSON Schemas of the contracts, written into `docs/schemas/`.

Regenerate after changing a model: `python -m orchestration.contracts.schemas`
(or `make schemas`). A test fails while the committed files differ.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from orchestration.contracts.notice import EodNotice
from orchestration.contracts.quality import QualityReport
from orchestration.contracts.run_record import RunRecord
from orchestration.contracts.steps import STEP_ENTRY

SCHEMA_DIR = Path(__file__).resolve().parents[2] / "docs" / "schemas"
DIALECT = "https://json-schema.org/draft/2020-12/schema"


def _step_entry() -> dict[str, Any]:
    schema = STEP_ENTRY.json_schema(mode="serialization")
    return {
        "title": "EodStepEntry",
        "description": "The `data` of a `step` entry on stream `tickstock:eod:runs`.",
        **schema,
    }


# What is sent or written: the serialization side of each model.
SCHEMAS: dict[str, Callable[[], dict[str, Any]]] = {
    "eod_notice": lambda: EodNotice.model_json_schema(mode="serialization"),
    "eod_step_entry": _step_entry,
    "eod_run_record": lambda: RunRecord.model_json_schema(mode="serialization"),
    "quality_report": lambda: QualityReport.model_json_schema(mode="serialization"),
}


def schema(name: str) -> dict[str, Any]:
    """The JSON Schema of one contract, as the committed file holds it."""
    return {"$schema": DIALECT, "$id": f"{name}.schema.json", **SCHEMAS[name]()}


def render(name: str) -> str:
    return json.dumps(schema(name), indent=2, ensure_ascii=False) + "\n"


def write(folder: Path = SCHEMA_DIR) -> list[Path]:
    """Write every schema as `<name>.schema.json`; return the paths."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for name in SCHEMAS:
        path = folder / f"{name}.schema.json"
        path.write_text(render(name))
        paths.append(path)
    return paths


if __name__ == "__main__":
    for written in write(Path(sys.argv[1]) if len(sys.argv) > 1 else SCHEMA_DIR):
        print(written)
