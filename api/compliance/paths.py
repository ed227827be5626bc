"""Error messages shown to staff never reveal where the service lives on disk: absolute paths in them are cut
to their file name (``/srv/app/kb_index/faq/cards.yml: entry 3`` -> ``cards.yml: entry 3``). Pure; applied by
the app's error handlers and the KB index status. A payload such as ``/human_handoff`` (one segment, no
directory) is not a path and stays."""

from __future__ import annotations

import re

_ABSOLUTE = re.compile(r"(?<![\w.~\-/])/(?:[^\s/'\"()<>:,;]+/)+([^\s/'\"()<>:,;]*)")


def hide_paths(text: str) -> str:
    return _ABSOLUTE.sub(lambda m: m.group(1) or ".", text)
