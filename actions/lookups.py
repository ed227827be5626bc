"""Read Rasa lookup tables (``- lookup: NAME`` blocks) from the NLU data folder, so forms validate against
the same city list the NLU extracts from."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import yaml


@lru_cache(maxsize=8)
def lookup_table(nlu_data_dir: Path, name: str) -> tuple[str, ...]:
    """All entries of lookup table ``name`` across the YAML files under ``nlu_data_dir``."""
    entries: list[str] = []
    for path in sorted(nlu_data_dir.rglob("*.yml")):
        doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for block in doc.get("nlu", []) if isinstance(doc, dict) else []:
            if isinstance(block, dict) and block.get("lookup") == name:
                for line in str(block.get("examples", "")).splitlines():
                    item = line.strip().removeprefix("- ").strip()
                    if item:
                        entries.append(item)
    return tuple(dict.fromkeys(entries))
