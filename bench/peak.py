"""Peak resident memory of a process, from the kernel's own accounting.

``VmHWM`` in ``/proc/self/status`` is the high-water mark of the current process image. (The
``getrusage`` maximum survives ``execve`` on Linux, so a child started from a large parent
would report the parent's peak; VmHWM does not.)
"""

from __future__ import annotations

import atexit
import os
import runpy
import sys
from pathlib import Path

ENV = "BENCH_PEAK_FILE"


def peak_rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM in /proc/self/status (Linux only)")


def _write_peak() -> None:
    Path(os.environ[ENV]).write_text(f"{peak_rss_mb():.1f}")


if __name__ == "__main__":
    # python -m bench.peak MODULE ARGS...: run MODULE as __main__, peak RSS to $BENCH_PEAK_FILE
    atexit.register(_write_peak)
    sys.argv = sys.argv[1:]
    runpy.run_module(sys.argv[0], run_name="__main__", alter_sys=True)
