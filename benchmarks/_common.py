"""Shared helpers: each figure is printed beside a baseline from the same run."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from pathlib import Path


def best_of(fn: Callable[[], object], repeat: int = 7, number: int = 1) -> float:
    """Best wall time of ``number`` calls, over ``repeat`` rounds (seconds per call)."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        for _ in range(number):
            fn()
        times.append((time.perf_counter() - start) / number)
    return min(times)


def median_of(fn: Callable[[], object], repeat: int = 7) -> float:
    return statistics.median(best_of(fn, repeat=1) for _ in range(repeat))


def row(label: str, value: float, baseline: float, unit: str = "ns", target: str = "") -> str:
    scale = {"ns": 1e9, "us": 1e6, "ms": 1e3, "s": 1.0}[unit]
    ratio = value / baseline if baseline else float("inf")
    return (
        f"{label:<52} {value * scale:>10.1f} {unit}  baseline {baseline * scale:>10.1f} {unit}"
        f"  ratio {ratio:5.2f}x  {target}"
    )


def generated_module(functions: int = 2000, classes: int = 200) -> str:
    """A module of 5 lines per function and 16 per class: 13,200 lines by default."""
    out = ['"""Generated for benchmarks."""', "import math", ""]
    for i in range(functions):
        out += [
            f"def func_{i}(a, b=2, *args, **kwargs):",
            f'    """Function {i}."""',
            "    total = a + b + sum(args)",
            "    return total * math.pi",
            "",
        ]
    for i in range(classes):
        out += [
            f"class Class_{i}:",
            "    LIMIT = 3",
            "",
            "    def __init__(self, value):",
            "        self.value = value",
            "",
            "    def method(self, x=LIMIT):",
            "        return self.value + x",
            "",
            "    @property",
            "    def double(self):",
            "        return self.value * 2",
            "",
            "    def __repr__(self):",
            "        return f'Class({self.value})'",
            "",
        ]
    return "\n".join(out) + "\n"


def write_module(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.py"
    path.write_text(text)
    return path
