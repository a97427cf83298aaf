"""The third-party fidelity harness is slow (it downloads and runs whole suites):
it is collected only under ``just test-fidelity`` (``HOT_RESTART_FIDELITY=1``),
never by a plain ``just test``/``pytest``. Its summary table is printed at the end.
"""

from __future__ import annotations

import os
import sys
from typing import Any

if os.environ.get("HOT_RESTART_FIDELITY") != "1":
    collect_ignore_glob = ["test_*.py"]
else:
    sys.path.insert(0, os.path.dirname(__file__))  # suites.py, harness.py


def pytest_terminal_summary(terminalreporter: Any) -> None:
    harness = sys.modules.get("harness")
    if harness is not None and harness.RESULTS:
        terminalreporter.section("third-party suites: plain vs instrumented (cold, warm, prompt)")
        for line in harness.RESULTS:
            terminalreporter.write_line(line)
