"""pytest plugin: ``pytest --hot-restart`` instruments the code under test.

Registered by entry point and off by default, so installing hot_restart
changes nothing for a test run that does not ask for it.
"""

from __future__ import annotations

import os
from typing import Any


def pytest_addoption(parser: Any) -> None:
    group = parser.getgroup("hot_restart")
    group.addoption(
        "--hot-restart",
        action="store_true",
        default=False,
        help="open a debugger at crashes in instrumented code; fix the code and continue",
    )
    group.addoption(
        "--hot-restart-pattern",
        action="append",
        default=[],
        metavar="PATTERN",
        help="module pattern to instrument (fnmatch over dotted names; repeatable); "
        "default: HOT_RESTART_PATTERNS",
    )


def pytest_configure(config: Any) -> None:
    if not config.getoption("hot_restart"):
        return
    patterns = list(config.getoption("hot_restart_pattern"))
    if not patterns:
        patterns = [p for p in os.environ.get("HOT_RESTART_PATTERNS", "").split(",") if p.strip()]
    if patterns:
        from .hook import install

        install(patterns)
