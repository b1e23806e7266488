"""What every benchmark shares: the run's context, the result line, timing and memory helpers.

The interface (stable; ``bench_<name>.py`` modules rely on it)::

    from benchmarks.common import Bench, Context, median, p95, timed, timings

    def run(ctx: Context) -> list[Bench]: ...

``run.py`` puts the repository root on ``sys.path`` and imports ``benchmarks.bench_<name>`` in the
order recompute, payroll_export, pages, import, http (a missing module is reported and skipped).

``ctx`` carries the scale (``quick``, ``institutions``, ``employees``, ``entries``, ``year``), a
scratch directory ``tmp`` (``pathlib.Path``, removed at the end) and the database
(``database_url``, ``database_name``). Django is set up and the database is migrated and seeded
before any ``run`` is called. A ``Bench`` prints as one line::

    BENCH <name> value=<v><unit> baseline=<b><unit> ratio=<v/b> target=<t> [extra]

Numbers are reported, never asserted: a benchmark returns what it measured, and only a crash
makes ``run.py`` exit non-zero.
"""

from __future__ import annotations

import datetime
import json
import math
import os
import pickle
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass
class Context:
    """One run of the suite: the scale seeded, the scratch directory and the database."""

    quick: bool
    institutions: int
    employees: int
    entries: int
    tmp: Path
    database_url: str
    database_name: str
    year: int = 2026
    seed: int = 1
    payroll_month: datetime.date | None = None  # the confirmed month seed_scale computed
    # Anything a benchmark wants to hand to a later one (e.g. the seed's phase timings).
    notes: dict[str, Any] = field(default_factory=dict)


@dataclass
class Bench:
    """One measured number against a baseline measured in the same run."""

    name: str
    value: float
    unit: str  # "s", "ms", "MB", "rows/s" …
    baseline: float
    target: str  # e.g. "<=5" (a bound on the ratio) or "<=300MB" (a bound on the value)
    extra: str = ""

    @property
    def ratio(self) -> float:
        if self.baseline == 0:
            return math.inf
        return self.value / self.baseline

    def line(self) -> str:
        text = (
            f"BENCH {self.name} value={_number(self.value)}{self.unit} "
            f"baseline={_number(self.baseline)}{self.unit} ratio={self.ratio:.2f} "
            f"target={self.target}"
        )
        return f"{text} {self.extra}" if self.extra else text


def _number(value: float) -> str:
    if value >= 1000:
        return f"{value:.0f}"
    if value >= 100:
        return f"{value:.1f}"
    return f"{value:.3g}" if value < 1 else f"{value:.2f}"


# --- timing -------------------------------------------------------------------------------


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    """Seconds one call of ``fn`` took (``time.perf_counter``), and what it returned."""
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def timings(fn: Callable[[], Any], repeat: int, warmup: int = 0) -> list[float]:
    """Seconds of ``repeat`` calls of ``fn`` (after ``warmup`` untimed calls)."""
    for _ in range(warmup):
        fn()
    return [timed(fn)[0] for _ in range(repeat)]


def median(samples: list[float]) -> float:
    return statistics.median(samples)


def p95(samples: list[float]) -> float:
    """The 95th percentile, nearest-rank (no interpolation: with few samples it is the max)."""
    ordered = sorted(samples)
    rank = math.ceil(0.95 * len(ordered))
    return ordered[max(rank - 1, 0)]


# --- peak memory --------------------------------------------------------------------------


_CHILD = """
import importlib, json, pickle, resource, sys, time
import django
django.setup()
target, args = pickle.load(sys.stdin.buffer)
module, _, name = target.partition(":")
fn = getattr(importlib.import_module(module), name)
start = time.perf_counter()
fn(*args)
elapsed = time.perf_counter() - start
try:
    # VmHWM: this process's own high-water mark (a new address space at exec starts at 0).
    with open("/proc/self/status") as status:
        peak = next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))
except (OSError, StopIteration):
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print("PEAK " + json.dumps({"kb": peak, "seconds": elapsed}), flush=True)
"""


def peak_memory_mb(fn: Callable[..., Any], *args: Any) -> tuple[float, float]:
    """Peak resident memory (MB) of a fresh Python process that runs ``fn(*args)``, and the
    seconds ``fn`` took there.

    ``fn`` must be a module-level function and ``args`` picklable: the child is a new
    interpreter (``sys.executable``) that inherits the environment (``DATABASE_URL``,
    ``DJANGO_SETTINGS_MODULE``), sets Django up, imports ``fn``'s module and calls it. A fresh
    process does not carry the benchmark process's heap (the seed's leftovers; a forked child
    would start with all of it), so the figure is the interpreter + Django + what ``fn`` itself
    holds: the same floor for a measured function and its baseline. Resident memory counts
    everything — C buffers too, which ``tracemalloc`` would miss. The child reads its own
    high-water mark, ``VmHWM`` of /proc/self/status, not ``getrusage``: Linux keeps
    ``ru_maxrss`` across fork and exec, so a child would report at least the parent's size
    at the fork, and the parent's ``RUSAGE_CHILDREN`` is the maximum over *all* children so far.
    """
    root = Path(__file__).resolve().parent.parent
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(root), env.get("PYTHONPATH")) if p)
    target = f"{fn.__module__}:{fn.__qualname__}"
    completed = subprocess.run(
        [sys.executable, "-c", _CHILD],
        input=pickle.dumps((target, args)),
        capture_output=True,
        cwd=root,
        env=env,
        check=False,
    )
    lines = completed.stdout.decode(errors="replace").splitlines()
    found = [line for line in lines if line.startswith("PEAK ")]
    if completed.returncode != 0 or not found:
        raise RuntimeError(
            f"the child measuring {target} failed (exit code {completed.returncode}):\n"
            + completed.stderr.decode(errors="replace")[-2000:]
        )
    data = json.loads(found[-1][len("PEAK ") :])
    return data["kb"] / 1024, data["seconds"]  # ru_maxrss is in kilobytes on Linux
