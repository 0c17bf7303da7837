"""``python -m mock_server``: the same as ``juhe-mock``."""

from __future__ import annotations

from .serve.cli import main

raise SystemExit(main())
