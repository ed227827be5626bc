"""Write one edited KB entry back into its YAML file without touching any other line (pure).

ruamel's round trip keeps comments, order and flow style, but it has one indentation setting for every level,
and the KB sources indent their top-level ``entries`` list differently from the lists inside an entry
(``- id:`` at column 0, ``similar:`` items at column 4). Dumping the whole file re-indents every entry, and the
audit then shows a one-line edit as a whole-file diff. So only the edited entry is dumped (its own node, with
the indentation of the lists inside entries) and spliced in place of its old lines, at the column its ``- id:``
line had; a new entry goes after the last one, at the column the others use.
"""

from __future__ import annotations

import io
import re
from typing import Any, Callable

from ruamel.yaml import YAML

_ENTRY_START = re.compile(r"^(?P<indent> *)- id: *(?P<id>.+?) *$")


def _unquote(value: str) -> str:
    value = value.split(" #")[0].strip()
    return value[1:-1] if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"" else value


def entry_blocks(lines: list[str]) -> list[tuple[str, int, int, int]]:
    """(id, first line, end line (exclusive), dash column) of each ``- id:`` entry; an entry ends before the
    next line that is not blank and not indented past its dash, or at a blank run followed by one."""
    starts = [(i, m) for i, line in enumerate(lines) if (m := _ENTRY_START.match(line))]
    blocks = []
    for i, match in starts:
        column = len(match.group("indent"))
        end = i + 1
        while end < len(lines):
            line = lines[end]
            if line.strip() and (len(line) - len(line.lstrip(" ")) <= column):
                break
            end += 1
        while end > i + 1 and not lines[end - 1].strip():  # trailing blank lines belong to what follows
            end -= 1
        blocks.append((_unquote(match.group("id")), i, end, column))
    return blocks


def dump_entry(item: Any, column: int, make_yaml: Callable[[], YAML]) -> list[str]:
    """The entry node as list-item lines with its dash at ``column``."""
    buffer = io.StringIO()
    make_yaml().dump(item, buffer)
    body = buffer.getvalue().rstrip("\n").split("\n")
    pad = " " * column
    return [pad + "- " + body[0]] + [(pad + "  " + line) if line else "" for line in body[1:]]


def splice_entry(original: str, entry_id: str, item: Any, make_yaml: Callable[[], YAML]) -> str | None:
    """``original`` with entry ``entry_id`` replaced by ``item`` (or appended after the last entry when it is
    not there); None when the file's layout is not one this can edit in place (the caller dumps the file)."""
    lines = original.split("\n")
    blocks = entry_blocks(lines)
    found = [b for b in blocks if b[0] == entry_id]
    if len(found) > 1:
        return None
    if found:
        _, start, end, column = found[0]
        return "\n".join(lines[:start] + dump_entry(item, column, make_yaml) + lines[end:])
    if not blocks:
        return None
    _, _, end, column = blocks[-1]
    return "\n".join(lines[:end] + dump_entry(item, column, make_yaml) + lines[end:])
