"""Progress on stderr: a bar for long steps when stderr is a terminal, and step lines always.

stdout stays free for what a command answers (``--dry-run`` requests, for instance).
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator
from typing import TypeVar

T = TypeVar("T")


class Progress:
    """``bars=None`` shows bars only on a terminal; ``quiet`` silences the step lines too."""

    def __init__(self, *, bars: bool | None = None, quiet: bool = False) -> None:
        self.bars = sys.stderr.isatty() if bars is None else bars
        self.quiet = quiet

    def step(self, message: str) -> None:
        if self.quiet:
            return
        if self.bars:
            from tqdm import tqdm

            tqdm.write(f"review-scorer: {message}", file=sys.stderr)
        else:
            print(f"review-scorer: {message}", file=sys.stderr, flush=True)

    def bar(self, items: Iterable[T], *, desc: str, total: int | None = None) -> Iterator[T]:
        if not self.bars:
            yield from items
            return
        from tqdm import tqdm

        yield from tqdm(items, desc=desc, total=total, file=sys.stderr, unit="step")
