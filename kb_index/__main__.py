"""``python -m kb_index {build,search,import,eval}`` (see ``--help``)."""

from kb_index.cli import main

raise SystemExit(main())
