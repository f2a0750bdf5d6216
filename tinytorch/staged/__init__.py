"""Staged execution: `jit` traces a function into a small program of primitives
once per input signature and runs generated NumPy code; `make_ir` shows the program."""

from .jit import CacheInfo, Jitted, jit, make_ir
from .tracer import TracerConversionError

__all__ = ["jit", "make_ir", "Jitted", "CacheInfo", "TracerConversionError"]
