"""A progress bar over epochs: tqdm's when it is installed (`pip install
tinytorch[progress]`), otherwise a plain line printed every tenth of the run."""

from __future__ import annotations

import sys
from typing import TextIO

try:
    from tqdm import tqdm
except ImportError:  # tqdm is optional
    tqdm = None


class ProgressBar:
    """`update(metrics)` once per epoch; `close()` at the end."""

    def __init__(self, total: int, desc: str = "training", enabled: bool = True, file: TextIO | None = None) -> None:
        self.total, self.desc, self.enabled = total, desc, enabled
        self.count = 0
        self.file = file
        self._bar = None
        if enabled and tqdm is not None:
            self._bar = tqdm(total=total, desc=desc, unit="epoch", file=file, dynamic_ncols=True)
        self._every = max(1, total // 10)

    def update(self, metrics: dict[str, float]) -> None:
        self.count += 1
        text = "  ".join(f"{name} {value:.4g}" for name, value in metrics.items())
        if self._bar is not None:
            self._bar.set_postfix_str(text, refresh=False)
            self._bar.update(1)
        elif self.enabled and (self.count % self._every == 0 or self.count == self.total):
            print(f"{self.desc} epoch {self.count}/{self.total}  {text}", file=self.file or sys.stdout, flush=True)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
